"""The one place where ``pyodbc.Error`` from the Dentrix database becomes a connector error.

Mapped by SQLSTATE (after the dialect has refined engine-generic states), chained with
``from exc``. Messages carry the SQLSTATE and the operation, never row values or driver text
(a c-treeACE message may quote data).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyodbc

from adapters.dentrix.dialect import DentrixDialect
from adapters.pmssql.session import KeyConflict
from adapters.pmssql.sqlstate import Kind, classify, driver_manager_state
from connector.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)


def sqlstate_and_message(exc: BaseException) -> tuple[str, str]:
    """The SQLSTATE and driver message of a pyodbc error (``HY000``/'' when absent)."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    state = str(args[0]) if len(args) > 1 else "HY000"
    message = str(args[1]) if len(args) > 1 else str(args[0]) if args else ""
    return state, message


def translate(exc: pyodbc.Error, dialect: DentrixDialect, operation: str) -> ConnectorError:
    """The connector error for a driver error raised during ``operation``."""
    raw_state, message = sqlstate_and_message(exc)
    state = dialect.refine(driver_manager_state(raw_state, message), message)
    kind = dialect.kind_hint(message) or classify(state)
    context = {"sqlstate": state, "operation": operation, "vendor": "dentrix"}
    where = f"Dentrix {operation} failed (SQLSTATE {state})"
    if kind is Kind.KEY_CONFLICT:
        return KeyConflict(f"{where}: a new id was taken concurrently", context=context)
    if kind is Kind.AUTH:
        return AuthError(
            f"{where}: the database refused our user. Check the DDP user and password, and "
            "that the practice's Dentrix Developer Program membership includes WRITE access "
            "to the ledger views",
            context=context,
        )
    if kind is Kind.DRIVER:
        return ConfigError(
            f"{where}: the ODBC driver or DSN in pms.odbc is not installed on this machine "
            "(Dentrix's c-treeACE driver is 32-bit)",
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
            f"{where}: the Dentrix schema is not what this adapter expects (view or column "
            "missing, or no permission on it); check the Dentrix version",
            code="pms_schema_mismatch",
            context=context,
        )
    return PermanentError(f"{where}: the database refused the values", context=context)


@contextmanager
def translating(dialect: DentrixDialect, operation: str) -> Iterator[None]:
    """Translate driver errors raised inside the block (``operation`` names what we did)."""
    try:
        yield
    except pyodbc.Error as exc:
        raise translate(exc, dialect, operation) from exc
