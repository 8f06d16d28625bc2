"""Classify an ODBC SQLSTATE into what the connector should do about it.

Pure functions over the five-character SQLSTATE (ODBC 3 / SQL:2016 classes). Each vendor's
``errors.py`` first lets its dialect turn engine-specific generic states (``HY000`` with a
native code) into a standard one, then asks :func:`classify`.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a database failure means for the caller."""

    UNREACHABLE = "unreachable"  # connection could not be made or was lost: retry later
    AUTH = "auth"  # login refused or write permission missing: stop the practice, alert
    BUSY = "busy"  # deadlock, lock timeout, serialisation failure: retry the whole unit
    TIMEOUT = "timeout"  # query or login timeout: retry later
    KEY_CONFLICT = "key_conflict"  # unique/primary key violation: retry with a fresh id
    INTEGRITY = "integrity"  # other constraint (NOT NULL, foreign key, CHECK): a bug or bad data
    SCHEMA = "schema"  # unknown table/column, syntax: the PMS schema is not what we expect
    DATA = "data"  # a value the column refuses (too long, out of range, bad date)
    DRIVER = "driver"  # ODBC driver manager: DSN or driver not installed: fix the configuration
    OTHER = "other"  # anything else: treated as transient once, then dead-lettered


_EXACT = {
    "23505": Kind.KEY_CONFLICT,  # unique violation (SQL:2016; PostgreSQL, emulation dialects)
    "23000": Kind.INTEGRITY,  # generic integrity violation; dialects refine unique ones
    "40001": Kind.BUSY,  # serialisation failure / deadlock
    "40P01": Kind.BUSY,
    "HYT00": Kind.TIMEOUT,
    "HYT01": Kind.TIMEOUT,
    "42501": Kind.AUTH,  # insufficient privilege
    "42000": Kind.SCHEMA,  # syntax error or access violation (drivers differ; see dialects)
    "42S02": Kind.SCHEMA,  # table or view not found
    "42S22": Kind.SCHEMA,  # column not found
    "08004": Kind.AUTH,  # server rejected the connection
    "HY117": Kind.BUSY,
}

_CLASSES = {
    "08": Kind.UNREACHABLE,
    "28": Kind.AUTH,
    "40": Kind.BUSY,
    "42": Kind.SCHEMA,
    "22": Kind.DATA,
    "23": Kind.INTEGRITY,
    "07": Kind.SCHEMA,
    "IM": Kind.DRIVER,  # dynamic SQL error: wrong parameter count, a bug on our side
}


def classify(sqlstate: str | None) -> Kind:
    """The :class:`Kind` of a SQLSTATE; unknown or missing states are :attr:`Kind.OTHER`."""
    state = (sqlstate or "").strip().upper()
    if state in _EXACT:
        return _EXACT[state]
    return _CLASSES.get(state[:2], Kind.OTHER)


def driver_manager_state(sqlstate: str, message: str) -> str:
    """Fix driver-manager quirks: unixODBC reports a driver it cannot load as 01000."""
    if sqlstate == "01000" and "can't open lib" in message.lower():
        return "IM003"  # specified driver could not be loaded
    return sqlstate
