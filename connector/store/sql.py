"""The state store, once for every engine: items, cursors, reviews, history, polls, leases.

Every query and rule lives here, written with ``?`` placeholders; the engine's
:class:`~connector.store.dialect.Dialect` supplies transactions, placeholders, timestamps, row
locks, batch inserts, migrations, leases and copying. Every time the store writes comes from
the injected clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from connector import jsonutil
from connector.clock import SYSTEM, Clock
from connector.domain import Item, ItemStatus, NewItem
from connector.errors import PermanentError
from connector.money import to_cents
from connector.store import copy, requeue
from connector.store.base import Audit, HistoryEntry, PollState, RecordResult, Review
from connector.store.console_tables import ConsoleTables
from connector.store.dialect import Dialect, Session
from connector.store.rows import RowLike, item_from_row, review_from_row, when, when_or_none

_INSERT_ITEM = (
    "INSERT INTO items (practice_id, source, key, kind, status, amount_cents, payload,"
    " group_key, related_key, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (practice_id, key) DO NOTHING RETURNING id"
)
_INSERT_HISTORY = (
    "INSERT INTO history (item_id, practice_id, at, event, from_status, to_status, detail)"
    " VALUES (?,?,?,?,?,?,?)"
)
_INSERT_REVIEW = (
    "INSERT INTO reviews (item_id, practice_id, reason, message, details, created_at)"
    " VALUES (?,?,?,?,?,?)"
)
_REVIEW_SELECT = (
    "SELECT r.*, i.key AS item_key, i.kind AS item_kind, i.amount_cents AS amount_cents"
    " FROM reviews r JOIN items i ON i.id = r.item_id"
)


def iso(value: dt.datetime) -> str:
    """ISO-8601 text in UTC (how times appear inside history details)."""
    return value.astimezone(dt.UTC).isoformat()


class SqlStore(ConsoleTables):
    """:class:`~connector.store.base.StateStore` on a SQL engine.

    Args:
        dialect: the engine (SQLite or PostgreSQL).
        clock: where every timestamp the store writes comes from.
    """

    def __init__(self, dialect: Dialect, *, clock: Clock = SYSTEM) -> None:
        self.dialect = dialect
        self.clock = clock

    def migrate(self) -> int:
        """Bring the schema to the newest version; return that version."""
        return self.dialect.migrate()

    def close(self) -> None:
        """Release connections."""
        self.dialect.close()

    def _now(self) -> Any:
        return self.dialect.ts(self.clock.now())

    # -- recording ------------------------------------------------------------------------
    def record(
        self,
        practice_id: str,
        source: str,
        items: Sequence[NewItem],
        cursor: dict[str, Any] | None = None,
    ) -> RecordResult:
        """Insert unknown items, their reviews and history, and the cursor, in one transaction."""
        now = self._now()
        rows = [
            (practice_id, source, item.key, item.kind.value, item.status.value,
             to_cents(item.amount), jsonutil.dumps(item.payload), item.group_key,
             item.related_key, now, now)
            for item in items
        ]  # fmt: skip
        with self.dialect.transaction() as tx:
            ids = tx.insert_ids(_INSERT_ITEM, rows) if rows else []
            fresh = [(item, i) for item, i in zip(items, ids, strict=True) if i is not None]
            if fresh:
                tx.run_many(_INSERT_HISTORY, [
                    (item_id, practice_id, now, "item.recorded", None, item.status.value,
                     jsonutil.dumps({"kind": item.kind.value, "amount": str(item.amount)}))
                    for item, item_id in fresh
                ])  # fmt: skip
            reviews = [(item, i) for item, i in fresh if item.status is ItemStatus.REVIEW]
            if reviews:
                tx.run_many(_INSERT_REVIEW, [
                    (item_id, practice_id, item.review_reason or "review",
                     item.review_message or "needs review", "{}", now)
                    for item, item_id in reviews
                ])  # fmt: skip
            if cursor is not None:
                tx.run(
                    "INSERT INTO cursors (practice_id, source, value, updated_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (practice_id, source) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at",
                    (practice_id, source, jsonutil.dumps(cursor), now),
                )
        return RecordResult(tuple(item.key for item, _ in fresh), len(items) - len(fresh))

    def get_cursor(self, practice_id: str, source: str) -> dict[str, Any] | None:
        """The stored cursor (JSON object) or None."""
        with self.dialect.reading() as db:
            row = db.run(
                "SELECT value FROM cursors WHERE practice_id = ? AND source = ?",
                (practice_id, source),
            ).fetchone()
        return dict(jsonutil.loads(row["value"])) if row else None

    # -- reading --------------------------------------------------------------------------
    def _items(self, sql: str, params: Sequence[Any]) -> list[Item]:
        with self.dialect.reading() as db:
            return [item_from_row(row) for row in db.run(sql, params).fetchall()]

    def due_items(self, practice_id: str, now: dt.datetime, limit: int) -> list[Item]:
        """Received items, and failed ones whose retry time has come, oldest first."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND (status = 'received' OR"
            " (status = 'failed' AND next_attempt_at <= ?)) ORDER BY id LIMIT ?",
            (practice_id, self.dialect.ts(now), limit),
        )

    def get_item(self, item_id: int) -> Item | None:
        """One item by id."""
        found = self._items("SELECT * FROM items WHERE id = ?", (item_id,))
        return found[0] if found else None

    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by external key."""
        found = self._items(
            "SELECT * FROM items WHERE practice_id = ? AND key = ?", (practice_id, key)
        )
        return found[0] if found else None

    def related_items(self, practice_id: str, related_key: str) -> list[Item]:
        """Items naming ``related_key``."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND related_key = ? ORDER BY id",
            (practice_id, related_key),
        )

    def group_items(self, practice_id: str, group_key: str) -> list[Item]:
        """Items of one payout or remittance."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = ? AND group_key = ? ORDER BY id",
            (practice_id, group_key),
        )

    def items_of_kind(
        self,
        practice_id: str,
        kinds: Sequence[str],
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Item]:
        """Items of the given kinds recorded in ``[since, until)``, oldest first."""
        if not kinds:
            return []
        sql = f"SELECT * FROM items WHERE practice_id = ? AND kind IN ({_marks(kinds)})"  # noqa: S608 - placeholders only
        params: list[Any] = [practice_id, *kinds]
        if since is not None:
            sql, params = sql + " AND created_at >= ?", [*params, self.dialect.ts(since)]
        if until is not None:
            sql, params = sql + " AND created_at < ?", [*params, self.dialect.ts(until)]
        return self._items(sql + " ORDER BY id", params)

    def items_with_status(self, status: ItemStatus, practice_id: str | None = None) -> list[Item]:
        """Items in ``status`` (of one practice, or all), by practice then oldest first."""
        sql, params = "SELECT * FROM items WHERE status = ?", [status.value]
        if practice_id is not None:
            sql, params = sql + " AND practice_id = ?", [*params, practice_id]
        return self._items(sql + " ORDER BY practice_id, id", params)

    # -- status changes -------------------------------------------------------------------
    def _set_status(
        self,
        tx: Session,
        item_id: int,
        status: ItemStatus,
        event: str,
        detail: dict[str, Any],
        **columns: Any,
    ) -> str:
        row = self._locked(tx, "items", item_id)
        if row is None:
            raise PermanentError(f"no item with id {item_id}", code="item_not_found")
        sets = "".join(f", {name} = ?" for name in columns)  # our own column names
        query = f"UPDATE items SET status = ?, updated_at = ?{sets} WHERE id = ?"  # noqa: S608 - names are ours
        tx.run(query, (status.value, self._now(), *columns.values(), item_id))
        self._history(tx, item_id, row["practice_id"], event, row["status"], status, detail)
        return str(row["practice_id"])

    def _locked(self, tx: Session, table: str, row_id: int) -> Any:
        """The row, locked for the rest of the transaction where the engine locks rows."""
        assert table in ("items", "reviews")
        sql = f"SELECT * FROM {table} WHERE id = ?{self.dialect.for_update}"  # noqa: S608 - fixed names
        return tx.run(sql, (row_id,)).fetchone()

    def _history(
        self,
        tx: Session,
        item_id: int | None,
        practice_id: str,
        event: str,
        from_status: str | None,
        to_status: str | None,
        detail: dict[str, Any],
    ) -> None:
        tx.run(_INSERT_HISTORY, (item_id, practice_id, self._now(), event, from_status,
                                 to_status, jsonutil.dumps(detail)))  # fmt: skip

    def mark_posted(self, item_id: int, pms_ids: dict[str, Any], detail: dict[str, Any]) -> None:
        """Posted; store the PMS ids."""
        with self.dialect.transaction() as tx:
            self._set_status(tx, item_id, ItemStatus.POSTED, "item.posted",
                             {**detail, "pms_ids": pms_ids}, pms_ids=jsonutil.dumps(pms_ids),
                             last_error_code=None, last_error=None,
                             next_attempt_at=None)  # fmt: skip

    def mark_review(
        self, item_id: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> int:
        """To the review queue (one open review per item: an older open one is superseded)."""
        with self.dialect.transaction() as tx:
            practice = self._set_status(
                tx, item_id, ItemStatus.REVIEW, "item.review", {"reason": reason, **(details or {})}
            )
            tx.run(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE item_id = ?"
                " AND state = 'open'",
                (self._now(), item_id),
            )
            review = (
                item_id,
                practice,
                reason,
                message,
                jsonutil.dumps(details or {}),
                self._now(),
            )
            return int(tx.run(_INSERT_REVIEW + " RETURNING id", review).fetchone()["id"])

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
        with self.dialect.transaction() as tx:
            if count_attempt:
                tx.run("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            detail = {"code": code, "message": message, "next_attempt_at": iso(next_attempt_at)}
            self._set_status(tx, item_id, ItemStatus.FAILED, "item.failed", detail,
                             last_error_code=code, last_error=message,
                             next_attempt_at=self.dialect.ts(next_attempt_at))  # fmt: skip

    def mark_dead(self, item_id: int, code: str, message: str) -> None:
        """Give up."""
        with self.dialect.transaction() as tx:
            tx.run("UPDATE items SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            self._set_status(tx, item_id, ItemStatus.DEAD, "item.dead",
                             {"code": code, "message": message}, last_error_code=code,
                             last_error=message, next_attempt_at=None)  # fmt: skip

    def mark_ignored(self, item_id: int, reason: str) -> None:
        """Never to be posted."""
        with self.dialect.transaction() as tx:
            self._set_status(tx, item_id, ItemStatus.IGNORED, "item.ignored", {"reason": reason})

    def requeue_item(self, item_id: int, *, audit: Audit | None = None) -> Item:
        """Put a dead or failed item back to ``received`` (see the protocol); the item row is
        locked first, so a concurrent posting run or requeue cannot interleave."""
        with self.dialect.transaction() as tx:
            row = self._locked(tx, "items", item_id)
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            item = item_from_row(row)
            review = tx.run(
                "SELECT MAX(id) AS id FROM reviews WHERE item_id = ? AND state = 'open'",
                (item_id,),
            ).fetchone()
            refused = requeue.refusal(item, review["id"])
            if refused is not None:
                raise refused
            self._set_status(tx, item_id, ItemStatus.RECEIVED, requeue.EVENT,
                             requeue.requeued_detail(item), attempts=0, next_attempt_at=None,
                             last_error_code=None, last_error=None)  # fmt: skip
            self._audit(tx, item_id, item.practice_id, audit)
        return self._must_get(item_id)

    def save_progress(self, item_id: int, progress: dict[str, Any]) -> None:
        """Remember finished steps of a multi-step write."""
        with self.dialect.transaction() as tx:
            row = tx.run(
                "UPDATE items SET progress = ?, updated_at = ? WHERE id = ? RETURNING practice_id",
                (jsonutil.dumps(progress), self._now(), item_id),
            ).fetchone()
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            self._history(tx, item_id, row["practice_id"], "item.progress", None, None, progress)

    def add_history(
        self, item_id: int | None, practice_id: str, event: str, detail: dict[str, Any]
    ) -> None:
        """Append a decision to history."""
        with self.dialect.transaction() as tx:
            self._history(tx, item_id, practice_id, event, None, None, detail)

    def _audit(self, tx: Session, item_id: int, practice_id: str, audit: Audit | None) -> None:
        if audit is not None:
            self._history(tx, item_id, practice_id, audit.event, None, None, audit.detail)

    def history(self, item_id: int) -> list[HistoryEntry]:
        """The item's history, oldest first."""
        with self.dialect.reading() as db:
            rows = db.run("SELECT * FROM history WHERE item_id = ? ORDER BY id", (item_id,))
            return [_history_entry(row) for row in rows.fetchall()]

    def _must_get(self, item_id: int) -> Item:
        found = self.get_item(item_id)
        assert found is not None
        return found

    # -- review queue ---------------------------------------------------------------------
    def list_reviews(
        self, practice_id: str | None = None, reason: str | None = None, state: str = "open"
    ) -> list[Review]:
        """Review entries (``state='all'`` for every state), newest first."""
        where, params = [], []
        for column, value in (("state", None if state == "all" else state),
                              ("practice_id", practice_id), ("reason", reason)):  # fmt: skip
            if value:
                where.append(f"r.{column} = ?")
                params.append(value)
        sql = _REVIEW_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        with self.dialect.reading() as db:
            rows = db.run(sql + " ORDER BY r.id DESC", params).fetchall()
        return [review_from_row(row) for row in rows]

    def get_review(self, review_id: int) -> Review | None:
        """One review entry."""
        with self.dialect.reading() as db:
            row = db.run(_REVIEW_SELECT + " WHERE r.id = ?", (review_id,)).fetchone()
        return review_from_row(row) if row else None

    def _open_review(self, tx: Session, review_id: int) -> RowLike:
        row = self._locked(tx, "reviews", review_id)
        if row is None or row["state"] != "open":
            raise PermanentError(f"no open review with id {review_id}", code="review_not_open")
        return row  # type: ignore[no-any-return]

    def resolve_review(self, review_id: int, note: str, *, audit: Audit | None = None) -> None:
        """Close as handled by staff."""
        with self.dialect.transaction() as tx:
            row = self._open_review(tx, review_id)
            tx.run(
                "UPDATE reviews SET state = 'resolved', closed_at = ?, resolution_note = ?"
                " WHERE id = ?",
                (self._now(), note, review_id),
            )
            self._history(tx, row["item_id"], row["practice_id"], "review.resolved", None, None,
                          {"review_id": review_id, "note": note})  # fmt: skip
            self._audit(tx, row["item_id"], row["practice_id"], audit)

    def retry_review(self, review_id: int, *, audit: Audit | None = None) -> Item:
        """Close the entry and requeue its item."""
        with self.dialect.transaction() as tx:
            row = self._open_review(tx, review_id)
            tx.run(
                "UPDATE reviews SET state = 'retried', closed_at = ? WHERE id = ?",
                (self._now(), review_id),
            )
            self._set_status(tx, row["item_id"], ItemStatus.RECEIVED, "review.retried",
                             {"review_id": review_id}, next_attempt_at=None)  # fmt: skip
            self._audit(tx, row["item_id"], row["practice_id"], audit)
        return self._must_get(int(row["item_id"]))

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

    # -- copying (``connector state copy``) -------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order, timestamps as aware datetimes."""
        return self.dialect.export_rows(table)

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        return self.dialect.import_rows(tables)


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" for _ in values)


def _history_entry(row: RowLike) -> HistoryEntry:
    return HistoryEntry(
        id=row["id"],
        item_id=row["item_id"],
        practice_id=row["practice_id"],
        at=when(row["at"]),
        event=row["event"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        detail=jsonutil.loads(row["detail"]),
    )


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
