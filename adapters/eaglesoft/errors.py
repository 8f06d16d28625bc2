"""The one place where ``pyodbc.Error`` from the Eaglesoft database becomes a connector error.

Mapped by SQLSTATE after the dialect has refined engine-specific states; SQL Anywhere's
"Authentication violation" (a connection without Patterson's signature trying to write) gets
its own plain message. Messages carry the SQLSTATE and operation, never row values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyodbc

from adapters.eaglesoft.dialect import EaglesoftDialect
from adapters.pmssql.session import KeyConflict
from adapters.pmssql.sqlstate import Kind, classify, driver_manager_state
from connector.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)

NOT_AUTHENTICATED = (
    "Eaglesoft refused the write: this database connection is not authenticated (SQL Anywhere "
    "'Authentication violation'; unauthenticated connections are read-only). Writing to "
    "Eaglesoft needs Patterson's partner signature: set pms.authentication (company, "
    "application, signature) in the configuration"
)
BAD_SIGNATURE = (
    "Eaglesoft refused the write: the configured Patterson signature was not accepted (SQL "
    "Anywhere 'Authentication violation'). Check pms.authentication company, application and "
    "signature with Patterson"
)


def sqlstate_and_message(exc: BaseException) -> tuple[str, str]:
    """The SQLSTATE and driver message of a pyodbc error (``HY000``/'' when absent)."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    state = str(args[0]) if len(args) > 1 else "HY000"
    message = str(args[1]) if len(args) > 1 else str(args[0]) if args else ""
    return state, message


def translate(
    exc: pyodbc.Error, dialect: EaglesoftDialect, operation: str, *, authenticated: bool
) -> ConnectorError:
    """The connector error for a driver error raised during ``operation``.

    ``authenticated`` says whether this connection ran the authentication statement, so an
    "Authentication violation" can say which of the two things to fix.
    """
    raw_state, message = sqlstate_and_message(exc)
    state = dialect.refine(driver_manager_state(raw_state, message), message)
    hint = dialect.kind_hint(message)
    kind = hint or classify(state)
    context = {"sqlstate": state, "operation": operation, "vendor": "eaglesoft"}
    where = f"Eaglesoft {operation} failed (SQLSTATE {state})"
    if hint is Kind.AUTH:
        return AuthError(
            BAD_SIGNATURE if authenticated else NOT_AUTHENTICATED,
            code="eaglesoft_write_not_authenticated",
            context=context,
        )
    if kind is Kind.KEY_CONFLICT:
        return KeyConflict(f"{where}: a new id was taken concurrently", context=context)
    if kind is Kind.AUTH:
        return AuthError(
            f"{where}: the database refused our login; check the Eaglesoft ODBC user/password "
            "or the Patterson token",
            context=context,
        )
    if kind is Kind.DRIVER:
        return ConfigError(
            f"{where}: the ODBC driver or DSN in pms.odbc is not installed on this machine "
            "(Eaglesoft's DSN 'DENTAL' is 32-bit)",
            code="odbc_driver_missing",
            context=context,
        )
    if kind in (Kind.UNREACHABLE, Kind.BUSY, Kind.TIMEOUT, Kind.OTHER):
        # unreachable = the whole PMS is down (the posting job stops its run); busy = retry
        code = "pms_db_unavailable" if kind is Kind.UNREACHABLE else None
        return TransientError(
            f"{where}: the database is unreachable or busy", code=code, context=context
        )
    if kind is Kind.SCHEMA:
        return PermanentError(
            f"{where}: the Eaglesoft schema is not what this adapter expects; check the "
            "Eaglesoft version",
            code="pms_schema_mismatch",
            context=context,
        )
    return PermanentError(f"{where}: the database refused the values", context=context)


@contextmanager
def translating(
    dialect: EaglesoftDialect, operation: str, *, authenticated: bool
) -> Iterator[None]:
    """Translate driver errors raised inside the block."""
    try:
        yield
    except pyodbc.Error as exc:
        raise translate(exc, dialect, operation, authenticated=authenticated) from exc
