"""The end-of-day report of completed procedures not attached to a claim: Open Dental on the real
MariaDB, Dentrix and Eaglesoft on their emulated databases, the memory ledger, and the CLI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.base import ProcedureAudit
from adapters.dentrix import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from adapters.eaglesoft import EaglesoftLedger
from adapters.eaglesoft.connection import EaglesoftConnector
from adapters.eaglesoft.connection import StaticConnectionProvider as EsProvider
from adapters.eaglesoft.dialect import authentication_text
from adapters.memory import MemoryLedger
from connector.cli import main
from connector.errors import NotImplementedYet
from connector.reports import unclaimed_report
from tests.support.configs import write_config
from tests.support.emulated import TODAY, fresh_database, query
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.eaglesoft.seed import DEMO_AUTH
from workshop.emulated.opendental.crud_rows import insert_row
from workshop.emulated.opendental.seed import Ids

YEAR_2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_opendental_lists_the_insured_completed_procedure_on_no_claim(od: OdContext) -> None:
    """In the seed only Dan's scaling (insured, complete, never claimed) is unclaimed; Cleo's
    uninsured cleaning, Ana's planned filling and every claimed procedure are not listed."""
    ledger = od.ledger()
    try:
        rows = unclaimed_report("od", ledger, *YEAR_2025)
    finally:
        ledger.close()
    assert [(r.procedure.proc_ref, r.procedure.patient_id) for r in rows] == [
        (str(Ids.P_DAN_SRP), str(Ids.DAN))
    ]
    proc = rows[0].procedure
    assert (proc.date, proc.code, proc.fee) == (dt.date(2025, 5, 5), "D4341", Decimal("240.00"))


def test_opendental_range_is_inclusive_and_bounded(od: OdContext) -> None:
    """The procedure's own day is inside the range; the day after is not."""
    ledger = od.ledger()
    try:
        same_day = ledger.unclaimed_procedures(dt.date(2025, 5, 5), dt.date(2025, 5, 5))
        later = ledger.unclaimed_procedures(dt.date(2025, 5, 6), dt.date(2025, 12, 31))
    finally:
        ledger.close()
    assert [p.proc_ref for p in same_day] == [str(Ids.P_DAN_SRP)] and later == []


def test_opendental_claimed_or_do_not_bill_procedures_drop_out(od: OdContext) -> None:
    """Once a claim carries the procedure, or its estimate says "do not bill to insurance", the
    report no longer lists it."""
    conn = od.db.admin()
    try:
        cur = conn.cursor()
        insert_row(cur, "claimproc", {"ProcNum": Ids.P_DAN_SRP, "ClaimNum": 0,
                                      "PatNum": Ids.DAN, "Status": 6, "NoBillIns": 1})  # fmt: skip
        ledger = od.ledger()
        assert ledger.unclaimed_procedures(*YEAR_2025) == []
        cur.execute("UPDATE claimproc SET NoBillIns = 0, ClaimNum = ? WHERE ProcNum = ?",
                    Ids.CLAIM_DAN_SENT, Ids.P_DAN_SRP)  # fmt: skip
        assert ledger.unclaimed_procedures(*YEAR_2025) == []
        cur.execute("UPDATE claimproc SET ClaimNum = 0 WHERE ProcNum = ?", Ids.P_DAN_SRP)
        assert [p.proc_ref for p in ledger.unclaimed_procedures(*YEAR_2025)] == [str(Ids.P_DAN_SRP)]
        ledger.close()
    finally:
        od.db.reset(full=True)
        conn.close()


def test_eaglesoft_lists_the_insured_service_without_a_claim(request: Any) -> None:
    """Tim's filling three days before the seed's today has no claim: it is the one row."""
    conn_str = fresh_database("eaglesoft", request)
    ledger = EaglesoftLedger(
        EaglesoftConnector(EsProvider(conn_str), authentication=authentication_text(*DEMO_AUTH))
    )
    try:
        rows = ledger.unclaimed_procedures(TODAY - dt.timedelta(days=120), TODAY)
    finally:
        ledger.close()
    assert [(r.proc_ref, r.patient_id, r.code, r.fee) for r in rows] == [
        ("1006", "103", "D2391", Decimal("180.00"))
    ]


def test_dentrix_lists_a_completed_procedure_of_an_insured_patient_only(request: Any) -> None:
    """A completed procedure added for insured Mary with no claim is listed; June's (uninsured)
    and every claimed procedure are not."""
    conn_str = fresh_database("dentrix", request)
    query(
        conn_str,
        "INSERT INTO admin.fullproclog (procid, patid, guarid, procdate, chartstatus, "
        "proclogclass, proclogorder, proccodeid, provid, amt, createdate, claimid) "
        "VALUES (2500, 1002, 1001, ?, 102, 0, 0, 4, 'DDS1', 180.00, ?, 0)",
        TODAY - dt.timedelta(days=2),
        TODAY - dt.timedelta(days=2),
        attach_admin=True,
    )
    ledger = DentrixLedger(DentrixConnector(StaticConnectionProvider(conn_str)))
    try:
        rows = ledger.unclaimed_procedures(TODAY - dt.timedelta(days=120), TODAY)
    finally:
        ledger.close()
    assert [(r.proc_ref, r.patient_id, r.code, r.fee) for r in rows] == [
        ("2500", "1002", "D2391", Decimal("180.00"))
    ]


def test_memory_ledger_follows_the_same_rule() -> None:
    """The fake lists procedure charges of insured patients that no claim line names."""
    led = MemoryLedger()
    led.add_patient("1", plans=1)
    led.add_patient("2")
    led.add_charge("P1", patient="1", date="2026-11-10", amount="90.00", code="D1110")
    led.add_charge("P2", patient="1", date="2026-11-10", amount="50.00", code="D0120")
    led.add_charge("P3", patient="2", date="2026-11-10", amount="50.00")
    led.add_claim("C1", patient="1", identifier="1/1", date="2026-11-10",
                  lines=[{"proc_ref": "P2", "code": "D0120", "fee": "50.00"}])  # fmt: skip
    assert isinstance(led, ProcedureAudit)
    found = led.unclaimed_procedures(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert [p.proc_ref for p in found] == ["P1"]


def test_an_adapter_without_the_capability_is_named_plainly() -> None:
    """A ledger without ``unclaimed_procedures`` gives NotImplementedYet, not a crash."""

    class Bare:
        vendor = "bare"

    with pytest.raises(NotImplementedYet, match="bare adapter cannot list"):
        unclaimed_report("x", Bare(), *YEAR_2025)  # type: ignore[arg-type]


def test_cli_prints_the_report_as_csv(
    od: OdContext, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """`connector report unclaimed --csv` prints one row per unclaimed procedure, ids only."""
    monkeypatch.setenv("T_OD_DEV", DEVELOPER_KEY)
    monkeypatch.setenv("T_OD_CUST", CUSTOMER_KEY)
    monkeypatch.setenv("T_OD_ODBC", od.db.users.read_only)
    practice = {
        "id": "od-main",
        "pms": {
            "vendor": "opendental",
            "api": {"base_url": od.api.base_url, "developer_key": {"env": "T_OD_DEV"},
                    "customer_key": {"env": "T_OD_CUST"}},
            "odbc": {"connection_string": {"env": "T_OD_ODBC"}},
        },
    }  # fmt: skip
    config = write_config(tmp_path, [practice])
    code = main(["--config", str(config), "report", "unclaimed", "--since", "2025-01-01",
                 "--until", "2026-01-01", "--csv"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "practice,date,patient,procedure,code,fee,provider",
        f"od-main,2025-05-05,{Ids.DAN},{Ids.P_DAN_SRP},D4341,240.00,{Ids.DOC2}",
    ]
