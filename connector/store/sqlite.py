"""SQLite state store (default): WAL mode, one connection per thread, versioned migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector import jsonutil
from connector.clock import SYSTEM, Clock
from connector.domain import Item, ItemStatus, NewItem
from connector.errors import PermanentError, TransientError
from connector.money import to_cents
from connector.store import copy, requeue, sqlite_leases
from connector.store.base import HistoryEntry, PollState, RecordResult, Review
from connector.store.rows import item_from_row, review_from_row, when, when_or_none
from connector.store.schema import load_migrations


def _ts(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def migrations() -> list[tuple[int, str]]:
    """``(version, sql)`` for every SQLite migration shipped in the package, in order."""
    return load_migrations("sqlite")


class SQLiteStore:
    """:class:`~connector.store.base.StateStore` on one SQLite file.

    Args:
        path: database file (created with its folder); ``:memory:`` is refused because each
            thread has its own connection.
        clock: where every timestamp the store writes comes from (leases included).
    """

    def __init__(self, path: str | Path, *, clock: Clock = SYSTEM) -> None:
        if str(path) == ":memory:":
            raise PermanentError("the SQLite store needs a file path, not :memory:")
        self.path = Path(path)
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # -- connections and transactions ----------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransientError(f"state store busy: {exc}", code="store_busy") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def migrate(self) -> int:
        """Apply missing migrations in order, each in its own transaction."""
        conn = self._conn()
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = row[0] or 0
        for version, sql in migrations():
            if version <= current:
                continue
            with self._tx() as tx:
                for statement in _split_sql(sql):
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            current = version
        return int(current)

    # -- recording ------------------------------------------------------------------------
    def record(
        self,
        practice_id: str,
        source: str,
        items: Sequence[NewItem],
        cursor: dict[str, Any] | None = None,
    ) -> RecordResult:
        """Insert unknown items, their reviews and history, and the cursor, in one transaction."""
        now = _ts(self.clock.now())
        new_keys: list[str] = []
        with self._tx() as tx:
            for item in items:
                cur = tx.execute(
                    "INSERT INTO items (practice_id, source, key, kind, status, amount_cents,"
                    " payload, group_key, related_key, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (practice_id, key) DO NOTHING",
                    (
                        practice_id,
                        source,
                        item.key,
                        item.kind.value,
                        item.status.value,
                        to_cents(item.amount),
                        jsonutil.dumps(item.payload),
                        item.group_key,
                        item.related_key,
                        now,
                        now,
                    ),
                )
                if cur.rowcount == 0:
                    continue
                item_id = int(cur.lastrowid or 0)
                new_keys.append(item.key)
                self._history(
                    tx,
                    item_id,
                    practice_id,
                    "item.recorded",
                    None,
                    item.status,
                    {"kind": item.kind.value, "amount": str(item.amount)},
                    now,
                )
                if item.status is ItemStatus.REVIEW:
                    self._insert_review(
                        tx,
                        item_id,
                        practice_id,
                        item.review_reason or "review",
                        item.review_message or "needs review",
                        {},
                        now,
                    )
            if cursor is not None:
                tx.execute(
                    "INSERT INTO cursors (practice_id, source, value, updated_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (practice_id, source) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at",
                    (practice_id, source, jsonutil.dumps(cursor), now),
                )
        return RecordResult(tuple(new_keys), len(items) - len(new_keys))

    def get_cursor(self, practice_id: str, source: str) -> dict[str, Any] | None:
        """The stored cursor (JSON object) or None."""
        row = (
            self._conn()
            .execute(
                "SELECT value FROM cursors WHERE practice_id = ? AND source = ?",
                (practice_id, source),
            )
            .fetchone()
        )
        return dict(jsonutil.loads(row["value"])) if row else None

    # -- reading --------------------------------------------------------------------------
    def due_items(self, practice_id: str, now: dt.datetime, limit: int) -> list[Item]:
        """Received items, and failed ones whose retry time has come, oldest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM items WHERE practice_id = ? AND (status = 'received' OR"
                " (status = 'failed' AND next_attempt_at <= ?)) ORDER BY id LIMIT ?",
                (practice_id, _ts(now), limit),
            )
            .fetchall()
        )
        return [item_from_row(row) for row in rows]

    def get_item(self, item_id: int) -> Item | None:
        """One item by id."""
        row = self._conn().execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return item_from_row(row) if row else None

    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by external key."""
        row = (
            self._conn()
            .execute("SELECT * FROM items WHERE practice_id = ? AND key = ?", (practice_id, key))
            .fetchone()
        )
        return item_from_row(row) if row else None

    def related_items(self, practice_id: str, related_key: str) -> list[Item]:
        """Items naming ``related_key``."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM items WHERE practice_id = ? AND related_key = ? ORDER BY id",
                (practice_id, related_key),
            )
            .fetchall()
        )
        return [item_from_row(row) for row in rows]

    def group_items(self, practice_id: str, group_key: str) -> list[Item]:
        """Items of one payout or remittance."""
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM items WHERE practice_id = ? AND group_key = ? ORDER BY id",
                (practice_id, group_key),
            )
            .fetchall()
        )
        return [item_from_row(row) for row in rows]

    def items_of_kind(
        self,
        practice_id: str,
        kinds: Sequence[str],
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Item]:
        """Items of the given kinds recorded in ``[since, until)``, oldest first."""
        marks = ",".join("?" for _ in kinds)
        sql = f"SELECT * FROM items WHERE practice_id = ? AND kind IN ({marks})"  # noqa: S608 - placeholders only
        args: list[Any] = [practice_id, *kinds]
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(_ts(since))
        if until is not None:
            sql += " AND created_at < ?"
            args.append(_ts(until))
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [item_from_row(row) for row in rows]

    def items_with_status(self, status: ItemStatus, practice_id: str | None = None) -> list[Item]:
        """Items in ``status`` (of one practice, or all), by practice then oldest first."""
        sql, args = "SELECT * FROM items WHERE status = ?", [status.value]
        if practice_id is not None:
            sql, args = sql + " AND practice_id = ?", [*args, practice_id]
        rows = self._conn().execute(sql + " ORDER BY practice_id, id", args).fetchall()
        return [item_from_row(row) for row in rows]

    # -- status changes -------------------------------------------------------------------
    def _set_status(
        self,
        tx: sqlite3.Connection,
        item_id: int,
        status: ItemStatus,
        event: str,
        detail: dict[str, Any],
        **columns: Any,
    ) -> str:
        row = tx.execute(
            "SELECT practice_id, status FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise PermanentError(f"no item with id {item_id}", code="item_not_found")
        now = _ts(self.clock.now())
        sets = ", ".join(f"{name} = ?" for name in columns)
        tx.execute(
            f"UPDATE items SET status = ?, updated_at = ?{', ' + sets if sets else ''}"  # noqa: S608 - column names are ours
            " WHERE id = ?",
            (status.value, now, *columns.values(), item_id),
        )
        self._history(tx, item_id, row["practice_id"], event, row["status"], status, detail, now)
        return str(row["practice_id"])

    def mark_posted(self, item_id: int, pms_ids: dict[str, Any], detail: dict[str, Any]) -> None:
        """Posted; store the PMS ids."""
        with self._tx() as tx:
            self._set_status(
                tx,
                item_id,
                ItemStatus.POSTED,
                "item.posted",
                {**detail, "pms_ids": pms_ids},
                pms_ids=jsonutil.dumps(pms_ids),
                last_error_code=None,
                last_error=None,
                next_attempt_at=None,
            )

    def mark_review(
        self, item_id: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> int:
        """To the review queue (one open review per item: an older open one is superseded)."""
        with self._tx() as tx:
            practice = self._set_status(
                tx, item_id, ItemStatus.REVIEW, "item.review", {"reason": reason, **(details or {})}
            )
            tx.execute(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE item_id = ?"
                " AND state = 'open'",
                (_ts(self.clock.now()), item_id),
            )
            return self._insert_review(
                tx, item_id, practice, reason, message, details or {}, _ts(self.clock.now())
            )

    def mark_failed(
        self,
        item_id: int,
        code: str,
        message: str,
        next_attempt_at: dt.datetime,
        *,
        count_attempt: bool = True,
    ) -> None:
        """Count an attempt (unless ``count_attempt`` is False) and schedule the next one."""
        with self._tx() as tx:
            if count_attempt:
                tx.execute("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            self._set_status(
                tx,
                item_id,
                ItemStatus.FAILED,
                "item.failed",
                {"code": code, "message": message, "next_attempt_at": _ts(next_attempt_at)},
                last_error_code=code,
                last_error=message,
                next_attempt_at=_ts(next_attempt_at),
            )

    def mark_dead(self, item_id: int, code: str, message: str) -> None:
        """Give up."""
        with self._tx() as tx:
            tx.execute("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            self._set_status(
                tx,
                item_id,
                ItemStatus.DEAD,
                "item.dead",
                {"code": code, "message": message},
                last_error_code=code,
                last_error=message,
                next_attempt_at=None,
            )

    def mark_ignored(self, item_id: int, reason: str) -> None:
        """Never to be posted."""
        with self._tx() as tx:
            self._set_status(tx, item_id, ItemStatus.IGNORED, "item.ignored", {"reason": reason})

    def requeue_item(self, item_id: int) -> Item:
        """Put a dead or failed item back to ``received`` (see the protocol)."""
        with self._tx() as tx:
            row = tx.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            item = item_from_row(row)
            review = tx.execute(
                "SELECT MAX(id) FROM reviews WHERE item_id = ? AND state = 'open'", (item_id,)
            ).fetchone()[0]
            refused = requeue.refusal(item, review)
            if refused is not None:
                raise refused
            self._set_status(
                tx,
                item_id,
                ItemStatus.RECEIVED,
                requeue.EVENT,
                requeue.requeued_detail(item),
                attempts=0,
                next_attempt_at=None,
                last_error_code=None,
                last_error=None,
            )
        found = self.get_item(item_id)
        assert found is not None
        return found

    def save_progress(self, item_id: int, progress: dict[str, Any]) -> None:
        """Remember finished steps of a multi-step write."""
        with self._tx() as tx:
            row = tx.execute("SELECT practice_id FROM items WHERE id = ?", (item_id,)).fetchone()
            tx.execute(
                "UPDATE items SET progress = ?, updated_at = ? WHERE id = ?",
                (jsonutil.dumps(progress), _ts(self.clock.now()), item_id),
            )
            self._history(
                tx,
                item_id,
                row["practice_id"],
                "item.progress",
                None,
                None,
                progress,
                _ts(self.clock.now()),
            )

    def add_history(
        self, item_id: int | None, practice_id: str, event: str, detail: dict[str, Any]
    ) -> None:
        """Append a decision to history."""
        with self._tx() as tx:
            self._history(
                tx, item_id, practice_id, event, None, None, detail, _ts(self.clock.now())
            )

    def history(self, item_id: int) -> list[HistoryEntry]:
        """The item's history, oldest first."""
        rows = (
            self._conn()
            .execute("SELECT * FROM history WHERE item_id = ? ORDER BY id", (item_id,))
            .fetchall()
        )
        return [
            HistoryEntry(
                id=r["id"],
                item_id=r["item_id"],
                practice_id=r["practice_id"],
                at=when(r["at"]),
                event=r["event"],
                from_status=r["from_status"],
                to_status=r["to_status"],
                detail=jsonutil.loads(r["detail"]),
            )
            for r in rows
        ]

    @staticmethod
    def _history(
        tx: sqlite3.Connection,
        item_id: int | None,
        practice_id: str,
        event: str,
        from_status: str | None,
        to_status: str | None,
        detail: dict[str, Any],
        at: str | None,
    ) -> None:
        tx.execute(
            "INSERT INTO history (item_id, practice_id, at, event, from_status, to_status, detail)"
            " VALUES (?,?,?,?,?,?,?)",
            (item_id, practice_id, at, event, from_status, to_status, jsonutil.dumps(detail)),
        )

    @staticmethod
    def _insert_review(
        tx: sqlite3.Connection,
        item_id: int,
        practice_id: str,
        reason: str,
        message: str,
        details: dict[str, Any],
        at: str | None,
    ) -> int:
        cur = tx.execute(
            "INSERT INTO reviews (item_id, practice_id, reason, message, details, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (item_id, practice_id, reason, message, jsonutil.dumps(details), at),
        )
        return int(cur.lastrowid or 0)

    # -- review queue ---------------------------------------------------------------------
    _REVIEW_SELECT = (
        "SELECT r.*, i.key AS item_key, i.kind AS item_kind, i.amount_cents AS amount_cents"
        " FROM reviews r JOIN items i ON i.id = r.item_id"
    )

    def list_reviews(
        self, practice_id: str | None = None, reason: str | None = None, state: str = "open"
    ) -> list[Review]:
        """Review entries (``state='all'`` for every state), newest first."""
        where, args = [], []
        if state != "all":
            where.append("r.state = ?")
            args.append(state)
        if practice_id:
            where.append("r.practice_id = ?")
            args.append(practice_id)
        if reason:
            where.append("r.reason = ?")
            args.append(reason)
        sql = self._REVIEW_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        rows = self._conn().execute(sql + " ORDER BY r.id DESC", args).fetchall()
        return [review_from_row(row) for row in rows]

    def get_review(self, review_id: int) -> Review | None:
        """One review entry."""
        row = self._conn().execute(self._REVIEW_SELECT + " WHERE r.id = ?", (review_id,)).fetchone()
        return review_from_row(row) if row else None

    def resolve_review(self, review_id: int, note: str) -> None:
        """Close as handled by staff."""
        with self._tx() as tx:
            row = tx.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None or row["state"] != "open":
                raise PermanentError(f"no open review with id {review_id}", code="review_not_open")
            now = _ts(self.clock.now())
            tx.execute(
                "UPDATE reviews SET state = 'resolved', closed_at = ?, resolution_note = ?"
                " WHERE id = ?",
                (now, note, review_id),
            )
            self._history(
                tx,
                row["item_id"],
                row["practice_id"],
                "review.resolved",
                None,
                None,
                {"review_id": review_id, "note": note},
                now,
            )

    def retry_review(self, review_id: int) -> Item:
        """Close the entry and requeue its item."""
        with self._tx() as tx:
            row = tx.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None or row["state"] != "open":
                raise PermanentError(f"no open review with id {review_id}", code="review_not_open")
            tx.execute(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE id = ?",
                (_ts(self.clock.now()), review_id),
            )
            self._set_status(
                tx,
                row["item_id"],
                ItemStatus.RECEIVED,
                "review.retried",
                {"review_id": review_id},
                next_attempt_at=None,
            )
            item_id = int(row["item_id"])
        item = self.get_item(item_id)
        assert item is not None
        return item

    # -- polls and status -----------------------------------------------------------------
    def poll_started(self, practice_id: str, source: str) -> None:
        """Remember a poll start."""
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO polls (practice_id, source, last_started_at) VALUES (?,?,?)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_started_at = excluded.last_started_at",
                (practice_id, source, _ts(self.clock.now())),
            )

    def poll_succeeded(self, practice_id: str, source: str, summary: dict[str, Any]) -> None:
        """Remember a successful poll."""
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO polls (practice_id, source, last_ok_at, last_summary) VALUES (?,?,?,?)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET last_ok_at = excluded.last_ok_at,"
                " last_summary = excluded.last_summary, consecutive_failures = 0",
                (practice_id, source, _ts(self.clock.now()), jsonutil.dumps(summary)),
            )

    def poll_failed(self, practice_id: str, source: str, code: str, message: str) -> int:
        """Remember a failed poll; return consecutive failures."""
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO polls (practice_id, source, last_error_at, last_error_code,"
                " last_error, consecutive_failures) VALUES (?,?,?,?,?,1)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_error_at = excluded.last_error_at,"
                " last_error_code = excluded.last_error_code, last_error = excluded.last_error,"
                " consecutive_failures = polls.consecutive_failures + 1",
                (practice_id, source, _ts(self.clock.now()), code, message),
            )
            row = tx.execute(
                "SELECT consecutive_failures FROM polls WHERE practice_id = ? AND source = ?",
                (practice_id, source),
            ).fetchone()
        return int(row[0])

    def poll_states(self, practice_id: str | None = None) -> list[PollState]:
        """Every practice's poll status."""
        sql, args = "SELECT * FROM polls", ()
        if practice_id:
            sql, args = sql + " WHERE practice_id = ?", (practice_id,)  # type: ignore[assignment]
        rows = self._conn().execute(sql + " ORDER BY practice_id, source", args).fetchall()
        return [
            PollState(
                practice_id=r["practice_id"],
                source=r["source"],
                last_started_at=when_or_none(r["last_started_at"]),
                last_ok_at=when_or_none(r["last_ok_at"]),
                last_error_at=when_or_none(r["last_error_at"]),
                last_error_code=r["last_error_code"],
                last_error=r["last_error"],
                consecutive_failures=r["consecutive_failures"],
                last_summary=jsonutil.loads(r["last_summary"]),
            )
            for r in rows
        ]

    def status_counts(self) -> dict[str, dict[str, int]]:
        """Counts by practice and status."""
        counts: dict[str, dict[str, int]] = {}
        for row in self._conn().execute(
            "SELECT practice_id, status, COUNT(*) AS n FROM items GROUP BY practice_id, status"
        ):
            counts.setdefault(row["practice_id"], {})[row["status"]] = row["n"]
        return counts

    def count_open_reviews(self) -> dict[str, int]:
        """Open reviews per practice."""
        return {
            row["practice_id"]: row["n"]
            for row in self._conn().execute(
                "SELECT practice_id, COUNT(*) AS n FROM reviews WHERE state = 'open'"
                " GROUP BY practice_id"
            )
        }

    # -- practice leases ------------------------------------------------------------------
    def claim_practices(
        self, owner: str, practice_ids: Sequence[str], ttl: dt.timedelta, limit: int | None = None
    ) -> list[str]:
        """Claim free or expired practices up to the fair share; return all held."""
        with self._tx() as tx:
            return sqlite_leases.claim(tx, owner, practice_ids, ttl, limit, self.clock.now())

    def renew_leases(self, owner: str, ttl: dt.timedelta) -> list[str]:
        """Extend the owner's unexpired leases; return those still held."""
        with self._tx() as tx:
            return sqlite_leases.renew(tx, owner, ttl, self.clock.now())

    def release_leases(self, owner: str, practice_ids: Collection[str] | None = None) -> list[str]:
        """Free the owner's leases (all, with its heartbeat, when no ids are given)."""
        with self._tx() as tx:
            return sqlite_leases.release(tx, owner, practice_ids)

    def lease_holders(self) -> dict[str, list[str]]:
        """Live instances and the practices each holds."""
        return sqlite_leases.holders(self._conn(), self.clock.now())

    # -- copying (``connector state copy``) -------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order, timestamps as aware datetimes."""
        order = "id" if table in ("items", "reviews", "history") else "practice_id, source"
        sql = f"SELECT * FROM {copy.check_table(table)} ORDER BY {order}"  # noqa: S608 - fixed names
        for row in self._conn().execute(sql):
            yield {key: copy.parse_timestamp(key, row[key]) for key in row.keys()}  # noqa: SIM118

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        counts: dict[str, int] = {}
        with self._tx() as tx:
            if tx.execute("SELECT COUNT(*) FROM items").fetchone()[0]:
                raise PermanentError("the target store is not empty", code="state_not_empty")
            for table, rows in tables:
                known = {r[1] for r in tx.execute(f"PRAGMA table_info({copy.check_table(table)})")}
                counts[table] = 0
                for row in rows:
                    columns = [c for c in row if c in known]
                    values = [_ts(v) if isinstance(v, dt.datetime) else v for v in
                              (row[c] for c in columns)]  # fmt: skip
                    tx.execute(
                        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - checked names
                        f" VALUES ({', '.join('?' for _ in columns)})",
                        values,
                    )
                    counts[table] += 1
        return counts


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements, current = [], []
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    depth = 0
    for line in lines:
        current.append(line)
        upper = line.strip().upper()
        if upper.startswith("CREATE TRIGGER") or upper.endswith(" BEGIN") or upper == "BEGIN":
            depth = 1
        if line.rstrip().endswith(";") and (depth == 0 or upper.endswith("END;")):
            statements.append("\n".join(current).strip())
            current, depth = [], 0
    if "".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements
