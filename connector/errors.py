"""The connector's exceptions, grouped by what the caller should do about them.

::

    ConnectorError                  root: catch this to catch anything we raise on purpose
    ├── ConfigError                 the admin must fix the YAML / environment; exit status 2
    │   └── SecretNotFound          a {env:} / {file:} secret reference could not be resolved
    ├── TransientError              try again later (network, 429/5xx, DB unreachable, deadlock)
    │   ├── RateLimited             the remote asked us to slow down
    │   └── OutcomeUnknown          a write was sent, no answer came: it may still land
    ├── AuthError                   credentials refused: stop this practice, alert, others go on
    ├── PermanentError              this item can never succeed as is: dead-letter it
    │   └── NotImplementedYet       a named part of the product this build does not provide
    └── DataError                   input we cannot use (unmatched patient, malformed 835): review
        └── ParseError              an X12 file broke a syntax or balancing rule, with its location

Third-party exceptions (``pyodbc.Error``, ``stripe.StripeError``, ``requests`` and ``paramiko``
errors) are translated into this tree in exactly one place per boundary (each adapter's
``errors.py``, ``connector/sources/stripe/errors.py``, the SFTP inbox), always chained with
``raise … from exc`` so the original stays in the traceback. Nothing above those boundaries
catches a third-party exception.

Every error carries a stable ``code`` (used in the store, in metrics and in ``connector status``)
and optional ``context`` of ids only — never patient data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ConnectorError(Exception):
    """Root of every exception the connector raises on purpose.

    Args:
        message: plain words for an admin or support person; no PHI, no secrets.
        code: stable machine-readable code (``snake_case``); defaults to the class's ``code``.
        context: ids that help support (practice id, Stripe request id, ERA trace number).
    """

    code = "connector_error"

    def __init__(
        self, message: str, *, code: str | None = None, context: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.context: dict[str, Any] = dict(context or {})

    def __str__(self) -> str:
        return self.message


class ConfigError(ConnectorError):
    """The configuration is wrong; a person must change the YAML or the environment.

    Args:
        problems: one line per problem, each starting with its YAML path.
    """

    code = "config_invalid"

    def __init__(self, message: str, *, problems: list[str] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.problems = list(problems or [message])


class SecretNotFound(ConfigError):
    """A secret reference names an environment variable or file that does not exist."""

    code = "secret_missing"


class TransientError(ConnectorError):
    """A failure that may pass by itself: retry later with backoff."""

    code = "transient"


class RateLimited(TransientError):
    """The remote side asked us to slow down (HTTP 429 or equivalent)."""

    code = "rate_limited"


class OutcomeUnknown(TransientError):
    """A write was sent and no answer came (timeout, connection lost, gateway timeout): the
    PMS may still commit it. It must not be sent again until the PMS has had longer than its
    own limit to finish; the posting job looks again after ``posting.outcome_unknown_wait``."""

    code = "pms_write_outcome_unknown"


class AuthError(ConnectorError):
    """Credentials were refused; polling this practice stops until the admin fixes them."""

    code = "auth_failed"


class PermanentError(ConnectorError):
    """This item can never succeed as it is; it is dead-lettered and shown to a person."""

    code = "permanent"


class NotImplementedYet(PermanentError):
    """A named part of the product that this build does not provide yet."""

    code = "not_implemented"


class DataError(ConnectorError):
    """Input we cannot use as is (unmatched patient, malformed file): goes to review."""

    code = "data_invalid"


class ParseError(DataError):
    """An X12 file broke a syntax or balancing rule.

    Args:
        file: file name (never its content).
        segment_no: 1-based segment position in the file, when known.
        segment_id: e.g. ``CLP``.
        element: e.g. ``CLP04``.
        problems: every problem found, each with its location, when there are several (the
            envelope's count errors); defaults to this one.
    """

    code = "x12_invalid"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        segment_no: int | None = None,
        segment_id: str | None = None,
        element: str | None = None,
        problems: list[str] | None = None,
        **kw: Any,
    ) -> None:
        where = [
            part
            for part in (
                file,
                f"segment {segment_no}" if segment_no is not None else None,
                segment_id,
                element,
            )
            if part
        ]
        full = f"{' '.join(where)}: {message}" if where else message
        super().__init__(full, **kw)
        self.file = file
        self.segment_no = segment_no
        self.segment_id = segment_id
        self.element = element
        self.reason = message
        self.problems = list(problems or [full])


def error_code(exc: BaseException) -> str:
    """Return the stable code for any exception (``unexpected`` for foreign ones)."""
    return exc.code if isinstance(exc, ConnectorError) else "unexpected"
