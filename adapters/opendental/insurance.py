"""Posting one ERA claim's payment through the Open Dental API, step by step, resumably.

Steps, in order (the journal key of each in brackets):

1. per procedure line: ``PUT /claimprocs/{ClaimProcNum}`` Status Received, InsPayAmt,
   DedApplied, WriteOff, Remarks [``claimproc:{ClaimProcNum}``]; or, for money on an already
   received claim, ``POST /claimprocs/Supplemental`` [``supplemental:{ProcNum}``] followed by a
   PUT of deductible/write-off/remarks on the new row [``supplemental_adjust:{ProcNum}``];
   a write-off taken back by a claim reversal is a ``+`` adjustment on the procedure
   (``POST /adjustments``, :mod:`adapters.opendental.writeoff_reversal`)
   [``writeoff_reversal:{ProcNum}``];
2. ``PUT /claims/{ClaimNum}`` ClaimStatus R + DateReceived [``claim``] (not for supplemental);
3. ``POST /claimpayments`` CheckAmt = Σ paid, CheckNum = TRN02, carrier, pay type, Note = marker
   [``claimpayment``] — the commit point: :meth:`Ledger.find_posting` reports the posting once
   this row exists.

Each step is recorded in the :class:`~adapters.base.StepJournal` right after it succeeds, and
skipped when already recorded. A claimproc PUT that landed just before a crash (received, not on
a check, with exactly the plan's amounts) is recognised and sent again (PUT is idempotent).
POSTs look over ODBC before being re-sent (the claim payment by its marker; a supplemental row
by claim, procedure, amount and "not yet on a check"), so a crash between a POST and its
journal entry does not duplicate it. When a step fails, the error's
``context`` lists ``steps_done`` and ``steps_remaining`` and its message says what remains.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapters.base import StepJournal, marker_for
from adapters.opendental import mapping, queries, remittance_check, writeoff_reversal
from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.remittance_check import RemittanceCheck
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from connector.domain import InsurancePaymentPlan, PostedEntry, ProcedurePayment
from connector.errors import ConnectorError, DataError, PermanentError
from connector.faults import kill_point
from connector.money import ZERO, total

NOTE_MAX = 255
REMARKS_MAX = 255
CHECKNUM_MAX = 25


class InsurancePoster:
    """Runs the insurance steps for :class:`~adapters.opendental.adapter.OpenDentalLedger`."""

    def __init__(
        self,
        db: ReadOnlyDb,
        api: OpenDentalApi,
        *,
        log: Any,
        remittance_checks: Callable[[], bool] = lambda: False,
    ) -> None:
        self.db = db
        self.api = api
        self.log = log
        self.remittance_checks = remittance_checks  # office has Batch + attach (24.3.24+)
        self._remittance = RemittanceCheck(db, api)

    def post(self, plan: InsurancePaymentPlan, journal: StepJournal) -> PostedEntry:
        """Post ``plan`` (see the module docstring), resuming after the journal's last step.

        Raises:
            DataError: claim missing or not this patient's, a line's procedure is not on the
                claim, or the claim's state does not fit (already received / not received).
            PermanentError: negative or duplicate lines; Open Dental refused a step (400).
            TransientError: a step could not reach Open Dental (context says what remains).
        """
        finished = journal.done("claimpayment")
        if finished is not None:
            return self._entry(plan, journal, int(finished["ClaimPaymentNum"]), existed=True)
        claim_num = mapping.key(plan.claim_id)
        claim = (
            self.db.fetchone("claim_by_num", queries.CLAIM_BY_NUM, (claim_num,))
            if claim_num
            else None
        )
        if claim is None:
            raise DataError(f"claim {plan.claim_id} not found in Open Dental", code="claim_missing")
        if str(claim[1]) != plan.patient_id:
            raise DataError(
                f"claim {plan.claim_id} belongs to another patient", code="claim_patient_mismatch"
            )
        found = self._check_by_marker(plan)
        if found is not None:
            journal.record("claimpayment", found)
            return self._entry(plan, journal, int(found["ClaimPaymentNum"]), existed=True)
        shared = remittance_check.usable(plan) and self.remittance_checks()
        on_check = (
            remittance_check.posted_claimprocs(self.db, plan.external_ref) if shared else None
        )
        if on_check:
            found = {"ClaimPaymentNum": int(on_check[0][2])}
            journal.record("claimpayment", found)
            return self._entry(plan, journal, found["ClaimPaymentNum"], existed=True)
        procs = self._claimprocs(int(claim[0]))
        steps = self._plan_steps(plan, claim, procs, journal, shared=shared)
        done: list[str] = [s for s, _ in steps if journal.done(s) is not None]
        for name, action in steps:
            if journal.done(name) is not None:
                continue
            try:
                ids = action()
            except ConnectorError as exc:
                remaining = [s for s, _ in steps if s not in done]
                exc.context.update({"steps_done": list(done), "steps_remaining": remaining})
                exc.message = (
                    f"{exc.message}; insurance payment for claim {plan.claim_id} is incomplete: "
                    f"done {done or 'nothing'}, remaining {remaining}"
                )
                exc.args = (exc.message,)
                raise
            kill_point("insurance.step_written")
            journal.record(name, ids)
            done.append(name)
            kill_point("insurance.between_steps")
        final = journal.done("claimpayment")
        assert final is not None
        return self._entry(plan, journal, int(final["ClaimPaymentNum"]), existed=False)

    # -- planning -------------------------------------------------------------------------
    def _plan_steps(
        self,
        plan: InsurancePaymentPlan,
        claim: Any,
        procs: list[Any],
        journal: StepJournal,
        *,
        shared: bool,
    ) -> list[tuple[str, Any]]:
        seen: set[str] = set()
        by_proc: dict[str, Any] = {}
        reversal_type = (  # a reversed write-off: a '+' adjustment (writeoff_reversal.py)
            writeoff_reversal.adjustment_type(self.db, plan)
            if plan.supplemental and any(line.writeoff < ZERO for line in plan.lines)
            else None
        )
        for row in procs:
            if int(row[1]) and int(row[2]) in (mapping.CP_NOT_RECEIVED, mapping.CP_RECEIVED):
                by_proc.setdefault(str(row[1]), row)
        steps: list[tuple[str, Any]] = []
        for line in plan.lines:
            if line.proc_ref in seen:
                raise PermanentError(
                    f"claim {plan.claim_id}: procedure {line.proc_ref} appears twice",
                    code="plan_invalid",
                )
            seen.add(line.proc_ref)
            if min(line.paid, line.writeoff, line.deductible) < ZERO and not plan.supplemental:
                raise PermanentError(
                    f"claim {plan.claim_id}: negative amounts on procedure {line.proc_ref}",
                    code="plan_invalid",
                )
            row = by_proc.get(line.proc_ref)
            if row is None:
                raise DataError(
                    f"claim {plan.claim_id}: procedure {line.proc_ref} is not on the claim",
                    code="claim_line_missing",
                )
            steps.extend(self._line_steps(plan, line, row, journal, shared=shared))
            if line.writeoff < ZERO and reversal_type is not None:
                type_id = reversal_type
                steps.append(
                    (
                        writeoff_reversal.step_name(line),
                        lambda line=line, type_id=type_id: writeoff_reversal.post(
                            self.api, self.db, plan, line, type_id
                        ),
                    )
                )
        if not plan.supplemental:
            steps.append(("claim", lambda: self._receive_claim(plan)))
        elif str(claim[3]) != "R":
            raise DataError(
                f"claim {plan.claim_id} is not received yet; supplemental money needs a "
                "received claim",
                code="claim_not_received",
            )
        if shared:
            received = [int(by_proc[x.proc_ref][0]) for x in plan.lines if not plan.supplemental]
            steps.append(("claimpayment", lambda: self._remittance_check(plan, journal, received)))
        else:
            steps.append(("claimpayment", lambda: self._create_check(plan)))
        return steps

    def _line_steps(
        self,
        plan: InsurancePaymentPlan,
        line: ProcedurePayment,
        row: Any,
        journal: StepJournal,
        *,
        shared: bool,
    ) -> list[tuple[str, Any]]:
        cp_num, status = int(row[0]), int(row[2])
        # on a shared remittance check the claim's marker lives in its claimprocs' Remarks
        remarks = (
            remittance_check.remarks_with_marker(line.remarks, plan.marker)
            if shared
            else (line.remarks or "")[:REMARKS_MAX]
        )
        if not plan.supplemental:
            name = f"claimproc:{cp_num}"
            if (
                status != mapping.CP_NOT_RECEIVED
                and journal.done(name) is None
                and not _landed_before_crash(row, line)
            ):
                raise DataError(
                    f"claim {plan.claim_id}: procedure {line.proc_ref} is already received; "
                    "post the money as supplemental",
                    code="claim_already_received",
                )
            body = {
                "Status": "Received",
                "InsPayAmt": money(line.paid),
                "DedApplied": money(line.deductible),
                "WriteOff": money(line.writeoff),
            }
            if remarks:
                body["Remarks"] = remarks
            body.update(_era_columns(line))
            return [(name, lambda: self._put_claimproc(cp_num, body))]
        if status != mapping.CP_RECEIVED:
            raise DataError(
                f"claim {plan.claim_id}: procedure {line.proc_ref} is not received; "
                "supplemental money needs a received procedure",
                code="claim_not_received",
            )
        supp = f"supplemental:{line.proc_ref}"
        steps: list[tuple[str, Any]] = [
            (supp, lambda: self._create_supplemental(plan, cp_num, line, journal))
        ]
        extra: dict[str, str] = {}
        if line.deductible:
            extra["DedApplied"] = money(line.deductible)
        if line.writeoff > ZERO:  # a negative one is a '+' adjustment (writeoff_reversal.py)
            extra["WriteOff"] = money(line.writeoff)
        if remarks:
            extra["Remarks"] = remarks
        extra.update(_era_columns(line))
        if extra:

            def adjust() -> dict[str, Any]:
                created = journal.done(supp)
                assert created is not None
                return self._put_claimproc(int(created["ClaimProcNum"]), extra)

            steps.append((f"supplemental_adjust:{line.proc_ref}", adjust))
        return steps

    # -- steps ----------------------------------------------------------------------------
    def _put_claimproc(self, cp_num: int, body: dict[str, Any]) -> dict[str, Any]:
        retry_idempotent(lambda: self.api.update_claimproc(cp_num, body))
        return {"ClaimProcNum": cp_num}

    def _create_supplemental(
        self, plan: InsurancePaymentPlan, cp_num: int, line: ProcedurePayment, journal: StepJournal
    ) -> dict[str, Any]:
        def lookup() -> dict[str, Any] | None:
            taken = {
                int(ids["ClaimProcNum"])
                for step in (f"supplemental:{p.proc_ref}" for p in plan.lines)
                if (ids := journal.done(step)) is not None
            }
            for row in self._claimprocs(int(plan.claim_id)):
                if (
                    int(row[2]) == mapping.CP_SUPPLEMENTAL
                    and str(row[1]) == line.proc_ref
                    and int(row[3]) == 0
                    and Decimal(row[8]) == line.paid
                    and int(row[0]) not in taken
                ):
                    return {"ClaimProcNum": int(row[0])}
            return None

        found = lookup()  # a crash after the POST but before the journal entry
        if found is not None:
            return found
        created = once_more_if_absent(
            lambda: self.api.create_supplemental(cp_num, line.paid),
            lookup,
            step="claimprocs_supplemental",
        )
        return {"ClaimProcNum": int(created["ClaimProcNum"])}

    def _receive_claim(self, plan: InsurancePaymentPlan) -> dict[str, Any]:
        body = {"ClaimStatus": "R", "DateReceived": day(plan.date_received)}
        retry_idempotent(lambda: self.api.update_claim(int(plan.claim_id), body))
        return {"ClaimNum": int(plan.claim_id)}

    def _create_check(self, plan: InsurancePaymentPlan) -> dict[str, Any]:
        paid = plan.paid_total
        unattached = total(
            Decimal(r[8])
            for r in self._claimprocs(int(plan.claim_id))
            if int(r[2]) in (mapping.CP_RECEIVED, mapping.CP_SUPPLEMENTAL) and int(r[3]) == 0
        )
        if unattached != paid:
            raise DataError(
                f"claim {plan.claim_id}: received insurance not yet on a check is {unattached}, "
                f"this payment is {paid}; someone else is posting on this claim",
                code="claim_changed",
            )
        check = plan.check
        body: dict[str, Any] = {
            "claimNum": int(plan.claim_id),
            "CheckAmt": money(paid),
            "CheckNum": check.number[:CHECKNUM_MAX],
            "DateIssued": day(check.date),
            "CarrierName": check.payer_name,
            "Note": self._note(plan),
        }
        if check.payment_type_id:
            body["PayType"] = int(check.payment_type_id)
        created = once_more_if_absent(
            lambda: self.api.create_claimpayment(body),
            lambda: self._check_by_marker(plan),
            step="claimpayments_post",
        )
        return {"ClaimPaymentNum": int(created["ClaimPaymentNum"])}

    def _remittance_check(
        self, plan: InsurancePaymentPlan, journal: StepJournal, received: list[int]
    ) -> dict[str, Any]:
        """Put this claim's claimprocs on the remittance's one check (creating it first):
        the ones received (``received``) or, for supplemental money, the ones created."""
        cps = list(received)
        for line in plan.lines if plan.supplemental else ():
            ids = journal.done(f"supplemental:{line.proc_ref}")
            if ids is not None:
                cps.append(int(ids["ClaimProcNum"]))
        return self._remittance.put_on_check(plan, sorted(set(cps)))

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _note(plan: InsurancePaymentPlan) -> str:
        method = f" {plan.check.method}" if plan.check.method else ""
        return f"{plan.marker} ERA{method} {plan.check.number}"[:NOTE_MAX]

    def _claimprocs(self, claim_num: int) -> list[Any]:
        return self.db.fetchall("claimprocs_of_claim", queries.CLAIMPROCS_OF_CLAIM, (claim_num,))

    def _check_by_marker(self, plan: InsurancePaymentPlan) -> dict[str, Any] | None:
        marks = (marker_for(plan.external_ref), marker_for(plan.external_ref, auto=True))
        rows = self.db.fetchall("postings_by_marker", queries.POSTINGS_BY_MARKER, (*marks, *marks))
        for row in rows:
            if row[0] == "claimpayment":
                return {"ClaimPaymentNum": int(row[1])}
        return None

    def _entry(
        self, plan: InsurancePaymentPlan, journal: StepJournal, check_num: int, *, existed: bool
    ) -> PostedEntry:
        cps = [
            int(ids["ClaimProcNum"])
            for line in plan.lines
            for step in (f"supplemental:{line.proc_ref}",)
            if (ids := journal.done(step)) is not None
        ]
        attached = [  # a remittance check also holds the other claims of the remittance
            r
            for r in self.db.fetchall(
                "claimprocs_of_claimpayment", queries.CLAIMPROCS_OF_CLAIMPAYMENT, (check_num,)
            )
            if int(r[1]) == int(plan.claim_id)
        ]
        return PostedEntry(
            external_ref=plan.external_ref,
            pms_ids={
                "ClaimNum": int(plan.claim_id),
                "ClaimProcNums": sorted({int(r[0]) for r in attached} | set(cps)),
                "ClaimPaymentNum": check_num,
            },
            amount=plan.paid_total,
            already_existed=existed,
            steps_done=("claimprocs", "claim", "claimpayment"),
        )


def _era_columns(line: ProcedurePayment) -> dict[str, str]:
    """What Open Dental's ERA import writes on a claimproc besides the money
    (``Etranss.cs``: ``ClaimAdjReasonCodes`` = the distinct CARC reason codes joined by ",";
    ``AllowedOverride`` = the ERA's allowed amount, as its manual ERA receive does)."""
    columns: dict[str, str] = {}
    if line.reason_codes:
        columns["ClaimAdjReasonCodes"] = line.reason_codes[:REMARKS_MAX]
    if line.allowed is not None:
        columns["AllowedOverride"] = money(line.allowed)
    return columns


def _landed_before_crash(row: Any, line: ProcedurePayment) -> bool:
    """A received claimproc, not yet on a check, holding exactly this line's amounts: our own
    PUT that reached Open Dental just before a crash kept it out of the journal. The PUT is
    idempotent, so the step simply runs again (row: ``queries.CLAIMPROCS_OF_CLAIM``)."""
    amounts = (Decimal(row[8]), Decimal(row[9]), Decimal(row[10]))
    return (
        int(row[2]) == mapping.CP_RECEIVED
        and int(row[3]) == 0
        and amounts == (line.paid, line.writeoff, line.deductible)
    )
