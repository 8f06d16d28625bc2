"""The records that flow through the connector, from source to ledger.

Sources produce :class:`NewItem` rows (one per money movement) whose ``payload`` is a
JSON-safe dict (amounts as strings, see :mod:`connector.jsonutil`). The posting engine turns an
item into a *plan* (:class:`PatientPaymentPlan`, :class:`ReversalPlan`,
:class:`InsurancePaymentPlan`) or a :class:`ReviewDecision`; adapters execute plans and return a
:class:`PostedEntry`. Plans are complete: an adapter never decides an amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ItemStatus(StrEnum):
    """Lifecycle of an item: ``received → posted | review | failed → dead``; or ``ignored``."""

    RECEIVED = "received"  # recorded, waiting for the posting job
    POSTED = "posted"  # written to the PMS (or confirmed already there)
    REVIEW = "review"  # a person must look at it; see the review item
    FAILED = "failed"  # a transient failure; retried at next_attempt_at
    DEAD = "dead"  # gave up (permanent error or attempts exhausted); shown to a person
    IGNORED = "ignored"  # recorded for completeness, never posted (Stripe fee, test file)


OPEN_STATUSES = frozenset({ItemStatus.RECEIVED, ItemStatus.FAILED})


class ItemKind(StrEnum):
    """What kind of money movement (or notice) an item is."""

    PATIENT_PAYMENT = "patient_payment"
    REFUND = "refund"
    DISPUTE = "dispute"
    DISPUTE_WON = "dispute_won"
    ACH_RETURN = "ach_return"
    PAYOUT_FAILURE = "payout_failure"
    PAYOUT_NOTICE = "payout_notice"  # e.g. a manual payout we cannot break down
    STRIPE_OTHER = "stripe_other"  # fees, transfers, top-ups: recorded as ignored
    ERA_REMITTANCE = "era_remittance"  # one ST..SE transaction (check / EFT)
    ERA_CLAIM = "era_claim"  # one CLP loop inside a remittance
    ERA_PLB = "era_plb"  # one provider-level adjustment, derived by the poster from a remittance
    DEPOSIT = "deposit"  # the PMS deposit of a paid payout, recorded once its items are settled
    ERA_SECONDARY = "era_secondary"  # the secondary claim to send after a primary claim posted


REVERSAL_KINDS = frozenset(
    {ItemKind.REFUND, ItemKind.DISPUTE, ItemKind.ACH_RETURN, ItemKind.PAYOUT_FAILURE}
)


class Source(StrEnum):
    """Where items come from; also the name of each source's cursor."""

    STRIPE = "stripe"
    ERA = "era"


@dataclass(frozen=True)
class NewItem:
    """One money movement as a source records it.

    Attributes:
        key: globally unique external key (``txn_…``; ERA: payer+trace+…+CLP keys).
        kind: see :class:`ItemKind`.
        payload: JSON-safe description (ids and amounts only; never names or DOBs).
        amount: signed amount in the practice's currency (positive = money to the practice).
        status: initial status (``received``; ``ignored`` or ``review`` when known up front).
        group_key: the payout id or remittance key the item belongs to.
        related_key: e.g. the original charge id of a refund, or the remittance of a claim.
        review_reason / review_message: required when ``status`` is ``review``.
    """

    key: str
    kind: ItemKind
    payload: dict[str, Any]
    amount: Decimal
    status: ItemStatus = ItemStatus.RECEIVED
    group_key: str | None = None
    related_key: str | None = None
    review_reason: str | None = None
    review_message: str | None = None


@dataclass(frozen=True)
class Item:
    """An item as stored, with its lifecycle state."""

    id: int
    practice_id: str
    source: str
    key: str
    kind: ItemKind
    status: ItemStatus
    payload: dict[str, Any]
    amount: Decimal
    group_key: str | None
    related_key: str | None
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error_code: str | None
    pms_ids: dict[str, Any]
    progress: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    last_error: str | None = None  # words of the last failure (ids and codes only, scrubbed)


@dataclass(frozen=True)
class ReviewDecision:
    """The engine will not post this item; a person must. ``reason`` is a stable code."""

    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Split:
    """Part of a patient payment applied to one open charge (or unapplied when no charge)."""

    amount: Decimal
    patient_id: str
    provider_id: str | None = None
    charge_ref: str | None = None  # vendor's procedure/adjustment id; None = unapplied credit
    charge_kind: str | None = None  # "procedure" | "adjustment" | None


class AllocationMode(StrEnum):
    """How a patient payment is spread over the family's open charges."""

    ALLOCATE_OLDEST_FIRST = "allocate_oldest_first"
    POST_ONLY = "post_only"


@dataclass(frozen=True)
class PatientPaymentPlan:
    """A finished instruction to write one patient payment.

    ``splits`` sum to ``amount``; in post-only mode there is one split with no ``charge_ref``.
    ``marker`` is the text the adapter must store in the PMS row (note / description) so that
    :meth:`adapters.base.Ledger.find_posting` can find it after a crash.
    """

    external_ref: str
    marker: str
    patient_id: str
    amount: Decimal
    date: dt.date
    payment_type_id: str
    mode: AllocationMode
    splits: tuple[Split, ...]
    note: str | None = None
    status_label: str | None = None
    source_ref: str | None = None  # e.g. the Stripe charge id, for the check/reference field
    merchant_fee: Decimal | None = None  # processor fee booked on the payment (writeback.fees)


@dataclass(frozen=True)
class ReversalPlan:
    """Undo (part of) an earlier patient payment: refund, dispute lost, ACH return.

    ``amount`` is positive: the money leaving the practice. ``original_external_ref`` names
    the posting being reversed; ``original_pms_ids`` what the adapter wrote for it.
    """

    external_ref: str
    marker: str
    original_external_ref: str
    original_pms_ids: dict[str, Any]
    patient_id: str
    amount: Decimal
    date: dt.date
    reason: str  # ItemKind value: refund | dispute | ach_return | payout_failure
    payment_type_id: str | None = None
    adjustment_type_id: str | None = None
    provider_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PatientNote:
    """A note on the patient's account (date and time, amount, processor reference)."""

    patient_id: str
    text: str
    when: dt.datetime  # practice-local wall-clock time, naive (what PMSs store)
    external_ref: str | None = None


@dataclass(frozen=True)
class ProcedurePayment:
    """Insurance money and adjustments for one procedure line of a claim."""

    proc_ref: str
    paid: Decimal
    writeoff: Decimal = Decimal("0.00")
    deductible: Decimal = Decimal("0.00")
    remarks: str | None = None  # CARC/RARC codes as the vendor stores them
    # the line's distinct CARC reason codes, comma-separated in ERA order ("45,1"): what Open
    # Dental's ERA import stores in claimproc.ClaimAdjReasonCodes
    reason_codes: str | None = None
    allowed: Decimal | None = None  # AMT*B6 of the line(s), the payer's allowed amount


@dataclass(frozen=True)
class CheckRecord:
    """The insurance check / EFT a remittance pays with (TRN02 as its number)."""

    number: str
    amount: Decimal
    date: dt.date
    payer_name: str
    payment_type_id: str | None = None
    method: str | None = None  # BPR04: CHK, ACH, BOP, FWT, NON
    # the remittance (era_remittance item key) this check pays: every claim plan of one
    # remittance carries the same key, so an adapter can write one check for all of them
    remittance_key: str | None = None


@dataclass(frozen=True)
class InsurancePaymentPlan:
    """A finished instruction to post one ERA claim's payment onto a PMS claim."""

    external_ref: str
    marker: str
    claim_id: str
    patient_id: str
    lines: tuple[ProcedurePayment, ...]
    date_received: dt.date
    check: CheckRecord
    auto_posted: bool = True
    supplemental: bool = False  # money on an already-received claim

    @property
    def paid_total(self) -> Decimal:
        """Sum of per-line insurance paid amounts."""
        return sum((line.paid for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class DepositPlan:
    """A finished instruction to write one PMS deposit equal to what reached the bank.

    ``entries`` are the PMS ids (``pms_ids``) of the postings the deposit groups, as their
    adapter recorded them; the adapter picks the ids its deposit takes (Open Dental: the
    ``PayNum`` of payments and refunds, the ``ClaimPaymentNum`` of insurance checks).
    """

    external_ref: str  # ``deposit:po_…`` / ``deposit:era:…``
    marker: str
    date: dt.date  # the day the money reached the bank, in the practice's time zone
    amount: Decimal  # the bank amount (the payout's paid-out amount, the EFT's BPR02)
    entries: tuple[dict[str, Any], ...]
    memo: str


@dataclass(frozen=True)
class PostedEntry:
    """What an adapter wrote (or found already written) for one external key."""

    external_ref: str
    pms_ids: dict[str, Any]
    amount: Decimal | None = None
    already_existed: bool = False
    steps_done: tuple[str, ...] = ()
    duplicates: tuple[dict[str, Any], ...] = ()
    """Other PMS rows of the same kind carrying the same marker (their ids), as
    ``find_posting`` found them: the key was written more than once. The engine sends the
    item to review (``duplicate_in_pms``); adapters only report."""
