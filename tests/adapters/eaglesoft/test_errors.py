"""Driver errors from the Eaglesoft database become connector errors, never pyodbc errors."""

from __future__ import annotations

import pyodbc
import pytest

from adapters.eaglesoft.dialect import EaglesoftDialect
from adapters.eaglesoft.errors import translate
from adapters.pmssql.session import KeyConflict
from connector.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError

SA = EaglesoftDialect("sqlanywhere")


@pytest.mark.parametrize(
    ("state", "message", "expected"),
    [
        ("08001", "database server not found", TransientError),
        ("28000", "invalid user ID or password", AuthError),
        ("23W01", "primary key for table 'transactions_header' is not unique", KeyConflict),
        ("42W18", "user 'FD' has the row in 'patient' locked", TransientError),
        ("40001", "deadlock detected", TransientError),
        ("42S02", "table 'paytype' not found", PermanentError),
        ("IM002", "data source name not found", ConfigError),
        ("01000", "[unixODBC][Driver Manager]Can't open lib 'dbodbc17.so'", ConfigError),
    ],
)
def test_sql_anywhere_states_map_to_connector_errors(state, message, expected):
    """SQL Anywhere's states (and its own 23W01/42W18) map to what to do."""
    error = translate(pyodbc.Error(state, message), SA, "post", authenticated=True)
    assert type(error) is expected
    assert message not in error.message


@pytest.mark.parametrize("authenticated", [False, True])
def test_authentication_violation_is_an_auth_error_whatever_the_state(authenticated):
    """'Authentication violation' is recognised by its text and says which setting to fix."""
    error = translate(pyodbc.Error("42000", "Authentication violation"), SA, "post",
                      authenticated=authenticated)  # fmt: skip
    assert isinstance(error, AuthError)
    expected = "signature was not accepted" if authenticated else "not authenticated"
    assert expected in error.message


@pytest.mark.parametrize("cls", [pyodbc.Error, pyodbc.OperationalError, pyodbc.IntegrityError,
                                 pyodbc.ProgrammingError, pyodbc.DataError, pyodbc.InterfaceError,
                                 pyodbc.NotSupportedError, pyodbc.InternalError])  # fmt: skip
def test_every_pyodbc_error_class_is_translated(cls):
    """No pyodbc exception class, with or without a SQLSTATE, escapes untranslated."""
    for dialect in (SA, EaglesoftDialect("sqlite")):
        for args in ((), ("msg",), ("HY000", "x")):
            assert isinstance(translate(cls(*args), dialect, "op", authenticated=False),
                              ConnectorError)  # fmt: skip
