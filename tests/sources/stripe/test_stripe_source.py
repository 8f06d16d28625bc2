"""The Stripe source over the real stripe-python client, with HTTP intercepted by responses."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from structlog.testing import capture_logs

from connector.clock import FixedClock
from connector.domain import ItemKind
from connector.errors import AuthError, TransientError
from connector.jobs import PollContext
from connector.store import SQLiteStore
from tests.sources.stripe.support import DAY, NOW, NOW_TS, make_practice
from workshop.sandbox.stripe_data import (
    AccountData,
    Builder,
    DemoPractice,
    KeyGrant,
    StripeDataset,
    demo_dataset,
)
from workshop.sandbox.stripe_emulator import StripeEmulator

KEY = "sk_test_practiceKey0001"
PLATFORM_KEY = "sk_test_platformKey001"
CONNECTED = "acct_1TestConnected01"

Emulate = Callable[[StripeDataset], StripeEmulator]


def one_account(payments_per_payout: list[int], *, status: str = "paid") -> tuple[
        StripeDataset, AccountData, Builder]:  # fmt: skip
    """An account with one automatic payout per entry, holding that many card payments."""
    data = StripeDataset()
    b = Builder(data, NOW_TS, tag="T")
    acct = data.account("acct_1TestOwn0001")
    data.keys[KEY] = KeyGrant(acct.id)
    for index, count in enumerate(payments_per_payout):
        arrival = NOW_TS - (len(payments_per_payout) - index) * 3600
        start = len(acct.transactions)
        for i in range(count):
            b.payment(acct, 1000 + i, created=arrival - 2 * DAY,
                      charge_metadata={"pms_patient_id": str(500 + i)})  # fmt: skip
        b.payout(acct, acct.transactions[start:], arrival=arrival, status=status)
    return data, acct, b


def kinds(store: SQLiteStore, practice_id: str = "smile") -> Counter[tuple[str, str]]:
    """``(kind, status)`` counts of the practice's items."""
    rows = (
        store._conn()
        .execute("SELECT kind, status FROM items WHERE practice_id = ?", (practice_id,))
        .fetchall()
    )
    return Counter((r["kind"], r["status"]) for r in rows)


def item_count(store: SQLiteStore) -> int:
    return int(store._conn().execute("SELECT COUNT(*) FROM items").fetchone()[0])


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def test_multi_page_payouts_and_transactions_follow_starting_after(
    emulate: Emulate,
    rsps: responses.RequestsMock,
    make_source: Any,
    make_ctx: Any,
    store: SQLiteStore,
) -> None:
    """101 payouts (two pages) and a 250-payment payout (three pages) are read whole."""
    data, acct, b = one_account([250])
    for i in range(100):
        b.payout(acct, [], arrival=NOW_TS - 2 * DAY + i, amount=100)
    emulate(data)
    practice = make_practice()
    counts = make_source(practice).poll(make_ctx(practice))
    payout_calls = [c for c in rsps.calls if "/v1/payouts" in c.request.url]
    paid_pages = [query(c) for c in payout_calls]  # one list for paid and failed: no status
    assert len(paid_pages) == 2 and not any("status" in p for p in paid_pages)
    assert "starting_after" not in paid_pages[0]
    assert paid_pages[1]["starting_after"][0].startswith("po_")
    assert all(p["limit"] == ["100"] for p in paid_pages)
    big = next(o for o in acct.payouts if o["amount"] > 100)
    txn_pages = [query(c) for c in rsps.calls if f"payout={big['id']}" in c.request.url]
    assert len(txn_pages) == 3
    assert txn_pages[0]["expand[0]"] == ["data.source"]
    assert txn_pages[0]["expand[2]"] == ["data.source.source_transfer.source_transaction"]
    assert [("starting_after" in p) for p in txn_pages] == [False, True, True]
    assert counts["payouts_recorded"] == 101
    assert kinds(store)[("patient_payment", "received")] == 250
    # one request per page: 2 payout pages + 100 empty payouts + 3 pages
    assert counts["requests"] == 2 + 100 + 3


def test_stripe_account_header_is_sent_on_every_request(
    emulate: Emulate,
    rsps: responses.RequestsMock,
    make_source: Any,
    make_ctx: Any,
    store: SQLiteStore,
) -> None:
    """A Connect practice's calls all carry ``Stripe-Account`` (the platform key authenticates)."""
    data = demo_dataset([DemoPractice("smile", PLATFORM_KEY, ("1", "2", "3", "4", "5"),
                                      account=CONNECTED)], now=NOW)  # fmt: skip
    emulate(data)
    practice = make_practice(key=PLATFORM_KEY, account=CONNECTED)
    make_source(practice).poll(make_ctx(practice))
    calls = [c for c in rsps.calls if "/v1/customers/" not in c.request.url]
    assert len(calls) >= 3
    assert {c.request.headers.get("Stripe-Account") for c in calls} == {CONNECTED}
    assert {c.request.headers["Authorization"] for c in rsps.calls} == {f"Bearer {PLATFORM_KEY}"}
    rows = (
        store._conn()
        .execute("SELECT related_key FROM items WHERE related_key LIKE 'py_%'")
        .fetchall()
    )
    assert len(rows) == 1  # the destination charge, recorded under the connected account


def test_every_demo_movement_is_classified(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """Card and bank payments, refund, lost and won dispute, ACH return, fee and manual payout."""
    emulate(demo_dataset([DemoPractice("smile", KEY, ("1", "2", "3", "4", "5"))], now=NOW))
    practice = make_practice()
    counts = make_source(practice).poll(make_ctx(practice))
    got = kinds(store)
    assert got == Counter({
        ("patient_payment", "received"): 9, ("patient_payment", "review"): 1,
        ("refund", "received"): 1, ("dispute", "received"): 2, ("dispute_won", "received"): 1,
        ("ach_return", "received"): 1, ("stripe_other", "ignored"): 3,
        ("payout_notice", "review"): 1,
    })  # fmt: skip
    assert counts["payouts_manual"] == 1 and counts["review"] == 2
    methods = {i.payload["method"] for i in _items(store) if i.kind is ItemKind.PATIENT_PAYMENT}
    assert methods == {"card", "us_bank_account"}
    review = [r for r in store.list_reviews("smile") if r.reason == "patient_not_found"]
    assert len(review) == 1
    missing = store.find_item("smile", review[0].item_key)
    assert missing is not None and missing.payload["patient_ref"] is None
    assert missing.payload["charge"].startswith("ch_")


def _items(store: SQLiteStore) -> list[Any]:
    keys = [r["key"] for r in store._conn().execute("SELECT key FROM items").fetchall()]
    return [store.find_item("smile", k) for k in keys]


def test_manual_payout_gives_one_review_item_once(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """A manual payout is flagged ``manual_payout_account`` once, however often it is re-read."""
    data, acct, b = one_account([])
    b.payout(acct, [], arrival=NOW_TS - DAY, automatic=False, amount=50000)
    emulator = emulate(data)
    practice = make_practice()
    source = make_source(practice)
    source.poll(make_ctx(practice))
    ctx = make_ctx(practice)
    ctx.store.record("smile", "stripe", [], {})  # a lost cursor: the payout is read again
    source.poll(ctx)
    reviews = store.list_reviews("smile", reason="manual_payout_account")
    assert len(reviews) == 1 and reviews[0].item_key.endswith(":manual_payout")
    assert emulator.stats["GET /v1/balance_transactions"] == 0


def test_paid_payout_that_fails_later_is_sent_to_review_once(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """paid → failed: one ``po_…:failed`` review item; a failure never seen paid is skipped."""
    data, acct, b = one_account([2, 1])
    emulate(data)
    practice = make_practice()
    source = make_source(practice)
    source.poll(make_ctx(practice))
    seen = acct.payouts[0]
    b.fail_payout(acct, seen, NOW_TS)
    unseen = b.payout(acct, [], arrival=NOW_TS - 3600, status="failed", amount=700)
    with capture_logs() as logs:
        counts = source.poll(make_ctx(practice))
        again = source.poll(make_ctx(practice))
    assert counts["payouts_failed"] == 1 and again.get("payouts_failed", 0) == 0
    failed = store.list_reviews("smile", reason="payout_failed")
    assert [r.item_key for r in failed] == [f"{seen['id']}:failed"]
    assert store.find_item("smile", f"{unseen['id']}:failed") is None
    assert [e["payout"] for e in logs if e["event"] == "stripe.payout.failed"] == [seen["id"]]


def test_rate_limited_then_success_is_retried_with_backoff(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float], store: SQLiteStore
) -> None:
    """A 429 is retried after a backoff wait and the poll completes."""
    data, _, _ = one_account([3])
    emulator = emulate(data)
    emulator.inject(kind="status", status=429, count=1, path="/v1/balance_transactions")
    practice = make_practice()
    with capture_logs() as logs:
        counts = make_source(practice).poll(make_ctx(practice))
    assert counts["items_new"] == 4
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.5
    retry = [e for e in logs if e["event"] == "stripe.request.retrying"]
    assert len(retry) == 1
    assert retry[0]["http_status"] == 429 and retry[0]["request_id"].startswith("req_")
    assert [r["status"] for r in emulator.requests if "balance_tr" in r["path"]] == [429, 200]


def test_server_error_three_times_then_success(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float], store: SQLiteStore
) -> None:
    """Three 500s in a row are retried with growing waits, then the page is read."""
    data, _, _ = one_account([2])
    emulator = emulate(data)
    emulator.inject(kind="status", status=500, count=3, path="/v1/payouts")
    practice = make_practice()
    counts = make_source(practice).poll(make_ctx(practice))
    assert counts["payouts_recorded"] == 1 and counts["items_new"] == 3
    assert len(sleeps) == 3 and sleeps[0] < sleeps[2]
    assert [r["status"] for r in emulator.requests][:4] == [500, 500, 500, 200]


def test_connection_error_is_retried(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float], store: SQLiteStore
) -> None:
    """A dropped connection (requests.ConnectionError) is retried by the one retry layer."""
    data, _, _ = one_account([1])
    emulator = emulate(data)
    emulator.inject(kind="disconnect", count=1)
    practice = make_practice()
    counts = make_source(practice).poll(make_ctx(practice))
    assert counts["items_new"] == 2 and len(sleeps) == 1


def test_retries_are_bounded_and_the_error_keeps_the_request_id(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float], store: SQLiteStore
) -> None:
    """After ``max_attempts`` the transient error is raised with Stripe's request id."""
    data, _, _ = one_account([1])
    emulator = emulate(data)
    emulator.inject(kind="status", status=503, count=50)
    practice = make_practice(max_attempts=3)
    with pytest.raises(TransientError) as caught:
        make_source(practice).poll(make_ctx(practice))
    assert caught.value.code == "stripe_server_error"
    assert caught.value.context["request_id"].startswith("req_")
    assert caught.value.context["http_status"] == 503
    assert emulator.stats["requests"] == 3 and len(sleeps) == 2
    assert item_count(store) == 0


def test_should_retry_false_is_not_retried(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float]
) -> None:
    """``Stripe-Should-Retry: false`` on a 500 stops at the first attempt."""
    data, _, _ = one_account([1])
    emulator = emulate(data)
    emulator.inject(kind="status", status=500, count=5, should_retry=False)
    practice = make_practice()
    with pytest.raises(TransientError):
        make_source(practice).poll(make_ctx(practice))
    assert emulator.stats["requests"] == 1 and sleeps == []


def test_refused_key_raises_auth_error_without_retrying(
    emulate: Emulate, make_source: Any, make_ctx: Any, sleeps: list[float]
) -> None:
    """A 401 becomes AuthError at once (no retries)."""
    data, _, _ = one_account([1])
    emulator = emulate(data)
    practice = make_practice(key="sk_test_revokedKey0000")
    with pytest.raises(AuthError) as caught:
        make_source(practice).poll(make_ctx(practice))
    assert caught.value.code == "stripe_auth_failed"
    assert caught.value.context["request_id"].startswith("req_")
    assert emulator.stats["requests"] == 1 and sleeps == []


def test_rereading_the_lookback_window_records_nothing_new(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """A second poll re-lists the window cheaply; even a lost cursor adds no duplicates."""
    data, _, _ = one_account([3, 2])
    emulator = emulate(data)
    practice = make_practice()
    source = make_source(practice)
    first = source.poll(make_ctx(practice))
    total = item_count(store)
    emulator.reset_stats()
    second = source.poll(make_ctx(practice))
    assert second.get("items_new", 0) == 0 and emulator.stats["requests"] == 1
    store.record("smile", "stripe", [], {})  # forget which payouts were done
    third = source.poll(make_ctx(practice))
    assert third.get("items_new", 0) == 0 and third["items_duplicate"] == first["items_new"]
    assert item_count(store) == total


def test_in_transit_and_reconciling_payouts_are_picked_up_when_ready(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """An in_transit payout and one still reconciling are recorded on a later poll."""
    data, acct, b = one_account([2])
    start = len(acct.transactions)
    b.payment(acct, 5000, created=NOW_TS - DAY, charge_metadata={"pms_patient_id": "9"})
    transit = b.payout(acct, acct.transactions[start:], arrival=NOW_TS + DAY, status="in_transit")
    start = len(acct.transactions)
    b.payment(acct, 6000, created=NOW_TS - DAY, charge_metadata={"pms_patient_id": "8"})
    reconciling = b.payout(acct, acct.transactions[start:], arrival=NOW_TS - 7200)
    reconciling["reconciliation_status"] = "in_progress"
    emulate(data)
    practice = make_practice()
    source = make_source(practice)
    counts = source.poll(make_ctx(practice))
    assert counts["payouts_recorded"] == 1 and counts["payouts_waiting"] == 1
    anchor = store.get_cursor("smile", "stripe")["anchor"]  # type: ignore[index]
    assert anchor <= reconciling["arrival_date"]
    transit.update(status="paid", reconciliation_status="completed")
    reconciling["reconciliation_status"] = "completed"
    later = NOW.replace(day=NOW.day + 2)
    counts = source.poll(make_ctx(practice, now=later))
    assert counts["payouts_recorded"] == 2
    refs = {i.payload["patient_ref"] for i in _items(store) if i.kind is ItemKind.PATIENT_PAYMENT}
    assert {"8", "9"} <= refs


def test_settle_delay_holds_a_payout_until_days_after_arrival(
    emulate: Emulate, make_source: Any, make_ctx: Any, store: SQLiteStore
) -> None:
    """With ``settle_delay: 2d`` a payout that arrived an hour ago waits, then is recorded."""
    data, _, _ = one_account([1])
    emulate(data)
    practice = make_practice(settle_delay="2d")
    source = make_source(practice)
    assert source.poll(make_ctx(practice))["payouts_waiting"] == 1
    assert item_count(store) == 0
    later = NOW.replace(day=NOW.day + 2)
    assert source.poll(make_ctx(practice, now=later))["payouts_recorded"] == 1


class _RecordSpy:
    """Delegates to the real store, remembering each record() call (and can stop the poll)."""

    def __init__(self, store: SQLiteStore, stop_after: int | None = None,
                 event: threading.Event | None = None) -> None:  # fmt: skip
        self._store = store
        self.calls: list[tuple[int, bool]] = []
        self._stop_after = stop_after
        self._event = event

    def record(self, practice_id: str, source: str, items: Any, cursor: Any = None) -> Any:
        self.calls.append((len(items), cursor is not None))
        result = self._store.record(practice_id, source, items, cursor)
        if self._stop_after is not None and len(self.calls) >= self._stop_after and self._event:
            self._event.set()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_each_payout_is_one_record_call_with_the_cursor_and_stop_is_honoured(
    emulate: Emulate, make_source: Any, store: SQLiteStore
) -> None:
    """Items and cursor go together per payout; a stop request ends the poll between payouts."""
    data, _, _ = one_account([2, 3, 1])
    emulate(data)
    practice = make_practice()
    stop = threading.Event()
    spy = _RecordSpy(store, stop_after=1, event=stop)
    ctx = PollContext(practice=practice, store=spy, redactor=None, log=_log(),  # type: ignore[arg-type]
                      stop=stop, clock=FixedClock(NOW))  # fmt: skip
    source = make_source(practice)
    counts = source.poll(ctx)
    assert spy.calls == [(3, True)]
    assert counts["payouts_recorded"] == 1
    stop.clear()
    spy2 = _RecordSpy(store)
    ctx2 = PollContext(practice=practice, store=spy2, redactor=None, log=_log(),  # type: ignore[arg-type]
                       clock=FixedClock(NOW))  # fmt: skip
    source.poll(ctx2)
    assert spy2.calls == [(4, True), (2, True)]
    assert item_count(store) == 9


def _log() -> Any:
    import structlog

    return structlog.get_logger("test")


def test_check_reads_the_balance(emulate: Emulate, make_source: Any, make_ctx: Any) -> None:
    """``check`` makes one balance call and describes the account."""
    data, _, _ = one_account([1])
    emulator = emulate(data)
    practice = make_practice()
    text = make_source(practice).check(make_ctx(practice))
    assert "own account" in text and "usd" in text
    assert emulator.stats["GET /v1/balance"] == 1 and emulator.stats["requests"] == 1


def test_restricted_key_without_source_permission_is_an_auth_error(
    emulate: Emulate, make_source: Any, make_ctx: Any
) -> None:
    """An ``rk_`` key lacking "balance transaction sources" read fails clearly (403)."""
    data, acct, _ = one_account([1])
    data.keys["rk_test_restricted0001"] = KeyGrant(
        acct.id, frozenset({"balance", "payouts", "charges", "payment_intents", "customers"})
    )
    emulate(data)
    practice = make_practice(key="rk_test_restricted0001")
    with pytest.raises(AuthError) as caught:
        make_source(practice).poll(make_ctx(practice))
    assert caught.value.code == "stripe_permission_denied"
