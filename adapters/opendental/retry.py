"""The adapter's single retry layer for API writes.

* Idempotent steps (PUT: the same body sets the same values) are retried once after a
  transient failure (tenacity).
* Non-idempotent steps (POST creates a row) are re-sent once only after *looking* over ODBC
  that the first attempt did not land (a 5xx may come after Open Dental wrote) — but never
  after :class:`~connector.errors.OutcomeUnknown` (a timeout or broken connection: Open Dental
  may still be working on it and commit after our look). Then the look's answer is returned if
  it found the row, else the error goes up and the posting job looks again only after
  ``posting.outcome_unknown_wait``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from connector.errors import OutcomeUnknown, TransientError

T = TypeVar("T")

RETRY_WAIT_SECONDS = 0.5


def retry_idempotent(step: Callable[[], T], *, wait: float = RETRY_WAIT_SECONDS) -> T:
    """Run ``step``; after a :class:`TransientError` run it once more (then re-raise)."""
    for attempt in Retrying(
        stop=stop_after_attempt(2),
        retry=retry_if_exception_type(TransientError),
        wait=wait_fixed(wait),
        reraise=True,
    ):
        with attempt:
            return step()
    raise AssertionError("unreachable")  # pragma: no cover


def once_more_if_absent(
    send: Callable[[], dict[str, Any]],
    lookup: Callable[[], dict[str, Any] | None],
    *,
    step: str,
    wait: float = RETRY_WAIT_SECONDS,
) -> dict[str, Any]:
    """Send a POST; after a transient failure return what ``lookup`` finds, else send again
    (unless the outcome of the first is unknown).

    Raises:
        OutcomeUnknown: the POST got no answer and the row is not there (yet).
        TransientError: both attempts failed (the context names ``step``).
    """
    try:
        return send()
    except OutcomeUnknown:
        time.sleep(wait)
        found = lookup()
        if found is not None:
            return found
        raise
    except TransientError:
        time.sleep(wait)
        found = lookup()
        if found is not None:
            return found
        return send()
