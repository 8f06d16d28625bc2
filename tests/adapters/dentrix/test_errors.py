"""Driver errors from the Dentrix database become connector errors, never pyodbc errors."""

from __future__ import annotations

import pyodbc
import pytest

from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from adapters.dentrix.dialect import ctree, sqlite
from adapters.dentrix.errors import translate
from adapters.pmssql.session import KeyConflict
from connector.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from tests.adapters.dentrix.conftest import Db, payment


@pytest.mark.parametrize(
    ("state", "message", "expected"),
    [
        ("08001", "cannot connect", TransientError),
        ("08S01", "link failure", TransientError),
        ("28000", "login failed", AuthError),
        ("42501", "permission denied on fullproclog", AuthError),
        ("40001", "deadlock", TransientError),
        ("HYT00", "timeout", TransientError),
        ("23505", "duplicate key", KeyConflict),
        ("23000", "not null", PermanentError),
        ("42S02", "no such view", PermanentError),
        ("22001", "string data right truncation", PermanentError),
        ("IM002", "data source name not found", ConfigError),
        ("HY000", "c-treeACE does not support nested transaction", PermanentError),
        ("HY000", "something odd", TransientError),
    ],
)
def test_sqlstates_map_to_connector_errors(state, message, expected):
    """Each SQLSTATE class maps to the error that says what to do, with the state attached."""
    error = translate(pyodbc.Error(state, f"[{state}] {message}"), ctree(), "post")
    assert type(error) is expected
    assert error.context["sqlstate"] == state
    assert message not in error.message  # driver text may hold data; it stays in __cause__


@pytest.mark.parametrize("cls", [pyodbc.Error, pyodbc.OperationalError, pyodbc.IntegrityError,
                                 pyodbc.ProgrammingError, pyodbc.DataError, pyodbc.InterfaceError,
                                 pyodbc.NotSupportedError, pyodbc.InternalError,
                                 pyodbc.DatabaseError])  # fmt: skip
def test_every_pyodbc_error_class_is_translated(cls):
    """No pyodbc exception class, with or without a SQLSTATE, escapes untranslated."""
    for args in ((), ("only a message",), ("HY000", "x")):
        assert isinstance(translate(cls(*args), ctree(), "op"), ConnectorError)


def test_sqlite_unique_violation_is_a_key_conflict(tmp_path):
    """The emulation's HY000 'UNIQUE constraint failed' becomes a key conflict."""
    error = translate(
        pyodbc.Error("HY000", "[SQLite]UNIQUE constraint failed: fullnotes.noteid (19)"),
        sqlite(tmp_path / "admin.db"),
        "post",
    )
    assert isinstance(error, KeyConflict)


def test_locked_database_is_transient(dentrix_db: str, db: Db):
    """A database locked by another user (the front desk) is a retry-later error."""
    import pyodbc as driver

    holder = driver.connect(dentrix_db, autocommit=True)
    cur = holder.cursor()
    cur.execute("ATTACH DATABASE ? AS admin", db.admin)
    cur.execute("BEGIN EXCLUSIVE")
    try:
        fast = dentrix_db.replace("Timeout=10000", "Timeout=100")
        ledger = DentrixLedger(DentrixConnector(StaticConnectionProvider(fast)))
        with pytest.raises(TransientError):
            ledger.post_patient_payment(payment("txn_locked01", "1001", "1.00"))
    finally:
        cur.execute("ROLLBACK")
        holder.close()


def test_missing_view_is_a_schema_mismatch(ledger: DentrixLedger, db: Db):
    """A Dentrix without a view we need gives a permanent schema-mismatch error."""
    db.rows("DROP VIEW admin.v_patient")
    with pytest.raises(PermanentError) as info:
        ledger.find_patient("1001")
    assert info.value.code == "pms_schema_mismatch"
    assert isinstance(info.value.__cause__, pyodbc.Error)


def test_missing_driver_is_a_config_error():
    """An ODBC driver that is not installed is a configuration problem, not a retry."""
    ledger = DentrixLedger(
        DentrixConnector(StaticConnectionProvider("Driver={No Such Driver};X=1"))
    )
    with pytest.raises(ConfigError):
        ledger.ping()
