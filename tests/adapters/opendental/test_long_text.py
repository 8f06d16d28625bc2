"""Text longer than 128 characters survives the trip through MariaDB's ODBC driver both ways:
stored intact by the API double, and found by a long marker over the read-only connection."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.base import marker_for
from connector.domain import PatientNote
from tests.adapters.opendental.helpers import plan, proc_split
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service

LONG_KEY = "era:" + ":".join(f"segment{n:02d}" for n in range(16))  # 179 characters


def test_a_long_marker_is_stored_intact_and_found_again(od: OdContext) -> None:
    """A payment whose key is over 128 characters is written once and found by its marker."""
    assert len(marker_for(LONG_KEY)) > 128
    ledger = od.ledger()
    p = plan(LONG_KEY, "12.00", proc_split("12.00", Ids.P_ANA_EXAM, Ids.ANA, Ids.DOC1))
    written = ledger.post_patient_payment(p)
    [(note,)] = od.db.rows("SELECT PayNote FROM payment WHERE PayNum = ?",
                           written.pms_ids["PayNum"])  # fmt: skip
    assert note.startswith(marker_for(LONG_KEY))
    found = od.ledger().find_posting(LONG_KEY)
    assert found is not None and found.pms_ids["PayNum"] == written.pms_ids["PayNum"]


def test_a_long_note_keeps_its_marker_at_the_end(od: OdContext) -> None:
    """A commlog of 200 characters ends with the marker exactly as sent (no mojibake), so a
    repeated note is recognised and not written twice."""
    ledger = od.ledger()
    text = "Online payment received " + "x" * 150
    note = PatientNote(str(Ids.ANA), text, when=dt.datetime(2026, 1, 5, 9),
                       external_ref="txn_longnote")  # fmt: skip
    first = ledger.add_patient_note(note)
    again = od.ledger().add_patient_note(note)
    rows = od.db.rows("SELECT Note FROM commlog WHERE PatNum = ? AND Note LIKE ?", Ids.ANA,
                      "%txn_longnote%")  # fmt: skip
    assert [r[0] for r in rows] == [f"{text} {marker_for('txn_longnote')}"]
    assert again["CommlogNum"] == first["CommlogNum"]
