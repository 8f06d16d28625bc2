"""The poll log, status counts and practice leases (the ``PollLog`` and ``LeaseStore`` roles of
:class:`~connector.store.sql.SqlStore`); leases are the dialect's own SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from connector import jsonutil
from connector.store.base import PollState
from connector.store.rows import RowLike, when_or_none
from connector.store.sql_core import SqlCore


class PollTables(SqlCore):
    """When each source last polled, how the queue stands, and which instance holds whom."""

    # -- polls and status -----------------------------------------------------------------
    def poll_started(self, practice_id: str, source: str) -> None:
        """Remember a poll start."""
        with self.dialect.transaction() as tx:
            tx.run(
                "INSERT INTO polls (practice_id, source, last_started_at) VALUES (?,?,?)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_started_at = excluded.last_started_at",
                (practice_id, source, self._now()),
            )

    def poll_succeeded(self, practice_id: str, source: str, summary: dict[str, Any]) -> None:
        """Remember a successful poll."""
        with self.dialect.transaction() as tx:
            tx.run(
                "INSERT INTO polls (practice_id, source, last_ok_at, last_summary) VALUES (?,?,?,?)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET last_ok_at = excluded.last_ok_at,"
                " last_summary = excluded.last_summary, consecutive_failures = 0",
                (practice_id, source, self._now(), jsonutil.dumps(summary)),
            )

    def poll_failed(self, practice_id: str, source: str, code: str, message: str) -> int:
        """Remember a failed poll; return consecutive failures."""
        with self.dialect.transaction() as tx:
            row = tx.run(
                "INSERT INTO polls (practice_id, source, last_error_at, last_error_code,"
                " last_error, consecutive_failures) VALUES (?,?,?,?,?,1)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_error_at = excluded.last_error_at,"
                " last_error_code = excluded.last_error_code, last_error = excluded.last_error,"
                " consecutive_failures = polls.consecutive_failures + 1"
                " RETURNING consecutive_failures",
                (practice_id, source, self._now(), code, message),
            ).fetchone()
            return int(row["consecutive_failures"])

    def poll_states(self, practice_id: str | None = None) -> list[PollState]:
        """Every practice's poll status."""
        sql, params = "SELECT * FROM polls", []
        if practice_id:
            sql, params = sql + " WHERE practice_id = ?", [practice_id]
        with self.dialect.reading() as db:
            rows = db.run(sql + " ORDER BY practice_id, source", params).fetchall()
        return [_poll_state(row) for row in rows]

    def status_counts(self) -> dict[str, dict[str, int]]:
        """Counts by practice and status."""
        counts: dict[str, dict[str, int]] = {}
        with self.dialect.reading() as db:
            for row in db.run(
                "SELECT practice_id, status, COUNT(*) AS n FROM items GROUP BY practice_id, status"
            ).fetchall():
                counts.setdefault(row["practice_id"], {})[row["status"]] = int(row["n"])
        return counts

    def count_open_reviews(self) -> dict[str, int]:
        """Open reviews per practice."""
        with self.dialect.reading() as db:
            rows = db.run(
                "SELECT practice_id, COUNT(*) AS n FROM reviews WHERE state = 'open'"
                " GROUP BY practice_id"
            ).fetchall()
        return {row["practice_id"]: int(row["n"]) for row in rows}

    # -- practice leases ------------------------------------------------------------------
    def claim_practices(
        self, owner: str, practice_ids: Sequence[str], ttl: dt.timedelta, limit: int | None = None
    ) -> list[str]:
        """Claim free or expired practices up to the fair share; return all held."""
        with self.dialect.transaction() as tx:
            return self.dialect.claim(tx, owner, practice_ids, ttl, limit, self.clock.now())

    def renew_leases(self, owner: str, ttl: dt.timedelta) -> list[str]:
        """Extend the owner's unexpired leases; return those still held."""
        with self.dialect.transaction() as tx:
            return self.dialect.renew(tx, owner, ttl, self.clock.now())

    def release_leases(self, owner: str, practice_ids: Collection[str] | None = None) -> list[str]:
        """Free the owner's leases (all, with its heartbeat, when no ids are given)."""
        with self.dialect.transaction() as tx:
            return self.dialect.release(tx, owner, practice_ids)

    def lease_holders(self) -> dict[str, list[str]]:
        """Live instances and the practices each holds."""
        with self.dialect.transaction() as tx:
            return self.dialect.holders(tx, self.clock.now())


def _poll_state(row: RowLike) -> PollState:
    return PollState(
        practice_id=row["practice_id"],
        source=row["source"],
        last_started_at=when_or_none(row["last_started_at"]),
        last_ok_at=when_or_none(row["last_ok_at"]),
        last_error_at=when_or_none(row["last_error_at"]),
        last_error_code=row["last_error_code"],
        last_error=row["last_error"],
        consecutive_failures=int(row["consecutive_failures"]),
        last_summary=jsonutil.loads(row["last_summary"]),
    )
