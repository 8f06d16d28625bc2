"""Contract (every adapter): a number no PMS key can hold, or a non-ASCII digit, is no patient
(None) — never an OverflowError from the driver (issue #14, item 7)."""

from __future__ import annotations

import pytest

from adapters.base import Ledger

pytestmark = pytest.mark.external_service


@pytest.mark.parametrize("ref", ["9" * 40, str(2**63), "\u00b2", "\u0661\u0662"])
def test_an_id_no_pms_key_can_hold_is_no_patient(ledger: Ledger, ref: str) -> None:
    """40 digits, one past BIGINT, a superscript two, Arabic-Indic digits: None."""
    assert ledger.find_patient(ref) is None
