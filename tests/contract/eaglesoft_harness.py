"""The Eaglesoft harness: verification reads straight from the emulated tables.

Line-item accounting makes the written allocation visible in ``transactions_detail.applied_to``;
deductibles and remark codes have no column we know of, so they are read back from the claim
note the adapter writes in ``operatory_notes``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from adapters.base import Ledger, StepJournal
from adapters.eaglesoft import EaglesoftLedger
from adapters.eaglesoft import mapping as m
from adapters.eaglesoft.connection import EaglesoftConnector, StaticConnectionProvider
from adapters.eaglesoft.dialect import authentication_text
from connector.clock import SYSTEM, Clock
from connector.money import to_money
from tests.contract.harness import ChargeView, LineView, Scenario, SplitView
from tests.support.emulated import TODAY, query
from tests.support.journal import MemoryJournal
from workshop.emulated.eaglesoft.seed import DEMO_AUTH, WRITEOFF

D = Decimal
_MARKER = re.compile(r"^\[connector (?:auto )?(.+)\]$")

SCENARIO = Scenario(
    family_member="102",
    guarantor="101",
    family_charges=(
        ChargeView("procedure", "1001", "101", D("40.00")),
        ChargeView("procedure", "1002", "102", D("24.00")),
        ChargeView("procedure", "1003", "102", D("14.00")),
        ChargeView("adjustment", "1011", "101", D("15.00")),
        ChargeView("procedure", "1004", "103", D("17.00")),
        ChargeView("procedure", "1005", "103", D("14.00")),
        ChargeView("procedure", "1006", "103", D("180.00")),
    ),
    no_charges_patient="120",
    two_plan_patient="103",
    deleted_patient="140",  # status 'D' [U]
    unknown_patient="999999",
    payment_type="4",
    hidden_payment_type="5",  # display_on_payment_screen = 'N'
    unknown_payment_type="987654",
    insurance_payment_type=None,  # [U] paytype has no insurance flag we know of
    open_claim_identifier="502",
    open_claim_patient="103",
    received_claim_identifier="503",
    received_claim_patient="111",
    today=TODAY,
    refund_adjustment_type="10",
    adjustment_signs=False,  # C or D is chosen per transaction, not per type
    balance_forward=False,
    refund_reopens_charges=False,
    stamps_entries=True,
)


def _money(value: Any) -> Decimal:
    return to_money(str(value)) if value is not None else D("0.00")


class EaglesoftHarness:
    """Harness over a fresh copy of the emulated Eaglesoft database (authenticated writes)."""

    name = "eaglesoft"
    scenario = SCENARIO

    def __init__(self, conn_str: str) -> None:
        self.conn_str = conn_str

    def _rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return query(self.conn_str, sql, *params)

    def ledger(self, *, clock: Clock = SYSTEM, timezone: str = "UTC") -> Ledger:
        """A new EaglesoftLedger with the emulation's signature."""
        connector = EaglesoftConnector(StaticConnectionProvider(self.conn_str),
                                       authentication=authentication_text(*DEMO_AUTH))  # fmt: skip
        return EaglesoftLedger(connector, clock=clock, timezone=timezone)

    def journal(self) -> StepJournal:
        """An in-memory journal."""
        return MemoryJournal()

    def payment_splits(self, pms_ids: dict[str, Any]) -> list[SplitView]:
        """Detail lines: applied to a service (procedure) or debit adjustment, or unassigned."""
        views = []
        for tran in pms_ids["tran_nums"]:
            for row in self._rows(
                "SELECT d.patient_id, d.amount, d.applied_to, h.type FROM transactions_detail d "
                "LEFT JOIN transactions_header h ON h.tran_num = d.applied_to "
                "WHERE d.tran_num = ? ORDER BY d.detail_id", tran):  # fmt: skip
                amount, patient = -_money(row["amount"]), str(row["patient_id"])
                if row["applied_to"] is None:
                    views.append(SplitView("unearned", None, patient, amount))
                else:
                    kind = "procedure" if row["type"] == "S" else "adjustment"
                    views.append(SplitView(kind, str(row["applied_to"]), patient, amount))
        return views

    def payment_amount(self, pms_ids: dict[str, Any]) -> Decimal:
        """Money to the practice: the negated header amount (refunds are positive D rows)."""
        marks = ",".join("?" * len(pms_ids["tran_nums"]))
        rows = self._rows(f"SELECT amount FROM transactions_header WHERE tran_num IN ({marks})",
                          *pms_ids["tran_nums"])  # fmt: skip
        return -sum((_money(r["amount"]) for r in rows), D("0.00"))

    def rows_with_marker(self, marker: str) -> int:
        """Headers whose description starts with the compact form of the marker's key."""
        match = _MARKER.match(marker)
        assert match, f"not a connector marker: {marker}"
        key = match.group(1)
        rows = self._rows("SELECT description FROM transactions_header WHERE description LIKE ?",
                          m.marker_pattern(key))  # fmt: skip
        return sum(1 for r in rows if m.has_marker(r["description"], key))

    def note_text(self, ids: dict[str, Any]) -> str:
        """operatory_notes.note."""
        rows = self._rows("SELECT note FROM operatory_notes WHERE note_id = ?", ids["note_id"])
        return str(rows[0]["note"])

    def note_time(self, ids: dict[str, Any]) -> dt.datetime:
        """operatory_notes.date_entered."""
        rows = self._rows("SELECT date_entered FROM operatory_notes WHERE note_id = ?",
                          ids["note_id"])  # fmt: skip
        return rows[0]["date_entered"].replace(microsecond=0)  # type: ignore[no-any-return]

    def entry_stamps(self, ids: dict[str, Any]) -> list[dt.datetime]:
        """transactions_detail.date_entered of the posting's headers; date_entered and
        freshness of its claim note; a patient note's freshness (its date_entered is the
        note's own time, not a stamp)."""
        details = "SELECT date_entered FROM transactions_detail WHERE tran_num = ?"
        stamps = [
            r["date_entered"] for t in ids.get("tran_nums", []) for r in self._rows(details, t)
        ]
        if "claim_id" in ids:
            claim_notes = "SELECT date_entered, freshness FROM operatory_notes WHERE claim_id = ?"
            for row in self._rows(claim_notes, ids["claim_id"]):
                stamps += [row["date_entered"], row["freshness"]]
        if "note_id" in ids:
            note = "SELECT freshness FROM operatory_notes WHERE note_id = ?"
            stamps += [row["freshness"] for row in self._rows(note, ids["note_id"])]
        return stamps

    def copy_posting(self, ids: dict[str, Any]) -> None:
        """Each header again (a new tran_num) with its detail lines (new detail_ids)."""
        for tran in ids["tran_nums"]:
            (header,) = self._rows("SELECT * FROM transactions_header WHERE tran_num = ?", tran)
            (new,) = self._rows("SELECT MAX(tran_num) + 1 AS n FROM transactions_header")
            self._insert("transactions_header", {**header, "tran_num": new["n"]})
            for detail in self._rows("SELECT * FROM transactions_detail WHERE tran_num = ?", tran):
                (nd,) = self._rows("SELECT MAX(detail_id) + 1 AS n FROM transactions_detail")
                self._insert("transactions_detail",
                             {**detail, "detail_id": nd["n"], "tran_num": new["n"]})  # fmt: skip

    def _insert(self, table: str, values: dict[str, Any]) -> None:
        self._rows(f"INSERT INTO {table} ({', '.join(values)}) "
                   f"VALUES ({', '.join('?' * len(values))})", *values.values())  # fmt: skip

    def claim_lines(self, claim_id: str) -> dict[str, LineView]:
        """Per service: paid on the service, write-off details applied to it, and deductibles
        from the claim notes; received when the claim shows money paid."""
        (claim,) = self._rows("SELECT claim_type, prim_total_paid, sec_total_paid FROM "
                              "insurance_claim WHERE claim_id = ?", int(claim_id))  # fmt: skip
        received = bool(_money(claim["prim_total_paid"]) or _money(claim["sec_total_paid"]))
        column = "paid_secondary" if claim["claim_type"] == "S" else "paid_primary"
        notes = [r["note"] for r in self._rows(
            "SELECT note FROM operatory_notes WHERE claim_id = ?", int(claim_id))]  # fmt: skip
        lines = {}
        for row in self._rows(f"SELECT tran_num, {column} AS paid FROM transactions_header "
                              "WHERE claim_id = ? AND type = 'S'", int(claim_id)):  # fmt: skip
            ref = str(row["tran_num"])
            writeoff = sum((-_money(r["amount"]) for r in self._rows(  # C write-off, D reversal
                "SELECT d.amount FROM transactions_detail d JOIN transactions_header h ON "
                "h.tran_num = d.tran_num WHERE h.claim_id = ? AND d.applied_to = ? AND "
                "(h.type = 'C' OR (h.type = 'D' AND h.adjustment_type = ?))",
                int(claim_id), int(ref), WRITEOFF)), D("0.00"))  # fmt: skip
            deductible = sum((D(x) for n in notes for x in re.findall(
                rf"service {ref} paid [\d.]+ write-off [\d.]+ deductible ([\d.]+)", n)),
                D("0.00"))  # fmt: skip
            lines[ref] = LineView(received, _money(row["paid"]), writeoff, deductible)
        return lines

    def deductible_met(self, patient_id: str) -> Decimal:
        """The primary plan's yearly deductible less the patient's remaining deductible."""
        (row,) = self._rows(
            "SELECT e.yearly_deductible, p.prim_remaining_deductible FROM patient p "
            "JOIN employer e ON e.employer_id = p.prim_employer_id WHERE p.patient_id = ?",
            int(patient_id),
        )
        return _money(row["yearly_deductible"]) - _money(row["prim_remaining_deductible"])

    def claim_received(self, claim_id: str) -> bool:
        """The claim shows money paid (there is no received flag among known columns [U])."""
        (claim,) = self._rows("SELECT prim_total_paid, sec_total_paid FROM insurance_claim "
                              "WHERE claim_id = ?", int(claim_id))  # fmt: skip
        return bool(_money(claim["prim_total_paid"]) or _money(claim["sec_total_paid"]))

    def claim_checks(self, claim_id: str) -> list[Decimal]:
        """Amounts of the bulk payments the claim's insurance payments belong to."""
        rows = self._rows(
            "SELECT b.amount FROM bulk_payments b WHERE b.bulk_payment_num IN (SELECT "
            "bulk_payment_num FROM transactions_header WHERE claim_id = ? AND type = 'I') "
            "ORDER BY b.bulk_payment_num", int(claim_id))  # fmt: skip
        return [_money(r["amount"]) for r in rows]

    def other_plan_paid(self, claim_id: str) -> Decimal:
        """The other plan's columns: ``paid_secondary`` on the claim's services and the claim's
        ``sec_total_paid`` for a primary claim (the primary ones for a secondary claim)."""
        (claim,) = self._rows("SELECT claim_type, prim_total_paid, sec_total_paid FROM "
                              "insurance_claim WHERE claim_id = ?", int(claim_id))  # fmt: skip
        secondary = claim["claim_type"] == "S"
        column = "paid_primary" if secondary else "paid_secondary"
        rows = self._rows(f"SELECT {column} AS paid FROM transactions_header "
                          "WHERE claim_id = ? AND type = 'S'", int(claim_id))  # fmt: skip
        services = sum((_money(r["paid"]) for r in rows), D("0.00"))
        return services + _money(claim["prim_total_paid" if secondary else "sec_total_paid"])

    def enter_by_hand(self, patient_id: str, day: dt.date, amount: Decimal) -> str:
        """An account payment (type A header + detail) by user FD, no marker."""
        (ids,) = self._rows(
            "SELECT (SELECT MAX(tran_num) + 1 FROM transactions_header) AS tran_num, "
            "(SELECT MAX(detail_id) + 1 FROM transactions_detail) AS detail_id, "
            "(SELECT responsible_party FROM patient WHERE patient_id = ?) AS resp",
            int(patient_id),
        )
        self._rows(
            "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, resp_party_id, "
            "amount, paytype_id, description, impacts, status) "
            "VALUES (?, 'FD', 'A', ?, ?, ?, ?, 'Check 1234', 'P', 'A')",
            ids["tran_num"], day, ids["resp"], -amount, int(SCENARIO.payment_type),
        )  # fmt: skip
        self._rows(
            "INSERT INTO transactions_detail (detail_id, tran_num, user_id, provider_id, "
            "patient_id, amount) VALUES (?, ?, 'FD', 'DDS1', ?, ?)",
            ids["detail_id"], ids["tran_num"], int(patient_id), -amount,
        )  # fmt: skip
        return str(ids["tran_num"])

    def add_claim(self, patient_id: str, day: dt.date, fee: Decimal) -> str:
        """A service (type S header + detail) on a new insurance_claim row."""
        (ids,) = self._rows(
            "SELECT (SELECT MAX(claim_id) + 1 FROM insurance_claim) AS claim_id, "
            "(SELECT MAX(tran_num) + 1 FROM transactions_header) AS tran_num, "
            "(SELECT MAX(detail_id) + 1 FROM transactions_detail) AS detail_id, "
            "(SELECT responsible_party FROM patient WHERE patient_id = ?) AS resp",
            int(patient_id),
        )
        claim, tran = ids["claim_id"], ids["tran_num"]
        self._rows(
            "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, resp_party_id, "
            "amount, service_code, fee, description, impacts, status, claim_id, aging_date) "
            "VALUES (?, 'FD', 'S', ?, ?, ?, '0120', ?, '0120', 'P', 'A', ?, ?)",
            tran, day, ids["resp"], fee, fee, claim, day,
        )  # fmt: skip
        self._rows(
            "INSERT INTO transactions_detail (detail_id, tran_num, user_id, provider_id, "
            "patient_id, amount) VALUES (?, ?, 'FD', 'DDS1', ?, ?)",
            ids["detail_id"], tran, int(patient_id), fee,
        )  # fmt: skip
        self._rows(
            "INSERT INTO insurance_claim (claim_id, patient_id, date_created, claim_type, "
            "prim_submitted_total, prim_total_paid, sec_total_paid) VALUES (?, ?, ?, 'P', ?, 0, 0)",
            claim, int(patient_id), day, fee,
        )  # fmt: skip
        return str(claim)
