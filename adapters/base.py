"""The adapter contract: what every PMS adapter provides, and the records it reads.

Adapters only *translate*: which charges to pay, what amount, and whether to post at all are
decided in ``connector/posting``; an adapter receives a finished plan and writes exactly that,
or raises. Every written row carries the plan's ``marker`` (which contains the external key)
so that :meth:`Ledger.find_posting` can find it from the PMS itself after a crash.

Errors (all from :mod:`connector.errors`; nothing else may escape an adapter):

* ``AuthError`` — credentials refused (stop this practice, alert the admin);
* ``TransientError`` — unreachable, timed out, deadlock, HTTP 5xx: retry the whole step later;
* ``PermanentError`` — the plan is invalid for this PMS (splits do not add up, unknown type id);
* ``DataError`` — the PMS data does not allow this write (patient gone, claim changed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from adapters.patient_search import PatientMatch, PatientQuery
from connector.domain import (
    AllocationMode,
    InsurancePaymentPlan,
    PatientNote,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
)
from connector.errors import PermanentError


class PatientStatus(StrEnum):
    """Normalised patient status across vendors."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"
    DELETED = "deleted"
    NON_PATIENT = "non_patient"


@dataclass(frozen=True)
class VendorInfo:
    """What :meth:`Ledger.ping` found: vendor, product version, and anything support needs."""

    vendor: str
    version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PatientRecord:
    """A patient as the posting engine needs it: ids and status only, never names."""

    patient_id: str
    guarantor_id: str
    status: PatientStatus
    provider_id: str | None = None
    clinic_id: str | None = None
    insurance_plan_count: int = 0


class ChargeKind(StrEnum):
    """What an open charge is; procedures are paid before adjustments on the same date."""

    PROCEDURE = "procedure"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class OpenCharge:
    """A family charge with a remaining patient portion, as the PMS computes it."""

    charge_ref: str
    kind: ChargeKind
    patient_id: str
    provider_id: str | None
    date: dt.date
    amount_due: Decimal
    code: str | None = None
    clinic_id: str | None = None


@dataclass(frozen=True)
class PmsType:
    """A payment, adjustment or insurance-payment type from the PMS's own lists."""

    id: str
    name: str
    category: str  # "payment" | "insurance_payment" | "adjustment" | "note"
    sign: str | None = None  # adjustments: "+" increases the balance (debit), "-" decreases
    hidden: bool = False


@dataclass(frozen=True)
class PmsPayment:
    """A patient payment as the PMS shows it (read to spot money staff entered by hand).

    Attributes:
        pms_id: the PMS row (Open Dental ``PayNum``, Dentrix/Eaglesoft ledger row id).
        patient_id: the family member it was entered for.
        date: the payment date staff gave it.
        amount: what the patient paid (positive; a refund row is negative).
        payment_type: the PMS payment type's name, when it has one.
        entered_by: who entered it, as far as the PMS records (a user id or name), else None.
        ours: it carries a connector marker (we wrote it).
    """

    pms_id: str
    patient_id: str
    date: dt.date
    amount: Decimal
    payment_type: str | None
    entered_by: str | None
    ours: bool


@dataclass(frozen=True)
class ClaimLine:
    """One procedure on a claim, with what the PMS expected insurance to pay."""

    proc_ref: str
    code: str
    date: dt.date
    fee: Decimal
    expected_insurance: Decimal
    received: bool = False
    line_ref: str | None = None  # what the PMS sent as REF*6R / line item control number
    paid: Decimal = Decimal("0.00")
    writeoff: Decimal = Decimal("0.00")
    # where expected_insurance comes from: "pms" (the PMS's own insurance estimate) or "fee"
    # (the PMS keeps no estimate the adapter can read, so the procedure fee stands in)
    expected_from: str = "pms"


@dataclass(frozen=True)
class ClaimRecord:
    """A claim as submitted, with its lines and the patient's number of insurance plans."""

    claim_id: str
    patient_id: str
    claim_identifier: str  # as submitted (837 CLM01 → 835 CLP01)
    status: str  # vendor letter/code, e.g. Open Dental "S" sent, "R" received
    received: bool
    date_service: dt.date
    total_fee: Decimal
    plan_count: int
    claim_type: str = "primary"  # primary | secondary | preauth | other
    lines: tuple[ClaimLine, ...] = ()
    has_secondary_plan: bool = False
    carrier_name: str | None = None


MAX_CLAIMS = 20
"""At most this many claims come back from :meth:`Ledger.find_claims` (the engine only needs to
know "one", "several" or "none", and a review lists the candidates a person checks)."""


@dataclass(frozen=True)
class ClaimMatch:
    """One criterion to look PMS claims up by: exactly one of a claim identifier (CLP01), a
    payer claim control number (CLP07), or a service window ``[service_from, service_to]``
    (inclusive; ``service_to`` defaults to ``service_from``) narrowed by an optional total
    charge and an optional PMS patient id.

    The engine (:mod:`connector.posting.era_claims`) decides what a match means; an adapter
    only translates the one criterion given to its vendor's schema.

    Raises:
        ValueError: not exactly one criterion, an empty identifier, or a charge/patient/end
            date without a window (or ending before it starts).
    """

    claim_identifier: str | None = None  # CLP01
    payer_claim_control: str | None = None  # CLP07, for reversals/corrections
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    total_charge: Decimal | None = None
    patient_id: str | None = None

    def __post_init__(self) -> None:
        given = [self.claim_identifier, self.payer_claim_control, self.service_from]
        if sum(value is not None for value in given) != 1:
            raise ValueError("a claim match takes exactly one criterion")
        if "" in (self.claim_identifier, self.payer_claim_control):
            raise ValueError("an empty identifier names no claim")
        narrowing = (self.service_to, self.total_charge, self.patient_id)
        if self.service_from is None and any(v is not None for v in narrowing):
            raise ValueError("service_to, total_charge and patient_id narrow a service window")
        if self.service_from is not None and self.window[1] < self.service_from:
            raise ValueError("service_to is before service_from")

    @property
    def window(self) -> tuple[dt.date, dt.date]:
        """The service window, first and last day inclusive (service criterion only)."""
        assert self.service_from is not None, "not a service-window criterion"
        return self.service_from, self.service_to or self.service_from

    def fits(self, record: ClaimRecord) -> bool:
        """True when ``record`` satisfies a service-window criterion: its date of service
        (:attr:`ClaimRecord.date_service`, its earliest procedure) lies in the window, and its
        total fee and patient are the ones named, when named. For adapters that filter in
        Python after a coarser query."""
        first, last = self.window
        return (
            first <= record.date_service <= last
            and self.total_charge in (None, record.total_fee)
            and self.patient_id in (None, record.patient_id)
        )


class StepJournal(Protocol):
    """Durable record of the finished steps of a multi-step write (insurance payments).

    The adapter calls :meth:`done` before each step and :meth:`record` right after the step's
    write succeeds, so a retry after a crash resumes instead of repeating.
    """

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids recorded for ``step`` if it already finished, else None."""

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Durably mark ``step`` finished with the ids it wrote."""


@runtime_checkable
class Ledger(Protocol):
    """One practice's PMS ledger. Implementations: Open Dental, Dentrix G, Eaglesoft, memory."""

    vendor: str

    def ping(self) -> VendorInfo:
        """Reach the PMS and report its version.

        Raises:
            AuthError: credentials refused. TransientError: unreachable.
        """

    def find_patient(self, patient_ref: str) -> PatientRecord | None:
        """The patient with this PMS id, or None when there is none (deleted counts as found).

        Raises:
            TransientError.
        """

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open charges of the patient's whole family, oldest first, procedures before
        adjustments on the same date; only charges with ``amount_due > 0``.

        Raises:
            TransientError.
        """

    def payment_types(self) -> list[PmsType]:
        """Patient and insurance payment types (``category`` tells which)."""

    def adjustment_types(self) -> list[PmsType]:
        """Adjustment types with their sign."""

    def find_posting(
        self, external_ref: str, *, patient_id: str | None = None
    ) -> PostedEntry | None:
        """What we already wrote for this external key, read from the PMS rows' marker.

        ``patient_id`` is a hint from a caller that knows any posting of this key is a patient
        payment written for that PMS patient: the adapter may then search only that patient's
        payments (Open Dental: its indexed ``PatNum`` instead of scanning every payment note),
        and must still find every posting of the key written for that patient. Without it
        the whole ledger is searched.

        When the key was written more than once (the marker on two payments, two checks, two
        sets of ledger rows), the oldest posting is returned and every later copy is listed in
        ``PostedEntry.duplicates`` (its ids and ``amount``), never silently dropped: the engine
        sends the item to review (``duplicate_in_pms``). One posting made of several rows is
        one posting. Every adapter does this (``tests/contract/test_duplicate_contract.py``).

        Raises:
            TransientError.
        """

    def patient_payments(
        self, patient: PatientRecord, start: dt.date, end: dt.date
    ) -> list[PmsPayment]:
        """Every patient payment of the patient's **family** dated ``start``…``end`` (both
        included), oldest first, ours (``ours``: carrying a connector marker) and staff's alike.
        Insurance payments are not listed. The engine decides what matches; the adapter only
        reads.

        Raises:
            TransientError.
        """

    def post_patient_payment(self, plan: PatientPaymentPlan) -> PostedEntry:
        """Write one patient payment with exactly the plan's splits.

        Raises:
            PermanentError: the plan is invalid (splits ≠ amount, unknown type).
            DataError: the patient or a charge no longer allows it. TransientError.
        """

    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """Write a refund / dispute / ACH return the vendor's way (negative payment or debit
        adjustment), linked to the original posting.

        Raises:
            PermanentError, DataError, TransientError.
        """

    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """Add a note on the patient's account; returns the PMS ids written.

        Raises:
            PermanentError, TransientError.
        """

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """Every PMS claim that satisfies the one criterion given, ordered by claim id
        (numerically where the PMS's ids are numbers), at most :data:`MAX_CLAIMS`.

        No fallback to another criterion and no "only if exactly one": deciding what the
        claims found mean is the posting engine's job. A criterion the vendor's schema cannot
        express (no stored payer claim number, say) gives ``[]``, as written in that vendor's
        docs. An identifier that cannot name a claim in this PMS (not a number where claim
        ids are numbers) gives ``[]``.

        Raises:
            TransientError.
        """

    def post_insurance_payment(
        self, plan: InsurancePaymentPlan, journal: StepJournal
    ) -> PostedEntry:
        """Post per-procedure paid / write-off / deductible, mark the claim received and
        record the check/EFT, resuming after the last finished step in ``journal``.

        Raises:
            PermanentError, DataError, TransientError.
        """

    def search_patients(self, query: PatientQuery) -> list[PatientMatch]:
        """Patients for staff to choose from (the console): by the start of the last name (and
        first name), born on ``query.birth_date`` when given, or the one ``query.patient_id``;
        sorted by last name, first name, id; at most ``query.limit``.

        Results carry names and birth dates (PHI): display only, never stored or logged. A PMS
        whose birth dates we cannot read returns ``birth_date=None`` and ignores that filter.

        Raises:
            TransientError.
        """

    def close(self) -> None:
        """Release connections."""


@dataclass(frozen=True)
class OfficeEraSettings:
    """The office's own ERA posting choices, kept in the PMS (Open Dental: its ``Era*``
    preferences); the engine uses them where the configuration says nothing.

    ``payment_types``: BPR04 method (``ACH``, ``CHK``, ``FWT``; ``""`` = any other) → PMS
    insurance payment type id. ``writeoffs``: ``"always"`` or ``"primary_only"``.
    ``no_auto_carcs``: claims carrying one of these CARCs are not posted automatically.
    ``sources``: for each of ``payment_types.{method}``, ``writeoffs``, ``no_auto_carcs``, where
    the value was read (e.g. "Open Dental preference EraAchPaymentType").
    """

    payment_types: dict[str, str] = field(default_factory=dict)
    writeoffs: str | None = None
    no_auto_carcs: tuple[str, ...] | None = None
    sources: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class OfficeEraDefaults(Protocol):
    """Optional capability: the office's own ERA settings (:class:`OfficeEraSettings`)."""

    def office_era_settings(self) -> OfficeEraSettings:
        """Read the office's ERA choices (cached by the adapter for a few minutes).

        Raises:
            TransientError, AuthError: the PMS could not be read.
        """
        ...


@dataclass(frozen=True)
class CarrierEraAutomation:
    """A carrier whose ERA automation differs from the office's setting."""

    name: str
    payer_id: str | None  # the carrier's electronic payer id, as ERAs name the payer
    mode: str


@dataclass(frozen=True)
class EraAutomation:
    """The PMS's own ERA processing: the office mode and the carriers that override it.

    Modes: ``review_all`` (staff review every ERA), ``semi_automatic`` (one click),
    ``fully_automatic`` (posted on import without anyone).
    """

    office_mode: str
    carriers: tuple[CarrierEraAutomation, ...] = ()


@runtime_checkable
class EraAutomationReader(Protocol):
    """Optional: a PMS that can post ERAs itself says how it is set (Open Dental)."""

    def era_automation(self) -> EraAutomation:
        """The office's ERA automation mode and the carrier overrides.

        Raises:
            TransientError.
        """


@runtime_checkable
class ServicesPing(Protocol):
    """Optional capability: a ping that reaches *every* service the adapter posts through.

    :meth:`Ledger.ping` reaches the PMS the way reads do. An adapter whose writes go elsewhere
    (Open Dental: reads over ODBC, writes through the REST API) implements this too, with
    read-only requests, so the posting job can tell "the PMS is down" from "the PMS refused
    this one request". The job uses ``ping`` for adapters without it.
    """

    def ping_services(self) -> VendorInfo:
        """Reach every service posting uses, with reads only, and report the version.

        Raises:
            AuthError: credentials refused. TransientError: a service is unreachable.
        """


def check_payment_plan(plan: PatientPaymentPlan) -> None:
    """Refuse a patient-payment plan that no adapter may write (the same rules for every vendor).

    Raises:
        PermanentError: ``plan_invalid`` (amount or a split not positive, no splits, post-only
            with more than one split or an applied one) or ``plan_splits_mismatch`` (the splits
            do not add up to the amount).
    """
    ref = plan.external_ref
    if plan.amount <= 0 or not plan.splits:
        raise PermanentError(
            f"payment {ref}: needs a positive amount and splits (refunds are reversals)",
            code="plan_invalid",
        )
    if any(split.amount <= 0 for split in plan.splits):
        raise PermanentError(f"payment {ref}: every split must be positive", code="plan_invalid")
    splits_total = sum((split.amount for split in plan.splits), Decimal("0.00"))
    if splits_total != plan.amount:
        raise PermanentError(
            f"payment {ref}: splits add up to {splits_total}, payment is {plan.amount}",
            code="plan_splits_mismatch",
        )
    if plan.mode is AllocationMode.POST_ONLY and (
        len(plan.splits) != 1 or plan.splits[0].charge_ref is not None
    ):
        raise PermanentError(
            f"payment {ref}: post-only mode takes one unapplied split", code="plan_invalid"
        )


@dataclass(frozen=True)
class UnclaimedProcedure:
    """A completed procedure of an insured patient that is on no insurance claim."""

    proc_ref: str
    patient_id: str
    date: dt.date
    code: str
    fee: Decimal
    provider_id: str | None = None


@runtime_checkable
class ProcedureAudit(Protocol):
    """Optional capability: the end-of-day check for procedures nobody billed to insurance.

    Adapters that can read procedures and claims implement it; the report command checks with
    ``isinstance(ledger, ProcedureAudit)`` and says plainly when an adapter cannot.
    """

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Completed procedures dated ``start`` to ``end`` (both included) of patients with
        dental insurance that no claim carries, oldest first. Ids only, never names.

        Raises:
            TransientError: the PMS cannot be read now. AuthError: access refused.
        """


def marker_for(external_ref: str, *, auto: bool = False) -> str:
    """The text stored in a PMS row to tie it to its source: ``[connector txn_…]``.

    Auto-posted insurance entries say ``[connector auto txn_…]`` so staff can see them.
    """
    return f"[connector {'auto ' if auto else ''}{external_ref}]"


MARKER_PREFIX = "[connector "
"""Every marker starts so (:func:`marker_for`); a row without it was not written by us."""


def has_marker(text: str | None) -> bool:
    """True when a PMS note carries any connector marker."""
    return bool(text) and MARKER_PREFIX in str(text)
