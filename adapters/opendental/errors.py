"""The one place where ODBC (pyodbc) and HTTP (requests) failures become connector errors.

ODBC errors are classified by SQLSTATE class, refined by MariaDB's message for the generic
``HY000`` the driver reports when it cannot reach the server:

=====================  =========================================  ==================
SQLSTATE / condition   meaning                                    raised
=====================  =========================================  ==================
08xxx, HYT00, HYT01    connection lost / refused / timed out      TransientError
40xxx                  deadlock, serialization failure            TransientError
28xxx, "denied"        login refused, missing SELECT grant        AuthError
42xxx (other)          unknown table/column: not Open Dental 24.3  PermanentError
22xxx, 23xxx, 21xxx    data/constraint errors                     PermanentError
anything else          unknown driver failure                     TransientError
=====================  =========================================  ==================

HTTP statuses from the Open Dental API: 401/403 → AuthError; 400 → PermanentError carrying Open
Dental's own message; 404 → DataError; 429 → RateLimited; 5xx, timeouts and connection
failures → TransientError, except for a POST that creates a row when the request went out and no
answer came (read timeout, connection broken after connecting, HTTP 504): OutcomeUnknown, since
Open Dental may still commit it. Messages carry ids, statuses and Open Dental's text only —
never the request body, which may hold patient data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, NoReturn

import pyodbc
import requests
import urllib3
from urllib3.exceptions import ConnectTimeoutError

from connector.errors import (
    AuthError,
    ConnectorError,
    DataError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)

_UNREACHABLE_HINTS = ("can't connect", "lost connection", "gone away", "timed out", "timeout")
_DENIED_HINTS = ("command denied", "access denied")
MAX_MESSAGE = 300


def sqlstate(exc: pyodbc.Error) -> str:
    """The five-character SQLSTATE of a pyodbc error ('' when the driver gave none)."""
    first = exc.args[0] if exc.args else ""
    return first if isinstance(first, str) and len(first) == 5 else ""


def _driver_message(exc: pyodbc.Error) -> str:
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    # Drop the driver/server version prefixes "[ma-3.1.15][10.11.19-MariaDB]".
    while text.startswith("["):
        end = text.find("]")
        if end < 0:
            break
        text = text[end + 1 :]
    return text.strip()[:MAX_MESSAGE]


def map_odbc_error(exc: pyodbc.Error, *, operation: str) -> ConnectorError:
    """Translate one pyodbc error raised while doing ``operation`` (a query name)."""
    state = sqlstate(exc)
    message = _driver_message(exc)
    lowered = message.lower()
    context: dict[str, Any] = {"sqlstate": state, "operation": operation}
    if state.startswith("28") or any(hint in lowered for hint in _DENIED_HINTS):
        return AuthError(
            f"Open Dental database refused the read-only user during {operation} "
            f"(SQLSTATE {state}): {message}",
            code="pms_db_auth",
            context=context,
        )
    if (
        state.startswith(("08", "40"))
        or state in ("HYT00", "HYT01")
        or any(hint in lowered for hint in _UNREACHABLE_HINTS)
    ):
        return TransientError(
            f"Open Dental database unavailable during {operation} (SQLSTATE {state}): {message}",
            code="pms_db_unavailable",
            context=context,
        )
    if state.startswith(("42", "21", "22", "23")):
        return PermanentError(
            f"Open Dental query {operation} failed (SQLSTATE {state}); is this an Open Dental "
            f"24.3+ database? {message}",
            code="pms_db_schema",
            context=context,
        )
    return TransientError(
        f"Open Dental database error during {operation} (SQLSTATE {state or 'none'}): {message}",
        code="pms_db_error",
        context=context,
    )


@contextlib.contextmanager
def odbc_errors(operation: str) -> Iterator[None]:
    """Run a block of pyodbc calls, translating any pyodbc error (chained ``from``)."""
    try:
        yield
    except pyodbc.Error as exc:
        raise map_odbc_error(exc, operation=operation) from exc


def is_connection_lost(exc: ConnectorError) -> bool:
    """True when the ODBC connection should be dropped and reopened."""
    return exc.code in ("pms_db_unavailable", "pms_db_error")


def raise_for_response(response: requests.Response, *, step: str, write: bool = False) -> None:
    """Raise the connector error for a non-2xx Open Dental API response (``write``: a POST
    creating a row, for which a gateway timeout leaves the outcome unknown)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    od_message = _od_message(response)
    context = {"status": status, "step": step}
    if status in (401, 403):
        raise AuthError(
            f"Open Dental API refused the developer/customer key for {step} (HTTP {status}); "
            "check the keys and that the office enabled the needed API permission tier",
            code="pms_api_auth",
            context=context,
        )
    if status == 400:
        raise PermanentError(
            f"Open Dental refused {step}: {od_message}", code="pms_api_rejected", context=context
        )
    if status == 404:
        raise DataError(
            f"Open Dental found nothing for {step}: {od_message}",
            code="pms_api_not_found",
            context=context,
        )
    if status == 429:
        raise RateLimited(
            f"Open Dental API rate limit during {step}", code="pms_api_rate", context=context
        )
    if status == 504 and write:
        raise OutcomeUnknown(
            f"Open Dental API gateway timed out during {step} (HTTP 504); the write may still "
            "land, so it is not sent again until the outcome-unknown wait has passed",
            context=context,
        )
    if status >= 500:
        raise TransientError(
            f"Open Dental API failed during {step} (HTTP {status})",
            code="pms_api_unavailable",
            context=context,
        )
    raise PermanentError(
        f"Open Dental API answered HTTP {status} to {step}: {od_message}",
        code="pms_api_unexpected",
        context=context,
    )


def _od_message(response: requests.Response) -> str:
    """Open Dental's explanation: plain text, or a JSON string; shortened."""
    text = response.text.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    return text[:MAX_MESSAGE] or response.reason or "no explanation"


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach Open Dental (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectTimeoutError)


def raise_for_transport(
    exc: requests.RequestException, *, step: str, write: bool = False
) -> NoReturn:
    """Raise the connector error for a request that got no HTTP response at all.

    For a ``write`` (a POST that creates a row) sent over a connection that then timed out or
    broke, Open Dental may still commit it later: :class:`OutcomeUnknown`, never re-sent at
    once. A connection that was never made is an ordinary :class:`TransientError`.
    """
    context = {"step": step, "error": type(exc).__name__}
    sent = isinstance(exc, requests.Timeout | requests.ConnectionError) and not _never_sent(exc)
    if write and sent:
        raise OutcomeUnknown(
            f"Open Dental API did not answer {step} ({type(exc).__name__}); it may still "
            "write it, so it is not sent again until the outcome-unknown wait has passed",
            context=context,
        ) from exc
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        raise TransientError(
            f"Open Dental API unreachable during {step} ({type(exc).__name__})",
            code="pms_api_unavailable",
            context=context,
        ) from exc
    if isinstance(exc, requests.exceptions.InvalidJSONError | ValueError):
        raise PermanentError(
            f"Open Dental API sent an unreadable answer to {step}",
            code="pms_api_bad_response",
            context=context,
        ) from exc
    raise TransientError(
        f"Open Dental API request failed during {step} ({type(exc).__name__})",
        code="pms_api_error",
        context=context,
    ) from exc


@contextlib.contextmanager
def http_errors(step: str, *, write: bool = False) -> Iterator[None]:
    """Run one API request, translating requests' exceptions (chained ``from``); ``write``:
    a POST creating a row (see :func:`raise_for_transport`)."""
    try:
        yield
    except requests.RequestException as exc:
        raise_for_transport(exc, step=step, write=write)
