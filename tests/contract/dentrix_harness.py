"""The Dentrix G harness: verification reads straight from the emulated admin.* tables.

Dentrix stores a payment's allocation only in the transaction note we write (its rows are per
patient and provider, not per charge), so splits, write-offs and deductibles are read back from
those notes — the same text a person sees in the Dentrix ledger.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from adapters.base import Ledger, StepJournal
from adapters.dentrix import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from connector.clock import SYSTEM, Clock
from connector.money import to_money
from tests.contract.harness import ChargeView, LineView, Scenario, SplitView
from tests.support.emulated import TODAY, query
from tests.support.journal import MemoryJournal

D = Decimal
_PART = re.compile(r"(proc|adj) (\d+) (-?[\d.]+)|unapplied (-?[\d.]+)")
_KINDS = {"proc": "procedure", "adj": "adjustment"}

SCENARIO = Scenario(
    family_member="1002",
    guarantor="1001",
    family_charges=(
        ChargeView("procedure", "2001", "1001", D("40.00")),
        ChargeView("procedure", "2002", "1002", D("120.00")),
        ChargeView("procedure", "2003", "1002", D("70.00")),
        ChargeView("adjustment", "2009", "1001", D("15.00")),
        ChargeView("procedure", "2004", "1003", D("85.00")),
        ChargeView("procedure", "2005", "1003", D("180.00")),
    ),
    no_charges_patient="1020",
    two_plan_patient="1003",
    deleted_patient=None,  # [U] no deleted status is known in Dentrix G's v_patient
    unknown_patient="999999",
    payment_type="4",
    hidden_payment_type=None,  # fulldef has no hidden flag we know of
    unknown_payment_type="987654",
    insurance_payment_type=None,  # [U] insurance payment types are not a separate deftype
    open_claim_identifier="5002",
    open_claim_patient="1003",
    received_claim_identifier="5003",
    received_claim_patient="1011",
    today=TODAY,
    refund_adjustment_type="10",
    adjustment_signs=True,
    balance_forward=True,
    refund_reopens_charges=False,
    stamps_entries=True,
)


def _money(value: Any) -> Decimal:
    return to_money(str(value)) if value is not None else D("0.00")


class DentrixHarness:
    """Harness over a fresh copy of the emulated Dentrix database."""

    name = "dentrix"
    scenario = SCENARIO

    def __init__(self, conn_str: str) -> None:
        self.conn_str = conn_str

    def _rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return query(self.conn_str, sql, *params, attach_admin=True)

    def ledger(self, *, clock: Clock = SYSTEM, timezone: str = "UTC") -> Ledger:
        """A new DentrixLedger (new connection)."""
        connector = DentrixConnector(StaticConnectionProvider(self.conn_str))
        return DentrixLedger(connector, clock=clock, timezone=timezone)

    def journal(self) -> StepJournal:
        """An in-memory journal."""
        return MemoryJournal()

    def _note(self, procid: int) -> str:
        rows = self._rows("SELECT notetext FROM admin.fullnotes WHERE notetype = 1 AND noteid = ?",
                          procid)  # fmt: skip
        return str(rows[0]["notetext"]) if rows else ""

    def payment_splits(self, pms_ids: dict[str, Any]) -> list[SplitView]:
        """The splits each payment row's note lists after ``splits:``."""
        views = []
        for procid in pms_ids["procids"]:
            (row,) = self._rows("SELECT patid FROM admin.fullproclog WHERE procid = ?", procid)
            section = self._note(procid).rsplit("splits: ", 1)[-1]
            for kind, ref, amount, unapplied in _PART.findall(section):
                if unapplied:
                    views.append(SplitView("unearned", None, str(row["patid"]), D(unapplied)))
                else:
                    views.append(SplitView(_KINDS[kind], ref, str(row["patid"]), D(amount)))
        return views

    def payment_amount(self, pms_ids: dict[str, Any]) -> Decimal:
        """Money to the practice: payments are negative amt, refunds positive debit rows."""
        marks = ",".join("?" * len(pms_ids["procids"]))
        rows = self._rows(f"SELECT amt FROM admin.fullproclog WHERE procid IN ({marks})",
                          *pms_ids["procids"])  # fmt: skip
        return -sum((_money(r["amt"]) for r in rows), D("0.00"))

    def rows_with_marker(self, marker: str) -> int:
        """Payments (class 1/3 rows; a payment split over providers counts once) so marked."""
        rows = self._rows(
            "SELECT n.notetext FROM admin.fullnotes n JOIN admin.fullproclog l "
            "ON l.procid = n.noteid WHERE n.notetype = 1 AND l.proclogclass IN (1, 3) "
            "AND instr(n.notetext, ?) > 0", marker)  # fmt: skip
        return sum(
            1 for r in rows if " part " not in r["notetext"] or " part 1 of " in r["notetext"]
        )

    def note_text(self, ids: dict[str, Any]) -> str:
        """The contact entry's notetype-49 note."""
        rows = self._rows("SELECT notetext FROM admin.fullnotes WHERE notetype = 49 AND noteid = ?",
                          ids["contactid"])  # fmt: skip
        return str(rows[0]["notetext"])

    def note_time(self, ids: dict[str, Any]) -> dt.datetime:
        """admin.contact contactdate + contacttime."""
        (row,) = self._rows("SELECT contactdate, contacttime FROM admin.contact "
                            "WHERE contactid = ?", ids["contactid"])  # fmt: skip
        clock = dt.time.fromisoformat(str(row["contacttime"]))
        return dt.datetime.combine(row["contactdate"], clock)

    def entry_stamps(self, ids: dict[str, Any]) -> list[dt.datetime]:
        """fullproclog.createdate of the posting's rows (a contact entry's date and time are
        the note's own, not a stamp)."""
        return [
            row["createdate"]
            for procid in ids.get("procids", [])
            for row in self._rows(
                "SELECT createdate FROM admin.fullproclog WHERE procid = ?", procid
            )
        ]

    def copy_posting(self, ids: dict[str, Any]) -> None:
        """Each ledger row again (a new procid) with its transaction note."""
        for procid in ids["procids"]:
            (row,) = self._rows("SELECT * FROM admin.fullproclog WHERE procid = ?", procid)
            values = {k: v for k, v in row.items() if k != "procid"}
            self._rows(
                f"INSERT INTO admin.fullproclog ({', '.join(values)}) "
                f"VALUES ({', '.join('?' * len(values))})",
                *values.values(),
            )
            (new,) = self._rows("SELECT MAX(procid) AS procid FROM admin.fullproclog")
            self._rows("INSERT INTO admin.fullnotes (notetype, noteid, notetext) VALUES (1, ?, ?)",
                       new["procid"], self._note(procid))  # fmt: skip

    def claim_lines(self, claim_id: str) -> dict[str, LineView]:
        """Per procedure: received (claim level), paid, write-offs and deductibles from notes."""
        (claim,) = self._rows("SELECT claimtype, datereceived FROM admin.claim WHERE claimid = ?",
                              int(claim_id))  # fmt: skip
        column = "amtsecinspaid" if claim["claimtype"] == 1 else "amtpriminspaid"
        notes = self._rows(
            "SELECT l.proclogclass, l.amt, n.notetext FROM admin.fullproclog l JOIN "
            "admin.fullnotes n ON n.noteid = l.procid AND n.notetype = 1 "
            "WHERE l.claimid = ? AND l.chartstatus = 90", int(claim_id))  # fmt: skip
        sql = (f"SELECT procid, {column} AS paid FROM admin.fullproclog "
               "WHERE claimid = ? AND chartstatus = 102")  # fmt: skip
        lines = {}
        for row in self._rows(sql, int(claim_id)):
            ref = str(row["procid"])
            writeoffs = [  # a write-off is a '-' row; its reversal a '+' row (claim_reversal)
                -_money(n["amt"])
                for n in notes
                if n["proclogclass"] == 2
                and n["notetext"].endswith(
                    (f"write-off on procedure {ref}", f"write-off reversal on procedure {ref}")
                )
            ]
            pattern = rf"proc {ref} paid [\d.]+ \(deductible ([\d.]+)"
            deductibles = [D(x) for n in notes for x in re.findall(pattern, n["notetext"])]
            lines[ref] = LineView(
                claim["datereceived"] is not None,
                _money(row["paid"]),
                sum(writeoffs, D("0.00")),
                sum(deductibles, D("0.00")),
            )
        return lines

    def deductible_met(self, patient_id: str) -> Decimal:
        """admin.patient: the primary plan's standard + preventive + other deductibles met."""
        (row,) = self._rows("SELECT primstdded, primprvded, primotherded FROM admin.patient "
                            "WHERE patid = ?", int(patient_id))  # fmt: skip
        return sum((_money(v) for v in row.values()), D("0.00"))

    def claim_received(self, claim_id: str) -> bool:
        """admin.claim.datereceived is set."""
        rows = self._rows("SELECT datereceived FROM admin.claim WHERE claimid = ?", int(claim_id))
        return rows[0]["datereceived"] is not None

    def claim_checks(self, claim_id: str) -> list[Decimal]:
        """The class-3 (insurance payment) rows on the claim, as positive amounts."""
        rows = self._rows(
            "SELECT amt FROM admin.fullproclog WHERE claimid = ? AND chartstatus = 90 "
            "AND proclogclass = 3 ORDER BY procid",
            int(claim_id),
        )
        return [-_money(r["amt"]) for r in rows]

    def other_plan_paid(self, claim_id: str) -> Decimal:
        """The other plan's column on the claim's procedures (amtsecinspaid on a primary
        claim, amtpriminspaid on a secondary one)."""
        (claim,) = self._rows("SELECT claimtype FROM admin.claim WHERE claimid = ?", int(claim_id))
        other = "amtpriminspaid" if claim["claimtype"] == 1 else "amtsecinspaid"
        rows = self._rows(f"SELECT {other} AS paid FROM admin.fullproclog WHERE claimid = ? "
                          "AND chartstatus = 102", int(claim_id))  # fmt: skip
        return sum((_money(r["paid"]) for r in rows), D("0.00"))

    def enter_by_hand(self, patient_id: str, day: dt.date, amount: Decimal) -> str:
        """A payment ledger row (chartstatus 90, class 1) with no note, as staff key it."""
        (ids,) = self._rows(
            "SELECT (SELECT MAX(procid) + 1 FROM admin.fullproclog) AS procid, "
            "(SELECT guar_id FROM admin.v_patient WHERE patient_id = ?) AS guarid",
            int(patient_id),
        )
        self._rows(
            "INSERT INTO admin.fullproclog (procid, patid, guarid, chartstatus, procdate, "
            "proclogclass, proclogorder, provid, amt) VALUES (?, ?, ?, 90, ?, 1, ?, 'DDS1', ?)",
            ids["procid"], int(patient_id), ids["guarid"], day, int(SCENARIO.payment_type),
            -amount,
        )  # fmt: skip
        return str(ids["procid"])

    def add_claim(self, patient_id: str, day: dt.date, fee: Decimal) -> str:
        """A completed procedure (chartstatus 102) on a new admin.claim row."""
        (ids,) = self._rows(
            "SELECT (SELECT MAX(claimid) + 1 FROM admin.claim) AS claimid, "
            "(SELECT guar_id FROM admin.v_patient WHERE patient_id = ?) AS guarid",
            int(patient_id),
        )
        self._rows(
            "INSERT INTO admin.fullproclog (patid, guarid, chartstatus, procdate, proclogclass, "
            "proccodeid, provid, amt, claimid) VALUES (?, ?, 102, ?, 0, 1, 'DDS1', ?, ?)",
            int(patient_id), ids["guarid"], day, fee, ids["claimid"],
        )  # fmt: skip
        self._rows(
            "INSERT INTO admin.claim (claimid, patid, insuredid, claimtype, status, dateofclaim, "
            "totalfee, totalreceived) VALUES (?, ?, 7001, 0, 1, ?, ?, 0)",
            ids["claimid"], int(patient_id), day, fee,
        )  # fmt: skip
        return str(ids["claimid"])
