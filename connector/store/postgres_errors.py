"""The one place where psycopg and psycopg_pool exceptions become connector errors.

=====================================================  ===================================
what happened                                           raised as
=====================================================  ===================================
serialization failure (40001), deadlock (40P01),        :class:`~connector.errors.TransientError`
any class 40 rollback, lock not available (55P03)       (retry the whole unit of work)
connection problems: class 08, server shutting down
or cancelled (class 57), out of resources (class 53),
``OperationalError`` without SQLSTATE (cannot
connect, connection lost), pool timeout / pool closed
anything else (constraint, syntax, privilege, data)     :class:`~connector.errors.PermanentError`
=====================================================  ===================================

Messages carry the SQLSTATE and PostgreSQL's primary message only: never the DETAIL line
(which can quote row values) and never the connection string (which can hold a password).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg_pool

from connector.errors import ConnectorError, PermanentError, TransientError

TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57"})
TRANSIENT_STATES = frozenset({"55P03"})


def classify(exc: psycopg.Error) -> ConnectorError:
    """The connector error for one psycopg/psycopg_pool exception (not raised, not chained)."""
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return TransientError(
            "no connection to the PostgreSQL state store became available in time",
            code="store_unavailable",
        )
    if isinstance(exc, psycopg_pool.PoolClosed):
        return TransientError("the PostgreSQL state store pool is closed", code="store_closed")
    state = exc.sqlstate
    primary = exc.diag.message_primary
    if state is None and isinstance(exc, psycopg.OperationalError):
        return TransientError(
            f"cannot reach the PostgreSQL state store: {_first_line(str(exc))}",
            code="store_unreachable",
        )
    text = primary or _first_line(str(exc)) or type(exc).__name__
    if state is not None and (state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_STATES):
        return TransientError(f"state store [{state}]: {text}", code="store_busy")
    return PermanentError(
        f"state store [{state or type(exc).__name__}]: {text}", code="store_error"
    )


@contextmanager
def translate() -> Iterator[None]:
    """Re-raise psycopg/psycopg_pool errors as connector errors, chained ``from`` the original."""
    try:
        yield
    except psycopg.Error as exc:  # psycopg_pool's errors are psycopg.OperationalError too
        raise classify(exc) from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
