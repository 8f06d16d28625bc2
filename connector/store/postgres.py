"""PostgreSQL state store: several instances share one database; the same contract as SQLite.

Connections come from a small ``psycopg_pool`` pool (autocommit connections; every write runs
in an explicit transaction), checked before use so a restarted server or a dropped idle
connection costs one reconnect, not an error. psycopg is imported only when this module is,
i.e. only when ``state.url`` is ``postgresql://…``. Every psycopg error is translated in
:mod:`connector.store.postgres_errors` (the one place), chained ``from`` the original.

Behaviour mirrors :class:`~connector.store.sqlite.SQLiteStore` call for call: idempotent
``record()`` (items, reviews, history and cursor in one transaction, ``ON CONFLICT DO
NOTHING`` on ``(practice_id, key)``), status changes through ``mark_*`` with history, and an
append-only history enforced by triggers. Review changes lock their row (``FOR UPDATE``) so
two instances cannot both resolve or retry one entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, LiteralString

from psycopg import Connection, Cursor, sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from connector import jsonutil
from connector.clock import SYSTEM, Clock
from connector.domain import Item, ItemStatus, NewItem
from connector.errors import PermanentError
from connector.money import to_cents
from connector.store import copy, postgres_leases, requeue
from connector.store import postgres_rows as pgrows
from connector.store.base import HistoryEntry, PollState, RecordResult, Review
from connector.store.postgres_errors import translate
from connector.store.rows import item_from_row, review_from_row
from connector.store.schema import load_migrations

Row = dict[str, Any]
Cur = Cursor[Row]
_MIGRATION_LOCK = 0x636F6E6E  # pg_advisory_xact_lock key: one migrating instance at a time
_REVIEW_SELECT: Final = (
    "SELECT r.*, i.key AS item_key, i.kind AS item_kind, i.amount_cents AS amount_cents"
    " FROM reviews r JOIN items i ON i.id = r.item_id"
)


class PostgresStore:
    """:class:`~connector.store.base.StateStore` on a PostgreSQL database.

    Args:
        url: ``postgresql://user[:password]@host[:port]/database[?sslmode=…]`` (libpq URI;
            ``passfile=`` and ``PGPASSWORD`` work as usual).
        max_connections: pool size; one per scheduler worker thread is plenty.
        timeout: seconds to wait for a connection before a :class:`TransientError`.
        clock: where the timestamps of items, reviews, history and polls come from. Leases
            keep the server's ``now()`` on purpose (see :mod:`postgres_leases`).
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 10,
        timeout: float = 30.0,
        clock: Clock = SYSTEM,
    ) -> None:
        self.clock = clock
        self._pool: ConnectionPool[Connection[Row]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 10},
            check=ConnectionPool.check_connection,
            timeout=timeout,
            name="connector-state",
            open=False,
        )
        with translate():
            self._pool.open(wait=False)

    # -- connections and transactions ----------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[Cur]:
        """A cursor inside one transaction: committed on success, rolled back on any error."""
        with translate(), self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    @contextmanager
    def _read(self) -> Iterator[Cur]:
        """A cursor for reads (autocommit)."""
        with translate(), self._pool.connection() as conn, conn.cursor() as cur:
            yield cur

    def close(self) -> None:
        """Close the pool and its connections."""
        self._pool.close()

    def migrate(self) -> int:
        """Apply missing migrations in order, each in its own transaction under an advisory lock."""
        for version, script in load_migrations("postgres"):
            with self._tx() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                if version <= self._version(cur):
                    continue
                cur.execute(script.encode())  # no parameters: several statements are allowed
                cur.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        with self._read() as cur:
            return self._version(cur)

    @staticmethod
    def _version(cur: Cur) -> int:
        cur.execute("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        return int(_one(cur)["v"])

    # -- recording ------------------------------------------------------------------------
    def record(
        self,
        practice_id: str,
        source: str,
        items: Sequence[NewItem],
        cursor: dict[str, Any] | None = None,
    ) -> RecordResult:
        """Insert unknown items, their reviews and history, and the cursor, in one transaction.

        Statements are sent in batches (``executemany``, pipelined by psycopg), so a page of
        100 items costs a few round trips instead of two per item.
        """
        now = self.clock.now()
        rows = [
            (practice_id, source, item.key, item.kind.value, item.status.value,
             to_cents(item.amount), jsonutil.dumps(item.payload), item.group_key,
             item.related_key, now, now)
            for item in items
        ]  # fmt: skip
        new_ids: dict[int, int] = {}  # position in ``items`` -> new item id
        with self._tx() as cur:
            if rows:
                cur.executemany(
                    "INSERT INTO items (practice_id, source, key, kind, status, amount_cents,"
                    " payload, group_key, related_key, created_at, updated_at)"
                    " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                    " ON CONFLICT (practice_id, key) DO NOTHING RETURNING id",
                    rows,
                    returning=True,
                )
                for position in range(len(rows)):
                    row = cur.fetchone()
                    if row is not None:
                        new_ids[position] = row["id"]
                    if not cur.nextset():
                        break
            fresh = [(items[pos], item_id) for pos, item_id in sorted(new_ids.items())]
            if fresh:
                cur.executemany(
                    "INSERT INTO history (item_id, practice_id, at, event, from_status,"
                    " to_status, detail) VALUES (%s,%s,%s,'item.recorded',NULL,%s,%s)",
                    [
                        (item_id, practice_id, now, item.status.value,
                         jsonutil.dumps({"kind": item.kind.value, "amount": str(item.amount)}))
                        for item, item_id in fresh
                    ],
                )  # fmt: skip
            reviews = [
                (item, item_id) for item, item_id in fresh if item.status is ItemStatus.REVIEW
            ]
            if reviews:
                cur.executemany(
                    "INSERT INTO reviews (item_id, practice_id, reason, message, details,"
                    " created_at) VALUES (%s,%s,%s,%s,'{}',%s)",
                    [
                        (item_id, practice_id, item.review_reason or "review",
                         item.review_message or "needs review", now)
                        for item, item_id in reviews
                    ],
                )  # fmt: skip
            if cursor is not None:
                cur.execute(
                    "INSERT INTO cursors (practice_id, source, value, updated_at)"
                    " VALUES (%s,%s,%s,%s) ON CONFLICT (practice_id, source) DO UPDATE"
                    " SET value = excluded.value, updated_at = excluded.updated_at",
                    (practice_id, source, jsonutil.dumps(cursor), now),
                )
        return RecordResult(tuple(item.key for item, _ in fresh), len(items) - len(fresh))

    def get_cursor(self, practice_id: str, source: str) -> dict[str, Any] | None:
        """The stored cursor (JSON object) or None."""
        with self._read() as cur:
            cur.execute(
                "SELECT value FROM cursors WHERE practice_id = %s AND source = %s",
                (practice_id, source),
            )
            row = cur.fetchone()
        return dict(jsonutil.loads(row["value"])) if row else None

    # -- reading --------------------------------------------------------------------------
    def _items(self, query: LiteralString, args: Sequence[Any]) -> list[Item]:
        with self._read() as cur:
            cur.execute(query, args)
            return [item_from_row(row) for row in cur.fetchall()]

    def due_items(self, practice_id: str, now: dt.datetime, limit: int) -> list[Item]:
        """Received items, and failed ones whose retry time has come, oldest first."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = %s AND (status = 'received' OR"
            " (status = 'failed' AND next_attempt_at <= %s)) ORDER BY id LIMIT %s",
            (practice_id, now, limit),
        )

    def get_item(self, item_id: int) -> Item | None:
        """One item by id."""
        found = self._items("SELECT * FROM items WHERE id = %s", (item_id,))
        return found[0] if found else None

    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by external key."""
        found = self._items(
            "SELECT * FROM items WHERE practice_id = %s AND key = %s", (practice_id, key)
        )
        return found[0] if found else None

    def related_items(self, practice_id: str, related_key: str) -> list[Item]:
        """Items naming ``related_key``."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = %s AND related_key = %s ORDER BY id",
            (practice_id, related_key),
        )

    def group_items(self, practice_id: str, group_key: str) -> list[Item]:
        """Items of one payout or remittance."""
        return self._items(
            "SELECT * FROM items WHERE practice_id = %s AND group_key = %s ORDER BY id",
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
        return self._items(
            "SELECT * FROM items WHERE practice_id = %s AND kind = ANY(%s)"
            " AND (%s::timestamptz IS NULL OR created_at >= %s)"
            " AND (%s::timestamptz IS NULL OR created_at < %s) ORDER BY id",
            (practice_id, list(kinds), since, since, until, until),
        )

    def items_with_status(self, status: ItemStatus, practice_id: str | None = None) -> list[Item]:
        """Items in ``status`` (of one practice, or all), by practice then oldest first."""
        return self._items(
            "SELECT * FROM items WHERE status = %s"
            " AND (%s::text IS NULL OR practice_id = %s) ORDER BY practice_id, id",
            (status.value, practice_id, practice_id),
        )

    # -- status changes -------------------------------------------------------------------
    def _set_status(
        self,
        cur: Cur,
        item_id: int,
        status: ItemStatus,
        event: str,
        detail: dict[str, Any],
        **columns: Any,
    ) -> str:
        cur.execute("SELECT practice_id, status FROM items WHERE id = %s FOR UPDATE", (item_id,))
        row = cur.fetchone()
        if row is None:
            raise PermanentError(f"no item with id {item_id}", code="item_not_found")
        sets = sql.SQL("").join(
            sql.SQL(", {} = %s").format(sql.Identifier(name)) for name in columns
        )
        cur.execute(
            sql.SQL("UPDATE items SET status = %s, updated_at = %s{} WHERE id = %s").format(sets),
            (status.value, self.clock.now(), *columns.values(), item_id),
        )
        _history(
            cur, self.clock.now(), item_id, row["practice_id"], event, row["status"], status, detail
        )
        return str(row["practice_id"])

    def mark_posted(self, item_id: int, pms_ids: dict[str, Any], detail: dict[str, Any]) -> None:
        """Posted; store the PMS ids."""
        with self._tx() as cur:
            self._set_status(
                cur,
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
        with self._tx() as cur:
            practice = self._set_status(
                cur,
                item_id,
                ItemStatus.REVIEW,
                "item.review",
                {"reason": reason, **(details or {})},
            )
            cur.execute(
                "UPDATE reviews SET state = 'retried', closed_at = %s WHERE item_id = %s"
                " AND state = 'open'",
                (self.clock.now(), item_id),
            )
            return _insert_review(
                cur, self.clock.now(), item_id, practice, reason, message, details or {}
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
        with self._tx() as cur:
            if count_attempt:
                cur.execute("UPDATE items SET attempts = attempts + 1 WHERE id = %s", (item_id,))
            self._set_status(
                cur,
                item_id,
                ItemStatus.FAILED,
                "item.failed",
                {"code": code, "message": message, "next_attempt_at": pgrows.iso(next_attempt_at)},
                last_error_code=code,
                last_error=message,
                next_attempt_at=next_attempt_at,
            )

    def mark_dead(self, item_id: int, code: str, message: str) -> None:
        """Give up."""
        with self._tx() as cur:
            cur.execute("UPDATE items SET attempts = attempts + 1 WHERE id = %s", (item_id,))
            self._set_status(
                cur,
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
        with self._tx() as cur:
            self._set_status(cur, item_id, ItemStatus.IGNORED, "item.ignored", {"reason": reason})

    def requeue_item(self, item_id: int) -> Item:
        """Put a dead or failed item back to ``received`` (see the protocol); the item row is
        locked first, so a concurrent posting run or requeue cannot interleave."""
        with self._tx() as cur:
            cur.execute("SELECT * FROM items WHERE id = %s FOR UPDATE", (item_id,))
            row = cur.fetchone()
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            item = item_from_row(row)
            cur.execute(
                "SELECT MAX(id) AS id FROM reviews WHERE item_id = %s AND state = 'open'",
                (item_id,),
            )
            refused = requeue.refusal(item, _one(cur)["id"])
            if refused is not None:
                raise refused
            self._set_status(
                cur,
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
        with self._tx() as cur:
            cur.execute(
                "UPDATE items SET progress = %s, updated_at = %s WHERE id = %s"
                " RETURNING practice_id",
                (jsonutil.dumps(progress), self.clock.now(), item_id),
            )
            row = cur.fetchone()
            if row is None:
                raise PermanentError(f"no item with id {item_id}", code="item_not_found")
            _history(
                cur,
                self.clock.now(),
                item_id,
                row["practice_id"],
                "item.progress",
                None,
                None,
                progress,
            )

    def add_history(
        self, item_id: int | None, practice_id: str, event: str, detail: dict[str, Any]
    ) -> None:
        """Append a decision to history."""
        with self._tx() as cur:
            _history(cur, self.clock.now(), item_id, practice_id, event, None, None, detail)

    def history(self, item_id: int) -> list[HistoryEntry]:
        """The item's history, oldest first."""
        with self._read() as cur:
            cur.execute("SELECT * FROM history WHERE item_id = %s ORDER BY id", (item_id,))
            rows = cur.fetchall()
        return [
            HistoryEntry(
                id=r["id"],
                item_id=r["item_id"],
                practice_id=r["practice_id"],
                at=pgrows.utc(r["at"]),
                event=r["event"],
                from_status=r["from_status"],
                to_status=r["to_status"],
                detail=jsonutil.loads(r["detail"]),
            )
            for r in rows
        ]

    # -- review queue ---------------------------------------------------------------------
    def list_reviews(
        self, practice_id: str | None = None, reason: str | None = None, state: str = "open"
    ) -> list[Review]:
        """Review entries (``state='all'`` for every state), newest first."""
        where, args = [], []
        for column, value in (("state", None if state == "all" else state),
                              ("practice_id", practice_id), ("reason", reason)):  # fmt: skip
            if value:
                where.append(sql.SQL("r.{} = %s").format(sql.Identifier(column)))
                args.append(value)
        query: sql.Composable = sql.SQL(_REVIEW_SELECT)
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        with self._read() as cur:
            cur.execute(query + sql.SQL(" ORDER BY r.id DESC"), args)
            return [review_from_row(row) for row in cur.fetchall()]

    def get_review(self, review_id: int) -> Review | None:
        """One review entry."""
        with self._read() as cur:
            cur.execute(_REVIEW_SELECT + " WHERE r.id = %s", (review_id,))
            row = cur.fetchone()
        return review_from_row(row) if row else None

    @staticmethod
    def _open_review(cur: Cur, review_id: int) -> Row:
        cur.execute("SELECT * FROM reviews WHERE id = %s FOR UPDATE", (review_id,))
        row = cur.fetchone()
        if row is None or row["state"] != "open":
            raise PermanentError(f"no open review with id {review_id}", code="review_not_open")
        return row

    def resolve_review(self, review_id: int, note: str) -> None:
        """Close as handled by staff."""
        with self._tx() as cur:
            row = self._open_review(cur, review_id)
            cur.execute(
                "UPDATE reviews SET state = 'resolved', closed_at = %s, resolution_note = %s"
                " WHERE id = %s",
                (self.clock.now(), note, review_id),
            )
            detail = {"review_id": review_id, "note": note}
            _history(
                cur,
                self.clock.now(),
                row["item_id"],
                row["practice_id"],
                "review.resolved",
                None,
                None,
                detail,
            )

    def retry_review(self, review_id: int) -> Item:
        """Close the entry and requeue its item."""
        with self._tx() as cur:
            row = self._open_review(cur, review_id)
            cur.execute(
                "UPDATE reviews SET state = 'retried', closed_at = %s WHERE id = %s",
                (self.clock.now(), review_id),
            )
            self._set_status(
                cur,
                row["item_id"],
                ItemStatus.RECEIVED,
                "review.retried",
                {"review_id": review_id},
                next_attempt_at=None,
            )
        item = self.get_item(int(row["item_id"]))
        assert item is not None
        return item

    # -- polls and status -----------------------------------------------------------------
    def poll_started(self, practice_id: str, source: str) -> None:
        """Remember a poll start."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO polls (practice_id, source, last_started_at) VALUES (%s,%s,%s)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_started_at = excluded.last_started_at",
                (practice_id, source, self.clock.now()),
            )

    def poll_succeeded(self, practice_id: str, source: str, summary: dict[str, Any]) -> None:
        """Remember a successful poll."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO polls (practice_id, source, last_ok_at, last_summary)"
                " VALUES (%s,%s,%s,%s) ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_ok_at = excluded.last_ok_at, last_summary = excluded.last_summary,"
                " consecutive_failures = 0",
                (practice_id, source, self.clock.now(), jsonutil.dumps(summary)),
            )

    def poll_failed(self, practice_id: str, source: str, code: str, message: str) -> int:
        """Remember a failed poll; return consecutive failures."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO polls (practice_id, source, last_error_at, last_error_code,"
                " last_error, consecutive_failures) VALUES (%s,%s,%s,%s,%s,1)"
                " ON CONFLICT (practice_id, source) DO UPDATE SET"
                " last_error_at = excluded.last_error_at,"
                " last_error_code = excluded.last_error_code, last_error = excluded.last_error,"
                " consecutive_failures = polls.consecutive_failures + 1"
                " RETURNING consecutive_failures",
                (practice_id, source, self.clock.now(), code, message),
            )
            return int(_one(cur)["consecutive_failures"])

    def poll_states(self, practice_id: str | None = None) -> list[PollState]:
        """Every practice's poll status."""
        with self._read() as cur:
            cur.execute(
                "SELECT * FROM polls WHERE %(p)s::text IS NULL OR practice_id = %(p)s"
                " ORDER BY practice_id, source",
                {"p": practice_id},
            )
            rows = cur.fetchall()
        return [
            PollState(
                practice_id=r["practice_id"],
                source=r["source"],
                last_started_at=pgrows.utc_or_none(r["last_started_at"]),
                last_ok_at=pgrows.utc_or_none(r["last_ok_at"]),
                last_error_at=pgrows.utc_or_none(r["last_error_at"]),
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
        with self._read() as cur:
            cur.execute(
                "SELECT practice_id, status, COUNT(*) AS n FROM items GROUP BY practice_id, status"
            )
            for row in cur.fetchall():
                counts.setdefault(row["practice_id"], {})[row["status"]] = int(row["n"])
        return counts

    def count_open_reviews(self) -> dict[str, int]:
        """Open reviews per practice."""
        with self._read() as cur:
            cur.execute(
                "SELECT practice_id, COUNT(*) AS n FROM reviews WHERE state = 'open'"
                " GROUP BY practice_id"
            )
            return {row["practice_id"]: int(row["n"]) for row in cur.fetchall()}

    # -- practice leases ------------------------------------------------------------------
    def claim_practices(
        self, owner: str, practice_ids: Sequence[str], ttl: dt.timedelta, limit: int | None = None
    ) -> list[str]:
        """Claim free or expired practices up to the fair share; return all held."""
        with self._tx() as cur:
            return postgres_leases.claim(cur, owner, practice_ids, ttl, limit)

    def renew_leases(self, owner: str, ttl: dt.timedelta) -> list[str]:
        """Extend the owner's unexpired leases; return those still held."""
        with self._tx() as cur:
            return postgres_leases.renew(cur, owner, ttl)

    def release_leases(self, owner: str, practice_ids: Collection[str] | None = None) -> list[str]:
        """Free the owner's leases (all, with its heartbeat, when no ids are given)."""
        with self._tx() as cur:
            return postgres_leases.release(cur, owner, practice_ids)

    def lease_holders(self) -> dict[str, list[str]]:
        """Live instances and the practices each holds."""
        with self._tx() as cur:
            return postgres_leases.holders(cur)

    # -- copying (``connector state copy``) -------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order (a server-side cursor: memory stays flat)."""
        order = "id" if table in ("items", "reviews", "history") else "practice_id, source"
        query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
            sql.Identifier(copy.check_table(table)), sql.SQL(order)
        )
        with (
            translate(),
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name=f"export_{table}") as cur,
        ):
            cur.execute(query)
            yield from (pgrows.utc_row(row) for row in cur)

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        counts: dict[str, int] = {}
        with self._tx() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM items) AS busy")
            if _one(cur)["busy"]:
                raise PermanentError("the target store is not empty", code="state_not_empty")
            for table, rows in tables:
                counts[table] = 0
                for row in rows:
                    cur.execute(
                        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                            sql.Identifier(copy.check_table(table)),
                            sql.SQL(", ").join(map(sql.Identifier, row)),
                            sql.SQL(", ").join(sql.Placeholder() * len(row)),
                        ),
                        list(row.values()),
                    )
                    counts[table] += 1
            for table in ("items", "reviews", "history"):  # identities continue after the ids
                cur.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, 'id'),"
                        " COALESCE((SELECT MAX(id) FROM {i}), 0) + 1, false)"
                    ).format(t=sql.Literal(table), i=sql.Identifier(table))
                )
        return counts


def _history(
    cur: Cur,
    at: dt.datetime,
    item_id: int | None,
    practice_id: str,
    event: str,
    from_status: str | None,
    to_status: str | None,
    detail: dict[str, Any],
) -> None:
    cur.execute(
        "INSERT INTO history (item_id, practice_id, at, event, from_status, to_status, detail)"
        " VALUES (%s,%s,%s,%s,%s,%s,%s)",
        (item_id, practice_id, at, event, from_status, to_status, jsonutil.dumps(detail)),
    )


def _insert_review(
    cur: Cur,
    at: dt.datetime,
    item_id: int,
    practice_id: str,
    reason: str,
    message: str,
    details: dict[str, Any],
) -> int:
    cur.execute(
        "INSERT INTO reviews (item_id, practice_id, reason, message, details, created_at)"
        " VALUES (%s,%s,%s,%s,%s,%s) RETURNING id",
        (item_id, practice_id, reason, message, jsonutil.dumps(details), at),
    )
    return int(_one(cur)["id"])


def _one(cur: Cur) -> Row:
    row = cur.fetchone()
    assert row is not None
    return row
