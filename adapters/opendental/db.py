"""The adapter's read path: one pyodbc connection, SELECT-only user, autocommit, read-only session.

Autocommit matters: with InnoDB's REPEATABLE READ a long-lived connection inside one
transaction would keep reading an old snapshot and miss what the API just wrote.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

import pyodbc

from adapters.opendental import queries
from adapters.opendental.errors import is_connection_lost, odbc_errors
from connector.errors import ConnectorError


class ReadOnlyDb:
    """Runs named SELECTs; reconnects once when the connection was lost.

    Args:
        connection_string: ODBC connection string (or ``DSN=…``) of the SELECT-only user.
        timeout: seconds for login and for each query.
    """

    def __init__(self, connection_string: str, *, timeout: float = 30.0) -> None:
        self._connection_string = connection_string
        self._timeout = timeout
        self._conn: Any = None
        self._lock = threading.Lock()
        self.queries_run = 0

    def _connect(self) -> Any:
        with odbc_errors("connect"):
            conn = pyodbc.connect(
                self._connection_string, autocommit=True, timeout=max(1, int(self._timeout))
            )
            conn.timeout = max(1, int(self._timeout))
            # MariaDB's ODBC driver garbles UTF-16 parameters longer than 128 characters, so a
            # long marker would never be found by LOCATE (and the posting repeated): send UTF-8
            conn.setencoding(encoding="utf-8")
            conn.cursor().execute(queries.SESSION_READ_ONLY)
        self.queries_run += 1
        return conn

    def fetchall(self, name: str, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one SELECT; ``name`` labels errors and logs.

        Raises:
            TransientError, AuthError, PermanentError (see ``errors.py``).
        """
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    with odbc_errors(name):
                        self.queries_run += 1
                        cursor = self._conn.cursor()
                        cursor.execute(sql, *params) if params else cursor.execute(sql)
                        return list(cursor.fetchall())
                except ConnectorError as exc:
                    if not is_connection_lost(exc):
                        raise
                    self._drop()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover

    def fetchone(self, name: str, sql: str, params: Sequence[Any] = ()) -> Any | None:
        """The first row of one SELECT, or None."""
        rows = self.fetchall(name, sql, params)
        return rows[0] if rows else None

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(pyodbc.Error):  # already broken; nothing to release
                conn.close()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()
