"""The one place where ``pyodbc.Error`` from the Eaglesoft database becomes a connector error.

Mapped by SQLSTATE after the dialect has refined engine-specific states; SQL Anywhere's
"Authentication violation" (a connection without Patterson's signature trying to write) gets
its own plain message. Messages carry the SQLSTATE and operation, never row values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyodbc

from adapters.eaglesoft.dialect import EaglesoftDialect
from adapters.pmssql.errors import VendorWords, error_for, sqlstate_and_message
from adapters.pmssql.sqlstate import Kind, classify, driver_manager_state
from connector.errors import (
    AuthError,
    ConnectorError,
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


WORDS = VendorWords(
    name="Eaglesoft",
    auth="the database refused our login; check the Eaglesoft ODBC user/password or the "
    "Patterson token",
    driver="Eaglesoft's DSN 'DENTAL' is 32-bit",
    schema="the Eaglesoft schema is not what this adapter expects; check the Eaglesoft version",
)


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
    if hint is Kind.AUTH:
        return AuthError(
            BAD_SIGNATURE if authenticated else NOT_AUTHENTICATED,
            code="eaglesoft_write_not_authenticated",
            context=context,
        )
    return error_for(kind, operation=operation, state=state, words=WORDS, context=context)


@contextmanager
def translating(
    dialect: EaglesoftDialect, operation: str, *, authenticated: bool
) -> Iterator[None]:
    """Translate driver errors raised inside the block."""
    try:
        yield
    except pyodbc.Error as exc:
        raise translate(exc, dialect, operation, authenticated=authenticated) from exc
