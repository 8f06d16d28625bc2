"""The Open Dental harness: verification reads as root on the emulated database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.base import Ledger, StepJournal
from connector.clock import SYSTEM, Clock
from tests.contract.harness import ChargeView, LineView, Scenario, SplitView
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental import seed
from workshop.emulated.opendental.crud_rows import insert_row
from workshop.emulated.opendental.seed import Ids

D = Decimal

SCENARIO = Scenario(
    family_member=str(Ids.BEN),
    guarantor=str(Ids.ANA),
    family_charges=(
        ChargeView("procedure", str(Ids.P_ANA_EXAM), str(Ids.ANA), D("12.00")),
        ChargeView("procedure", str(Ids.P_ANA_PROPHY), str(Ids.ANA), D("15.00")),
        ChargeView("adjustment", str(Ids.A_ANA_FINANCE), str(Ids.ANA), D("25.00")),
        ChargeView("procedure", str(Ids.P_BEN_FILLING), str(Ids.BEN), D("40.00")),
        ChargeView("procedure", str(Ids.P_BEN_BITEWINGS), str(Ids.BEN), D("15.00")),
        ChargeView("procedure", str(Ids.P_CLEO_PROPHY), str(Ids.CLEO), D("60.00")),
        ChargeView("procedure", str(Ids.P_ANA_CROWN), str(Ids.ANA), D("400.00")),
    ),
    no_charges_patient=str(Ids.GIA),
    two_plan_patient=str(Ids.BEN),
    deleted_patient=str(Ids.FINN),
    unknown_patient=str(Ids.UNKNOWN_PATIENT),
    payment_type=str(Ids.PAY_ONLINE),
    hidden_payment_type=str(Ids.PAY_OLD_HIDDEN),
    unknown_payment_type="987654",
    insurance_payment_type=str(Ids.INSPAY_EFT),
    open_claim_identifier="2/2",
    open_claim_patient=str(Ids.BEN),
    received_claim_identifier="1/1",
    received_claim_patient=str(Ids.ANA),
)


class OpenDentalHarness:
    """Harness over :class:`tests.support.opendental.OdContext`."""

    name = "opendental"
    scenario = SCENARIO

    def __init__(self, od: OdContext) -> None:
        self.od = od

    def ledger(self, *, clock: Clock = SYSTEM, timezone: str = "UTC") -> Ledger:
        """A new OpenDentalLedger (it stamps nothing itself: ``clock`` is not needed)."""
        return self.od.ledger()

    def journal(self) -> StepJournal:
        """An in-memory journal."""
        return MemoryJournal()

    def payment_splits(self, pms_ids: dict[str, Any]) -> list[SplitView]:
        """paysplit rows of the payment."""
        rows = self.od.db.rows(
            "SELECT ProcNum, AdjNum, UnearnedType, PatNum, CAST(SplitAmt AS DECIMAL(14,2)) "
            "FROM paysplit WHERE PayNum = ? ORDER BY SplitNum",
            pms_ids["PayNum"],
        )
        views = []
        for proc, adj, unearned, pat, amount in rows:
            if proc:
                views.append(SplitView("procedure", str(proc), str(pat), amount))
            elif adj:
                views.append(SplitView("adjustment", str(adj), str(pat), amount))
            else:
                assert unearned, "an unallocated split without an unearned type"
                views.append(SplitView("unearned", None, str(pat), amount))
        return views

    def payment_amount(self, pms_ids: dict[str, Any]) -> Decimal:
        """payment.PayAmt."""
        rows = self.od.db.rows(
            "SELECT CAST(PayAmt AS DECIMAL(14,2)) FROM payment WHERE PayNum = ?",
            pms_ids["PayNum"],
        )
        return Decimal(rows[0][0])

    def rows_with_marker(self, marker: str) -> int:
        """payment + claimpayment rows whose note holds the marker."""
        rows = self.od.db.rows(
            "SELECT (SELECT COUNT(*) FROM payment WHERE LOCATE(?, PayNote) > 0) + "
            "(SELECT COUNT(*) FROM claimpayment WHERE LOCATE(?, Note) > 0)",
            marker,
            marker,
        )
        return int(rows[0][0])

    def note_text(self, ids: dict[str, Any]) -> str:
        """commlog.Note."""
        rows = self.od.db.rows("SELECT Note FROM commlog WHERE CommlogNum = ?", ids["CommlogNum"])
        return str(rows[0][0])

    def note_time(self, ids: dict[str, Any]) -> dt.datetime:
        """commlog.CommDateTime."""
        rows = self.od.db.rows(
            "SELECT CommDateTime FROM commlog WHERE CommlogNum = ?", ids["CommlogNum"]
        )
        return rows[0][0]  # type: ignore[no-any-return]

    def entry_stamps(self, ids: dict[str, Any]) -> list[dt.datetime]:
        """None: Open Dental's API stamps the rows it creates; the connector sends only the
        plan's practice-local dates and a commlog's time (see ``note_time``)."""
        return []

    def copy_posting(self, ids: dict[str, Any]) -> None:
        """The payment (or insurance check) row again, as Open Dental would have written it."""
        table, key = (
            ("payment", "PayNum") if "PayNum" in ids else ("claimpayment", "ClaimPaymentNum")
        )
        conn = self.od.db.admin()
        try:
            cursor = conn.cursor()
            cursor.execute(f"SELECT * FROM {table} WHERE {key} = ?", ids[key])
            names = [d[0] for d in cursor.description]
            row = dict(zip(names, cursor.fetchone(), strict=True))
            insert_row(cursor, table, {k: v for k, v in row.items() if k != key})
        finally:
            conn.close()

    def claim_lines(self, claim_id: str) -> dict[str, LineView]:
        """Sum of received/supplemental claimprocs per procedure; a write-off taken back by a
        reversal is a '+' write-off reversal adjustment on the procedure (writeoff_reversal.py)."""
        rows = self.od.db.rows(
            "SELECT ProcNum, MAX(Status IN (1, 4)), "
            "CAST(SUM(CASE WHEN Status IN (1, 4) THEN InsPayAmt ELSE 0 END) AS DECIMAL(14,2)), "
            "CAST(SUM(CASE WHEN Status IN (1, 4) THEN WriteOff ELSE 0 END) AS DECIMAL(14,2)), "
            "CAST(SUM(CASE WHEN Status IN (1, 4) THEN DedApplied ELSE 0 END) AS DECIMAL(14,2)) "
            "FROM claimproc WHERE ClaimNum = ? AND ProcNum <> 0 GROUP BY ProcNum",
            int(claim_id),
        )
        taken_back = dict(
            self.od.db.rows(
                "SELECT ProcNum, CAST(SUM(AdjAmt) AS DECIMAL(14,2)) FROM adjustment "
                "WHERE AdjType = ? GROUP BY ProcNum",
                Ids.ADJ_WRITEOFF_REVERSAL,
            )
        )
        return {
            str(proc): LineView(bool(received), paid, writeoff - taken_back.get(proc, 0), ded)
            for proc, received, paid, writeoff, ded in rows
        }

    def deductible_met(self, patient_id: str) -> Decimal:
        """claimproc.DedApplied summed over the patient's received/supplemental rows of
        primary claims (Open Dental derives deductible remaining from them)."""
        rows = self.od.db.rows(
            "SELECT CAST(COALESCE(SUM(cp.DedApplied), 0) AS DECIMAL(14,2)) FROM claimproc cp "
            "JOIN claim c ON c.ClaimNum = cp.ClaimNum "
            "WHERE cp.PatNum = ? AND cp.Status IN (1, 4) AND c.ClaimType = 'P'",
            int(patient_id),
        )
        return D(str(rows[0][0]))

    def claim_received(self, claim_id: str) -> bool:
        """claim.ClaimStatus = 'R'."""
        rows = self.od.db.rows("SELECT ClaimStatus FROM claim WHERE ClaimNum = ?", int(claim_id))
        return str(rows[0][0]) == "R"

    def claim_checks(self, claim_id: str) -> list[Decimal]:
        """CheckAmt of claimpayments attached to the claim's claimprocs."""
        rows = self.od.db.rows(
            "SELECT CAST(cp.CheckAmt AS DECIMAL(14,2)) FROM claimpayment cp WHERE "
            "cp.ClaimPaymentNum IN (SELECT ClaimPaymentNum FROM claimproc WHERE ClaimNum = ?) "
            "ORDER BY cp.ClaimPaymentNum",
            int(claim_id),
        )
        return [Decimal(r[0]) for r in rows]

    def other_plan_paid(self, claim_id: str) -> Decimal:
        """Received/supplemental claimprocs of the claim's procedures under another plan."""
        rows = self.od.db.rows(
            "SELECT CAST(COALESCE(SUM(o.InsPayAmt), 0) AS DECIMAL(14,2)) FROM claimproc o "
            "JOIN claim c ON c.ClaimNum = ? WHERE o.Status IN (1, 4) AND o.PlanNum <> c.PlanNum "
            "AND o.ProcNum IN (SELECT ProcNum FROM claimproc WHERE ClaimNum = ? AND ProcNum <> 0)",
            int(claim_id),
            int(claim_id),
        )
        return Decimal(rows[0][0])

    def enter_by_hand(self, patient_id: str, day: dt.date, amount: Decimal) -> str:
        """A ``payment`` row as the Open Dental UI writes one (user 7, no marker in PayNote)."""
        conn = self.od.db.admin()
        try:
            num = insert_row(conn.cursor(), "payment", {  # every column, as PaymentCrud does
                "PayType": int(SCENARIO.payment_type), "PayDate": day, "PayAmt": amount,
                "PatNum": int(patient_id), "PayNote": "paid at the front desk",
                "SecUserNumEntry": 7, "DateEntry": day,
            })  # fmt: skip
        finally:
            conn.close()
        return str(int(num))

    def add_claim(self, patient_id: str, day: dt.date, fee: Decimal) -> str:
        """claim + claimproc rows (the tables the ``od`` fixture restores before every test)
        on one of the patient's seeded procedures, billed at ``fee`` on ``day``; no
        procedurelog row is added, so nothing outlives the test."""
        ((proc, claim, claimproc),) = self.od.db.rows(
            "SELECT (SELECT MIN(ProcNum) FROM procedurelog WHERE PatNum = ?), "
            "(SELECT MAX(ClaimNum) + 1 FROM claim), (SELECT MAX(ClaimProcNum) + 1 FROM claimproc)",
            int(patient_id),
        )
        pat, text, amount = int(patient_id), day.isoformat(), str(fee)
        rows: seed.Rows = {
            "claim": [_sent_claim(claim, pat, text, amount)],
            "claimproc": [_claimproc(claimproc, proc, claim, pat, text, amount)],
        }
        conn = self.od.db.admin()
        try:
            seed.load(conn.cursor(), rows)
        finally:
            conn.close()
        return str(claim)


def _sent_claim(claim: int, pat: int, day: str, fee: str) -> seed.Row:
    return seed._claim(claim, pat, day, "S", fee, "0.00", "0.00", "0.00",
                       Ids.PLAN_DELTA, 1, Ids.DOC1)  # fmt: skip


def _claimproc(num: int, proc: int, claim: int, pat: int, day: str, fee: str) -> seed.Row:
    return seed._claimproc(num, proc, claim, pat, Ids.DOC1, fee, "0.00", 0, "0.00", "0.00",
                           Ids.PLAN_DELTA, 1, day, "D0120")  # fmt: skip
