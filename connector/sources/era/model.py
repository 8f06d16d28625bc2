"""The 835 (005010X221A1) remittance model: typed, immutable, money as ``Decimal``.

One :class:`Remittance` is one ST…SE transaction set (one check or EFT). It holds the payment
(BPR), the trace (TRN), payer and payee (loops 1000A/1000B), every claim (loop 2100, with its
service lines, loop 2110) and the provider-level adjustments (PLB), plus the balancing verdict.

Patient data: NM1 names and member ids are kept (the redactor needs them, see
:meth:`Remittance.patient_names`) but they are excluded from ``repr`` and never appear in
:mod:`connector.records` (the stored payloads, built by :mod:`connector.sources.era.records`).

Every class here is a :class:`typing.NamedTuple`: immutable (assignment raises, no attribute can be
added), compared by value, built about three times faster than a frozen dataclass, whose
``__init__`` sets each field through ``object.__setattr__``. On 2,000 claims that setting was
29 % of the parse's instructions, and creating the frozen dataclasses a third of this module's
import time (valgrind and ``-X importtime``, docs/benchmarks.md). Copy with a change through
``value._replace(field=...)``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0.00")


class Adjustment(NamedTuple):
    """One CAS triple: group code (CO/PR/OA/PI), reason (CARC), amount and quantity.

    A positive amount reduces the payment; a negative one increases it.
    """

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


class Reference(NamedTuple):
    """A REF segment: qualifier (``6R``, ``1K``, ``EA`` …) and value."""

    qualifier: str
    value: str


class MonetaryAmount(NamedTuple):
    """An AMT segment: qualifier (``AU``, ``B6``, ``I`` …) and amount (informational only)."""

    qualifier: str
    amount: Decimal


class Quantity(NamedTuple):
    """A QTY segment: qualifier and quantity."""

    qualifier: str
    quantity: Decimal


class Contact(NamedTuple):
    """A PER segment: function (``BL``, ``CX``, ``IC``), name and communication numbers."""

    function: str
    name: str
    numbers: tuple[tuple[str, str], ...] = ()


class Person(NamedTuple):
    """An NM1 segment of a claim (``QC`` patient, ``IL`` insured, ``74`` corrected, ``82`` …).

    Names and ids are PHI for ``QC``/``IL``/``74``: they are hidden from ``repr`` and are
    only handed to the redactor.
    """

    entity: str
    entity_type: str
    last: str
    first: str
    middle: str
    id_qualifier: str
    id: str

    def __repr__(self) -> str:
        """Entity and id qualifier only: names and ids are patient data."""
        return (
            f"Person(entity={self.entity!r}, entity_type={self.entity_type!r},"
            f" id_qualifier={self.id_qualifier!r})"
        )

    @property
    def is_patient_data(self) -> bool:
        """True for the patient, insured and corrected-patient loops."""
        return self.entity in {"QC", "IL", "74", "GB"}


class Party(NamedTuple):
    """Payer (N1*PR, loop 1000A) or payee (N1*PE, loop 1000B)."""

    entity: str
    name: str
    id_qualifier: str
    id: str
    refs: tuple[Reference, ...] = ()
    contacts: tuple[Contact, ...] = ()

    def ref(self, qualifier: str) -> str | None:
        """The first REF value with this qualifier, if any."""
        for item in self.refs:
            if item.qualifier == qualifier:
                return item.value
        return None


class ServiceLine(NamedTuple):
    """One SVC loop (2110): the adjudicated procedure and what happened to it.

    ``code``/``qualifier``/``modifiers`` are SVC01 (what the payer adjudicated);
    ``original_*`` are SVC06 (what was billed) when the payer changed the code.
    """

    segment_no: int
    qualifier: str
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal | None
    original_qualifier: str | None
    original_code: str | None
    original_modifiers: tuple[str, ...]
    original_units: Decimal | None
    date: dt.date | None
    date_from: dt.date | None
    date_to: dt.date | None
    adjustments: tuple[Adjustment, ...]
    refs: tuple[Reference, ...]
    amounts: tuple[MonetaryAmount, ...]
    quantities: tuple[Quantity, ...]
    remarks: tuple[str, ...]

    @property
    def line_ref(self) -> str | None:
        """REF*6R: the provider's line item control number, echoed from the 837."""
        for ref in self.refs:
            if ref.qualifier == "6R":
                return ref.value
        return None

    @property
    def allowed(self) -> Decimal | None:
        """AMT*B6: the allowed amount (informational; never used for money)."""
        for amt in self.amounts:
            if amt.qualifier == "B6":
                return amt.amount
        return None

    @property
    def adjustment_total(self) -> Decimal:
        """Sum of the line's CAS amounts."""
        result = ZERO
        for adj in self.adjustments:
            result += adj.amount
        return result


class BalanceError(NamedTuple):
    """A balancing rule that failed. A verdict on the remittance, not an exception.

    Attributes:
        level: ``line``, ``claim`` or ``transaction``.
        rule: stable code, e.g. ``line_balance``, ``claim_balance``, ``claim_line_payments``,
            ``transaction_balance``.
        segment_no: file position of the segment holding the amount that disagrees.
        segment_id / element: e.g. ``CLP`` / ``CLP04``.
        expected / found: the computed amount and the amount the file states.
        patient_control: CLP01 of the claim concerned (``None`` for transaction level).
    """

    level: str
    rule: str
    segment_no: int
    segment_id: str
    element: str
    expected: Decimal
    found: Decimal
    patient_control: str | None = None

    @property
    def message(self) -> str:
        """Plain words for a review reason or a support person."""
        what = {
            "line_balance": "line charge minus line adjustments",
            "claim_balance": "claim charge minus claim and line adjustments",
            "claim_line_payments": "sum of the line payments minus claim adjustments",
            "transaction_balance": "sum of claim payments minus provider-level adjustments",
        }.get(self.rule, self.rule)
        where = f"claim {self.patient_control} " if self.patient_control is not None else ""
        return (
            f"{where}segment {self.segment_no} {self.element}: {what} is {self.expected}, "
            f"but the file says {self.found} (off by {self.found - self.expected})"
        )


class ClaimPayment(NamedTuple):
    """One CLP loop (2100): the payer's decision on one claim."""

    segment_no: int
    patient_control: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_control: str
    facility: str
    frequency: str
    adjustments: tuple[Adjustment, ...]
    people: tuple[Person, ...]
    refs: tuple[Reference, ...]
    dates: tuple[tuple[str, dt.date | None], ...]
    amounts: tuple[MonetaryAmount, ...]
    quantities: tuple[Quantity, ...]
    remarks: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    balance_errors: tuple[BalanceError, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """True when the claim and each of its lines balance."""
        return not self.balance_errors

    @property
    def is_reversal(self) -> bool:
        """CLP02 = 22: this claim negates an earlier adjudication."""
        return self.status == "22"

    def date(self, qualifier: str) -> dt.date | None:
        """The first DTM date with this qualifier (``232``, ``233``, ``050`` …)."""
        for qual, value in self.dates:
            if qual == qualifier:
                return value
        return None

    @property
    def service_from(self) -> dt.date | None:
        """DTM*232, else the earliest line date."""
        found = self.date("232")
        if found is not None:
            return found
        dates = [d for line in self.lines for d in (line.date, line.date_from) if d]
        return min(dates) if dates else None

    @property
    def service_to(self) -> dt.date | None:
        """DTM*233, else the latest line date."""
        found = self.date("233")
        if found is not None:
            return found
        dates = [d for line in self.lines for d in (line.date, line.date_to) if d]
        return max(dates) if dates else None

    @property
    def adjustment_total(self) -> Decimal:
        """Claim-level plus line-level CAS amounts."""
        result = ZERO
        for adj in self.adjustments:
            result += adj.amount
        for line in self.lines:
            result += line.adjustment_total
        return result

    def patient_names(self) -> list[str]:
        """Names of the people in this claim (for :meth:`Redactor.register_names` only)."""
        return [
            " ".join(part for part in (p.first, p.middle, p.last) if part)
            for p in self.people
            if p.is_patient_data
        ]

    def sensitive_values(self) -> list[str]:
        """Member/subscriber ids in this claim (for :meth:`Redactor.register_values` only)."""
        return [p.id for p in self.people if p.is_patient_data and p.id]

    def item_key(self, remittance: Remittance) -> str:
        """``{remittance key}:{CLP01}:{CLP07}:{CLP02}`` (a reversal and its correction differ)."""
        return (
            f"{remittance.item_key}:{self.patient_control}:{self.payer_claim_control}:{self.status}"
        )


class ProviderAdjustment(NamedTuple):
    """One PLB adjustment (reason:reference, amount). Positive reduces the payment."""

    segment_no: int
    provider: str
    period_end: dt.date | None
    reason: str
    reference: str
    amount: Decimal


class Envelope(NamedTuple):
    """Control data of the interchange (ISA), group (GS) and transaction set (ST)."""

    interchange_control: str
    sender_id: str
    receiver_id: str
    usage: str
    group_control: str
    version: str
    transaction_control: str


class Remittance(NamedTuple):
    """One 835 transaction set (ST…SE): one payment (check/EFT) and its claims.

    ``amount`` is BPR02 as sent (never negative); :attr:`signed_amount` applies BPR03.
    ``balanced`` is False when any line, claim or transaction rule fails (see
    ``balance_errors``); ``warnings`` hold problems that do not affect the money (an invalid
    date, CLP05 different from the PR adjustments, a legacy ``CR`` group code …).
    """

    file: str
    segment_no: int
    envelope: Envelope
    handling: str
    amount: Decimal
    credit_debit: str
    method: str
    payment_format: str
    payment_date: dt.date | None
    payment_date_raw: str
    trace_type: str
    trace: str
    payer_id: str
    trace_supplemental: str
    refs: tuple[Reference, ...]
    dates: tuple[tuple[str, dt.date | None], ...]
    payer: Party
    payee: Party
    claims: tuple[ClaimPayment, ...]
    plb: tuple[ProviderAdjustment, ...]
    balance_errors: tuple[BalanceError, ...] = ()
    warnings: tuple[str, ...] = ()
    file_sha256: str | None = None

    @property
    def test(self) -> bool:
        """ISA15 = ``T``: test data, recorded but never posted."""
        return self.envelope.usage == "T"

    @property
    def balanced(self) -> bool:
        """True when every line, claim and the transaction balance."""
        return not self.balance_errors

    @property
    def signed_amount(self) -> Decimal:
        """BPR02, negative when BPR03 = ``D`` (the provider owes the payer)."""
        return -self.amount if self.credit_debit == "D" else self.amount

    @property
    def interchange_control(self) -> str:
        """ISA13."""
        return self.envelope.interchange_control

    @property
    def payee_npi(self) -> str | None:
        """N1*PE*…*XX*npi."""
        return self.payee.id if self.payee.id_qualifier == "XX" else None

    @property
    def payee_tin(self) -> str | None:
        """N1*PE*…*FI*tin, else REF*TJ."""
        if self.payee.id_qualifier == "FI":
            return self.payee.id
        return self.payee.ref("TJ")

    @property
    def plb_total(self) -> Decimal:
        """Sum of PLB amounts (positive = withheld from this payment)."""
        result = ZERO
        for adj in self.plb:
            result += adj.amount
        return result

    @property
    def item_key(self) -> str:
        """``era:{TRN03}:{TRN02}:{BPR02}``: payer, trace and amount identify a remittance, so a
        re-sent file gets the same key even when its payment date (BPR16) changed."""
        return f"era:{self.payer_id}:{self.trace}:{self.amount}"

    @property
    def legacy_item_key(self) -> str:
        """The key releases before #14 gave it (``…:{BPR16}`` appended); items stored under
        it keep it (:mod:`connector.sources.era.legacy_keys`)."""
        return f"{self.item_key}:{self.payment_date_raw}"

    def patient_names(self) -> list[str]:
        """Every patient/insured name in the remittance, for ``Redactor.register_names``."""
        return [name for claim in self.claims for name in claim.patient_names()]

    def sensitive_values(self) -> list[str]:
        """Every member/subscriber id, for ``Redactor.register_values``."""
        return [value for claim in self.claims for value in claim.sensitive_values()]
