"""SQLite (the default store): WAL mode, one connection per thread, ``BEGIN IMMEDIATE`` writes.

Only what SQLite does its own way lives here (:class:`SQLiteDialect`); every query and rule is
in :class:`~connector.store.sql.SqlStore`. Timestamps are stored as ISO-8601 text in UTC, so
they sort and compare as text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector.clock import SYSTEM, Clock
from connector.errors import ConfigError, PermanentError
from connector.private_files import create_private_file, private_dir
from connector.store import copy, sqlite_leases
from connector.store.dialect import Session
from connector.store.schema import load_migrations
from connector.store.sql import SqlStore
from connector.store.sqlite_errors import translate


def migrations() -> list[tuple[int, str]]:
    """``(version, sql)`` for every SQLite migration shipped in the package, in order."""
    return load_migrations("sqlite")


def statements(script: str) -> list[str]:
    """A migration script split into statements by SQLite's own parser
    (``sqlite3.complete_statement``: trigger bodies with inner ``;`` stay whole)."""
    found, current = [], ""
    for line in script.splitlines(keepends=True):
        if not current and line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return found


class _Session:
    """A :class:`~connector.store.dialect.Session` on one sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def native(self) -> sqlite3.Connection:
        return self._conn

    def run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def insert_ids(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[int | None]:
        ids: list[int | None] = []
        for row in rows:
            found = self._conn.execute(sql, row).fetchone()
            ids.append(int(found[0]) if found is not None else None)
        return ids


class SQLiteDialect:
    """SQLite's side of the store: one connection per thread on one database file."""

    name = "sqlite"
    for_update = ""  # BEGIN IMMEDIATE already holds the file's write lock

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
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
    def transaction(self) -> Iterator[_Session]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error); sqlite3 errors become
        connector errors here (:mod:`connector.store.sqlite_errors`)."""
        with translate(self.path):
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Session(conn)
            except BaseException:
                if conn.in_transaction:  # SQLite already rolled back after e.g. SQLITE_FULL
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error:
                    if conn.in_transaction:  # e.g. the disk filled up at commit: undo it all
                        conn.execute("ROLLBACK")
                    raise

    @contextmanager
    def reading(self) -> Iterator[_Session]:
        """Reads on this thread's connection (autocommit), errors translated as above."""
        with translate(self.path):
            yield _Session(self.connection())

    def ts(self, value: dt.datetime) -> str:
        """ISO-8601 text in UTC."""
        return value.astimezone(dt.UTC).isoformat()

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def migrate(self) -> int:
        """Apply missing migrations in order, each in its own transaction.

        The version is read again inside each write transaction (``BEGIN IMMEDIATE`` holds the
        file's write lock), so processes starting together on a fresh file apply each
        migration once instead of racing each other.
        """
        with self.reading() as db:
            db.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = 0
        for version, script in migrations():
            with self.transaction() as tx:
                row = tx.run("SELECT MAX(version) FROM schema_version").fetchone()
                current = int(row[0] or 0)
                if version <= current:
                    continue
                for statement in statements(script):
                    tx.run(statement)
                tx.run("INSERT INTO schema_version (version) VALUES (?)", (version,))
            current = version
        return current

    # -- leases: expiry by the store's (injected) clock -----------------------------------
    def claim(
        self,
        session: Session,
        owner: str,
        practice_ids: Sequence[str],
        ttl: dt.timedelta,
        limit: int | None,
        now: dt.datetime,
    ) -> list[str]:
        """See :func:`connector.store.sqlite_leases.claim`."""
        return sqlite_leases.claim(session.native, owner, practice_ids, ttl, limit, now)

    def renew(self, session: Session, owner: str, ttl: dt.timedelta, now: dt.datetime) -> list[str]:
        """See :func:`connector.store.sqlite_leases.renew`."""
        return sqlite_leases.renew(session.native, owner, ttl, now)

    def release(
        self, session: Session, owner: str, practice_ids: Collection[str] | None
    ) -> list[str]:
        """See :func:`connector.store.sqlite_leases.release`."""
        return sqlite_leases.release(session.native, owner, practice_ids)

    def holders(self, session: Session, now: dt.datetime) -> dict[str, list[str]]:
        """See :func:`connector.store.sqlite_leases.holders`."""
        return sqlite_leases.holders(session.native, now)

    # -- copying --------------------------------------------------------------------------
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` in key order, timestamps as aware datetimes."""
        sql = f"SELECT * FROM {copy.check_table(table)} ORDER BY {copy.order_by(table)}"  # noqa: S608 - fixed names
        with translate(self.path):
            for row in self.connection().execute(sql):
                yield {key: copy.parse_timestamp(key, row[key]) for key in row.keys()}  # noqa: SIM118

    def import_rows(self, tables: Iterable[tuple[str, copy.Rows]]) -> dict[str, int]:
        """Insert every table's rows in one transaction; the store must hold no items."""
        counts: dict[str, int] = {}
        with self.transaction() as tx:
            if tx.run("SELECT COUNT(*) FROM items").fetchone()[0]:
                raise PermanentError("the target store is not empty", code="state_not_empty")
            for table, rows in tables:
                known = {r[1] for r in tx.run(f"PRAGMA table_info({copy.check_table(table)})")}
                counts[table] = 0
                for row in rows:
                    columns = [c for c in row if c in known]
                    values = [self.ts(v) if isinstance(v, dt.datetime) else v for v in
                              (row[c] for c in columns)]  # fmt: skip
                    tx.run(
                        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - checked names
                        f" VALUES ({', '.join('?' for _ in columns)})",
                        values,
                    )
                    counts[table] += 1
        return counts


class SQLiteStore(SqlStore):
    """The state store on one SQLite file.

    Args:
        path: database file (created with its folder); ``:memory:`` is refused because each
            thread has its own connection.
        clock: where every timestamp the store writes comes from (leases included).
    """

    def __init__(self, path: str | Path, *, clock: Clock = SYSTEM) -> None:
        if str(path) == ":memory:":
            raise PermanentError("the SQLite store needs a file path, not :memory:")
        self.path = Path(path)
        try:
            private_dir(self.path.parent)
            create_private_file(self.path)  # SQLite gives -wal/-shm the same mode
        except OSError as exc:
            raise ConfigError(
                f"state.url: cannot create the folder of {self.path}: {exc.strerror or exc}"
            ) from exc
        self.sqlite = SQLiteDialect(self.path)
        super().__init__(self.sqlite, clock=clock)

    def _conn(self) -> sqlite3.Connection:
        """This thread's raw connection (tests and tools read rows through it)."""
        return self.sqlite.connection()
