"""The memory ledger's data: patients, charges, types, claims, payments and checks, plus a
builder for tests and a loader for JSON/YAML fixtures (the demo and ``vendor: memory``).

Everything is mutable on purpose: it *is* the fake PMS database. Amounts are Decimal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from adapters.base import ChargeKind, PatientStatus, PmsType
from connector.errors import ConfigError
from connector.money import ZERO, to_money


@dataclass
class MemPatient:
    """A patient row."""

    patient_id: str
    guarantor_id: str
    status: PatientStatus = PatientStatus.ACTIVE
    provider_id: str | None = None
    clinic_id: str | None = None
    insurance_plan_count: int = 0
    first_name: str = field(default="", repr=False)
    last_name: str = field(default="", repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)


@dataclass
class MemCharge:
    """A procedure or adjustment with what the patient still owes on it."""

    charge_ref: str
    kind: ChargeKind
    patient_id: str
    provider_id: str | None
    date: dt.date
    amount_due: Decimal
    code: str | None = None
    clinic_id: str | None = None


@dataclass
class MemClaimLine:
    """A procedure on a claim, with what insurance has paid on it so far."""

    proc_ref: str
    code: str
    date: dt.date
    fee: Decimal
    expected_insurance: Decimal
    line_ref: str | None = None
    paid: Decimal = ZERO
    writeoff: Decimal = ZERO
    deductible: Decimal = ZERO
    received: bool = False


@dataclass
class MemClaim:
    """A claim as the practice sent it."""

    claim_id: str
    patient_id: str
    claim_identifier: str
    date_service: dt.date
    lines: list[MemClaimLine]
    plan_count: int = 1
    claim_type: str = "primary"
    has_secondary_plan: bool = False
    carrier_name: str | None = None
    payer_claim_control: str | None = None
    received: bool = False

    @property
    def total_fee(self) -> Decimal:
        """Sum of the line fees."""
        return sum((line.fee for line in self.lines), ZERO)


@dataclass
class MemPayment:
    """A payment, reversal or insurance payment row, with the marker text in its note."""

    payment_id: str
    kind: str  # patient_payment | reversal | insurance
    note: str
    amount: Decimal
    patient_id: str
    date: dt.date
    pms_ids: dict[str, Any]
    splits: list[dict[str, Any]] = field(default_factory=list)
    payment_type: str | None = None
    entered_by: str | None = None


@dataclass
class MemCheck:
    """An insurance check / EFT record, shared by the claims of one remittance."""

    check_id: str
    number: str
    amount: Decimal
    date: dt.date
    payer_name: str
    payment_type_id: str | None
    claim_ids: list[str] = field(default_factory=list)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


class MemoryData:
    """The tables of one fake PMS, with builder methods that return the row they add."""

    def __init__(self) -> None:
        self.patients: dict[str, MemPatient] = {}
        self.charges: dict[str, MemCharge] = {}
        self.types: list[PmsType] = []
        self.claims: dict[str, MemClaim] = {}
        self.payments: list[MemPayment] = []
        self.line_payments: list[dict[str, Any]] = []
        self.checks: dict[tuple[str, str], MemCheck] = {}
        self.notes: list[dict[str, Any]] = []
        self.credit: dict[str, Decimal] = {}  # unapplied credit per patient
        self._next = 0

    def next_id(self, prefix: str) -> str:
        """A new row id like ``PAY-7``."""
        self._next += 1
        return f"{prefix}-{self._next}"

    # -- builder ------------------------------------------------------------------------------
    def add_hand_payment(
        self, patient_id: str, day: dt.date | str, amount: Decimal | str, *,
        payment_type: str = "Check", entered_by: str = "frontdesk", note: str = "",
    ) -> MemPayment:  # fmt: skip
        """A patient payment staff keyed in by hand (no marker; not applied to charges)."""
        pay_id = self.next_id("PAY")
        row = MemPayment(pay_id, "patient_payment", note, Decimal(str(amount)), patient_id,
                         _date(day), {"payment_id": pay_id, "patient_id": patient_id},
                         payment_type=payment_type, entered_by=entered_by)  # fmt: skip
        self.payments.append(row)
        return row

    def copy_payment(self, payment_id: str) -> MemPayment:
        """The payment row written again under a new id, note (marker) and all: the key is
        on two rows, as after a write whose answer never came (tests of ``duplicates``)."""
        original = next(p for p in self.payments if p.payment_id == payment_id)
        pay_id = self.next_id("PAY")
        row = replace(
            original,
            payment_id=pay_id,
            pms_ids={**original.pms_ids, "payment_id": pay_id},
            splits=[dict(s) for s in original.splits],
        )
        self.payments.append(row)
        return row

    def add_patient(
        self,
        patient_id: str,
        *,
        guarantor: str | None = None,
        status: PatientStatus | str = PatientStatus.ACTIVE,
        provider: str | None = None,
        clinic: str | None = None,
        plans: int = 0,
        first_name: str = "",
        last_name: str = "",
        birth_date: dt.date | str | None = None,
    ) -> MemPatient:
        """Add a patient (their own guarantor unless ``guarantor`` is given)."""
        born = dt.date.fromisoformat(birth_date) if isinstance(birth_date, str) else birth_date
        row = MemPatient(
            patient_id, guarantor or patient_id, PatientStatus(status), provider, clinic, plans,
            first_name, last_name, born,
        )  # fmt: skip
        self.patients[patient_id] = row
        return row

    def add_charge(
        self,
        charge_ref: str,
        *,
        patient: str,
        date: dt.date | str,
        amount: Decimal | str,
        kind: ChargeKind | str = ChargeKind.PROCEDURE,
        provider: str | None = None,
        code: str | None = None,
    ) -> MemCharge:
        """Add an open charge of ``amount`` owed by the patient."""
        row = MemCharge(
            charge_ref, ChargeKind(kind), patient, provider, _date(date), to_money(amount), code
        )
        self.charges[charge_ref] = row
        return row

    def add_type(
        self,
        type_id: str,
        name: str,
        category: str,
        *,
        sign: str | None = None,
        hidden: bool = False,
    ) -> PmsType:
        """Add a payment / insurance payment / adjustment type."""
        row = PmsType(type_id, name, category, sign, hidden)
        self.types.append(row)
        return row

    def add_claim(
        self,
        claim_id: str,
        *,
        patient: str,
        identifier: str,
        date: dt.date | str,
        lines: Iterable[Mapping[str, Any]],
        plan_count: int = 1,
        claim_type: str = "primary",
        has_secondary_plan: bool = False,
        carrier: str | None = None,
        payer_claim_control: str | None = None,
    ) -> MemClaim:
        """Add a sent claim; each line: ``proc_ref, code, fee, expected`` (+ ``date``,
        ``line_ref``)."""
        day = _date(date)
        rows = [
            MemClaimLine(
                str(ln["proc_ref"]),
                str(ln["code"]),
                _date(ln.get("date", day)),
                to_money(ln["fee"]),
                to_money(ln.get("expected", "0")),
                ln.get("line_ref"),
            )
            for ln in lines
        ]
        claim = MemClaim(
            claim_id,
            patient,
            identifier,
            day,
            rows,
            plan_count,
            claim_type,
            has_secondary_plan,
            carrier,
            payer_claim_control,
        )
        self.claims[claim_id] = claim
        return claim

    # -- fixtures -----------------------------------------------------------------------------
    def load(self, data: Mapping[str, Any]) -> None:
        """Add everything in a fixture mapping: ``patients``, ``charges``, ``types``, ``claims``
        (lists of the builder methods' keyword arguments; ids under ``id``)."""
        for row in data.get("patients", []):
            self.add_patient(
                str(row["id"]),
                guarantor=str(row["guarantor"]) if row.get("guarantor") is not None else None,
                status=row.get("status", "active"),
                provider=row.get("provider"),
                clinic=row.get("clinic"),
                plans=int(row.get("plans", 0)),
                first_name=str(row.get("first_name", "")),
                last_name=str(row.get("last_name", "")),
                birth_date=row.get("birth_date"),
            )
        for row in data.get("charges", []):
            self.add_charge(
                str(row["id"]),
                patient=str(row["patient"]),
                date=row["date"],
                amount=str(row["amount"]),
                kind=row.get("kind", "procedure"),
                provider=row.get("provider"),
                code=row.get("code"),
            )
        for row in data.get("types", []):
            self.add_type(
                str(row["id"]),
                row["name"],
                row["category"],
                sign=row.get("sign"),
                hidden=bool(row.get("hidden", False)),
            )
        for row in data.get("claims", []):
            self.add_claim(
                str(row["id"]),
                patient=str(row["patient"]),
                identifier=str(row["identifier"]),
                date=row["date"],
                lines=row["lines"],
                plan_count=int(row.get("plan_count", 1)),
                claim_type=row.get("claim_type", "primary"),
                has_secondary_plan=bool(row.get("has_secondary_plan", False)),
                carrier=row.get("carrier"),
                payer_claim_control=row.get("payer_claim_control"),
            )


def read_fixture(path: Path) -> dict[str, Any]:
    """A fixture file (``.json``, ``.yaml``/``.yml``) as a mapping.

    Raises:
        ConfigError: the file is missing or not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the memory ledger fixture {path}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"the memory ledger fixture {path} is not a mapping")
    return data
