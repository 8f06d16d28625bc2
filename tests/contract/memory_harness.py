"""The memory ledger's harness: the fake PMS held to the same contract as the real adapters.

The seeded practice mirrors the Open Dental one (same families, amounts still due, claims), so
a difference in behaviour shows as a failing contract test, not as a different scenario.
``ledger()`` hands out the same in-memory "database" every time, as a restarted process would
find the same PMS.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.base import Ledger, StepJournal
from adapters.memory import MemoryLedger
from connector.clock import SYSTEM, Clock
from tests.contract.harness import ChargeView, LineView, Scenario, SplitView
from tests.support.journal import MemoryJournal

D = Decimal

SCENARIO = Scenario(
    family_member="2",
    guarantor="1",
    family_charges=(
        ChargeView("procedure", "P1", "1", D("12.00")),
        ChargeView("procedure", "P2", "1", D("15.00")),
        ChargeView("adjustment", "A1", "1", D("25.00")),
        ChargeView("procedure", "P3", "2", D("40.00")),
        ChargeView("procedure", "P4", "2", D("15.00")),
        ChargeView("procedure", "P5", "3", D("60.00")),
        ChargeView("procedure", "P6", "1", D("400.00")),
    ),
    no_charges_patient="7",
    two_plan_patient="2",
    deleted_patient="6",
    unknown_patient="999999",
    payment_type="13",
    hidden_payment_type="14",
    unknown_payment_type="987654",
    insurance_payment_type="41",
    open_claim_identifier="2/2",
    open_claim_patient="2",
    received_claim_identifier="1/1",
    received_claim_patient="1",
    open_claim_payer_control="PCN-2",
)


def seeded() -> MemoryLedger:
    """The memory PMS with the scenario's practice."""
    led = MemoryLedger()
    led.add_patient("1", plans=1, first_name="John", last_name="Smith", birth_date="1961-02-03")
    led.add_patient("2", guarantor="1", plans=2, first_name="Mary", last_name="Smith",
                    birth_date="1984-05-06")  # fmt: skip
    led.add_patient("3", guarantor="1", first_name="Tim", last_name="Smith")
    led.add_patient("6", status="deleted", first_name="Finn", last_name="Brown")
    led.add_patient("7", first_name="Gia", last_name="Lopez")
    for ref, patient, day, amount, kind in (
        ("P1", "1", "2025-01-10", "12.00", "procedure"),
        ("P2", "1", "2025-01-10", "15.00", "procedure"),
        ("A1", "1", "2025-01-10", "25.00", "adjustment"),
        ("P3", "2", "2025-02-14", "40.00", "procedure"),
        ("P4", "2", "2025-02-14", "15.00", "procedure"),
        ("P5", "3", "2025-03-03", "60.00", "procedure"),
        ("P6", "1", "2025-04-20", "400.00", "procedure"),
        ("P9", "6", "2024-06-01", "60.00", "procedure"),
    ):
        led.add_charge(ref, patient=patient, date=day, amount=amount, kind=kind, provider="1")
    led.add_type("13", "Online Payment", "payment")
    led.add_type("14", "Old Card Terminal", "payment", hidden=True)
    led.add_type("40", "Check", "insurance_payment")
    led.add_type("41", "EFT", "insurance_payment")
    led.add_type("1", "Discount", "adjustment", sign="-")
    led.add_type("2", "Finance Charge", "adjustment", sign="+")
    led.add_claim(
        "2",
        patient="2",
        identifier="2/2",
        date="2025-02-14",
        payer_claim_control="PCN-2",
        plan_count=2,
        has_secondary_plan=True,
        lines=[
            {"proc_ref": "P3", "code": "D2391", "fee": "180.00", "expected": "120.00"},
            {"proc_ref": "P4", "code": "D0274", "fee": "70.00", "expected": "50.00"},
        ],
    )
    received = led.add_claim(
        "1",
        patient="1",
        identifier="1/1",
        date="2025-01-10",
        lines=[
            {"proc_ref": "P1", "code": "D0120", "fee": "60.00", "expected": "48.00"},
            {"proc_ref": "P2", "code": "D1110", "fee": "95.00", "expected": "70.00"},
        ],
    )
    received.received = True
    for line, paid in zip(received.lines, (D("48.00"), D("70.00")), strict=True):
        line.received, line.paid = True, paid
    return led


class MemoryHarness:
    """Harness over one seeded :class:`MemoryLedger`."""

    name = "memory"
    scenario = SCENARIO

    def __init__(self) -> None:
        self.led = seeded()

    def ledger(self, *, clock: Clock = SYSTEM, timezone: str = "UTC") -> Ledger:
        """The same in-memory PMS (there is nothing to reconnect; it stamps no times)."""
        return self.led

    def entry_stamps(self, ids: dict[str, Any]) -> list[dt.datetime]:
        """None: the fake keeps no entry times."""
        return []

    def copy_posting(self, ids: dict[str, Any]) -> None:
        """The payment row again under a new id (see ``MemoryData.copy_payment``)."""
        row = next(p for p in self.led.payments if p.pms_ids == ids)
        self.led.copy_payment(row.payment_id)

    def journal(self) -> StepJournal:
        """An in-memory journal."""
        return MemoryJournal()

    def enter_by_hand(self, patient_id: str, day: dt.date, amount: Decimal) -> str:
        """A payment row without a marker (see ``MemoryData.add_hand_payment``)."""
        name = next(t.name for t in self.led.types if t.id == SCENARIO.payment_type)
        return self.led.add_hand_payment(patient_id, day, amount, payment_type=name).payment_id

    def _payment(self, pms_ids: dict[str, Any]) -> Any:
        return next(p for p in self.led.payments if p.payment_id == pms_ids["payment_id"])

    def payment_splits(self, pms_ids: dict[str, Any]) -> list[SplitView]:
        """The payment row's splits."""
        views = []
        for split in self._payment(pms_ids).splits:
            ref = split["charge_ref"]
            kind = self.led.charges[ref].kind.value if ref else "unearned"
            views.append(SplitView(kind, ref, split["patient_id"], split["amount"]))
        return views

    def payment_amount(self, pms_ids: dict[str, Any]) -> Decimal:
        """The row's signed amount."""
        return D(self._payment(pms_ids).amount)

    def rows_with_marker(self, marker: str) -> int:
        """Payment rows whose note holds the marker."""
        return sum(1 for p in self.led.payments if marker in p.note)

    def note_text(self, ids: dict[str, Any]) -> str:
        """The note with the marker the fake keeps beside it (the real PMS rows hold both)."""
        note = next(n for n in self.led.notes if n["note_id"] == ids["note_id"])
        return f"{note['marker']} {note['text']}"

    def note_time(self, ids: dict[str, Any]) -> dt.datetime:
        """The note's time as the fake keeps it."""
        note = next(n for n in self.led.notes if n["note_id"] == ids["note_id"])
        return note["when"]  # type: ignore[no-any-return]

    def claim_lines(self, claim_id: str) -> dict[str, LineView]:
        """Per procedure: received, paid, write-off, deductible."""
        claim = self.led.claims[claim_id]
        return {
            ln.proc_ref: LineView(ln.received, ln.paid, ln.writeoff, ln.deductible)
            for ln in claim.lines
        }

    def deductible_met(self, patient_id: str) -> Decimal:
        """The deductibles on the patient's primary claims' lines."""
        return sum(
            (
                ln.deductible
                for claim in self.led.claims.values()
                if claim.patient_id == patient_id and claim.claim_type == "primary"
                for ln in claim.lines
            ),
            Decimal("0.00"),
        )

    def claim_received(self, claim_id: str) -> bool:
        """The claim's received flag."""
        return self.led.claims[claim_id].received

    def claim_checks(self, claim_id: str) -> list[Decimal]:
        """Amounts of the checks the claim is attached to."""
        return [c.amount for c in self.led.checks.values() if claim_id in c.claim_ids]

    def other_plan_paid(self, claim_id: str) -> Decimal:
        """Paid on the same procedures by the patient's claims of another type (plan)."""
        claim = self.led.claims[claim_id]
        refs = {ln.proc_ref for ln in claim.lines}
        return sum(
            (
                ln.paid
                for other in self.led.claims.values()
                if other.patient_id == claim.patient_id and other.claim_type != claim.claim_type
                for ln in other.lines
                if ln.proc_ref in refs
            ),
            Decimal("0.00"),
        )

    def add_claim(self, patient_id: str, day: dt.date, fee: Decimal) -> str:
        """A new charge and a sent claim on it."""
        claim_id = str(max(int(c) for c in self.led.claims) + 1)
        ref = f"PX{claim_id}"
        self.led.add_charge(ref, patient=patient_id, date=day, amount=fee, provider="1")
        self.led.add_claim(
            claim_id,
            patient=patient_id,
            identifier=f"{patient_id}/{claim_id}",
            date=day,
            lines=[{"proc_ref": ref, "code": "D0120", "fee": fee, "expected": "0.00"}],
        )
        return claim_id
