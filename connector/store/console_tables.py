"""The :class:`~connector.store.console_base.ConsoleStore` methods, written once for both engines.

:class:`ConsoleTables` is mixed into :class:`~connector.store.sql.SqlStore` and runs on its
:class:`~connector.store.dialect.Dialect` (transactions, ``?`` placeholders, timestamps); the
only engine-specific SQL is the JSON read of a payer name. Every statement is parameterised;
only fixed column names are ever put into the SQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, cast

from connector import jsonutil
from connector.errors import ConfigError, PermanentError
from connector.store.base import Review
from connector.store.console_base import (
    SORTS,
    AlertMarker,
    ConsoleSession,
    ConsoleStore,
    ConsoleUser,
    QueryArgs,
    QueuePage,
    QueueQuery,
    QueueRow,
    Role,
)
from connector.store.dialect import Dialect
from connector.store.rows import item_from_row, review_from_row, when, when_or_none

Run = Callable[[str, QueryArgs], "Cursorish"]
_ORDER = {
    "created": "i.created_at",
    "amount": "i.amount_cents",
    "status": "i.status",
    "reason": "r.reason",
}
_REVIEW_SELECT = (
    "SELECT r.*, i.key AS item_key, i.kind AS item_kind, i.amount_cents AS amount_cents"
    " FROM reviews r JOIN items i ON i.id = r.item_id"
)


class Cursorish(Protocol):
    """What both engines' cursors offer here (``sqlite3.Cursor``, psycopg ``Cursor``)."""

    def fetchone(self) -> Any:
        """One row or None."""

    def fetchall(self) -> list[Any]:
        """Every row."""


class ConsoleTables:
    """Console accounts, sessions, throttling, secrets, alert markers and the queue query."""

    dialect: Dialect  # set by SqlStore

    # -- engine hooks (the store's dialect) -----------------------------------------------
    @contextmanager
    def _ctx_write(self) -> Iterator[Run]:
        """A transaction; yields ``run(sql, args) -> cursor``."""
        with self.dialect.transaction() as session:
            yield session.run

    @contextmanager
    def _ctx_read(self) -> Iterator[Run]:
        """Reads (autocommit); yields ``run(sql, args) -> cursor``."""
        with self.dialect.reading() as session:
            yield session.run

    def _param_time(self, value: dt.datetime) -> Any:
        """A timestamp as this engine's parameter."""
        return self.dialect.ts(value)

    @property
    def _payer_sql(self) -> str:
        """The payer name inside the item's JSON payload, in this engine's SQL."""
        if self.dialect.name == "postgres":
            return "(i.payload::jsonb ->> 'payer_name')"
        return "json_extract(i.payload, '$.payer_name')"

    # -- accounts -------------------------------------------------------------------------
    def create_user(
        self, name: str, role: Role, practices: Sequence[str], password_hash: str, now: dt.datetime
    ) -> ConsoleUser:
        """Add an account (name unique)."""
        at = self._param_time(now)
        with self._ctx_write() as run:
            if run("SELECT id FROM console_users WHERE name = ?", (name,)).fetchone():
                raise PermanentError(f"a user named {name!r} exists", code="user_exists")
            run(
                "INSERT INTO console_users (name, role, practices, password_hash, disabled,"
                " created_at, updated_at) VALUES (?,?,?,?,0,?,?)",
                (name, role, jsonutil.dumps(sorted(set(practices))), password_hash, at, at),
            )
        found = self.get_user(name)
        assert found is not None
        return found

    def get_user(self, name: str) -> ConsoleUser | None:
        """One account by name."""
        with self._ctx_read() as run:
            row = run("SELECT * FROM console_users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def get_user_by_id(self, user_id: int) -> ConsoleUser | None:
        """One account by id."""
        with self._ctx_read() as run:
            row = run("SELECT * FROM console_users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def list_users(self) -> list[ConsoleUser]:
        """Every account, by name."""
        with self._ctx_read() as run:
            rows = run("SELECT * FROM console_users ORDER BY name", ()).fetchall()
        return [_user(row) for row in rows]

    def update_user(
        self,
        name: str,
        now: dt.datetime,
        *,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> ConsoleUser:
        """Change the password and/or the disabled flag; end the account's open sessions."""
        at = self._param_time(now)
        with self._ctx_write() as run:
            row = run("SELECT id FROM console_users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise PermanentError(f"no user named {name!r}", code="user_not_found")
            if password_hash is not None:
                run(
                    "UPDATE console_users SET password_hash = ?, updated_at = ? WHERE id = ?",
                    (password_hash, at, row["id"]),
                )
            if disabled is not None:
                run(
                    "UPDATE console_users SET disabled = ?, updated_at = ? WHERE id = ?",
                    (1 if disabled else 0, at, row["id"]),
                )
            run(
                "UPDATE console_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (at, row["id"]),
            )
        found = self.get_user(name)
        assert found is not None
        return found

    # -- sessions -------------------------------------------------------------------------
    def create_session(
        self, token_hash: str, user_id: int, csrf_token: str, now: dt.datetime
    ) -> None:
        """Remember a new session."""
        at = self._param_time(now)
        with self._ctx_write() as run:
            run(
                "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at,"
                " last_seen_at) VALUES (?,?,?,?,?)",
                (token_hash, user_id, csrf_token, at, at),
            )

    def get_session(self, token_hash: str) -> ConsoleSession | None:
        """A session by its token's hash."""
        with self._ctx_read() as run:
            row = run(
                "SELECT * FROM console_sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        if row is None:
            return None
        return ConsoleSession(
            token_hash=row["token_hash"],
            user_id=int(row["user_id"]),
            csrf_token=row["csrf_token"],
            created_at=when(row["created_at"]),
            last_seen_at=when(row["last_seen_at"]),
            ended_at=when_or_none(row["ended_at"]),
        )

    def touch_session(self, token_hash: str, now: dt.datetime) -> None:
        """Move the idle timer."""
        with self._ctx_write() as run:
            run(
                "UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?"
                " AND ended_at IS NULL",
                (self._param_time(now), token_hash),
            )

    def end_session(self, token_hash: str, now: dt.datetime) -> None:
        """End the session for good."""
        with self._ctx_write() as run:
            run(
                "UPDATE console_sessions SET ended_at = ? WHERE token_hash = ?"
                " AND ended_at IS NULL",
                (self._param_time(now), token_hash),
            )

    # -- sign-in throttling ----------------------------------------------------------------
    def add_login_failure(self, account: str, address: str, now: dt.datetime) -> None:
        """Remember one failed sign-in."""
        with self._ctx_write() as run:
            run(
                "INSERT INTO console_login_failures (account, address, at) VALUES (?,?,?)",
                (account[:200], address[:100], self._param_time(now)),
            )

    def login_failures(self, account: str, address: str, since: dt.datetime) -> tuple[int, int]:
        """Recent failures for the account and from the address."""
        at = self._param_time(since)
        with self._ctx_read() as run:
            by_account = run(
                "SELECT COUNT(*) AS n FROM console_login_failures WHERE account = ? AND at >= ?",
                (account[:200], at),
            ).fetchone()["n"]
            by_address = run(
                "SELECT COUNT(*) AS n FROM console_login_failures WHERE address = ? AND at >= ?",
                (address[:100], at),
            ).fetchone()["n"]
        return int(by_account), int(by_address)

    def clear_login_failures(self, account: str) -> None:
        """Forget the account's failures."""
        with self._ctx_write() as run:
            run("DELETE FROM console_login_failures WHERE account = ?", (account[:200],))

    # -- secrets and alert markers ---------------------------------------------------------
    def console_secret(self, name: str, make: Callable[[], str], now: dt.datetime) -> str:
        """The stored secret, made on first use (the first writer wins)."""
        with self._ctx_write() as run:
            row = run("SELECT value FROM console_secrets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return str(row["value"])
            value = make()
            run(
                "INSERT INTO console_secrets (name, value, created_at) VALUES (?,?,?)",
                (name, value, self._param_time(now)),
            )
            return value

    def alert_sent(self, practice_id: str, kind: str, period: str) -> bool:
        """Whether the alert was recorded as sent."""
        with self._ctx_read() as run:
            row = run(
                "SELECT 1 AS one FROM alerts_sent WHERE practice_id = ? AND kind = ?"
                " AND period = ?",
                (practice_id, kind, period),
            ).fetchone()
        return row is not None

    def mark_alert_sent(
        self, practice_id: str, kind: str, period: str, now: dt.datetime, detail: dict[str, Any]
    ) -> bool:
        """Insert the marker; False when it was there already."""
        with self._ctx_write() as run:
            cur = run(
                "INSERT INTO alerts_sent (practice_id, kind, period, sent_at, detail)"
                " VALUES (?,?,?,?,?) ON CONFLICT (practice_id, kind, period) DO NOTHING"
                " RETURNING practice_id",
                (practice_id, kind, period, self._param_time(now), jsonutil.dumps(detail)),
            )
            return cur.fetchone() is not None

    def last_alert(self, practice_id: str, kind: str) -> AlertMarker | None:
        """The newest marker of one kind."""
        with self._ctx_read() as run:
            row = run(
                "SELECT period, sent_at, detail FROM alerts_sent WHERE practice_id = ?"
                " AND kind = ? ORDER BY sent_at DESC, period DESC LIMIT 1",
                (practice_id, kind),
            ).fetchone()
        if row is None:
            return None
        return AlertMarker(str(row["period"]), when(row["sent_at"]), jsonutil.loads(row["detail"]))

    def release_alert(self, practice_id: str, kind: str, period: str) -> None:
        """Forget a marker (a send that failed, or an outage episode that ended)."""
        with self._ctx_write() as run:
            run(
                "DELETE FROM alerts_sent WHERE practice_id = ? AND kind = ? AND period = ?",
                (practice_id, kind, period),
            )

    def alert_markers(self, practice_id: str, kind: str) -> list[tuple[str, dt.datetime]]:
        """Every ``(period, sent_at)`` of one kind for a practice, oldest first."""
        with self._ctx_read() as run:
            rows = run(
                "SELECT period, sent_at FROM alerts_sent WHERE practice_id = ? AND kind = ?"
                " ORDER BY sent_at, period",
                (practice_id, kind),
            ).fetchall()
        return [(str(row["period"]), when(row["sent_at"])) for row in rows]

    def posted_between(
        self, practice_id: str, since: dt.datetime, until: dt.datetime
    ) -> tuple[int, int]:
        """``(items, cents)`` that became ``posted`` in ``[since, until)`` (from the history)."""
        with self._ctx_read() as run:
            row = run(
                "SELECT COUNT(*) AS n, COALESCE(SUM(i.amount_cents), 0) AS cents"
                " FROM history h JOIN items i ON i.id = h.item_id"
                " WHERE h.practice_id = ? AND h.to_status = 'posted' AND h.at >= ? AND h.at < ?",
                (practice_id, self._param_time(since), self._param_time(until)),
            ).fetchone()
        return int(row["n"]), int(row["cents"])

    # -- the queue ------------------------------------------------------------------------
    def queue_page(self, query: QueueQuery) -> QueuePage:
        """Filter, count, sort and slice in the database."""
        where, args = self._queue_where(query)
        base = (
            " FROM items i LEFT JOIN reviews r ON r.item_id = i.id AND r.state = 'open'"
            " WHERE " + " AND ".join(where)
        )
        column = _ORDER[query.sort if query.sort in SORTS else "created"]
        direction = "DESC" if query.descending else "ASC"
        select = (
            "SELECT i.*, r.id AS review_id, r.reason AS review_reason,"
            " r.message AS review_message" + base
        )
        order = f" ORDER BY {column} {direction}, i.id {direction} LIMIT ? OFFSET ?"
        with self._ctx_read() as run:
            total = int(run("SELECT COUNT(*) AS n" + base, args).fetchone()["n"])
            rows = run(select + order, (*args, query.limit, query.offset)).fetchall()
            reasons = [
                str(r["reason"])
                for r in run(
                    "SELECT DISTINCT r.reason FROM reviews r WHERE r.state = 'open'"  # noqa: S608 - placeholders only
                    + self._practice_filter(query, "r"),
                    tuple(query.practice_ids or ()),
                ).fetchall()
            ]
        return QueuePage(
            rows=[
                QueueRow(
                    item=item_from_row(row),
                    review_id=row["review_id"],
                    reason=row["review_reason"],
                    message=row["review_message"],
                )
                for row in rows
            ],
            total=total,
            facets={"reason": sorted(reasons)},
        )

    @staticmethod
    def _practice_filter(query: QueueQuery, alias: str) -> str:
        if query.practice_ids is None:
            return ""
        if not query.practice_ids:
            return " AND 1 = 0"
        marks = ",".join("?" for _ in query.practice_ids)
        return f" AND {alias}.practice_id IN ({marks})"

    def _queue_where(self, query: QueueQuery) -> tuple[list[str], tuple[Any, ...]]:
        marks = ",".join("?" for _ in query.statuses) or "NULL"
        where = [f"i.status IN ({marks})"]
        args: list[Any] = [s.value for s in query.statuses]
        practice = self._practice_filter(query, "i")
        if practice:
            where.append(practice.removeprefix(" AND "))
            args.extend(query.practice_ids or ())
        for clause, value in (
            ("i.created_at >= ?", self._param_time(query.since) if query.since else None),
            ("i.created_at < ?", self._param_time(query.until) if query.until else None),
            ("i.source = ?", query.source),
            ("r.reason = ?", query.reason),
            ("i.amount_cents >= ?", query.min_cents),
            ("i.amount_cents <= ?", query.max_cents),
            ("i.group_key = ?", query.group_key),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        if query.payer:
            where.append(f"LOWER({self._payer_sql}) LIKE ? ESCAPE '!'")
            args.append("%" + _like(query.payer.lower()) + "%")
        return where, tuple(args)

    def open_review_for(self, item_id: int) -> Review | None:
        """The item's open review."""
        with self._ctx_read() as run:
            row = run(
                _REVIEW_SELECT + " WHERE r.item_id = ? AND r.state = 'open' ORDER BY r.id DESC",
                (item_id,),
            ).fetchone()
        return review_from_row(row) if row else None

    def latest_review_for(self, item_id: int) -> Review | None:
        """The item's newest review in any state."""
        with self._ctx_read() as run:
            row = run(
                _REVIEW_SELECT + " WHERE r.item_id = ? ORDER BY r.id DESC", (item_id,)
            ).fetchone()
        return review_from_row(row) if row else None

    def new_reviews(self, practice_id: str, after_review_id: int) -> list[Review]:
        """Open reviews with an id above ``after_review_id``, oldest first."""
        with self._ctx_read() as run:
            rows = run(
                _REVIEW_SELECT + " WHERE r.practice_id = ? AND r.state = 'open'"
                " AND r.id > ? ORDER BY r.id",
                (practice_id, after_review_id),
            ).fetchall()
        return [review_from_row(row) for row in rows]


def _like(text: str) -> str:
    """``text`` with LIKE wildcards escaped (escape character ``!``)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(
        id=int(row["id"]),
        name=row["name"],
        role=row["role"],
        practices=tuple(jsonutil.loads(row["practices"])),
        password_hash=row["password_hash"],
        disabled=bool(row["disabled"]),
        created_at=when(row["created_at"]),
        updated_at=when(row["updated_at"]),
    )


def as_console_store(store: object) -> ConsoleStore:
    """``store`` as a :class:`ConsoleStore` (both shipped engines are).

    Raises:
        ConfigError: a store implementation without the console tables.
    """
    if not isinstance(store, ConsoleTables):
        raise ConfigError("this state store has no console tables")
    return cast(ConsoleStore, store)
