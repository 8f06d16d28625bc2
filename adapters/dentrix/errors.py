"""The one place where ``pyodbc.Error`` from the Dentrix database becomes a connector error.

Mapped by SQLSTATE (after the dialect has refined engine-generic states), chained with
``from exc``. Messages carry the SQLSTATE and the operation, never row values or driver text
(a c-treeACE message may quote data).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyodbc

from adapters.dentrix.dialect import DentrixDialect
from adapters.pmssql.errors import VendorWords, error_for, sqlstate_and_message
from adapters.pmssql.sqlstate import classify, driver_manager_state
from connector.errors import (
    ConnectorError,
)

WORDS = VendorWords(
    name="Dentrix",
    auth="the database refused our user. Check the DDP user and password, and that the "
    "practice's Dentrix Developer Program membership includes WRITE access to the ledger views",
    driver="Dentrix's c-treeACE driver is 32-bit",
    schema="the Dentrix schema is not what this adapter expects (view or column missing, or no "
    "permission on it); check the Dentrix version",
)


def translate(exc: pyodbc.Error, dialect: DentrixDialect, operation: str) -> ConnectorError:
    """The connector error for a driver error raised during ``operation``."""
    raw_state, message = sqlstate_and_message(exc)
    state = dialect.refine(driver_manager_state(raw_state, message), message)
    kind = dialect.kind_hint(message) or classify(state)
    context = {"sqlstate": state, "operation": operation, "vendor": "dentrix"}
    return error_for(kind, operation=operation, state=state, words=WORDS, context=context)


@contextmanager
def translating(dialect: DentrixDialect, operation: str) -> Iterator[None]:
    """Translate driver errors raised inside the block (``operation`` names what we did)."""
    try:
        yield
    except pyodbc.Error as exc:
        raise translate(exc, dialect, operation) from exc
