"""How long the Stripe client retries one call, and how long one poll waits on rate limits.

* A 429 (``RateLimited``) is never final for the data: it is retried with backoff (at least
  the ``Retry-After`` Stripe sent, at most :data:`MAX_SINGLE_WAIT` per wait) for as long as the
  poll's rate-limit budget (``payments.stripe.rate_limit_wait``) lasts. When the budget is spent,
  or Stripe says ``Stripe-Should-Retry: false``, the error is raised and the source stops the
  poll **keeping its place** (see :mod:`.source`); the next poll resumes there.
* Any other temporary error (connection, 5xx, ``Stripe-Should-Retry: true``) is retried up to
  ``max_attempts`` attempts of that kind per call.
* Waits go through an injectable ``sleep`` and are summed from what was asked, never from wall
  time, so tests can check the bound without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_base

from connector.errors import RateLimited
from connector.sources.stripe.errors import is_retryable

MAX_SINGLE_WAIT = 60.0
"""The longest one wait lasts, whatever ``Retry-After`` says (seconds)."""


class RetryPolicy:
    """Per-practice retry rules; :meth:`begin_poll` resets the poll's rate-limit budget.

    Args:
        max_attempts: attempts per call for temporary errors other than 429.
        rate_limit_wait: seconds one poll may spend waiting on 429s in total.
        wait: tenacity backoff strategy.
        stop: when set, retrying stops and the last error is raised.
    """

    def __init__(
        self, *, max_attempts: int, rate_limit_wait: float, wait: wait_base,
        stop: threading.Event,
    ) -> None:  # fmt: skip
        self.max_attempts = max_attempts
        self.rate_limit_budget = rate_limit_wait
        self.stop = stop
        self._wait = wait
        self.rate_limit_waited = 0.0
        self.rate_limited = 0

    def begin_poll(self) -> None:
        """Start a new poll's rate-limit budget."""
        self.rate_limit_waited = 0.0
        self.rate_limited = 0

    def retrying(
        self, sleep: Callable[[float], None], before_sleep: Callable[[RetryCallState], None]
    ) -> Retrying:
        """A fresh tenacity controller for one call."""
        other_failures = [0]

        def wait(state: RetryCallState) -> float:
            seconds = float(self._wait(state))
            exc = _exception(state)
            if isinstance(exc, RateLimited):
                after = exc.context.get("retry_after")
                if isinstance(after, int | float):
                    seconds = max(seconds, float(after))
            return min(seconds, MAX_SINGLE_WAIT)

        def stop(state: RetryCallState) -> bool:
            if self.stop.is_set():
                return True
            exc = _exception(state)
            if isinstance(exc, RateLimited):
                self.rate_limited += 1
                if self.rate_limit_waited + state.upcoming_sleep > self.rate_limit_budget:
                    exc.context["rate_limit_budget_spent"] = True
                    return True
                return False
            other_failures[0] += 1
            return other_failures[0] >= self.max_attempts

        def before(state: RetryCallState) -> None:
            if isinstance(_exception(state), RateLimited):
                self.rate_limit_waited += state.upcoming_sleep
            before_sleep(state)

        return Retrying(stop=stop, wait=wait, sleep=sleep, retry=retry_if_exception(is_retryable),
                        before_sleep=before, reraise=True)  # fmt: skip


def _exception(state: RetryCallState) -> Any:
    return state.outcome.exception() if state.outcome is not None else None
