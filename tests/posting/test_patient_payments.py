"""Cleared patient payments → plans or reviews."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adapters.base import marker_for
from adapters.memory import MemoryLedger
from connector.config import WritebackSettings
from connector.domain import AllocationMode, ItemKind, PatientPaymentPlan, ReviewDecision, Split
from connector.errors import DataError
from connector.posting.patient_payments import patient_note, plan_patient_payment
from tests.posting.helpers import new_stripe, stored

D = Decimal
UTC = ZoneInfo("UTC")


def plan(
    led: MemoryLedger, amount: str = "125.00", *, patient_ref: str | None = "1", **writeback: object
) -> PatientPaymentPlan | ReviewDecision:
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", amount, patient_ref=patient_ref))
    return plan_patient_payment(item, WritebackSettings.model_validate(writeback), led, tz=UTC)


def test_family_payment_allocates_oldest_first_with_marker_and_gross_amount(
    led: MemoryLedger,
) -> None:
    """The plan pays the family's charges oldest first, gross (fee not subtracted), with marker."""
    led.add_charge("P-KID", patient="2", date="2026-09-01", amount="100.00", provider="DOC2")
    led.add_charge("P-MOM", patient="1", date="2026-10-01", amount="50.00", provider="DOC1")
    result = plan(led)
    assert isinstance(result, PatientPaymentPlan)
    assert result.amount == D("125.00") and result.payment_type_id == "70"
    assert result.marker == marker_for("txn_1") and result.external_ref == "txn_1"
    assert result.splits == (
        Split(D("100.00"), "2", "DOC2", "P-KID", "procedure"),
        Split(D("25.00"), "1", "DOC1", "P-MOM", "procedure"),
    )
    assert result.source_ref == "ch_1" and result.date.isoformat() == "2026-11-18"


def test_patient_preferred_lands_on_the_payer(led: MemoryLedger) -> None:
    """patient_preferred pays the payer's own charge before the older one of the child."""
    led.add_charge("P-KID", patient="2", date="2026-09-01", amount="100.00", provider="DOC2")
    led.add_charge("P-MOM", patient="1", date="2026-10-01", amount="50.00", provider="DOC1")
    result = plan(led, patient_preferred=True)
    assert isinstance(result, PatientPaymentPlan)
    assert [(s.charge_ref, s.amount) for s in result.splits] == [
        ("P-MOM", D("50.00")),
        ("P-KID", D("75.00")),
    ]


def test_post_only_is_one_unallocated_split(led: MemoryLedger) -> None:
    """Post-only ignores open charges and writes one split on the paying patient."""
    led.add_charge("P-MOM", patient="1", date="2026-10-01", amount="50.00")
    result = plan(led, allocation="post_only")
    assert isinstance(result, PatientPaymentPlan)
    assert result.mode is AllocationMode.POST_ONLY
    assert result.splits == (Split(D("125.00"), "1", "DOC1"),)


@pytest.mark.parametrize(
    ("kwargs", "reason", "words"),
    [
        ({"patient_ref": None}, "patient_not_found", "(none in the metadata)"),
        ({"patient_ref": "404"}, "patient_not_found", "names patient 404, who is not in the PMS"),
        ({"patient_ref": "9"}, "patient_inactive", "who is inactive in the PMS"),
        ({"enabled": False}, "writeback_disabled", "To enter: payment of 125.00 for patient 1"),
        ({"payment_type": "Bitcoin"}, "payment_type_unknown", "no payment type 'Bitcoin'"),
        ({"payment_type": "Old Online"}, "payment_type_unknown", "'Old Online'"),
        ({"amount": "0.00"}, "amount_invalid", "0.00"),
    ],
)
def test_reviews_with_plain_reasons(
    led: MemoryLedger, kwargs: dict[str, object], reason: str, words: str
) -> None:
    """Each reason to hold a payment gives its stable code and plain words (hidden type = none)."""
    result = plan(led, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, ReviewDecision)
    assert result.reason == reason and words in result.message
    assert "ch_1" in result.message or reason == "payment_type_unknown"


def test_payment_type_by_id_and_any_case(led: MemoryLedger) -> None:
    """The payment type may be given by id or by name in any case."""
    by_id, by_name = plan(led, payment_type="70"), plan(led, payment_type="online PAYMENT")
    assert isinstance(by_id, PatientPaymentPlan) and isinstance(by_name, PatientPaymentPlan)
    assert by_id.payment_type_id == by_name.payment_type_id == "70"


def test_note_has_local_date_time_amount_and_reference_only() -> None:
    """The note is rendered in the practice's time zone with amount and processor reference."""
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", "125.00"))
    writeback = WritebackSettings(
        note_template="Paid {amount} on {date} at {time} ref {reference} {unknown}"
    )
    note = patient_note(item, "1", writeback, ZoneInfo("America/New_York"))
    assert note.text == "Paid 125.00 on 2026-11-18 at 10:04 ref ch_1 ?"
    assert note.external_ref == "txn_1" and note.patient_id == "1"


def test_note_time_is_practice_local_across_a_date_boundary() -> None:
    """A payment at 21:30 in Chicago on 11-21 (03:30 UTC on 11-22): the note's stored time is
    2026-11-21 21:30:00, naive and in whole seconds, the same clock as its text."""
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", "150.00",
                             created="2026-11-22T03:30:00.250000+00:00"))  # fmt: skip
    writeback = WritebackSettings(note_template="Paid {amount} on {date} at {time}")
    note = patient_note(item, "1", writeback, ZoneInfo("America/Chicago"))
    assert note.when == dt.datetime(2026, 11, 21, 21, 30)
    assert note.text == "Paid 150.00 on 2026-11-21 at 21:30"


def test_a_malformed_payload_is_a_data_error(led: MemoryLedger) -> None:
    """A float amount or a bad timestamp in the payload raises DataError naming the field."""
    item = stored(new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", "10.00", created="yesterday"))
    with pytest.raises(DataError, match="'created'") as info:
        plan_patient_payment(item, WritebackSettings(), led, tz=UTC)
    assert info.value.code == "payload_invalid"
