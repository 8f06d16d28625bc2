"""Patient-id lookup order and payout readiness / cursor rules (pure parts of the source)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connector.errors import PermanentError
from connector.sources.stripe.patients import PatientResolver
from connector.sources.stripe.payouts import Cursor, Readiness, readiness

KEY = "pms_patient_id"
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"
ORDER = ("charge", "payment_intent", "customer")


class Customers:
    """Counts customer reads (a fake of the Stripe call, not of our code)."""

    def __init__(self, customers: dict[str, dict[str, Any]]) -> None:
        self.customers = customers
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, customer_id: str, platform: bool) -> dict[str, Any]:
        self.calls.append((customer_id, platform))
        if customer_id not in self.customers:
            raise PermanentError("no such", context={"stripe_code": "resource_missing"})
        return self.customers[customer_id]


def source(charge_meta: dict[str, str] | None = None, intent_meta: dict[str, str] | None = None,
           customer: str | None = "cus_1") -> dict[str, Any]:  # fmt: skip
    return {"id": "ch_1", "object": "charge", "metadata": charge_meta or {}, "customer": customer,
            "payment_intent": {"id": "pi_1", "object": "payment_intent",
                               "metadata": intent_meta or {}, "customer": customer}}  # fmt: skip


def test_charge_metadata_wins_and_no_customer_is_read() -> None:
    """With the id on the charge, neither the intent nor the customer is consulted."""
    fetch = Customers({"cus_1": {"metadata": {KEY: "999"}}})
    found = PatientResolver(KEY, ORDER, PATTERN, fetch).resolve(source({KEY: "42"}, {KEY: "7"}))
    assert (found.value, found.found_in) == ("42", "charge")
    assert fetch.calls == []


def test_payment_intent_then_customer_and_customer_read_once_per_poll() -> None:
    """The intent is used next; a customer is read once and then served from the cache."""
    fetch = Customers({"cus_1": {"id": "cus_1", "metadata": {KEY: "77"}}})
    resolver = PatientResolver(KEY, ORDER, PATTERN, fetch)
    assert resolver.resolve(source(intent_meta={KEY: "5"})).value == "5"
    assert fetch.calls == []
    first, second = resolver.resolve(source()), resolver.resolve(source())
    assert (first.value, first.found_in, second.value) == ("77", "customer", "77")
    assert fetch.calls == [("cus_1", False)]


def test_configured_order_is_followed() -> None:
    """``metadata_lookup_order`` can put the payment intent before the charge."""
    resolver = PatientResolver(KEY, ("payment_intent", "charge"), PATTERN, Customers({}))
    assert resolver.resolve(source({KEY: "1"}, {KEY: "2"})).value == "2"


@pytest.mark.parametrize("value", ["Jane Smith", "x" * 41, "../../etc", "12;DROP"])
def test_malformed_value_is_not_used_nor_returned(value: str) -> None:
    """A value that does not match the pattern is ``malformed`` and never handed on."""
    found = PatientResolver(KEY, ORDER, PATTERN, Customers({})).resolve(source({KEY: value}))
    assert (found.value, found.problem, found.found_in) == (None, "malformed", "charge")


def test_missing_everywhere_and_unknown_customer() -> None:
    """No id anywhere (and a deleted customer) → ``missing``."""
    found = PatientResolver(KEY, ORDER, PATTERN, Customers({})).resolve(source())
    assert (found.value, found.problem) == (None, "missing")


def test_destination_charge_reads_platform_charge_and_platform_customer() -> None:
    """For a ``py_`` payment the platform charge's metadata and customer are searched."""
    upstream = {"id": "ch_p", "object": "charge", "metadata": {}, "customer": "cus_p",
                "payment_intent": "pi_p"}  # fmt: skip
    py = {"id": "py_1", "object": "charge", "metadata": {}, "customer": None,
          "payment_intent": None,
          "source_transfer": {"id": "tr_1", "source_transaction": upstream}}  # fmt: skip
    fetch = Customers({"cus_p": {"metadata": {KEY: "31"}}})
    resolver = PatientResolver(KEY, ORDER, PATTERN, fetch)
    assert resolver.resolve(py).value == "31"
    assert fetch.calls == [("cus_p", True)]
    upstream["metadata"] = {KEY: "30"}
    assert PatientResolver(KEY, ORDER, PATTERN, fetch).resolve(py).value == "30"


NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
ARRIVED = int(dt.datetime(2026, 11, 19, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(
    ("payout", "delay", "expected"),
    [
        ({"automatic": True, "reconciliation_status": "completed"}, "0d", Readiness.READY),
        ({"automatic": False, "reconciliation_status": "not_applicable"}, "0d", Readiness.MANUAL),
        ({"automatic": True, "reconciliation_status": "in_progress"}, "0d",
         Readiness.NOT_RECONCILED),
        ({"automatic": True, "reconciliation_status": "completed"}, "2d", Readiness.SETTLING),
        ({"automatic": True, "reconciliation_status": "completed"}, "1d", Readiness.READY),
    ],
)  # fmt: skip
def test_readiness(payout: dict[str, Any], delay: str, expected: Readiness) -> None:
    """Manual first, then reconciliation, then the settle delay after ``arrival_date``."""
    from connector.config.types import parse_duration

    got = readiness({"id": "po_1", "arrival_date": ARRIVED, **payout}, NOW, parse_duration(delay))
    assert got is expected


def test_cursor_advances_but_never_past_a_waiting_payout() -> None:
    """The anchor follows recorded payouts, is held at a waiting one, and prunes old ids."""
    cursor = Cursor.load(None, NOW)
    assert cursor.anchor == int(NOW.timestamp()) and cursor.done == {}
    keep = dt.timedelta(days=10)
    old = Cursor(anchor=1000, done={"po_ancient": 1})
    moved = old.after_recording({"id": "po_a", "arrival_date": 5000}, held_at=None, keep=keep)
    assert moved.anchor == 5000 and moved.done == {"po_ancient": 1, "po_a": 5000}
    held = moved.after_recording({"id": "po_b", "arrival_date": 9000}, held_at=4000, keep=keep)
    assert held.anchor == 4000 and "po_b" in held.done
    far = Cursor(anchor=0).after_recording({"id": "po_c", "arrival_date": 100 * 86_400},
                                           held_at=None, keep=keep)  # fmt: skip
    assert far.done == {"po_c": 100 * 86_400}
    assert Cursor.load(held.to_json(), NOW) == held
