"""One ODBC connection used through short units of work, with id-conflict retries.

A unit of work is a function of a :class:`Tx`. :meth:`Session.read` rolls back at the end so
no read lock outlives it (SQLite and c-treeACE hold shared locks until the transaction ends);
:meth:`Session.write` commits. Any failure rolls back and *discards* the connection: after a
driver error an ODBC connection may be in an unknown state, and a fresh one also re-runs the
vendor's session set-up (Eaglesoft's write authentication, the emulation's ATTACH).

Every driver call happens inside the vendor's ``guard`` (its ``errors.translating``), so only
:mod:`connector.errors` exceptions come out of here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol, TypeVar

from connector.errors import ConnectorError, TransientError
from connector.logging import get_logger

T = TypeVar("T")
Row = dict[str, Any]

_log = get_logger("adapters.pmssql")


class KeyConflict(TransientError):
    """A unique/primary key was taken between our ``MAX(id)+1`` and our insert.

    Raised by the vendor's error translation; :meth:`Session.write` retries the whole unit of
    work a few times before letting it through as a :class:`TransientError`.
    """

    code = "pms_key_conflict"


class Guard(Protocol):
    """The vendor's error translator: a context manager named after the operation."""

    def __call__(self, operation: str) -> AbstractContextManager[None]:
        """Translate driver errors raised inside the block."""


class Tx:
    """The statements of one unit of work, all on one cursor of one connection."""

    def __init__(self, cursor: Any, guard: Guard, operation: str) -> None:
        self._cursor = cursor
        self._guard = guard
        self.operation = operation

    def execute(self, sql: str, *params: Any) -> int:
        """Run a statement; returns the driver's row count (-1 when unknown)."""
        with self._guard(self.operation):
            self._cursor.execute(sql, *params)
            return int(self._cursor.rowcount)

    def rows(self, sql: str, *params: Any) -> list[Row]:
        """Run a query; rows as dicts keyed by lower-case column name."""
        with self._guard(self.operation):
            self._cursor.execute(sql, *params)
            names = [str(col[0]).lower() for col in self._cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]

    def one(self, sql: str, *params: Any) -> Row | None:
        """The first row of a query, or None."""
        found = self.rows(sql, *params)
        return found[0] if found else None

    def scalar(self, sql: str, *params: Any) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, *params)
        return None if row is None else next(iter(row.values()))

    def each(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per parameter tuple (small batches only)."""
        for one in params:
            self.execute(sql, *one)


class Session:
    """A lazily opened connection plus the rules for using it safely.

    Args:
        opener: returns a new, set-up DB-API connection (autocommit off); may raise our errors.
        guard: the vendor's error translator.
        conflict_attempts: how many times a write is tried when it hits :class:`KeyConflict`.
    """

    def __init__(self, opener: Callable[[], Any], guard: Guard, *, conflict_attempts: int = 3):
        self._opener = opener
        self._guard = guard
        self._conn: Any = None
        self.conflict_attempts = conflict_attempts

    def read(self, operation: str, work: Callable[[Tx], T]) -> T:
        """Run read-only ``work`` and end its transaction."""
        return self._unit(operation, work, commit=False)

    def write(self, operation: str, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one transaction and commit; retried on key conflicts.

        Raises:
            TransientError: still conflicting after ``conflict_attempts`` tries (or any
                other transient failure). Other :mod:`connector.errors` as raised by ``work``.
        """
        for attempt in range(1, self.conflict_attempts + 1):
            try:
                return self._unit(operation, work, commit=True)
            except KeyConflict as exc:
                if attempt >= self.conflict_attempts:
                    raise TransientError(
                        f"{operation}: another user kept taking the same new id "
                        f"({attempt} attempts); will retry later",
                        code="pms_key_conflict",
                    ) from exc
                _log.info("pms.id_conflict.retry", operation=operation, attempt=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the connection if open (errors while closing are ignored)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(ConnectorError), self._guard("close"):
                conn.close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._conn is None:
            self._conn = self._opener()
        yield self._conn

    def _unit(self, operation: str, work: Callable[[Tx], T], *, commit: bool) -> T:
        with self._connection() as conn:
            try:
                with self._guard(operation):
                    cursor = conn.cursor()
                result = work(Tx(cursor, self._guard, operation))
                with self._guard(operation):
                    if commit:
                        conn.commit()
                    else:
                        conn.rollback()
                    cursor.close()
                return result
            except BaseException:
                with suppress(ConnectorError), self._guard("rollback"):
                    conn.rollback()
                self.close()
                raise
