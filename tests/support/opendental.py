"""Open Dental test fixtures: the emulated database on the real MariaDB, the API double, ledgers.

* ``opendental_db`` (session): database ``opendental`` with ``schema.sql`` and the seed, built
  by :mod:`workshop.sandbox.opendental_db` (a read-write user for the API double, a
  SELECT-only user for the adapter); ``reset()`` restores the seed in ~50 ms from a template.
* ``od_api`` (session): the API double on a free loopback port.
* ``od`` (function): resets the data, the double's faults and request log; builds ledgers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.opendental import OpenDentalLedger
from connector.config.pms import OpenDentalPms
from connector.redaction import Redactor
from workshop.sandbox.mariadb import MariaDBServer
from workshop.sandbox.opendental_api import OpenDentalApiDouble
from workshop.sandbox.opendental_db import TEMPLATE, WRITTEN_TABLES, OpenDentalDb, build_database

__all__ = [
    "CUSTOMER_KEY",
    "DEVELOPER_KEY",
    "TEMPLATE",
    "WRITTEN_TABLES",
    "OdContext",
    "OpenDentalDb",
    "build_database",
    "od",
    "od_api",
    "opendental_db",
    "settings_for",
]

DEVELOPER_KEY = "devKeyForTests01"
CUSTOMER_KEY = "custKeyForTests02"


def settings_for(db: OpenDentalDb, double: OpenDentalApiDouble, **overrides: Any) -> OpenDentalPms:
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
