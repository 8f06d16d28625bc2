"""The shared half of Dentrix's and Eaglesoft's driver-error translation.

Each vendor's ``errors.py`` stays the one place its ``pyodbc.Error`` is caught; it classifies
the SQLSTATE and then asks :func:`error_for` for the connector error, passing the words its
admins need (:class:`VendorWords`). Messages carry the SQLSTATE and the operation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.pmssql.session import KeyConflict
from adapters.pmssql.sqlstate import Kind
from connector.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)


@dataclass(frozen=True)
class VendorWords:
    """What a vendor's errors tell the admin, per kind of failure.

    Attributes:
        name: the product name in messages (``Dentrix``).
        auth: what to check when the database refuses our user.
        driver: a note on the vendor's ODBC driver (e.g. that it is 32-bit).
        schema: what to say when a view or column is missing.
    """

    name: str
    auth: str
    driver: str
    schema: str


def sqlstate_and_message(exc: BaseException) -> tuple[str, str]:
    """The SQLSTATE and driver message of a pyodbc error (``HY000``/'' when absent)."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    state = str(args[0]) if len(args) > 1 else "HY000"
    message = str(args[1]) if len(args) > 1 else str(args[0]) if args else ""
    return state, message


def error_for(
    kind: Kind, *, operation: str, state: str, words: VendorWords, context: dict[str, Any]
) -> ConnectorError:
    """The connector error for a classified driver failure during ``operation``."""
    where = f"{words.name} {operation} failed (SQLSTATE {state})"
    if kind is Kind.KEY_CONFLICT:
        return KeyConflict(f"{where}: a new id was taken concurrently", context=context)
    if kind is Kind.AUTH:
        return AuthError(f"{where}: {words.auth}", context=context)
    if kind is Kind.DRIVER:
        return ConfigError(
            f"{where}: the ODBC driver or DSN in pms.odbc is not installed on this machine "
            f"({words.driver})",
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
            f"{where}: {words.schema}", code="pms_schema_mismatch", context=context
        )
    return PermanentError(f"{where}: the database refused the values", context=context)
