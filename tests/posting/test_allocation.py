"""Allocation of a patient payment over family charges: examples and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import ChargeKind, OpenCharge
from connector.domain import Split
from connector.posting.allocation import allocate_oldest_first, oldest_first, post_only

D = Decimal


def charge(
    ref: str,
    day: int,
    amount: str,
    *,
    patient: str = "1",
    kind: str = "procedure",
    provider: str | None = "DOC",
) -> OpenCharge:
    return OpenCharge(ref, ChargeKind(kind), patient, provider, dt.date(2026, 1, day), D(amount))


def test_pays_oldest_first_and_leaves_the_rest_unapplied() -> None:
    """Charges are paid by date and the remainder becomes one unapplied split on the payer."""
    splits = allocate_oldest_first(
        D("100.00"),
        [charge("B", 5, "30.00", patient="2", provider="DOC2"), charge("A", 2, "50.00")],
        payer_id="1",
        payer_provider_id="DOC1",
    )
    assert splits == (
        Split(D("50.00"), "1", "DOC", "A", "procedure"),
        Split(D("30.00"), "2", "DOC2", "B", "procedure"),
        Split(D("20.00"), "1", "DOC1", None, None),
    )


def test_procedures_come_before_adjustments_on_the_same_date() -> None:
    """On one date a procedure is paid before an adjustment, whatever the input order."""
    ordered = oldest_first(
        [
            charge("ADJ", 3, "10.00", kind="adjustment"),
            charge("PROC", 3, "10.00"),
            charge("OLD", 1, "5.00", kind="adjustment"),
        ]
    )
    assert [c.charge_ref for c in ordered] == ["OLD", "PROC", "ADJ"]


def test_patient_preferred_pays_the_payer_first() -> None:
    """With patient_preferred the payer's own newer charge is paid before an older family one."""
    charges = [charge("KID", 1, "40.00", patient="2"), charge("MINE", 9, "40.00", patient="1")]
    splits = allocate_oldest_first(D("50.00"), charges, payer_id="1", patient_preferred=True)
    assert [(s.charge_ref, s.amount) for s in splits] == [("MINE", D("40.00")), ("KID", D("10.00"))]
    plain = allocate_oldest_first(D("50.00"), charges, payer_id="1")
    assert [(s.charge_ref, s.amount) for s in plain] == [("KID", D("40.00")), ("MINE", D("10.00"))]


def test_partial_payment_stops_mid_charge() -> None:
    """A payment smaller than the oldest charge pays part of it and nothing else."""
    splits = allocate_oldest_first(
        D("12.34"), [charge("A", 1, "50.00"), charge("B", 2, "9.00")], payer_id="1"
    )
    assert splits == (Split(D("12.34"), "1", "DOC", "A", "procedure"),)


def test_post_only_is_one_unallocated_split() -> None:
    """Post-only writes the whole payment as one split without a charge."""
    assert post_only(D("80.00"), payer_id="3", payer_provider_id="DOC1") == (
        Split(D("80.00"), "3", "DOC1"),
    )


@pytest.mark.parametrize("amount", [D("0.00"), D("-5.00"), D("1.005")])
def test_refuses_amounts_that_are_not_positive_cents(amount: Decimal) -> None:
    """Zero, negative and sub-cent amounts are a programming error, not a payment."""
    with pytest.raises(ValueError, match="positive amount in cents"):
        allocate_oldest_first(amount, [], payer_id="1")


cents = st.integers(min_value=1, max_value=500_000).map(lambda c: (D(c) / 100).quantize(D("0.01")))
open_charges = st.lists(
    st.builds(
        lambda i, day, amount, kind, patient: charge(
            f"C{i}", day, str(amount), patient=patient, kind=kind
        ),
        st.integers(0, 10**6),
        st.integers(1, 28),
        cents,
        st.sampled_from(["procedure", "adjustment"]),
        st.sampled_from(["1", "2", "3"]),
    ),
    max_size=12,
    unique_by=lambda c: c.charge_ref,
)


def _ordered(charges: list[OpenCharge], payer: str, preferred: bool) -> list[OpenCharge]:
    ordered = oldest_first(charges)
    if preferred:
        ordered = [c for c in ordered if c.patient_id == payer] + [
            c for c in ordered if c.patient_id != payer
        ]
    return ordered


@given(amount=cents, charges=open_charges, preferred=st.booleans())
def test_allocation_properties(amount: Decimal, charges: list[OpenCharge], preferred: bool) -> None:
    """Splits sum to the payment, never exceed a charge, pay strictly in order (payer first when
    preferred), and leave an exact remainder only when every charge is paid in full."""
    splits = allocate_oldest_first(amount, charges, payer_id="1", patient_preferred=preferred)
    assert sum((s.amount for s in splits), D("0.00")) == amount
    assert all(s.amount > 0 and s.amount == s.amount.quantize(D("0.01")) for s in splits)
    by_ref = {c.charge_ref: c for c in charges}
    applied = [s for s in splits if s.charge_ref is not None]
    unapplied = [s for s in splits if s.charge_ref is None]
    for s in applied:
        assert s.amount <= by_ref[s.charge_ref].amount_due
        assert (s.patient_id, s.provider_id) == (
            by_ref[s.charge_ref].patient_id,
            by_ref[s.charge_ref].provider_id,
        )
    order = [c.charge_ref for c in _ordered(charges, "1", preferred)]
    assert [s.charge_ref for s in applied] == order[: len(applied)]
    for s in applied[:-1]:  # every charge but the last one touched is paid in full
        assert s.amount == by_ref[s.charge_ref].amount_due
    due = sum((c.amount_due for c in charges), D("0.00"))
    assert len(unapplied) <= 1
    if unapplied:
        assert unapplied[0].amount == amount - due and unapplied[0].patient_id == "1"
        assert len(applied) == len(charges)
    else:
        assert amount <= due
