"""429s are never final: the poll keeps its place inside a long payout and converges.

Real HTTP to the sandbox Stripe server on 127.0.0.1, real stripe-python; waits are recorded,
never slept, and the rate-limit budget is counted from the waits asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from tenacity import wait_fixed

from connector.clock import FixedClock
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.stripe import StripeSource
from connector.store import SQLiteStore
from tests.sources.stripe.support import DAY, NOW, NOW_TS, make_practice
from workshop.sandbox.stripe_data import Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

KEY = "sk_test_rateLimitedPractice"


def dataset() -> StripeDataset:
    """A payout of 230 payments (three pages with its own debit), then one of 40."""
    data = StripeDataset()
    b = Builder(data, NOW_TS, tag="R")
    acct = data.account("acct_1RateLimited001")
    data.keys[KEY] = KeyGrant(acct.id)
    for payout, count in enumerate((230, 40)):
        arrival = NOW_TS - (2 - payout) * DAY
        start = len(acct.transactions)
        for i in range(count):
            b.payment(acct, 1000 + i, created=arrival - 2 * DAY,
                      charge_metadata={"pms_patient_id": str(700 + i)})  # fmt: skip
        b.payout(acct, acct.transactions[start:], arrival=arrival)
    return data


@pytest.fixture
def sandbox() -> Iterator[StripeSandbox]:
    """The sandbox server with :func:`dataset`."""
    with StripeSandbox(dataset()) as server:
        yield server


class Poller:
    """Polls one practice against the sandbox, recording every wait per poll."""

    def __init__(self, sandbox: StripeSandbox, store: SQLiteStore, **stripe: Any) -> None:
        self.practice = make_practice("smile", key=KEY, api_base=sandbox.url, **stripe)
        self.store = store
        self.waits: list[list[float]] = []
        self.source = StripeSource(self.practice, sleep=self._sleep, wait=wait_fixed(0.6),
                                   buckets=[])  # fmt: skip

    def _sleep(self, seconds: float) -> None:
        self.waits[-1].append(seconds)

    def poll(self) -> dict[str, int]:
        self.waits.append([])
        ctx = PollContext(practice=self.practice, store=self.store, redactor=Redactor(),
                          log=structlog.get_logger("test"), clock=FixedClock(NOW))  # fmt: skip
        return self.source.poll(ctx)


def recorded(store: SQLiteStore) -> dict[str, tuple[str, str, int]]:
    rows = (
        store._conn()
        .execute("SELECT key, kind, status, amount_cents FROM items WHERE practice_id = 'smile'")
        .fetchall()
    )
    return {r["key"]: (r["kind"], r["status"], r["amount_cents"]) for r in rows}


def ok_pages(sandbox: StripeSandbox) -> int:
    return sum(1 for r in sandbox.emulator.requests
               if r["path"] == "/v1/balance_transactions" and r["status"] == 200)  # fmt: skip


@pytest.mark.parametrize("budget", ["0s", "1s"])
@pytest.mark.parametrize("every", [3, 4])
def test_rate_limit_on_one_request_in_n_converges_to_the_same_items(
    sandbox: StripeSandbox, tmp_path: Path, every: int, budget: str
) -> None:
    """With 1 in 3 (or 4) requests answered 429, the polls converge to one clean poll's items.

    A poll may wait ``budget`` in total on rate limits (waits of 0.6 s): with none, every 429
    ends the poll and the next resumes inside the 230-payment payout. No page is read again
    after a success, and no item is recorded twice.
    """
    clean_store = SQLiteStore(tmp_path / "clean.db")
    clean_store.migrate()
    clean = Poller(sandbox, clean_store).poll()
    assert clean.get("rate_limit_stops", 0) == 0
    expected = recorded(clean_store)
    assert len(expected) == 272  # 270 payments + the two payouts' own debits
    clean_pages = ok_pages(sandbox)
    sandbox.emulator.reset_stats()
    sandbox.emulator.inject(kind="status", status=429, every=every)
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    poller = Poller(sandbox, store, rate_limit_wait=budget)
    summaries = []
    for _ in range(60):
        summaries.append(poller.poll())
        if summaries[-1].get("rate_limit_stops", 0) == 0:
            break
    assert summaries[-1].get("rate_limit_stops", 0) == 0, "did not converge"
    assert sum(s.get("rate_limited", 0) for s in summaries) >= 1
    if budget == "0s":  # every 429 ended a poll, one of them inside the long payout
        assert sum(s.get("rate_limit_stops", 0) for s in summaries) >= 1
        assert sum(s.get("payouts_resumed", 0) for s in summaries) >= 1
    assert recorded(store) == expected
    assert ok_pages(sandbox) == clean_pages  # resumed at starting_after, never from page 1
    history = (
        store._conn()
        .execute(
            "SELECT COUNT(*) FROM history WHERE practice_id = 'smile' AND event = 'item.recorded'"
        )
        .fetchone()[0]
    )
    assert history == len(expected)
    limit = float(budget.rstrip("s"))
    assert all(sum(w) <= limit for w in poller.waits)  # the wait per poll is bounded
    cursor = store.get_cursor("smile", "stripe")
    assert cursor is not None and "partial" not in cursor
    clean_store.close()
    store.close()


def test_retry_after_is_honoured(sandbox: StripeSandbox, store: SQLiteStore) -> None:
    """A 429 with ``Retry-After: 7`` waits at least seven seconds before the next attempt."""
    sandbox.emulator.inject(kind="status", status=429, count=1, retry_after=7)
    poller = Poller(sandbox, store, rate_limit_wait="30s")
    summary = poller.poll()
    assert poller.waits[0] == [7.0]
    assert summary["rate_limited"] == 1 and summary.get("rate_limit_stops", 0) == 0
    assert summary["payouts_recorded"] == 2


def test_should_retry_false_ends_the_poll_keeping_its_place(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """``Stripe-Should-Retry: false`` on a 429 is final for this poll only, not for the data."""
    poller = Poller(sandbox, store)
    sandbox.emulator.inject(kind="status", status=429, count=1, should_retry=False,
                            path="/v1/balance_transactions")  # fmt: skip
    with capture_logs() as logs:
        first = poller.poll()
    assert first["rate_limit_stops"] == 1 and poller.waits[0] == []
    assert [e["event"] for e in logs if e["event"] == "stripe.poll.rate_limited"]
    second = poller.poll()
    assert second.get("rate_limit_stops", 0) == 0 and second["payouts_recorded"] == 2
    assert len(recorded(store)) == 272


def test_a_stopped_poll_keeps_its_place_between_pages(
    sandbox: StripeSandbox, store: SQLiteStore
) -> None:
    """The half-read payout is in the cursor, nothing is recorded, and the next poll resumes."""
    poller = Poller(sandbox, store)
    sandbox.emulator.inject(
        kind="status", status=429, every=3, path="/v1/balance_transactions", should_retry=False
    )  # the first two pages pass, the third is refused
    first = poller.poll()
    assert first["rate_limit_stops"] == 1 and first["pages_kept"] == 2
    assert recorded(store) == {}
    cursor = store.get_cursor("smile", "stripe")
    assert cursor is not None and cursor["partial"]["pages"] == 2
    assert len(cursor["partial"]["entries"]) == 200
    sandbox.emulator.clear_faults()
    before = ok_pages(sandbox)
    second = poller.poll()
    assert second["payouts_resumed"] == 1 and second["payouts_recorded"] == 2
    assert ok_pages(sandbox) - before == 2  # the last page of the first payout, then payout 2
    assert len(recorded(store)) == 272
