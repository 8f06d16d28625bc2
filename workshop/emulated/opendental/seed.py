"""A realistic small practice for the emulated Open Dental database (tests, demo, benchmarks).

The rows use Open Dental's column names (see ``schema.sql``). Names are invented. The ids are
fixed so tests can name them (:class:`Ids`); :func:`generated_practice` adds many more families
for benchmarks.

What the practice holds:

* the Smith family (guarantor Ana): procedures on three dates by three providers, one received
  claim with its insurance check, two claims sent and waiting, an unattached finance charge on
  the same day as two procedures, a discount attached to a crown, an earlier payment split onto a
  child's cleaning, and an unearned prepayment; Ana has one insurance plan, Ben has two;
* the Jones family: Dan with a sent claim and an uninsured procedure; Eve is inactive and paid up;
* Finn Brown, a deleted patient with an open charge; Gia Lopez, a patient with no charges.
"""

# Row builders take table rows positionally (PLR0917); random makes deterministic test data,
# not secrets (S311); Open Dental stores local wall-clock datetimes without zone (DTZ001).
# ruff: noqa: S311, DTZ001

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from workshop.emulated.opendental.crud_rows import crud_row

Row = dict[str, Any]
Rows = dict[str, list[Row]]

# Tables in dependency-free load order (Open Dental has no foreign keys either).
TABLES = (
    "preference", "definition", "provider", "procedurecode", "patient", "carrier", "insplan",
    "inssub", "patplan", "procedurelog", "adjustment", "payment", "paysplit", "claim",
    "claimproc", "claimpayment", "commlog",
)  # fmt: skip

EMPTY_DATE = dt.date(1, 1, 1)


class Ids:
    """Primary keys of the seeded rows that tests refer to."""

    # providers
    DOC1, DOC2, HYG1 = 1, 2, 3
    # patients
    ANA, BEN, CLEO, DAN, EVE, FINN, GIA = 1, 2, 3, 4, 5, 6, 7
    UNKNOWN_PATIENT = 999_999
    # procedures (ProcNum)
    P_ANA_EXAM, P_ANA_PROPHY, P_BEN_FILLING, P_BEN_BITEWINGS = 1, 2, 3, 4
    P_CLEO_PROPHY, P_ANA_CROWN, P_ANA_PLANNED, P_CLEO_DELETED = 5, 6, 7, 8
    P_DAN_PANO, P_DAN_SRP, P_EVE_PROPHY, P_FINN_EXAM = 9, 10, 11, 12
    # adjustments
    A_ANA_FINANCE, A_ANA_CROWN_DISCOUNT = 1, 2
    # claims
    CLAIM_ANA_RECEIVED, CLAIM_BEN_SENT, CLAIM_ANA_CROWN, CLAIM_DAN_SENT = 1, 2, 3, 4
    # claimprocs of the Ben claim (ProcNum 3 and 4)
    CP_BEN_FILLING, CP_BEN_BITEWINGS = 3, 4
    # definitions
    ADJ_DISCOUNT, ADJ_FINANCE, ADJ_BILLING = 1, 2, 3
    ADJ_WRITEOFF_REVERSAL = 4  # '+': a write-off taken back by a claim reversal
    PAY_CHECK, PAY_CASH, PAY_CARD, PAY_ONLINE, PAY_OLD_HIDDEN = 10, 11, 12, 13, 14
    COMM_APPT, COMM_FIN, COMM_MISC = 20, 21, 22
    UNEARNED_PREPAY = 30
    INSPAY_CHECK, INSPAY_EFT = 40, 41
    PAYGROUP_DEFAULT = 45
    # plans
    PLAN_DELTA, PLAN_METLIFE = 1, 2


def schema_statements() -> list[str]:
    """The CREATE TABLE statements of ``schema.sql``, one per list item."""
    text = Path(__file__).with_name("schema.sql").read_text("utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [part.strip() for part in body.split("\n;") if part.strip()]


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _m(text: str) -> Decimal:
    return Decimal(text)


def practice_rows() -> Rows:
    """The seeded practice (see the module docstring), as rows per table."""
    rows: Rows = {table: [] for table in TABLES}
    rows["preference"] = [
        {"PrefName": name, "ValueString": value}
        for name, value in (
            ("RigorousAccounting", "1"), ("PrepaymentUnearnedType", str(Ids.UNEARNED_PREPAY)),
            ("BalancesDontSubtractIns", "0"), ("ApiPaymentType", str(Ids.PAY_ONLINE)),
            ("ClaimPaymentBatchOnly", "0"), ("FutureTransDatesAllowed", "0"),
            ("PaymentClinicSetting", "0"), ("ShowAutoDeposit", "0"), ("RandomPrimaryKeys", "0"),
            # every API feature the connector uses is there from 25.2.7 (docs/vendors/
            # opendental.md); tests of older offices lower this pref
            ("DataBaseVersion", "25.2.15.0"),
        )
    ]  # fmt: skip
    rows["definition"] = [
        _def(Ids.ADJ_DISCOUNT, 1, 0, "Discount", "-"),
        _def(Ids.ADJ_FINANCE, 1, 1, "Finance Charge", "+"),
        _def(Ids.ADJ_BILLING, 1, 2, "Billing Charge", "+"),
        _def(Ids.ADJ_WRITEOFF_REVERSAL, 1, 3, "Write-off Reversal", "+"),
        _def(Ids.PAY_CHECK, 10, 0, "Check", ""),
        _def(Ids.PAY_CASH, 10, 1, "Cash", ""),
        _def(Ids.PAY_CARD, 10, 2, "Credit Card", ""),
        _def(Ids.PAY_ONLINE, 10, 3, "Online Payment", "N"),
        _def(Ids.PAY_OLD_HIDDEN, 10, 4, "Old Card Terminal", "", hidden=True),
        _def(Ids.COMM_APPT, 27, 0, "Appt Related", "APPT"),
        _def(Ids.COMM_FIN, 27, 1, "Financial", "FIN"),
        _def(Ids.COMM_MISC, 27, 2, "Misc", "MISC"),
        _def(Ids.UNEARNED_PREPAY, 29, 0, "Prepayment", ""),
        _def(Ids.INSPAY_CHECK, 32, 0, "Check", ""),
        _def(Ids.INSPAY_EFT, 32, 1, "EFT", "N"),
        _def(Ids.PAYGROUP_DEFAULT, 40, 0, "Default", ""),
    ]
    rows["provider"] = [
        {"ProvNum": Ids.DOC1, "Abbr": "DOC1", "LName": "Nguyen", "FName": "Lan",
         "NationalProvID": "1234567893"},
        {"ProvNum": Ids.DOC2, "Abbr": "DOC2", "LName": "Okafor", "FName": "Chidi",
         "NationalProvID": "1245319599"},
        {"ProvNum": Ids.HYG1, "Abbr": "HYG1", "LName": "Berg", "FName": "Sara", "IsSecondary": 1},
    ]  # fmt: skip
    rows["procedurecode"] = [
        {"CodeNum": num, "ProcCode": code, "Descript": text, "AbbrDesc": abbr}
        for num, code, text, abbr in (
            (1, "D0120", "periodic oral evaluation", "PerEx"),
            (2, "D0274", "bitewings - four radiographic images", "4BW"),
            (3, "D1110", "prophylaxis - adult", "Pro"),
            (4, "D2391", "resin-based composite - one surface, posterior", "C1P"),
            (5, "D2740", "crown - porcelain/ceramic", "CrnPorc"),
            (6, "D0330", "panoramic radiographic image", "Pano"),
            (7, "D4341", "periodontal scaling and root planing - four or more teeth", "SRP"),
        )
    ]
    rows["patient"] = [
        _patient(Ids.ANA, "Smith", "Ana", Ids.ANA, Ids.DOC1, "1980-04-02", position=1),
        _patient(Ids.BEN, "Smith", "Ben", Ids.ANA, Ids.DOC2, "2012-09-15"),
        _patient(Ids.CLEO, "Smith", "Cleo", Ids.ANA, Ids.DOC1, "2015-01-30"),
        _patient(Ids.DAN, "Jones", "Dan", Ids.DAN, Ids.DOC1, "1975-06-11", position=1),
        _patient(Ids.EVE, "Jones", "Eve", Ids.DAN, Ids.DOC2, "1977-12-01", status=2, position=1),
        _patient(Ids.FINN, "Brown", "Finn", Ids.FINN, Ids.DOC1, "1990-03-03", status=4),
        _patient(Ids.GIA, "Lopez", "Gia", Ids.GIA, Ids.DOC2, "1988-08-08"),
    ]
    rows["carrier"] = [
        {"CarrierNum": 1, "CarrierName": "Delta Dental of Example", "ElectID": "94276"},
        {"CarrierNum": 2, "CarrierName": "MetLife Example", "ElectID": "65978"},
    ]
    rows["insplan"] = [
        {"PlanNum": Ids.PLAN_DELTA, "GroupName": "Acme Corp", "GroupNum": "G100",
         "PlanType": "p", "CarrierNum": 1},
        {"PlanNum": Ids.PLAN_METLIFE, "GroupName": "Beta LLC", "GroupNum": "G200",
         "PlanType": "", "CarrierNum": 2},
    ]  # fmt: skip
    rows["inssub"] = [
        {"InsSubNum": num, "PlanNum": plan, "Subscriber": subscriber, "SubscriberID": member}
        for num, plan, subscriber, member in (
            (1, Ids.PLAN_DELTA, Ids.ANA, "DX111"),
            (2, Ids.PLAN_METLIFE, Ids.DAN, "ML22"),
            (3, Ids.PLAN_METLIFE, Ids.ANA, "ML33"),
        )
    ]
    rows["patplan"] = [
        {"PatPlanNum": 1, "PatNum": Ids.ANA, "Ordinal": 1, "Relationship": 0, "InsSubNum": 1},
        {"PatPlanNum": 2, "PatNum": Ids.BEN, "Ordinal": 1, "Relationship": 2, "InsSubNum": 1},
        {"PatPlanNum": 3, "PatNum": Ids.BEN, "Ordinal": 2, "Relationship": 2, "InsSubNum": 3},
        {"PatPlanNum": 4, "PatNum": Ids.DAN, "Ordinal": 1, "Relationship": 0, "InsSubNum": 2},
    ]
    rows["procedurelog"] = [
        _proc(Ids.P_ANA_EXAM, Ids.ANA, "2025-01-10", "60.00", Ids.DOC1, 1),
        _proc(Ids.P_ANA_PROPHY, Ids.ANA, "2025-01-10", "95.00", Ids.HYG1, 3),
        _proc(Ids.P_BEN_FILLING, Ids.BEN, "2025-02-14", "180.00", Ids.DOC2, 4, tooth="30"),
        _proc(Ids.P_BEN_BITEWINGS, Ids.BEN, "2025-02-14", "70.00", Ids.DOC2, 2),
        _proc(Ids.P_CLEO_PROPHY, Ids.CLEO, "2025-03-03", "95.00", Ids.HYG1, 3),
        _proc(Ids.P_ANA_CROWN, Ids.ANA, "2025-04-20", "1200.00", Ids.DOC1, 5, tooth="3"),
        _proc(Ids.P_ANA_PLANNED, Ids.ANA, "2025-06-01", "180.00", Ids.DOC1, 4, status=1),
        _proc(Ids.P_CLEO_DELETED, Ids.CLEO, "2025-03-03", "60.00", Ids.DOC1, 1, status=6),
        _proc(Ids.P_DAN_PANO, Ids.DAN, "2025-02-01", "110.00", Ids.DOC1, 6),
        _proc(Ids.P_DAN_SRP, Ids.DAN, "2025-05-05", "240.00", Ids.DOC2, 7),
        _proc(Ids.P_EVE_PROPHY, Ids.EVE, "2024-11-20", "95.00", Ids.HYG1, 3),
        _proc(Ids.P_FINN_EXAM, Ids.FINN, "2024-06-01", "60.00", Ids.DOC1, 1),
    ]
    rows["adjustment"] = [
        {"AdjNum": Ids.A_ANA_FINANCE, "AdjDate": _d("2025-01-10"), "AdjAmt": _m("25.00"),
         "PatNum": Ids.ANA, "AdjType": Ids.ADJ_FINANCE, "ProvNum": Ids.DOC1,
         "DateEntry": _d("2025-01-10")},
        {"AdjNum": Ids.A_ANA_CROWN_DISCOUNT, "AdjDate": _d("2025-04-20"), "AdjAmt": _m("-50.00"),
         "PatNum": Ids.ANA, "AdjType": Ids.ADJ_DISCOUNT, "ProvNum": Ids.DOC1,
         "ProcNum": Ids.P_ANA_CROWN, "ProcDate": _d("2025-04-20"), "DateEntry": _d("2025-04-20")},
    ]  # fmt: skip
    rows["payment"] = [
        _payment(1, Ids.PAY_CHECK, "2025-03-10", "35.00", Ids.ANA, "1042"),
        _payment(2, Ids.PAY_CASH, "2024-11-20", "95.00", Ids.DAN, ""),
        _payment(3, Ids.PAY_CARD, "2025-05-01", "20.00", Ids.ANA, ""),
    ]
    rows["paysplit"] = [
        _split(1, 1, "35.00", Ids.CLEO, Ids.HYG1, "2025-03-10", proc=Ids.P_CLEO_PROPHY),
        _split(2, 2, "95.00", Ids.EVE, Ids.HYG1, "2024-11-20", proc=Ids.P_EVE_PROPHY),
        _split(3, 3, "20.00", Ids.ANA, 0, "2025-05-01", unearned=Ids.UNEARNED_PREPAY),
    ]
    rows["claim"] = [
        _claim(Ids.CLAIM_ANA_RECEIVED, Ids.ANA, "2025-01-10", "R", "155.00", "118.00", "118.00",
               "10.00", Ids.PLAN_DELTA, 1, Ids.DOC1, received="2025-02-01"),
        _claim(Ids.CLAIM_BEN_SENT, Ids.BEN, "2025-02-14", "S", "250.00", "170.00", "0.00",
               "0.00", Ids.PLAN_DELTA, 1, Ids.DOC2, plan2=Ids.PLAN_METLIFE, sub2=3),
        _claim(Ids.CLAIM_ANA_CROWN, Ids.ANA, "2025-04-20", "S", "1200.00", "600.00", "0.00",
               "0.00", Ids.PLAN_DELTA, 1, Ids.DOC1),
        _claim(Ids.CLAIM_DAN_SENT, Ids.DAN, "2025-02-01", "S", "110.00", "88.00", "0.00", "0.00",
               Ids.PLAN_METLIFE, 2, Ids.DOC1),
    ]  # fmt: skip
    rows["claimproc"] = [
        _claimproc(1, Ids.P_ANA_EXAM, Ids.CLAIM_ANA_RECEIVED, Ids.ANA, Ids.DOC1, "60.00",
                   "48.00", 1, "48.00", "0.00", Ids.PLAN_DELTA, 1, "2025-01-10", "D0120",
                   payment=1, date_cp="2025-02-01"),
        _claimproc(2, Ids.P_ANA_PROPHY, Ids.CLAIM_ANA_RECEIVED, Ids.ANA, Ids.HYG1, "95.00",
                   "70.00", 1, "70.00", "10.00", Ids.PLAN_DELTA, 1, "2025-01-10", "D1110",
                   payment=1, date_cp="2025-02-01"),
        _claimproc(Ids.CP_BEN_FILLING, Ids.P_BEN_FILLING, Ids.CLAIM_BEN_SENT, Ids.BEN, Ids.DOC2,
                   "180.00", "120.00", 0, "0.00", "20.00", Ids.PLAN_DELTA, 1, "2025-02-14",
                   "D2391"),
        _claimproc(Ids.CP_BEN_BITEWINGS, Ids.P_BEN_BITEWINGS, Ids.CLAIM_BEN_SENT, Ids.BEN,
                   Ids.DOC2, "70.00", "50.00", 0, "0.00", "5.00", Ids.PLAN_DELTA, 1,
                   "2025-02-14", "D0274"),
        _claimproc(5, Ids.P_ANA_CROWN, Ids.CLAIM_ANA_CROWN, Ids.ANA, Ids.DOC1, "1200.00",
                   "600.00", 0, "0.00", "150.00", Ids.PLAN_DELTA, 1, "2025-04-20", "D2740"),
        _claimproc(6, Ids.P_DAN_PANO, Ids.CLAIM_DAN_SENT, Ids.DAN, Ids.DOC1, "110.00", "88.00",
                   0, "0.00", "0.00", Ids.PLAN_METLIFE, 2, "2025-02-01", "D0330"),
    ]  # fmt: skip
    rows["claimpayment"] = [
        {"ClaimPaymentNum": 1, "CheckDate": _d("2025-02-01"), "CheckAmt": _m("118.00"),
         "CheckNum": "CHK1001", "CarrierName": "Delta Dental of Example",
         "DateIssued": _d("2025-01-28"), "PayType": Ids.INSPAY_CHECK,
         "PayGroup": Ids.PAYGROUP_DEFAULT, "SecDateEntry": _d("2025-02-01")},
    ]  # fmt: skip
    rows["commlog"] = [
        {"CommlogNum": 1, "PatNum": Ids.ANA, "CommDateTime": dt.datetime(2025, 1, 10, 9, 30),
         "CommType": Ids.COMM_APPT, "Note": "Confirmed cleaning appointment.", "Mode_": 3,
         "SentOrReceived": 1, "DateTEntry": dt.datetime(2025, 1, 10, 9, 31)},
    ]  # fmt: skip
    return rows


def generated_practice(families: int, *, first_id: int = 10_000, seed: int = 7) -> Rows:
    """``families`` extra families (guarantor + up to two members, 2 to 4 procedures each).

    Ids start at ``first_id``; amounts are whole cents drawn from a seeded generator, so the
    same arguments always give the same rows.
    """
    rng = random.Random(seed)
    rows: Rows = {table: [] for table in TABLES}
    pat = proc = adj = first_id
    codes = [(1, "60.00"), (2, "70.00"), (3, "95.00"), (4, "180.00"), (6, "110.00")]
    start = dt.date(2025, 1, 6)
    for _family in range(families):
        guarantor = pat
        for member in range(rng.randint(1, 3)):
            rows["patient"].append(
                _patient(pat, f"Gen{guarantor}", f"M{member}", guarantor, Ids.DOC1, "1985-01-01")
            )
            for _ in range(rng.randint(2, 4)):
                code, fee = rng.choice(codes)
                day = start + dt.timedelta(days=rng.randint(0, 300))
                prov = rng.choice((Ids.DOC1, Ids.DOC2, Ids.HYG1))
                rows["procedurelog"].append(_proc(proc, pat, day.isoformat(), fee, prov, code))
                proc += 1
            if rng.random() < 0.2:
                rows["adjustment"].append(
                    {"AdjNum": adj, "AdjDate": start + dt.timedelta(days=rng.randint(0, 300)),
                     "AdjAmt": _m("15.00"), "PatNum": pat, "AdjType": Ids.ADJ_BILLING,
                     "ProvNum": Ids.DOC1}
                )  # fmt: skip
                adj += 1
            pat += 1
    return rows


def insert_statements(rows: Rows) -> Iterable[tuple[str, list[Sequence[Any]]]]:
    """``(INSERT … VALUES (?, …), parameter rows)`` per table and column set, in load order."""
    for table in TABLES:
        groups: dict[tuple[str, ...], list[Sequence[Any]]] = {}
        for given in rows.get(table, []):
            row = crud_row(table, given)  # every column, as Open Dental's CRUD writes it
            groups.setdefault(tuple(row), []).append(tuple(row.values()))
        for columns, params in groups.items():
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(columns)
            # table and column names come from this module's constants, never from input
            yield f"INSERT INTO {table} ({names}) VALUES ({marks})", params  # noqa: S608 - column names come from our code; values are ? placeholders


def load(cursor: Any, rows: Rows, *, chunk: int = 1) -> None:
    """Insert ``rows`` with a DB-API cursor, ``chunk`` rows per INSERT statement."""
    for sql, params in insert_statements(rows):
        if chunk <= 1:
            cursor.executemany(sql, params)
            continue
        head, _, values = sql.partition(" VALUES ")
        for start in range(0, len(params), chunk):
            part = params[start : start + chunk]
            flat = [value for row in part for value in row]
            cursor.execute(f"{head} VALUES {', '.join([values] * len(part))}", flat)


# -- row builders -------------------------------------------------------------------------
def _def(num: int, cat: int, order: int, name: str, value: str, *, hidden: bool = False) -> Row:
    return {"DefNum": num, "Category": cat, "ItemOrder": order, "ItemName": name,
            "ItemValue": value, "IsHidden": int(hidden)}  # fmt: skip


def _patient(num: int, last: str, first: str, guarantor: int, prov: int, born: str, *,
             status: int = 0, position: int = 0) -> Row:  # fmt: skip
    return {"PatNum": num, "LName": last, "FName": first, "PatStatus": status,
            "Position": position, "Birthdate": _d(born), "Guarantor": guarantor,
            "PriProv": prov}  # fmt: skip


def _proc(num: int, pat: int, date: str, fee: str, prov: int, code: int, *, status: int = 2,
          tooth: str = "") -> Row:  # fmt: skip
    day = _d(date)
    done = status == 2
    return {"ProcNum": num, "PatNum": pat, "ProcDate": day, "ProcFee": _m(fee),
            "ProcStatus": status, "ProvNum": prov, "CodeNum": code, "ToothNum": tooth,
            "UnitQty": 1, "BaseUnits": 0, "DateEntryC": day if done else EMPTY_DATE,
            "DateComplete": day if done else EMPTY_DATE,
            "SecDateEntry": dt.datetime.combine(day, dt.time(9))}  # fmt: skip


def _payment(num: int, pay_type: int, date: str, amount: str, pat: int, check: str) -> Row:
    return {"PayNum": num, "PayType": pay_type, "PayDate": _d(date), "PayAmt": _m(amount),
            "CheckNum": check, "PatNum": pat, "DateEntry": _d(date)}  # fmt: skip


def _split(num: int, pay: int, amount: str, pat: int, prov: int, date: str, *, proc: int = 0,
           adj: int = 0, unearned: int = 0) -> Row:  # fmt: skip
    return {"SplitNum": num, "PayNum": pay, "SplitAmt": _m(amount), "PatNum": pat,
            "ProvNum": prov, "DatePay": _d(date), "DateEntry": _d(date), "ProcNum": proc,
            "AdjNum": adj, "UnearnedType": unearned}  # fmt: skip


def _claim(num: int, pat: int, service: str, status: str, fee: str, est: str, paid: str,
           writeoff: str, plan: int, sub: int, prov: int, *, received: str | None = None,
           plan2: int = 0, sub2: int = 0) -> Row:  # fmt: skip
    return {"ClaimNum": num, "PatNum": pat, "DateService": _d(service),
            "DateSent": _d(service) + dt.timedelta(days=1), "ClaimStatus": status,
            "DateReceived": _d(received) if received else EMPTY_DATE, "PlanNum": plan,
            "ProvTreat": prov, "ProvBill": prov, "ClaimFee": _m(fee), "InsPayEst": _m(est),
            "InsPayAmt": _m(paid), "WriteOff": _m(writeoff), "ClaimType": "P", "InsSubNum": sub,
            "PlanNum2": plan2, "InsSubNum2": sub2, "ClaimIdentifier": f"{pat}/{num}",
            "SecDateEntry": _d(service)}  # fmt: skip


def _claimproc(num: int, proc: int, claim: int, pat: int, prov: int, fee: str, est: str,
               status: int, paid: str, writeoff: str, plan: int, sub: int, date: str,
               code: str, *, payment: int = 0, date_cp: str | None = None) -> Row:  # fmt: skip
    return {"ClaimProcNum": num, "ProcNum": proc, "ClaimNum": claim, "PatNum": pat,
            "ProvNum": prov, "FeeBilled": _m(fee), "InsPayEst": _m(est), "Status": status,
            "InsPayAmt": _m(paid), "WriteOff": _m(writeoff), "PlanNum": plan, "InsSubNum": sub,
            "ProcDate": _d(date), "CodeSent": code, "ClaimPaymentNum": payment,
            "DateCP": _d(date_cp) if date_cp else EMPTY_DATE,
            "DateEntry": _d(date_cp) if date_cp else EMPTY_DATE, "SecDateEntry": _d(date),
            "InsEstTotal": _m(est)}  # fmt: skip
