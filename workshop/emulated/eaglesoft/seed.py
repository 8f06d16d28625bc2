"""Create and seed an emulated Eaglesoft database (SQLite through its ODBC driver).

:func:`create_emulated_database` makes ``eaglesoft.db`` in a folder, fills it with a few
realistic families and the OEM authentication text writes must present, and returns the ODBC
connection string. :data:`DEMO_AUTH` is that text's parts (company, application, signature):
made-up values for the emulation, not Patterson's. Used by tests, the contract suite, ``make
demo``.

Families (ids are stable; dates are relative to ``today``):

* Smith, responsible party 101 (John) with 102 (Mary, insured) and 103 (Tim, two plans):
  services 75, 40, 10 and 3 days ago; an earlier payment applied to John's exam; a finance
  charge (type D) on John; claims 501 (Mary) and 502 (Tim) sent, with insurance estimates.
* Garcia, responsible party 110 (Ana) with son 111 (Luis, insured): one service each; Luis's
  claim 503 is paid (type I, bulk payment 1).
* Lee, 120 (Bob): inactive, nothing owed. Brown, 140 (Finn): deleted (status D [U]).
* Park, responsible party 130 (Helen, non-patient) with daughter 131 (June).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodbc

from adapters.eaglesoft.dialect import authentication_text
from workshop.emulated.sql_script import statements

SCHEMA = Path(__file__).with_name("schema.sql")
DRIVER = "SQLite3"
DEMO_AUTH = ("Emulated Dental Co", "writeback-connector", "emulated-signature-not-patterson")

PAYMENT_TYPES = [(1, "Cash", "Y"), (2, "Check", "Y"), (3, "Credit Card", "Y"),
                 (4, "Online Payment", "Y"), (5, "Insurance EFT", "N")]  # fmt: skip
ADJUSTMENT_TYPES = [(10, "Refund", "C"), (11, "Courtesy Discount", "C"),
                    (12, "Insurance Write-off", "P"), (13, "Returned Payment", "C"),
                    (14, "Finance Charge", "P"), (15, "Insurance Refund", "C")]  # fmt: skip
ONLINE_PAYMENT, INSURANCE_EFT, REFUND, WRITEOFF = 4, 5, 10, 12
PROVIDERS = [("DDS1", "DDS1"), ("DDS2", "DDS2"), ("HYG1", "DDS1")]
SERVICES = [
    ("0120", "D0120", "Periodic Eval", "65.00"),
    ("1110", "D1110", "Prophy-Adult", "120.00"),
    ("1120", "D1120", "Prophy-Child", "85.00"),
    ("2391", "D2391", "Resin-1s, Post", "180.00"),
    ("0274", "D0274", "Bitewings-4", "70.00"),
    ("2331", "D2331", "Resin-2s, Ant", "210.00"),
]
# patient_id, responsible party, first, last, status, dentist, primary employer, secondary
PATIENTS = [
    (101, 101, "John", "Smith", "A", "DDS1", None, None),
    (102, 101, "Mary", "Smith", "A", "DDS1", 301, None),
    (103, 101, "Tim", "Smith", "A", "HYG1", 301, 302),
    (110, 110, "Ana", "Garcia", "A", "DDS2", None, None),
    (111, 110, "Luis", "Garcia", "A", "DDS2", 303, None),
    (120, 120, "Bob", "Lee", "I", "DDS1", None, None),
    (130, 130, "Helen", "Park", "N", "DDS1", None, None),
    (131, 130, "June", "Park", "A", "HYG1", None, None),
    (140, 140, "Finn", "Brown", "D", "DDS1", None, None),
]
# tran_num, patient, days ago, service code, provider, amount, claim_id, estimate
SERVICE_ROWS = [
    (1001, 101, 75, "0120", "DDS1", "65.00", None, "0.00"),
    (1002, 102, 40, "1110", "HYG1", "120.00", 501, "96.00"),
    (1003, 102, 40, "0274", "HYG1", "70.00", 501, "56.00"),
    (1004, 103, 10, "1120", "HYG1", "85.00", 502, "68.00"),
    (1005, 103, 10, "0274", "HYG1", "70.00", 502, "56.00"),
    (1006, 103, 3, "2391", "DDS1", "180.00", None, "0.00"),
    (1007, 110, 100, "2331", "DDS2", "210.00", None, "0.00"),
    (1008, 111, 20, "0120", "DDS2", "65.00", 503, "52.00"),
    (1009, 131, 5, "1120", "HYG1", "85.00", None, "0.00"),
]
EARLIER_PAYMENT = (1010, 101, 60, 2, "DDS1", "25.00", 1001)  # check, applied to John's exam
FINANCE_CHARGE = (1011, 101, 40, 14, "DDS1", "15.00")  # type D debit adjustment on John
INSURANCE_PAID = (1012, 111, 15, 5, "DDS2", "52.00", 503, 1008, 1)  # type I on Luis's claim
BULK = (1, 202, 5, "52.00", "chk EFT503")
CLAIMS = [(501, 102, 39, 301, 201, "P"), (502, 103, 9, 301, 201, "P"),
          (503, 111, 19, 303, 202, "P")]  # fmt: skip
PAID_CLAIMS = {503: "52.00"}
COMPANIES = [(201, "Delta Dental of Somewhere", "94276"), (202, "Acme Dental Plan", "12345")]
EMPLOYERS = [(301, "Smith Family Plan", "G100", 201), (302, "Park Group", "G200", 202),
             (303, "Garcia Plan", "G300", 202)]  # fmt: skip


def connection_string(folder: Path) -> str:
    """The ODBC connection string of the emulated database in ``folder``."""
    return f"Driver={{{DRIVER}}};Database={folder / 'eaglesoft.db'};Timeout=10000"


def create_emulated_database(folder: Path, *, today: dt.date | None = None) -> str:
    """Create, seed and return the connection string of a fresh emulated Eaglesoft database.

    Writes through the returned string need :data:`DEMO_AUTH` as ``pms.authentication``.

    Raises:
        FileExistsError: ``folder`` already holds an emulated Eaglesoft database.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "eaglesoft.db").exists():
        raise FileExistsError(f"{folder} already holds an emulated Eaglesoft database")
    today = today or dt.date.today()  # noqa: DTZ011 (the practice's local date)
    conn_str = connection_string(folder)
    conn = pyodbc.connect(conn_str, autocommit=True)
    try:
        cur = conn.cursor()
        for statement in statements(SCHEMA.read_text(encoding="utf-8")):
            cur.execute(statement)
        cur.execute("BEGIN")
        _seed(cur, today)
        cur.execute("COMMIT")
    finally:
        conn.close()
    return conn_str


def _seed(cur: Any, today: dt.date) -> None:
    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    entered = dt.datetime.combine(today, dt.time(9, 0))
    cur.execute("INSERT INTO oem_authentication (expected) VALUES (?)",
                authentication_text(*DEMO_AUTH))  # fmt: skip
    cur.execute("INSERT INTO system_preferences (version) VALUES ('21.20 (emulated)')")
    cur.executemany(
        "INSERT INTO paytype (paytype_id, sequence, description, prompt, "
        "display_on_payment_screen, currency_type, include_on_deposit_yn, central_id, "
        "system_required) VALUES (?, ?, ?, '', ?, 'P', 'Y', ' ', 0)",
        [(i, i, d, shown) for i, d, shown in PAYMENT_TYPES],
    )
    cur.executemany(
        "INSERT INTO adjustment_type (adjustment_type_id, description, impacts, central_id) "
        "VALUES (?, ?, ?, ' ')",
        ADJUSTMENT_TYPES,
    )
    cur.executemany("INSERT INTO provider VALUES (?, ?, ?)", [(p, c, p) for p, c in PROVIDERS])
    cur.executemany(
        "INSERT INTO services VALUES (?, ?, ?, ?)", [(*s[:3], Decimal(s[3])) for s in SERVICES]
    )
    cur.executemany("INSERT INTO insurance_company VALUES (?, ?, ?)", COMPANIES)
    cur.executemany(
        "INSERT INTO employer (employer_id, name, group_number, insurance_company_id, "
        "maximum_coverage, yearly_deductible) VALUES (?, ?, ?, ?, 1500, 50)",
        EMPLOYERS,
    )
    cur.executemany(
        "INSERT INTO patient (patient_id, responsible_party, first_name, last_name, status, "
        "preferred_dentist, prim_employer_id, sec_employer_id, practice_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
        PATIENTS,
    )
    cur.execute(  # a plan's deductible still to meet: the whole yearly deductible [I]
        "UPDATE patient SET prim_remaining_deductible = 50 WHERE prim_employer_id IS NOT NULL"
    )
    cur.execute(
        "UPDATE patient SET sec_remaining_deductible = 50 WHERE sec_employer_id IS NOT NULL"
    )
    resp = {p[0]: p[1] for p in PATIENTS}
    detail_id = 0
    for tran, patient, days, code, prov, amount, claim, estimate in SERVICE_ROWS:
        detail_id += 1
        cur.execute(
            "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, "
            "resp_party_id, amount, service_code, fee, description, impacts, status, claim_id, "
            "est_primary, aging_date) VALUES (?, 'FD', 'S', ?, ?, ?, ?, ?, ?, 'P', 'A', ?, ?, ?)",
            tran, ago(days), resp[patient], Decimal(amount), code, Decimal(amount),
            code, claim, Decimal(estimate), ago(days),
        )  # fmt: skip
        _detail(cur, detail_id, tran, entered, prov, patient, Decimal(amount), None)
    tran, patient, days, paytype, prov, amount, applied = EARLIER_PAYMENT
    cur.execute(
        "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, resp_party_id, "
        "amount, paytype_id, description, impacts, status, aging_date) "
        "VALUES (?, 'FD', 'A', ?, ?, ?, ?, 'Check 1042', 'C', 'A', ?)",
        tran, ago(days), resp[patient], -Decimal(amount), paytype, ago(days),
    )  # fmt: skip
    _detail(cur, detail_id + 1, tran, entered, prov, patient, -Decimal(amount), applied)
    tran, patient, days, adjustment, prov, amount = FINANCE_CHARGE
    cur.execute(
        "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, resp_party_id, "
        "amount, description, impacts, status, adjustment_type, aging_date) "
        "VALUES (?, 'FD', 'D', ?, ?, ?, 'Finance charge', 'P', 'A', ?, ?)",
        tran, ago(days), resp[patient], Decimal(amount), adjustment, ago(days),
    )  # fmt: skip
    _detail(cur, detail_id + 2, tran, entered, prov, patient, Decimal(amount), None)
    cur.execute("INSERT INTO bulk_payments VALUES (?, ?, ?, ?, ?)",
                *BULK[:3], Decimal(BULK[3]), BULK[4])  # fmt: skip
    tran, patient, days, paytype, prov, amount, claim, service, bulk = INSURANCE_PAID
    cur.execute(
        "INSERT INTO transactions_header (tran_num, user_id, type, tran_date, resp_party_id, "
        "amount, paytype_id, description, impacts, status, claim_id, bulk_payment_num, "
        "aging_date) VALUES (?, 'FD', 'I', ?, ?, ?, ?, 'Ins chk EFT503', 'C', 'A', ?, ?, ?)",
        tran, ago(days), resp[patient], -Decimal(amount), paytype, claim, bulk, ago(days),
    )  # fmt: skip
    _detail(cur, detail_id + 3, tran, entered, prov, patient, -Decimal(amount), service)
    cur.execute("UPDATE transactions_header SET paid_primary = ? WHERE tran_num = ?",
                Decimal(amount), service)  # fmt: skip
    for claim_id, patient, days, employer, company, kind in CLAIMS:
        fee = sum((Decimal(s[5]) for s in SERVICE_ROWS if s[6] == claim_id), Decimal("0.00"))
        paid = Decimal(PAID_CLAIMS.get(claim_id, "0.00"))
        cur.execute(
            "INSERT INTO insurance_claim (claim_id, patient_id, date_created, prim_employer_id, "
            "prim_insurance_company_id, claim_type, prim_submitted_total, prim_total_paid, "
            "sec_total_paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            claim_id, patient, ago(days), employer, company, kind, fee, paid,
        )  # fmt: skip
    cur.execute(
        "UPDATE patient SET current_bal = COALESCE((SELECT SUM(d.amount) FROM "
        "transactions_detail d WHERE d.patient_id = patient.patient_id), 0)"
    )


def _detail(cur: Any, *values: Any) -> None:
    """Insert one detail: (detail_id, tran, entered, provider, patient, amount, applied_to)."""
    detail_id, tran, entered, provider, patient, amount, applied_to = values
    collections = dict(PROVIDERS)[provider]
    cur.execute(
        "INSERT INTO transactions_detail (detail_id, tran_num, user_id, date_entered, "
        "provider_id, collections_go_to, patient_id, amount, applied_to, status, posneg) "
        "VALUES (?, ?, 'FD', ?, ?, ?, ?, ?, ?, 1, 0)",
        detail_id, tran, entered, provider, collections, patient, amount, applied_to,
    )  # fmt: skip
