"""The emulated Open Dental database on a real MariaDB server: schema, seed, quick reset.

:func:`build_database` creates database ``opendental`` (schema from
``workshop/emulated/opendental/schema.sql``, rows from
:mod:`workshop.emulated.opendental.seed`) with a
read-write user (the API double writes with it) and a SELECT-only user (the adapter reads with
it), plus a template copy of the seed so :meth:`OpenDentalDb.reset` restores the practice in
~50 ms. Used by the sandbox environment (``make demo``), the tests and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyodbc

from workshop.emulated.opendental import seed as od_seed
from workshop.sandbox.mariadb import DatabaseUsers, MariaDBServer

TEMPLATE = "opendental_template"
# Tables the API double writes; the others are only read and need no reset between runs.
WRITTEN_TABLES = (
    "payment", "paysplit", "commlog", "claimproc", "claim", "claimpayment", "deposit",
    "adjustment",
)  # fmt: skip

RowsHook = Callable[[od_seed.Rows], None]


@dataclass
class OpenDentalDb:
    """The emulated Open Dental database and its users."""

    server: MariaDBServer
    users: DatabaseUsers

    def admin(self) -> Any:
        """A root connection to the database (verification reads, never the connector's)."""
        return pyodbc.connect(self.users.admin, autocommit=True)

    def rows(self, sql: str, *params: Any) -> list[Any]:
        """Run a query as root and return its rows."""
        conn = self.admin()
        try:
            return list(conn.cursor().execute(sql, *params).fetchall())
        finally:
            conn.close()

    def reset(self, *, full: bool = False) -> None:
        """Restore the seeded practice: the tables the API writes, or every table (``full``).

        Auto-increment counters keep counting (DELETE, not TRUNCATE, for speed), so callers
        never rely on the number a new row gets.
        """
        conn = self.admin()
        try:
            cur = conn.cursor()
            for table in od_seed.TABLES if full else WRITTEN_TABLES:
                sql_delete = f"DELETE FROM {table}"  # noqa: S608 - table names are our constants
                sql_copy = f"INSERT INTO {table} SELECT * FROM {TEMPLATE}.{table}"  # noqa: S608 - table names are ours
                cur.execute(sql_delete)
                cur.execute(sql_copy)
        finally:
            conn.close()


def build_database(
    server: MariaDBServer, name: str = "opendental", *, extra_rows: RowsHook | None = None
) -> OpenDentalDb:
    """Create the database, its users, the template with the seed, and load it.

    ``extra_rows`` may add rows to the seed before it is loaded (the demo adds its own claims).
    """
    users = server.create_database(name)
    rows = od_seed.practice_rows()
    if extra_rows is not None:
        extra_rows(rows)
    conn = pyodbc.connect(server.admin_connection_string(), autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE {TEMPLATE} CHARACTER SET utf8mb4")
        for database in (name, TEMPLATE):
            cur.execute(f"USE {database}")
            for statement in od_seed.schema_statements():
                cur.execute(statement)
        cur.execute(f"USE {TEMPLATE}")
        od_seed.load(cur, rows)
    finally:
        conn.close()
    db = OpenDentalDb(server, users)
    db.reset(full=True)
    return db
