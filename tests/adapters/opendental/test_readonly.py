"""The adapter reads with a SELECT-only user and never writes over ODBC."""

from __future__ import annotations

import datetime as dt
import re

import pyodbc
import pytest

from adapters.base import ClaimMatch
from adapters.opendental.errors import odbc_errors
from connector.domain import AllocationMode, PatientNote, Split
from connector.errors import AuthError
from tests.adapters.opendental.helpers import D, ben_claim_plan, plan, proc_split
from tests.contract.plans import reversal_plan
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service
WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE|LOCK|CALL|LOAD|GRANT|RENAME)\b",
    re.IGNORECASE,
)
READ_OR_SESSION = re.compile(r"^\s*(SELECT|SET|SHOW)\b", re.IGNORECASE)


def test_the_adapter_user_has_only_select(od: OdContext) -> None:
    """The configured ODBC user's grants are SELECT only, and a write attempt is refused."""
    conn = pyodbc.connect(od.db.users.read_only, autocommit=True)
    try:
        grants = [r[0] for r in conn.cursor().execute("SHOW GRANTS").fetchall()]
        on_db = [g for g in grants if "`opendental`" in g]
        assert on_db and all(g.startswith("GRANT SELECT ON") for g in on_db)
        with pytest.raises(AuthError), odbc_errors("write_attempt"):
            conn.cursor().execute("UPDATE payment SET PayNote = 'x' WHERE PayNum = 1")
    finally:
        conn.close()


def test_general_log_shows_no_write_from_the_adapter(od: OdContext) -> None:
    """Through a full workflow (payments, note, refund, insurance) the adapter's ODBC session
    sends only SELECT/SET; all writes reach the database through the API's own user."""
    admin = od.db.admin()
    cur = admin.cursor()
    cur.execute("SET GLOBAL log_output = 'TABLE'")
    cur.execute("TRUNCATE TABLE mysql.general_log")
    cur.execute("SET GLOBAL general_log = 'ON'")
    try:
        ledger = od.ledger()
        patient = ledger.find_patient(str(Ids.BEN))
        assert patient is not None
        ledger.family_charges(patient)
        ledger.payment_types()
        posted = ledger.post_patient_payment(
            plan("txn_log", "27.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1),
                 proc_split("15.00", Ids.P_ANA_PROPHY, Ids.ANA, Ids.HYG1)))  # fmt: skip
        ledger.post_patient_payment(
            plan("txn_log2", "5.00", Split(D("5.00"), str(Ids.GIA)), patient=Ids.GIA,
                 mode=AllocationMode.POST_ONLY))  # fmt: skip
        ledger.add_patient_note(PatientNote(str(Ids.ANA), "paid online",
                                            dt.datetime(2026, 1, 5, 9, 0), "txn_log"))  # fmt: skip
        refund = reversal_plan("txn_log_refund", "txn_log", posted.pms_ids, str(Ids.ANA),
                               D("27.00"), day=dt.date(2026, 1, 5))  # fmt: skip
        ledger.post_reversal(refund)
        assert len(ledger.find_claims(ClaimMatch(claim_identifier="2/2"))) == 1
        ledger.post_insurance_payment(ben_claim_plan(), MemoryJournal())
        ledger.find_posting("txn_log")
        ledger.close()
    finally:
        cur.execute("SET GLOBAL general_log = 'OFF'")
    rows = cur.execute(
        "SELECT user_host, command_type, CONVERT(argument USING utf8mb4) FROM mysql.general_log"
    ).fetchall()
    admin.close()
    reader, writer = od.db.users.read_only_user, od.db.users.read_write_user
    sessions = _sessions(rows)
    # Parameterised statements appear as Prepare/Execute (server-side prepared statements).
    kinds = ("Query", "Prepare", "Execute")
    reader_sql = [arg for user, kind, arg in sessions if user == reader and kind in kinds]
    writer_sql = [arg for user, kind, arg in sessions if user == writer and kind in kinds]
    assert len(reader_sql) > 10, "the adapter's reads were not logged"
    assert [q for q in reader_sql if WRITE.match(q)] == []
    assert all(READ_OR_SESSION.match(q) for q in reader_sql), [
        q for q in reader_sql if not READ_OR_SESSION.match(q)
    ]
    assert any(q.upper().startswith("INSERT INTO PAYMENT") for q in writer_sql)
    assert any(q.upper().startswith("UPDATE CLAIMPROC") for q in writer_sql)


def _sessions(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(user, command, argument) per log row; user_host looks like 'name[name] @  [127.0.0.1]'."""
    result = []
    for user_host, kind, argument in rows:
        user = str(user_host).split("[", 1)[0].strip()
        result.append((user, str(kind), str(argument)))
    return result
