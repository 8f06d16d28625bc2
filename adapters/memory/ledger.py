"""``MemoryLedger``: an in-memory PMS that keeps the :class:`adapters.base.Ledger` contract.

Shipped in the package (as httpx ships ``MockTransport``) for tests, the demo and the adapter
contract suite. It behaves like a careful real adapter:

* it validates plans the way a PMS would (splits add up, types exist, charges still owe that
  much, the claim and its procedures exist) and raises the contract's errors;
* every row it writes carries the plan's marker, and :meth:`find_posting` reads them back;
* an insurance payment is written in steps (each procedure, the claim, the check), each one
  recorded in the journal and looked up before it is written, so a retry resumes; the posting
  becomes visible to :meth:`find_posting` only when its last step is written;
* faults can be injected at named points, before or after the write "commits"
  (:meth:`fail`), to test crash healing and retries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapters.base import (
    MAX_CLAIMS,
    ChargeKind,
    ClaimLine,
    ClaimMatch,
    ClaimRecord,
    OpenCharge,
    PatientRecord,
    PatientStatus,
    PmsPayment,
    PmsType,
    StepJournal,
    UnclaimedProcedure,
    VendorInfo,
    check_payment_plan,
    has_marker,
    marker_for,
)
from adapters.memory.state import MemCheck, MemClaim, MemoryData, MemPayment, read_fixture
from adapters.patient_search import PatientMatch, PatientQuery
from connector.clock import SYSTEM, Clock
from connector.domain import (
    DepositPlan,
    InsurancePaymentPlan,
    PatientNote,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
)
from connector.errors import ConnectorError, DataError, PermanentError
from connector.faults import kill_point
from connector.money import ZERO, total
from connector.redaction import Redactor

_GONE = frozenset({PatientStatus.DELETED})


class MemoryLedger(MemoryData):
    """The in-memory Ledger; build it with the ``add_*`` methods or from a fixture."""

    vendor = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._faults: list[tuple[str, Callable[[], ConnectorError], bool, list[int]]] = []
        self.calls: list[str] = []
        self.closed = False
        self.deposits: dict[str, tuple[str, DepositPlan]] = {}  # marker → (id, plan)

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        practice_id: str,
        redactor: Redactor,
        clock: Clock = SYSTEM,
        timezone: str = "UTC",
    ) -> MemoryLedger:
        """Build from ``pms`` settings: ``fixture`` (a JSON/YAML file) and/or ``data`` (inline).
        ``clock`` and ``timezone`` are accepted like every adapter's: it stamps no times.

        Raises:
            ConfigError: the fixture cannot be read.
        """
        ledger = cls()
        fixture = getattr(settings, "fixture", None)
        if fixture:
            ledger.load(read_fixture(fixture))
        data = getattr(settings, "data", None)
        if data:
            ledger.load(data)
        return ledger

    # -- fault injection ------------------------------------------------------------------------
    def fail(
        self,
        point: str,
        error: Callable[[], ConnectorError],
        *,
        after_commit: bool = False,
        times: int = 1,
    ) -> None:
        """Raise ``error()`` the next ``times`` times ``point`` is reached.

        Points: a method name (``post_patient_payment``, ``find_claims`` …) or an insurance step
        (``procedure:<proc_ref>``, ``claim``, ``check``). With ``after_commit`` the write
        happens first, then the error: what a crash after the PMS commit looks like.
        """
        self._faults.append((point, error, after_commit, [times]))

    def _checkpoint(self, point: str, *, committed: bool) -> None:
        for name, error, after, left in self._faults:
            if name == point and after == committed and left[0] > 0:
                left[0] -= 1
                raise error()

    def _enter(self, point: str) -> None:
        self.calls.append(point)
        self._checkpoint(point, committed=False)

    # -- reads ----------------------------------------------------------------------------------
    def ping(self) -> VendorInfo:
        """Always reachable."""
        self._enter("ping")
        return VendorInfo(vendor=self.vendor, version="1", detail={"patients": len(self.patients)})

    def find_patient(self, patient_ref: str) -> PatientRecord | None:
        """The patient, or None."""
        self._enter("find_patient")
        row = self.patients.get(str(patient_ref))
        if row is None:
            return None
        return PatientRecord(
            row.patient_id,
            row.guarantor_id,
            row.status,
            row.provider_id,
            row.clinic_id,
            row.insurance_plan_count,
        )

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open charges of everyone with the patient's guarantor, oldest first."""
        self._enter("family_charges")
        family = {
            p.patient_id for p in self.patients.values() if p.guarantor_id == patient.guarantor_id
        }
        rows = [c for c in self.charges.values() if c.patient_id in family and c.amount_due > ZERO]
        order = {ChargeKind.PROCEDURE: 0, ChargeKind.ADJUSTMENT: 1}
        rows.sort(key=lambda c: (c.date, order[c.kind], c.charge_ref))
        return [
            OpenCharge(
                c.charge_ref,
                c.kind,
                c.patient_id,
                c.provider_id,
                c.date,
                c.amount_due,
                c.code,
                c.clinic_id,
            )
            for c in rows
        ]

    def payment_types(self) -> list[PmsType]:
        """Patient and insurance payment types."""
        self._enter("payment_types")
        return [t for t in self.types if t.category in ("payment", "insurance_payment")]

    def adjustment_types(self) -> list[PmsType]:
        """Adjustment types."""
        self._enter("adjustment_types")
        return [t for t in self.types if t.category == "adjustment"]

    def find_posting(
        self, external_ref: str, *, patient_id: str | None = None
    ) -> PostedEntry | None:
        """The finished posting whose note holds the key's marker, or None; with
        ``patient_id``, only that patient's payments are searched (as Open Dental does).
        Later rows of the same kind with the marker are the key written again: reported as
        ``duplicates``."""
        self._enter("find_posting")
        markers = (marker_for(external_ref), marker_for(external_ref, auto=True))
        rows = [
            row
            for row in self.payments
            if (patient_id is None or row.patient_id == patient_id)
            and any(m in row.note for m in markers)
        ]
        if not rows:
            return None
        first = rows[0]
        return PostedEntry(
            external_ref,
            dict(first.pms_ids),
            first.amount,
            already_existed=True,
            duplicates=tuple(
                {**r.pms_ids, "amount": r.amount} for r in rows[1:] if r.kind == first.kind
            ),
        )

    def patient_payments(
        self, patient: PatientRecord, start: dt.date, end: dt.date
    ) -> list[PmsPayment]:
        """The family's patient payments and reversals dated start…end, oldest first."""
        self._enter("patient_payments")
        family = {p.patient_id for p in self.patients.values()
                  if p.guarantor_id == patient.guarantor_id}  # fmt: skip
        rows = [r for r in self.payments if r.kind in ("patient_payment", "reversal")
                and r.patient_id in family and start <= r.date <= end]  # fmt: skip
        return [
            PmsPayment(
                r.payment_id,
                r.patient_id,
                r.date,
                r.amount,
                r.payment_type,
                r.entered_by,
                has_marker(r.note),
            )
            for r in sorted(rows, key=lambda r: (r.date, r.payment_id))
        ]

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """The claims with exactly this identifier, or this payer claim number, or whose date
        of service is in the window (and fee and patient, when named); by claim id."""
        self._enter("find_claims")
        claims = sorted(self.claims.values(), key=lambda c: (len(c.claim_id), c.claim_id))
        found: list[ClaimRecord] = []
        for claim in claims:
            record = self._record(claim)
            if match.claim_identifier is not None:
                hit = claim.claim_identifier == match.claim_identifier
            elif match.payer_claim_control is not None:
                hit = claim.payer_claim_control == match.payer_claim_control
            else:
                hit = match.fits(record)
            if hit:
                found.append(record)
        return found[:MAX_CLAIMS]

    @staticmethod
    def _record(claim: MemClaim) -> ClaimRecord:
        lines = tuple(
            ClaimLine(
                ln.proc_ref,
                ln.code,
                ln.date,
                ln.fee,
                ln.expected_insurance,
                ln.received,
                ln.line_ref,
                ln.paid,
                ln.writeoff,
            )
            for ln in claim.lines
        )
        return ClaimRecord(
            claim.claim_id,
            claim.patient_id,
            claim.claim_identifier,
            "R" if claim.received else "S",
            claim.received,
            claim.date_service,
            claim.total_fee,
            claim.plan_count,
            claim.claim_type,
            lines,
            claim.has_secondary_plan,
            claim.carrier_name,
        )

    # -- writes ---------------------------------------------------------------------------------
    def _type(self, type_id: str | None, categories: tuple[str, ...]) -> PmsType:
        for entry in self.types:
            if entry.id == type_id and entry.category in categories:
                if entry.hidden:
                    raise PermanentError(f"type {type_id!r} is hidden", code="unknown_type")
                return entry
        wanted = "/".join(categories)
        raise PermanentError(f"unknown {wanted} type {type_id!r}", code="unknown_type")

    def _marked(self, marker: str) -> MemPayment | None:
        """The row already written under ``marker`` (look before writing, like the adapters)."""
        return next((p for p in self.payments if marker in p.note), None)

    def _live_patient(self, patient_id: str) -> None:
        row = self.patients.get(patient_id)
        if row is None or row.status in _GONE:
            raise DataError(f"patient {patient_id} does not exist", code="patient_not_found")

    def post_patient_payment(self, plan: PatientPaymentPlan) -> PostedEntry:
        """One payment row with exactly the plan's splits."""
        self._enter("post_patient_payment")
        check_payment_plan(plan)
        done = self._marked(plan.marker)
        if done is not None:
            return PostedEntry(plan.external_ref, dict(done.pms_ids), done.amount, True)
        self._type(plan.payment_type_id, ("payment",))
        self._live_patient(plan.patient_id)
        for split in plan.splits:
            if split.charge_ref is None:
                continue
            charge = self.charges.get(split.charge_ref)
            if charge is None or charge.amount_due < split.amount:
                raise DataError(
                    f"charge {split.charge_ref} no longer owes {split.amount}",
                    code="charge_changed",
                )
        for split in plan.splits:
            if split.charge_ref is None:
                credit = self.credit.get(split.patient_id, ZERO)
                self.credit[split.patient_id] = credit + split.amount
            else:
                self.charges[split.charge_ref].amount_due -= split.amount
        pay_id = self.next_id("PAY")
        row = MemPayment(
            pay_id,
            "patient_payment",
            f"{plan.marker} {plan.note or ''}".strip(),
            plan.amount,
            plan.patient_id,
            plan.date,
            {"payment_id": pay_id, "patient_id": plan.patient_id},
            [
                {
                    "amount": s.amount,
                    "patient_id": s.patient_id,
                    "provider_id": s.provider_id,
                    "charge_ref": s.charge_ref,
                }
                for s in plan.splits
            ],
        )
        self.payments.append(row)
        self._checkpoint("post_patient_payment", committed=True)
        return PostedEntry(plan.external_ref, dict(row.pms_ids), plan.amount)

    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """A negative payment linked to the original that reopens what it paid, last split
        first (Open Dental's refund); idempotent by marker, never more than the original."""
        self._enter("post_reversal")
        original = next(
            (
                p
                for p in self.payments
                if p.pms_ids.get("payment_id") == plan.original_pms_ids.get("payment_id")
            ),
            None,
        )
        if original is None:
            raise DataError(
                f"original payment of {plan.original_external_ref} is not in the PMS",
                code="original_missing",
            )
        done = self._marked(plan.marker)
        if done is not None:
            return PostedEntry(plan.external_ref, dict(done.pms_ids), done.amount, True)
        if plan.amount <= ZERO or plan.amount > original.amount:
            raise PermanentError(
                f"reversal {plan.external_ref}: {plan.amount} does not fit payment "
                f"{original.payment_id}",
                code="plan_invalid",
            )
        if plan.payment_type_id is not None:
            self._type(plan.payment_type_id, ("payment",))
        if plan.adjustment_type_id is not None:
            self._type(plan.adjustment_type_id, ("adjustment",))
        self._reopen(original, plan.amount)
        pay_id = self.next_id("PAY")
        row = MemPayment(
            pay_id,
            "reversal",
            f"{plan.marker} {plan.note or ''}".strip(),
            -plan.amount,
            plan.patient_id,
            plan.date,
            {"payment_id": pay_id, "reverses": original.payment_id},
        )
        self.payments.append(row)
        self._checkpoint("post_reversal", committed=True)
        return PostedEntry(plan.external_ref, dict(row.pms_ids), -plan.amount)

    def _reopen(self, original: MemPayment, amount: Decimal) -> None:
        """Undo the original's splits, last first, up to ``amount`` (Open Dental's refund)."""
        left = amount
        for split in reversed(original.splits):
            part = min(left, split["amount"])
            if part <= ZERO:
                break
            ref = split["charge_ref"]
            if ref is None or ref not in self.charges:
                patient = split["patient_id"]
                self.credit[patient] = self.credit.get(patient, ZERO) - part
            else:
                self.charges[ref].amount_due += part
            left -= part
        if left > ZERO:
            patient = original.patient_id
            self.credit[patient] = self.credit.get(patient, ZERO) - left

    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """Add a note (once per external reference)."""
        self._enter("add_patient_note")
        self._live_patient(note.patient_id)
        for existing in self.notes:
            if note.external_ref and existing["external_ref"] == note.external_ref:
                return {"note_id": existing["note_id"]}
        note_id = self.next_id("NOTE")
        self.notes.append(
            {
                "note_id": note_id,
                "patient_id": note.patient_id,
                "text": note.text,
                "marker": marker_for(note.external_ref) if note.external_ref else "",
                "when": note.when,
                "external_ref": note.external_ref,
            }
        )
        self._checkpoint("add_patient_note", committed=True)
        return {"note_id": note_id}

    def post_insurance_payment(
        self, plan: InsurancePaymentPlan, journal: StepJournal
    ) -> PostedEntry:
        """Per-procedure amounts, then the claim received, then the check; resumable."""
        self._enter("post_insurance_payment")
        claim = self.claims.get(plan.claim_id)
        if claim is None:
            raise DataError(f"claim {plan.claim_id} is not in the PMS", code="claim_changed")
        if claim.patient_id != plan.patient_id:
            raise DataError(
                f"claim {plan.claim_id} belongs to another patient", code="claim_patient_mismatch"
            )
        done = self._marked(plan.marker)
        if done is not None:
            return PostedEntry(plan.external_ref, dict(done.pms_ids), done.amount, True)
        if plan.check.payment_type_id is not None:
            self._type(plan.check.payment_type_id, ("insurance_payment",))
        lines = {ln.proc_ref: ln for ln in claim.lines}
        if any(p.proc_ref not in lines for p in plan.lines):
            raise DataError(f"claim {plan.claim_id} lost a procedure", code="claim_changed")
        if claim.received and not plan.supplemental and journal.done("claim") is None:
            raise DataError(f"claim {plan.claim_id} is already received", code="claim_changed")
        ids: list[str] = []
        for pay in plan.lines:
            ids.append(self._procedure_step(plan, pay, lines[pay.proc_ref], journal))
            kill_point("insurance.between_steps")
        if journal.done("claim") is None:
            self._checkpoint("claim", committed=False)
            claim.received = True
            self._checkpoint("claim", committed=True)
            journal.record("claim", {"claim_id": claim.claim_id})
            kill_point("insurance.between_steps")
        check = self._check_step(plan, claim, journal)
        pms_ids = {"claim_id": claim.claim_id, "check_id": check, "claimproc_ids": ids}
        if not any(
            marker_for(plan.external_ref, auto=True) in p.note or plan.marker in p.note
            for p in self.payments
        ):
            self.payments.append(
                MemPayment(
                    self.next_id("INS"),
                    "insurance",
                    plan.marker,
                    plan.paid_total,
                    plan.patient_id,
                    plan.date_received,
                    pms_ids,
                )
            )
        return PostedEntry(
            plan.external_ref, pms_ids, plan.paid_total, steps_done=("procedures", "claim", "check")
        )

    def _procedure_step(
        self, plan: InsurancePaymentPlan, pay: Any, line: Any, journal: StepJournal
    ) -> str:
        step = f"procedure:{pay.proc_ref}"
        done = journal.done(step)
        if done is not None:
            return str(done["claimproc_id"])
        self._checkpoint(step, committed=False)
        row = next(
            (
                r
                for r in self.line_payments
                if r["marker"] == plan.marker and r["proc_ref"] == pay.proc_ref
            ),
            None,
        )
        if row is None:  # look before writing: the step may have committed before a crash
            row = {
                "claimproc_id": self.next_id("CP"),
                "marker": plan.marker,
                "proc_ref": pay.proc_ref,
                "paid": pay.paid,
                "writeoff": pay.writeoff,
                "deductible": pay.deductible,
                "remarks": pay.remarks,
            }
            self.line_payments.append(row)
            line.paid += pay.paid
            line.writeoff += pay.writeoff
            line.deductible += pay.deductible
            line.received = True
            charge = self.charges.get(pay.proc_ref)
            if charge is not None:
                charge.amount_due -= pay.paid + pay.writeoff
        self._checkpoint(step, committed=True)
        journal.record(step, {"claimproc_id": row["claimproc_id"]})
        return str(row["claimproc_id"])

    def _check_step(self, plan: InsurancePaymentPlan, claim: MemClaim, journal: StepJournal) -> str:
        done = journal.done("check")
        if done is not None:
            return str(done["check_id"])
        self._checkpoint("check", committed=False)
        key = (plan.check.number, plan.check.payer_name)
        check = self.checks.get(key)
        if check is None:
            info = plan.check
            check = MemCheck(
                self.next_id("CHK"),
                info.number,
                info.amount,
                info.date,
                info.payer_name,
                info.payment_type_id,
            )
            self.checks[key] = check
        if claim.claim_id not in check.claim_ids or plan.supplemental:
            check.claim_ids.append(claim.claim_id)
        self._checkpoint("check", committed=True)
        journal.record("check", {"check_id": check.check_id})
        return check.check_id

    def supports_deposits(self) -> bool:
        """The memory ledger takes deposits (see :class:`adapters.books.Deposits`)."""
        return True

    def post_deposit(self, plan: DepositPlan) -> PostedEntry:
        """One deposit per marker; a second call returns the first (``already_existed``)."""
        self._enter("post_deposit")
        if plan.marker in self.deposits:
            dep_id, first = self.deposits[plan.marker]
            return PostedEntry(plan.external_ref, {"deposit_id": dep_id}, first.amount, True)
        dep_id = self.next_id("DEP")
        self._checkpoint("deposit", committed=False)
        self.deposits[plan.marker] = (dep_id, plan)
        self._checkpoint("deposit", committed=True)
        return PostedEntry(plan.external_ref, {"deposit_id": dep_id}, plan.amount)

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Procedure charges dated in the range, of patients with a plan, on no claim (the
        memory ledger keeps only what is still owed, so ``fee`` is the amount due)."""
        on_claims = {line.proc_ref for claim in self.claims.values() for line in claim.lines}
        found = [
            UnclaimedProcedure(
                c.charge_ref, c.patient_id, c.date, c.code or "", c.amount_due, c.provider_id
            )
            for c in self.charges.values()
            if c.kind is ChargeKind.PROCEDURE
            and start <= c.date <= end
            and c.charge_ref not in on_claims
            and (patient := self.patients.get(c.patient_id)) is not None
            and patient.insurance_plan_count > 0
            and patient.status is not PatientStatus.DELETED
        ]
        return sorted(found, key=lambda u: (u.date, u.proc_ref))

    def search_patients(self, query: PatientQuery) -> list[PatientMatch]:
        """Patients by name start (and birth date), or by id; sorted by name then id."""
        self._enter("search_patients")
        if query.patient_id is not None:
            rows = [p for p in self.patients.values() if p.patient_id == query.patient_id]
        else:
            rows = [
                p for p in self.patients.values()
                if query.matches(p.last_name, p.first_name, p.birth_date)
            ]  # fmt: skip
        rows.sort(key=lambda p: (p.last_name.lower(), p.first_name.lower(), p.patient_id))
        found = rows[: query.limit]
        return [
            PatientMatch(p.patient_id, p.guarantor_id, p.status.value, p.first_name, p.last_name,
                         p.birth_date)
            for p in found
        ]  # fmt: skip

    def close(self) -> None:
        """Nothing to release; remembered for tests."""
        self.closed = True

    # -- for tests and the demo -----------------------------------------------------------------
    def balance(self, patient_id: str) -> Any:
        """What the patient owes: open charges minus unapplied credit."""
        due = total(c.amount_due for c in self.charges.values() if c.patient_id == patient_id)
        return due - self.credit.get(patient_id, ZERO)

    def insurance_paid(self) -> Any:
        """Insurance money posted on all claims (sum of per-procedure payments)."""
        return total(r["paid"] for r in self.line_payments)
