"""Open Dental test fixtures: the emulated database on the real MariaDB, the API double, ledgers.

* ``opendental_db`` (session): database ``opendental`` with ``schema.sql`` and the seed, a
  read-write user (API double) and a SELECT-only user (adapter); ``reset()`` restores the seed
  in ~50 ms from a template database (TRUNCATE + INSERT … SELECT per table).
* ``od_api`` (session): the API double on a free loopback port.
* ``od`` (function): resets the data, the double's faults and request log; builds ledgers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyodbc
import pytest

from adapters.opendental import OpenDentalLedger
from adapters.opendental import seed as od_seed
from connector.config.pms import OpenDentalPms
from connector.redaction import Redactor
from connector.sandbox.opendental_api import OpenDentalApiDouble
from tests.support.mariadb import DatabaseUsers, MariaDBServer

DEVELOPER_KEY = "devKeyForTests01"
CUSTOMER_KEY = "custKeyForTests02"
TEMPLATE = "opendental_template"
# Tables the API double writes; the others are only read and need no reset between tests.
WRITTEN_TABLES = ("payment", "paysplit", "commlog", "claimproc", "claim", "claimpayment")


@dataclass
class OpenDentalDb:
    """The emulated Open Dental database and its users."""

    server: MariaDBServer
    users: DatabaseUsers

    def admin(self) -> Any:
        """A root connection to the database (tests' own verification reads)."""
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

        Auto-increment counters keep counting (DELETE, not TRUNCATE, for speed), so tests
        never rely on the number a new row gets.
        """
        conn = self.admin()
        try:
            cur = conn.cursor()
            for table in od_seed.TABLES if full else WRITTEN_TABLES:
                cur.execute(f"DELETE FROM {table}")
                cur.execute(f"INSERT INTO {table} SELECT * FROM {TEMPLATE}.{table}")
        finally:
            conn.close()


def build_database(server: MariaDBServer, name: str = "opendental") -> OpenDentalDb:
    """Create the database, its users, the template with the seed, and load it."""
    users = server.create_database(name)
    conn = pyodbc.connect(server.admin_connection_string(), autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE {TEMPLATE} CHARACTER SET utf8mb4")
        for database in (name, TEMPLATE):
            cur.execute(f"USE {database}")
            for statement in od_seed.schema_statements():
                cur.execute(statement)
        cur.execute(f"USE {TEMPLATE}")
        od_seed.load(cur, od_seed.practice_rows())
    finally:
        conn.close()
    db = OpenDentalDb(server, users)
    db.reset(full=True)
    return db


def settings_for(
    db: OpenDentalDb, double: OpenDentalApiDouble, **overrides: Any
) -> OpenDentalPms:
    """``pms:`` settings pointing at the test database (SELECT-only user) and the double."""
    data: dict[str, Any] = {
        "vendor": "opendental",
        "api": {
            "base_url": double.base_url,
            "developer_key": {"value": DEVELOPER_KEY},
            "customer_key": {"value": CUSTOMER_KEY},
            "timeout": "5s",
        },
        "odbc": {"connection_string": {"value": db.users.read_only}, "timeout": "10s"},
    }
    for section, values in overrides.items():
        data[section] = {**data[section], **values}
    return OpenDentalPms.model_validate(data)


@dataclass
class OdContext:
    """What an Open Dental test gets: the database, the double, and a ledger factory."""

    db: OpenDentalDb
    api: OpenDentalApiDouble

    def ledger(self, **overrides: Any) -> OpenDentalLedger:
        """A fresh adapter (new connections), as after a restart."""
        return OpenDentalLedger.from_settings(
            settings_for(self.db, self.api, **overrides), practice_id="test", redactor=Redactor()
        )


@pytest.fixture(scope="session")
def opendental_db(mariadb_server: MariaDBServer) -> OpenDentalDb:
    """The emulated Open Dental database (session)."""
    return build_database(mariadb_server)


@pytest.fixture(scope="session")
def od_api(opendental_db: OpenDentalDb) -> Iterator[OpenDentalApiDouble]:
    """The Open Dental API double (session), writing with the read-write user."""
    double = OpenDentalApiDouble(
        opendental_db.users.read_write, developer_key=DEVELOPER_KEY, customer_key=CUSTOMER_KEY
    )
    with double:
        yield double


@pytest.fixture
def od(opendental_db: OpenDentalDb, od_api: OpenDentalApiDouble) -> Iterator[OdContext]:
    """Fresh seed data, a running double with no faults and an empty request log."""
    opendental_db.reset()
    if od_api._server is None:  # a test may have stopped it
        od_api.start()
    od_api.reset()
    yield OdContext(opendental_db, od_api)
    od_api.reset()
