"""Eaglesoft write authentication: without Patterson's signature, writes are refused plainly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from adapters.eaglesoft.adapter import EaglesoftLedger
from adapters.eaglesoft.dialect import EaglesoftDialect, authentication_text
from connector.domain import PatientNote
from connector.errors import AuthError
from tests.adapters.eaglesoft.conftest import Db, payment


def test_write_without_signature_is_refused_with_a_plain_error(
    make_ledger: Callable[..., EaglesoftLedger], db: Db
):
    """With no pms.authentication the engine refuses the write ("Authentication violation")
    and the error says that Patterson's signature must be configured; nothing is written."""
    ledger = make_ledger(auth=None)
    headers = db.count("SELECT COUNT(*) FROM transactions_header")
    with pytest.raises(AuthError) as info:
        ledger.post_patient_payment(payment("txn_noauth01", "101", "10.00"))
    assert info.value.code == "eaglesoft_write_not_authenticated"
    assert "not authenticated" in info.value.message
    assert "Patterson's partner signature" in info.value.message
    assert "pms.authentication" in info.value.message
    assert db.count("SELECT COUNT(*) FROM transactions_header") == headers


def test_reads_work_without_signature(make_ledger: Callable[..., EaglesoftLedger]):
    """An unauthenticated connection is read-only, not useless: reads succeed."""
    ledger = make_ledger(auth=None)
    assert ledger.find_patient("101") is not None
    assert ledger.ping().detail["write_authentication"] is False


def test_wrong_signature_is_refused_and_says_so(make_ledger: Callable[..., EaglesoftLedger]):
    """A configured but wrong signature gets its own message pointing at the values."""
    ledger = make_ledger(auth=authentication_text("Emulated Dental Co", "writeback-connector",
                                                  "not-the-signature"))  # fmt: skip
    with pytest.raises(AuthError, match="signature was not accepted"):
        ledger.add_patient_note(PatientNote("101", "x", dt.datetime(2026, 11, 20, 9, 0)))


def test_every_written_table_is_guarded(make_ledger: Callable[..., EaglesoftLedger], db: Db):
    """Notes, like ledger rows, need the signature (the emulation guards every table we write)."""
    with pytest.raises(AuthError):
        make_ledger(auth=None).add_patient_note(
            PatientNote("101", "x", dt.datetime(2026, 11, 20, 9, 0))
        )
    assert db.count("SELECT COUNT(*) FROM operatory_notes") == 0


def test_sql_anywhere_statement_quotes_the_text():
    """On SQL Anywhere the option is set with a literal whose single quotes are doubled."""
    sql, params = EaglesoftDialect("sqlanywhere").authenticate(
        authentication_text("O'Brien Dental", "app", "s'g")
    )
    assert sql == (
        "SET TEMPORARY OPTION connection_authentication = "
        "'Company=O''Brien Dental;Application=app;Signature=s''g'"
    )
    assert params == ()
    assert EaglesoftDialect("sqlanywhere").session_setup() == []
