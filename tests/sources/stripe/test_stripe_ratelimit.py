"""The client-side request budget: a token bucket per practice plus one per process."""

from __future__ import annotations

from typing import Any

import pytest

from connector.sources.stripe import StripeSource
from connector.sources.stripe.ratelimit import TokenBucket, process_bucket
from tests.sources.stripe.support import make_practice


class FakeClock:
    """Time that only moves when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    """20/s: the first 20 requests pass at once, the next ones wait 1/20 s each."""
    clock = FakeClock()
    bucket = TokenBucket(20, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        bucket.acquire()
    assert clock.slept == []
    for _ in range(10):
        bucket.acquire()
    assert clock.now == pytest.approx(0.5)
    assert bucket.waited == pytest.approx(0.5)


def test_bucket_refuses_a_non_positive_rate() -> None:
    """A zero rate is a configuration error, not an endless wait."""
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


def test_every_request_draws_from_both_buckets(
    emulate: Any, make_ctx: Any, sleeps: list[float]
) -> None:
    """A poll takes one token per HTTP request from the practice and the process buckets."""
    from tests.sources.stripe.test_stripe_source import one_account

    data, _, _ = one_account([2, 2])
    emulator = emulate(data)
    clock = FakeClock()
    practice_bucket = TokenBucket(2, clock=clock, sleep=clock.sleep)
    process = TokenBucket(1000, clock=clock, sleep=clock.sleep)
    practice = make_practice()
    source = StripeSource(practice, sleep=sleeps.append, buckets=[practice_bucket, process])
    source.poll(make_ctx(practice))
    requests = emulator.stats["requests"]
    assert requests == 3  # one payout list (paid and failed), two payouts' transactions
    assert clock.now == pytest.approx((requests - 2) / 2)  # burst of 2, then 2/s


def test_practices_have_their_own_bucket_and_share_the_process_bucket() -> None:
    """Two practices get separate per-practice buckets at their rate and one process bucket."""
    first = StripeSource(make_practice("one", requests_per_second=5))
    second = StripeSource(make_practice("two"))
    assert first._buckets[0] is not second._buckets[0]
    assert (first._buckets[0].rate, second._buckets[0].rate) == (5, 20)
    assert first._buckets[1] is second._buckets[1] is process_bucket()
