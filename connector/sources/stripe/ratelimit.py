"""Client-side request budgets: one token bucket per practice, one shared by the whole process.

Stripe measures rate limits per account (live: 100 requests/s overall, 25/s per endpoint;
test mode: 25/s). We stay well below: each practice defaults to 20 requests/s
(``payments.stripe.requests_per_second``) and every request of every practice also draws from
a process-wide bucket (default :data:`DEFAULT_PROCESS_RPS`), because Stripe does not document
how ``Stripe-Account`` requests count against a Connect platform's own limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_PROCESS_RPS = 80.0
_EPSILON = 1e-9


class TokenBucket:
    """A thread-safe token bucket: ``rate`` tokens per second, bursts up to ``capacity``.

    Args:
        rate: tokens added per second (> 0).
        capacity: largest burst; defaults to one second's worth (at least 1).
        clock: monotonic seconds (injectable for tests).
        sleep: how to wait for the next token (injectable for tests).
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, capacity if capacity is not None else rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1.0 - _EPSILON:  # float sums can fall just short of 1
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self.waited += waited
                    return waited
                delay = (1.0 - self._tokens) / self.rate
            self._sleep(delay)
            waited += delay


_process_lock = threading.Lock()
_process_bucket: TokenBucket | None = None


def process_bucket() -> TokenBucket:
    """The bucket every Stripe request in this process draws from (created on first use)."""
    global _process_bucket  # noqa: PLW0603 - one budget per process is the point
    with _process_lock:
        if _process_bucket is None:
            _process_bucket = TokenBucket(DEFAULT_PROCESS_RPS)
        return _process_bucket
