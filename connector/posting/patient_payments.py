"""Cleared patient payments (Stripe) → a :class:`PatientPaymentPlan`, or a review.

The rules, in order: a positive amount; write-back on (else the payment is listed "to enter");
a patient id in the payment's metadata that names a patient in the PMS who is not inactive,
archived or deleted; the configured payment type exists in the PMS; then the splits by the
practice's allocation mode. The amount is the **gross** amount the patient paid: the processor
fee stays in the payload for reconciliation and is never subtracted from the patient's credit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from adapters.base import Ledger, PatientRecord, PatientStatus, PmsPayment, marker_for
from connector.config import WritebackSettings
from connector.domain import AllocationMode, Item, PatientNote, PatientPaymentPlan, ReviewDecision
from connector.money import ZERO
from connector.posting import fields
from connector.posting.allocation import allocate_oldest_first, post_only
from connector.posting.fees import book_fee
from connector.posting.reasons import render, review
from connector.records.stripe import StripeTransaction

INACTIVE = frozenset({PatientStatus.INACTIVE, PatientStatus.ARCHIVED, PatientStatus.DELETED})


def transaction(item: Item) -> StripeTransaction:
    """The Stripe balance transaction of a patient payment or reversal item.

    Raises:
        DataError: the payload is unusable.
    """
    return StripeTransaction.from_json(item.payload)


def reference(item: Item) -> str:
    """The processor reference staff can search for: charge, else payment intent, else txn."""
    return transaction(item).reference


def paid_at(item: Item) -> dt.datetime:
    """When the patient paid (payload ``created``), else the payout's arrival, else recording."""
    record = transaction(item)
    if record.created is not None:
        return record.created
    arrival = record.payout_arrival_date
    if arrival is not None:
        return dt.datetime.combine(arrival, dt.time(), tzinfo=dt.UTC)
    return item.created_at


def note_text(template: str, item: Item, tz: ZoneInfo, amount: Decimal | None = None) -> str:
    """The note from ``note_template``: ``{amount} {date} {time} {reference}`` (also ``{txn}``,
    ``{payout}``, ``{method}``). Ids and amounts only: no card data is ever in a payload.
    """
    local = paid_at(item).astimezone(tz)
    record = transaction(item)
    values = {
        "amount": f"{amount if amount is not None else item.amount:.2f}",
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "reference": record.reference,
        "txn": record.txn or item.key,
        "payout": record.payout or item.group_key,
        "method": record.method or None,
    }
    return render(template, values)


def _base(item: Item, patient_ref: str | None, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "what": "payment",
        "amount": item.amount,
        "reference": reference(item),
        "patient_ref": patient_ref,
        "date": paid_at(item).astimezone(tz).date(),
        "txn": item.key,
    }


MAX_PATIENT_REF = 20
"""Longest patient id any supported PMS has: Open Dental's PatNum is a BIGINT (19 digits);
Dentrix and Eaglesoft ids are 32-bit integers."""


def plausible_patient_ref(ref: str) -> bool:
    """Whether ``ref`` can be a PMS patient id at all: 1–20 printable ASCII characters, no
    whitespace anywhere (``" 12"`` is refused rather than guessed at)."""
    return (
        0 < len(ref) <= MAX_PATIENT_REF
        and ref.isascii()
        and ref.isprintable()
        and not any(c.isspace() for c in ref)
    )


def plan_patient_payment(
    item: Item,
    writeback: WritebackSettings,
    ledger: Ledger,
    *,
    tz: ZoneInfo,
    patient_ref: str | None = None,
    post_anyway: bool = False,
) -> PatientPaymentPlan | ReviewDecision:
    """Plan the write of one cleared payment (``patient_payment`` or a re-posted dispute win).

    Args:
        item: the stored item; its key becomes the plan's external reference and marker.
        writeback: the practice's write-back settings.
        ledger: read-only use: patient, family charges, payment types.
        tz: the practice's time zone (payment date and the note's date and time).
        patient_ref: overrides the payload's ``patient_ref`` (a dispute win uses the original
            payment's patient).
        post_anyway: staff said a payment found by the hand-entry check is another one.

    Raises:
        DataError: the payload is unusable. TransientError: from the ledger reads.
    """
    ref = patient_ref or transaction(item).patient_ref or None
    base = _base(item, ref, tz)
    if item.amount <= ZERO:
        return review("amount_invalid", **base)
    if not writeback.enabled:
        return review("writeback_disabled", **base)
    if ref is None:
        return review("patient_not_found", **{**base, "patient_ref": "(none in the metadata)"})
    if not plausible_patient_ref(ref):  # never handed to a PMS (a 40-digit id overflowed)
        shown = ref if len(ref) <= MAX_PATIENT_REF else ref[:MAX_PATIENT_REF] + "…"
        return review("patient_not_found", **{**base, "patient_ref": f"{shown!r} (not a PMS id)"})
    patient = ledger.find_patient(ref)
    if patient is None:
        return review("patient_not_found", **base)
    if patient.status in INACTIVE:
        return review("patient_inactive", **base, status=patient.status.value)
    pay_type = fields.find_type(ledger.payment_types(), writeback.payment_type, ["payment"])
    if pay_type is None:
        return review(
            "payment_type_unknown", **base, category="payment", wanted=writeback.payment_type
        )
    window = writeback.hand_entry_window
    if not post_anyway and window > dt.timedelta(0):
        found = hand_entry(ledger, patient, item.amount, base["date"], window)
        if found is not None:
            return review(
                "possible_hand_entry", **base, pms_id=found.pms_id, pms_date=found.date,
                pms_amount=found.amount, pms_patient=found.patient_id,
                pms_type=found.payment_type or "no type",
                entered_by=found.entered_by or "(not recorded by the PMS)",
            )  # fmt: skip
    if writeback.allocation is AllocationMode.ALLOCATE_OLDEST_FIRST:
        splits = allocate_oldest_first(
            item.amount,
            ledger.family_charges(patient),
            payer_id=patient.patient_id,
            payer_provider_id=patient.provider_id,
            patient_preferred=writeback.patient_preferred,
        )
    else:
        splits = post_only(
            item.amount, payer_id=patient.patient_id, payer_provider_id=patient.provider_id
        )
    plan = PatientPaymentPlan(
        external_ref=item.key,
        marker=marker_for(item.key),
        patient_id=patient.patient_id,
        amount=item.amount,
        date=base["date"],
        payment_type_id=pay_type.id,
        mode=writeback.allocation,
        splits=splits,
        note=note_text(writeback.note_template, item, tz),
        status_label=writeback.status,
        source_ref=base["reference"],
    )
    return book_fee(plan, item, writeback.fees, ledger)


def hand_entry(
    ledger: Ledger, patient: PatientRecord, amount: Decimal, day: dt.date, window: dt.timedelta
) -> PmsPayment | None:
    """A payment staff entered by hand that may be this one: same family, same amount, dated
    within ``window`` of ``day``, without a connector marker (the closest in date first)."""
    found = ledger.patient_payments(patient, day - window, day + window)
    same = [p for p in found if not p.ours and p.amount == amount]
    return min(same, key=lambda p: (abs((p.date - day).days), p.date), default=None)


def patient_note(
    item: Item, patient_id: str, writeback: WritebackSettings, tz: ZoneInfo
) -> PatientNote:
    """The note on the patient's account after a posted payment (when ``patient_notes`` is on).

    Its time is the practice's wall-clock time (``timezone:``), naive and in whole seconds, as
    every PMS stores it — the same clock the note's text shows.
    """
    return PatientNote(
        patient_id=patient_id,
        text=note_text(writeback.note_template, item, tz),
        when=paid_at(item).astimezone(tz).replace(tzinfo=None, microsecond=0),
        external_ref=item.key,
    )
