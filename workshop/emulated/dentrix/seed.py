"""Create and seed an emulated Dentrix G database (SQLite through its ODBC driver).

:func:`create_emulated_database` makes ``dentrix.db`` (the connection's main file) and
``admin.db`` (ATTACHed as ``admin``, holding the DDP views as tables) in a folder, fills them
with a few realistic families, and returns the ODBC connection string. Used by the tests, the
contract suite and ``make demo``.

Families (ids are stable; dates are relative to ``today``):

* Smith, guarantor 1001 (John) with spouse 1002 (Mary, insured) and child 1003 (Tim, insured):
  procedures 75, 40 and 10 days ago, one earlier payment, claims 5001 (Mary) and 5002 (Tim).
  John also owes a '+' finance charge (2009) dated with Mary's procedures.
* Garcia, guarantor 1010 (Ana) with son 1011 (Luis, insured): one open procedure each; Luis's
  claim 5003 is received and paid 52.00 (a class 3 row).
* Lee, 1020 (Bob): inactive (status 3), no balance.
* Park, guarantor 1030 (Helen, non-patient, status 2) with daughter 1031 (June).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodbc

from adapters.dentrix import mapping as m
from workshop.emulated.sql_script import statements

SCHEMA = Path(__file__).with_name("schema.sql")
DRIVER = "SQLite3"  # libsqliteodbc, see /etc/odbcinst.ini

PAYMENT_TYPES = {1: "Cash", 2: "Check", 3: "Credit Card", 4: "Online Payment"}
ADJUSTMENT_TYPES = {
    10: "+Refund",
    11: "-Discount",
    12: "-Ins Write-off",
    13: "+Returned Payment",
    14: "-Courtesy Adjustment",
    15: "+Finance Charge",
    16: "+Ins Over-pmt Refund",  # Dentrix's insurance refund adjustment type (its training's name)
}
ONLINE_PAYMENT, REFUND, WRITEOFF, DISCOUNT = 4, 10, 12, 11

# patid, guarid, first, last, status, provider, primary insured, secondary insured
PATIENTS = [
    (1001, 1001, "John", "Smith", 1, "DDS1", None, None),
    (1002, 1001, "Mary", "Smith", 1, "DDS1", 7001, None),
    (1003, 1001, "Tim", "Smith", 1, "HYG1", 7002, 7003),
    (1010, 1010, "Ana", "Garcia", 1, "DDS2", None, None),
    (1011, 1010, "Luis", "Garcia", 1, "DDS2", 7004, None),
    (1020, 1020, "Bob", "Lee", 3, "DDS1", None, None),
    (1030, 1030, "Helen", "Park", 2, "DDS1", None, None),
    (1031, 1030, "June", "Park", 1, "HYG1", None, None),
]
PROCCODES = [(1, "D0120", "Periodic Eval"), (2, "D1110", "Prophy-Adult"),
             (3, "D1120", "Prophy-Child"), (4, "D2391", "Resin-1s, Post"),
             (5, "D0274", "Bitewings-4")]  # fmt: skip
# procid, patid, days ago, proccodeid, provider, amount, claimid
PROCEDURES = [
    (2001, 1001, 75, 1, "DDS1", "65.00", 0),
    (2002, 1002, 40, 2, "HYG1", "120.00", 5001),
    (2003, 1002, 40, 5, "HYG1", "70.00", 5001),
    (2004, 1003, 10, 3, "HYG1", "85.00", 5002),
    (2005, 1003, 10, 4, "DDS1", "180.00", 5002),
    (2006, 1010, 100, 4, "DDS2", "210.00", 0),
    (2007, 1011, 20, 1, "DDS2", "65.00", 5003),
    (2008, 1031, 5, 3, "HYG1", "85.00", 0),
]
EARLIER_PAYMENT = (2100, 1001, 60, 2, "DDS1", "-25.00")  # John paid 25.00 by check
FINANCE_CHARGE = (2009, 1001, 40, 15, "DDS1", "15.00")  # a '+' adjustment on John
INSURANCE_PAID = (2101, 1011, 15, 0, "DDS2", "-52.00", 5003)  # class 3 on Luis's claim
# claimid, patid, insuredid, claimtype, days ago
CLAIMS = [(5001, 1002, 7001, 0, 39), (5002, 1003, 7002, 0, 9), (5003, 1011, 7004, 0, 19)]
RECEIVED_CLAIMS = {5003: (15, "52.00")}  # claimid: (days ago received, total received)
INSURED = [(7001, 8001, 1001, "MBR1001A"), (7002, 8001, 1001, "MBR1001B"),
           (7003, 8002, 1030, "MBR1030A"), (7004, 8002, 1010, "MBR1010A")]  # fmt: skip
CARRIERS = [(8001, "Delta Dental of Somewhere", "1500.00"), (8002, "Acme Dental Plan", "1000.00")]


def connection_string(folder: Path) -> str:
    """The ODBC connection string of the emulated database in ``folder``."""
    return f"Driver={{{DRIVER}}};Database={folder / 'dentrix.db'};Timeout=10000"


def create_emulated_database(folder: Path, *, today: dt.date | None = None) -> str:
    """Create, seed and return the connection string of a fresh emulated Dentrix database.

    Raises:
        FileExistsError: ``folder`` already holds an emulated Dentrix database.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    main, admin = folder / "dentrix.db", folder / "admin.db"
    if main.exists() or admin.exists():
        raise FileExistsError(f"{folder} already holds an emulated Dentrix database")
    today = today or dt.date.today()  # noqa: DTZ011 (the practice's local date)
    conn_str = connection_string(folder)
    conn = pyodbc.connect(conn_str, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute("ATTACH DATABASE ? AS admin", str(admin))
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

    created = dt.datetime.combine(today, dt.time(9, 0))
    cur.executemany(
        "INSERT INTO admin.fulldef (defid, descript, deftype) VALUES (?, ?, ?)",
        [(k, v, m.PAYMENT_TYPES) for k, v in PAYMENT_TYPES.items()]
        + [(k, v, m.ADJUSTMENT_TYPES) for k, v in ADJUSTMENT_TYPES.items()],
    )
    cur.executemany(
        "INSERT INTO admin.patient (patid, guarid, firstname, lastname, status, provid1, "
        "priminsuredid, secinsuredid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        PATIENTS,
    )
    cur.executemany("INSERT INTO admin.proccode VALUES (?, ?, ?)", PROCCODES)
    cur.executemany(
        "INSERT INTO admin.inscarrier (insid, insconame, maxcovperson, stddedperperson, "
        "stddedperfam) VALUES (?, ?, ?, 50, 150)",
        [(i, n, Decimal(x)) for i, n, x in CARRIERS],
    )
    cur.executemany(
        "INSERT INTO admin.insured (insuredid, insplanid, inspartyid, idnum) VALUES (?, ?, ?, ?)",
        INSURED,
    )
    guarantor = {p[0]: p[1] for p in PATIENTS}
    rows: list[m.LedgerRow] = []
    for procid, patid, days, code, prov, amount, claimid in PROCEDURES:
        cur.execute(
            "INSERT INTO admin.fullproclog (procid, patid, guarid, chartstatus, procdate, "
            "proclogclass, proclogorder, proccodeid, provid, amt, createdate, claimid) "
            "VALUES (?, ?, ?, 102, ?, 0, 0, ?, ?, ?, ?, ?)",
            procid, patid, guarantor[patid], ago(days), code, prov, Decimal(amount), created,
            claimid,
        )  # fmt: skip
        rows.append(m.LedgerRow(procid, patid, prov, ago(days), 102, 0, Decimal(amount), claimid))
    procid, patid, days, order, prov, amount = EARLIER_PAYMENT
    cur.execute(
        "INSERT INTO admin.fullproclog (procid, patid, guarid, chartstatus, procdate, "
        "proclogclass, proclogorder, provid, amt, createdate, checknum) "
        "VALUES (?, ?, ?, 90, ?, 1, ?, ?, ?, ?, '1042')",
        procid, patid, guarantor[patid], ago(days), order, prov, Decimal(amount), created,
    )  # fmt: skip
    rows.append(m.LedgerRow(procid, patid, prov, ago(days), 90, 1, Decimal(amount), 0))
    procid, patid, days, order, prov, amount = FINANCE_CHARGE
    cur.execute(
        "INSERT INTO admin.fullproclog (procid, patid, guarid, chartstatus, procdate, "
        "proclogclass, proclogorder, provid, amt, createdate) VALUES (?, ?, ?, 90, ?, 2, ?, ?, "
        "?, ?)",
        procid, patid, guarantor[patid], ago(days), order, prov, Decimal(amount), created,
    )  # fmt: skip
    rows.append(m.LedgerRow(procid, patid, prov, ago(days), 90, 2, Decimal(amount), 0))
    procid, patid, days, order, prov, amount, claimid = INSURANCE_PAID
    cur.execute(
        "INSERT INTO admin.fullproclog (procid, patid, guarid, chartstatus, procdate, "
        "proclogclass, proclogorder, provid, amt, createdate, checknum, claimid) "
        "VALUES (?, ?, ?, 90, ?, 3, ?, ?, ?, ?, 'EFT5003', ?)",
        procid, patid, guarantor[patid], ago(days), order, prov, Decimal(amount), created, claimid,
    )  # fmt: skip
    cur.execute("UPDATE admin.fullproclog SET amtpriminspaid = ? WHERE procid = 2007",
                -Decimal(amount))  # fmt: skip
    rows.append(m.LedgerRow(procid, patid, prov, ago(days), 90, 3, Decimal(amount), claimid))
    for claimid, patid, insured, claimtype, days in CLAIMS:
        fee = sum((Decimal(p[5]) for p in PROCEDURES if p[6] == claimid), Decimal("0.00"))
        received_days, received = RECEIVED_CLAIMS.get(claimid, (None, "0.00"))
        cur.execute(
            "INSERT INTO admin.claim (claimid, patid, insuredid, claimtype, status, dateofclaim, "
            "datereceived, totalfee, totalreceived) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
            claimid, patid, insured, claimtype, ago(days),
            ago(received_days) if received_days is not None else None, fee, Decimal(received),
        )  # fmt: skip
    cur.execute(
        "INSERT INTO admin.options (optionsection, optionkey, optionvalue) VALUES (?, ?, ?)",
        "General", "Data_Version", "G7.5 (emulated)",
    )  # fmt: skip
    _seed_aging(cur, rows, guarantor, today)


def _seed_aging(
    cur: Any, rows: list[m.LedgerRow], guarantor: dict[int, int], today: dt.date
) -> None:
    """Aging rows consistent with the seeded ledger (FIFO, by age of the open charge)."""
    for guarid in sorted(set(guarantor.values())):
        family = [r for r in rows if guarantor[r.patid] == guarid]
        buckets = [Decimal("0.00")] * 4
        for charge in m.open_charges(family):
            age = (today - charge.date).days
            buckets[0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3] += (
                charge.amount_due
            )
        cur.execute(
            "INSERT INTO admin.aging (guarid, agingdate, billingtype, aging0to30, aging31to60, "
            "aging61to90, aging91plus) VALUES (?, ?, 1, ?, ?, ?, ?)",
            guarid, today, *buckets,
        )  # fmt: skip
