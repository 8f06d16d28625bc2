"""psycopg errors become connector errors in one place: retryable ones Transient, the rest
Permanent, chained, without row values or passwords in the message."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

psycopg = pytest.importorskip("psycopg")
psycopg_pool = pytest.importorskip("psycopg_pool")

from connector.errors import PermanentError, TransientError  # noqa: E402
from connector.store.postgres import PostgresStore  # noqa: E402
from connector.store.postgres_errors import classify, translate  # noqa: E402

TRANSIENT_CLASSES = {"08", "40", "53", "57"}


def _all_error_classes(base: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _all_error_classes(sub)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.SerializationFailure, TransientError),
        (psycopg.errors.DeadlockDetected, TransientError),
        (psycopg.errors.AdminShutdown, TransientError),
        (psycopg.errors.ConnectionFailure, TransientError),
        (psycopg.errors.TooManyConnections, TransientError),
        (psycopg.errors.LockNotAvailable, TransientError),
        (psycopg.errors.UniqueViolation, PermanentError),
        (psycopg.errors.UndefinedTable, PermanentError),
        (psycopg.errors.InsufficientPrivilege, PermanentError),
        (psycopg.errors.InvalidTextRepresentation, PermanentError),
        (psycopg_pool.PoolTimeout, TransientError),
        (psycopg_pool.PoolClosed, TransientError),
    ],
)
def test_named_errors_map_to_what_to_do(error: type[Exception], expected: type[Exception]) -> None:
    """Serialization, deadlock, connection and shutdown errors are transient; others permanent."""
    with pytest.raises(expected) as info, translate():
        raise error("boom")
    assert isinstance(info.value.__cause__, error)


def test_every_psycopg_error_class_is_mapped_by_its_sqlstate() -> None:
    """Each of psycopg's error classes maps to Transient or Permanent, by SQLSTATE class."""
    classes = list(_all_error_classes(psycopg.Error))
    assert len(classes) > 200
    for cls in classes:
        mapped = classify(cls("x"))
        state = getattr(cls, "sqlstate", None)
        if state is None:
            expected = (TransientError if issubclass(cls, psycopg.OperationalError)
                        else PermanentError)  # fmt: skip
        elif state[:2] in TRANSIENT_CLASSES or state == "55P03":
            expected = TransientError
        else:
            expected = PermanentError
        assert type(mapped) is expected, (cls.__name__, state, type(mapped).__name__)


@pytest.mark.external_service
def test_a_real_constraint_error_keeps_row_values_out_of_the_message(postgres_url: str) -> None:
    """A unique violation is permanent; its message has the SQLSTATE but not the DETAIL values."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (k text PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES ('secret-value-123')")
        with pytest.raises(PermanentError) as info, translate():
            conn.execute("INSERT INTO t VALUES ('secret-value-123')")
    assert "23505" in str(info.value) and "secret-value-123" not in str(info.value)


@pytest.mark.external_service
def test_an_unreachable_server_is_transient_and_no_password_leaks() -> None:
    """A store on a closed port raises TransientError (store unavailable) without the password."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = PostgresStore(f"postgresql://u:pw-abc-987@127.0.0.1:{port}/db", timeout=1.0)
    try:
        with pytest.raises(TransientError) as info:
            store.migrate()
    finally:
        store.close()
    assert "pw-abc-987" not in str(info.value)
    assert isinstance(info.value.__cause__, psycopg.Error)


@pytest.mark.external_service
def test_a_dropped_connection_costs_a_reconnect_not_an_error(postgres_url: str) -> None:
    """After the server kills every connection of the store, the next call still succeeds."""
    store = PostgresStore(postgres_url)
    try:
        store.record("p1", "stripe", [])
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        assert store.status_counts() == {}
    finally:
        store.close()


@pytest.mark.external_service
def test_a_killed_session_mid_statement_is_transient(postgres_url: str) -> None:
    """The server terminating our own session (admin shutdown, 57P01) is a TransientError."""
    with (
        psycopg.connect(postgres_url, autocommit=True) as conn,
        pytest.raises(TransientError),
        translate(),
    ):
        conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
