"""The ``store`` fixture runs every store test on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connector.clock import FixedClock
from connector.store import StateStore, open_store
from tests.support.postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.external_service)])
def engine(request: pytest.FixtureRequest) -> str:
    """The store engine under test."""
    return str(request.param)


@pytest.fixture
def empty_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL naming an empty (never migrated) store of the engine under test."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def store_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL naming a migrated, empty store of the engine under test."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str, clock: FixedClock) -> Iterator[StateStore]:
    """A migrated store (SQLite file or PostgreSQL database) on the test's clock, closed after."""
    db = open_store(store_url, clock=clock)
    yield db
    db.close()


RawExecute = Callable[[str], None]


@pytest.fixture
def raw_execute(store_url: str) -> RawExecute:
    """Run one SQL statement on the store's database behind the store's back (autocommit)."""
    if store_url.startswith("sqlite:///"):

        def run_sqlite(sql: str) -> None:
            conn = sqlite3.connect(store_url.removeprefix("sqlite:///"), isolation_level=None)
            try:
                conn.execute(sql)
            finally:
                conn.close()

        return run_sqlite

    import psycopg

    def run_pg(sql: str) -> None:
        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute(sql.encode())

    return run_pg


def db_errors() -> tuple[type[BaseException], ...]:
    """The driver exceptions a raw statement may raise (for ``pytest.raises``)."""
    errors: list[type[BaseException]] = [sqlite3.DatabaseError]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:
        pass
    return tuple(errors)
