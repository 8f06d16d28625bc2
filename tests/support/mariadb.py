"""The ``mariadb_server`` fixture: one real MariaDB server per test session.

The launcher lives in the package (:mod:`workshop.sandbox.mariadb`, the demo needs it at run
time); this module re-exports it for tests and adds the session fixture, which skips the tests
that need it when ``mariadb-server`` is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workshop.sandbox.mariadb import (
    DatabaseUsers,
    MariaDBServer,
    MariaDBUnavailable,
    free_port,
    odbc_driver_name,
    running_server,
)

__all__ = [
    "DatabaseUsers",
    "MariaDBServer",
    "MariaDBUnavailable",
    "free_port",
    "mariadb_server",
    "odbc_driver_name",
    "running_server",
]


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A real MariaDB server for the whole test session; skipped when not installed."""
    try:
        server = MariaDBServer()
    except MariaDBUnavailable as exc:
        pytest.skip(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.stop()
