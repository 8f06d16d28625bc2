"""The Open Dental API double writes rows as Open Dental does: strict mode, 24.3 types, all columns.

Open Dental's CRUD layer names every column in each INSERT, and many 24.3 columns are NOT NULL
without a default; the emulated schema keeps no defaults on the tables the double writes, and
the test server runs with STRICT_TRANS_TABLES, so a forgotten column fails here as it would there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodbc
import pytest
import requests

from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.crud_rows import schema_columns
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.opendental_db import WRITTEN_TABLES

pytestmark = pytest.mark.external_service
D = Decimal
AUTH = {"Authorization": f"ODFHIR {DEVELOPER_KEY}/{CUSTOMER_KEY}"}
DOC_COLUMNS = Path(__file__).parent / "data" / "opendental_24_3_columns.txt"
# Tables whose every 24.3 column the emulated schema lists (the wide ones list a subset).
COMPLETE_TABLES = ("preference", "definition", "patplan", "adjustment", "payment", "paysplit",
                   "claimproc", "claimpayment", "commlog")  # fmt: skip


def call(od: OdContext, method: str, path: str, body: Any = None) -> requests.Response:
    """One request to the double."""
    return requests.request(method, f"{od.api.base_url}/{path}", data=json.dumps(body or {}),
                            headers=AUTH, timeout=10)  # fmt: skip


@contextmanager
def preference(od: OdContext, name: str, value: str) -> Iterator[None]:
    """Set one Open Dental preference for the duration of a test."""
    old = od.db.rows("SELECT ValueString FROM preference WHERE PrefName = ?", name)[0][0]
    conn = od.db.admin()
    try:
        conn.cursor().execute("UPDATE preference SET ValueString = ? WHERE PrefName = ?",
                              value, name)  # fmt: skip
        yield
    finally:
        conn.cursor().execute("UPDATE preference SET ValueString = ? WHERE PrefName = ?",
                              old, name)  # fmt: skip
        conn.close()


def _base(kind: str) -> str:
    """A MySQL type without display width or sign (``tinyint(4)`` ≡ ``tinyint``)."""
    return re.sub(r"\(\d+\)| unsigned", "", kind).strip()


def test_server_is_strict_and_written_tables_have_no_defaults(od: OdContext) -> None:
    """STRICT_TRANS_TABLES is on; every column of the written tables is NOT NULL and, except
    the keys and MySQL-maintained timestamps, has no default; an incomplete INSERT fails."""
    mode = str(od.db.rows("SELECT @@GLOBAL.sql_mode")[0][0])
    assert "STRICT_TRANS_TABLES" in mode
    rows = od.db.rows(
        "SELECT TABLE_NAME, COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT, DATA_TYPE, EXTRA "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'opendental'"
    )
    written = [r for r in rows if r[0] in WRITTEN_TABLES]
    assert {r[0] for r in written} == set(WRITTEN_TABLES)
    assert all(r[2] == "NO" for r in rows)
    with_default = [
        (r[0], r[1]) for r in written
        if r[3] is not None and r[4] != "timestamp" and "auto_increment" not in str(r[5])
    ]  # fmt: skip
    assert with_default == []
    conn = od.db.admin()
    try:
        with pytest.raises(pyodbc.Error, match="doesn't have a default value"):
            conn.cursor().execute("INSERT INTO payment (PayAmt, PatNum) VALUES (1, 1)")
    finally:
        conn.close()


def test_schema_types_are_open_dental_24_3(od: OdContext) -> None:
    """Every emulated column has the type Open Dental's 24.3 documentation gives it, and the
    fully emulated tables list exactly the documented columns."""
    documented: dict[str, list[tuple[str, str]]] = {}
    for line in DOC_COLUMNS.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            table, column, kind = line.split(" ", 2)
            documented.setdefault(table, []).append((column, _base(kind)))
    rows = od.db.rows(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = 'opendental' ORDER BY TABLE_NAME, ORDINAL_POSITION"
    )
    ours: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        ours.setdefault(str(table), []).append((str(column), _base(str(kind))))
    assert set(ours) <= set(documented)
    for table, columns in ours.items():
        doc = dict(documented[table])
        wrong = [(c, k, doc.get(c)) for c, k in columns if doc.get(c) != k]
        assert wrong == [], table
    for table in COMPLETE_TABLES:
        assert sorted(ours[table]) == sorted(documented[table]), table
    assert ("SecDateEntry", "datetime") in ours["procedurelog"]


def test_every_written_row_is_complete(od: OdContext) -> None:
    """A payment, its splits, a commlog, a received claimproc, its check and a supplemental
    go in under strict mode with the values Open Dental's CRUD writes."""
    pay = call(od, "POST", "payments", {"PayAmt": "30.00", "PatNum": Ids.ANA,
                                        "PayDate": "2026-01-05"})  # fmt: skip
    assert pay.status_code == 201, pay.text
    pay_num = pay.json()["PayNum"]
    row = od.db.rows(
        "SELECT DateEntry, RecurringChargeDate, DepositNum, Receipt, MerchantFee, PaymentSource "
        "FROM payment WHERE PayNum = ?", pay_num,
    )[0]  # fmt: skip
    assert str(row[1]) == "0001-01-01" and row[2] == 0 and row[3] == "" and row[4] == 0
    assert row[0] == od.db.rows("SELECT CURDATE()")[0][0] and row[5] == 13
    split_dates = od.db.rows("SELECT DateEntry, DatePay FROM paysplit WHERE PayNum = ?", pay_num)
    assert split_dates and all(str(r[1]) == "2026-01-05" and r[0] == row[0] for r in split_dates)
    note = call(od, "POST", "commlogs", {"PatNum": Ids.ANA, "Note": "n"})
    assert note.status_code == 201, note.text
    entered = od.db.rows("SELECT DateTEntry, DateTimeEnd FROM commlog WHERE CommlogNum = ?",
                         note.json()["CommlogNum"])[0]  # fmt: skip
    assert entered[0].year > 2000 and entered[1].year == 1
    for cp, paid in ((Ids.CP_BEN_FILLING, "40.00"), (Ids.CP_BEN_BITEWINGS, "20.00")):
        got = call(od, "PUT", f"claimprocs/{cp}", {"Status": "Received", "InsPayAmt": paid})
        assert got.status_code == 200, got.text
    check = call(od, "POST", "claimpayments", {"claimNum": Ids.CLAIM_BEN_SENT,
                                               "CheckAmt": "60.00", "CheckNum": "T1"})  # fmt: skip
    assert check.status_code == 201, check.text
    supp = call(od, "POST", "claimprocs/Supplemental",
                {"ClaimProcNum": Ids.CP_BEN_FILLING, "InsPayAmt": "5.00"})  # fmt: skip
    assert supp.status_code == 201, supp.text
    copy = od.db.rows(
        "SELECT Status, AllowedOverride, ClaimPaymentNum, PlanNum, InsSubNum, ProcNum, "
        "DateInsFinalized FROM claimproc WHERE ClaimProcNum = ?", supp.json()["ClaimProcNum"],
    )[0]  # fmt: skip
    original = od.db.rows(
        "SELECT PlanNum, InsSubNum, ProcNum FROM claimproc WHERE ClaimProcNum = ?",
        Ids.CP_BEN_FILLING,
    )[0]
    assert (copy[0], copy[1], copy[2]) == (4, -1, 0) and str(copy[6]) == "0001-01-01"
    assert tuple(copy[3:6]) == tuple(original)


def test_rigorous_accounting_manual_makes_no_auto_split(od: OdContext) -> None:
    """RigorousAccounting 2 ("Manual"): the payment stays on the payer, unallocated, with the
    patient's primary provider; 0 ("Rigorous") splits oldest first like 1."""
    with preference(od, "RigorousAccounting", "2"):
        resp = call(od, "POST", "payments", {"PayAmt": "80.00", "PatNum": Ids.ANA})
        assert resp.status_code == 201, resp.text
        got = od.db.rows(
            "SELECT ProcNum, AdjNum, UnearnedType, PatNum, ProvNum, "
            "CAST(SplitAmt AS DECIMAL(14,2)) FROM paysplit WHERE PayNum = ?",
            resp.json()["PayNum"],
        )
        assert [tuple(r) for r in got] == [(0, 0, 0, Ids.ANA, Ids.DOC1, D("80.00"))]
    for value in ("0", "1"):
        od.db.reset()
        with preference(od, "RigorousAccounting", value):
            resp = call(od, "POST", "payments", {"PayAmt": "12.00", "PatNum": Ids.ANA})
            got = od.db.rows("SELECT ProcNum FROM paysplit WHERE PayNum = ?",
                             resp.json()["PayNum"])  # fmt: skip
            assert [r[0] for r in got] == [Ids.P_ANA_EXAM], value


def test_schema_columns_cover_the_schema() -> None:
    """The row completer knows every table of schema.sql and skips only server-set columns."""
    columns = schema_columns()
    assert set(WRITTEN_TABLES) <= set(columns)
    auto = {name for name, _kind, filled in columns["payment"] if filled}
    assert auto == {"PayNum", "SecDateTEdit"}
