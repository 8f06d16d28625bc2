"""Strict element values and code tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connector import x12codes as codes
from connector.errors import ParseError
from connector.sources.era.values import ValueProblem, amount, date, quantity
from tests.sources.era.helpers import FILES, parse_bytes


@pytest.mark.parametrize(
    ("text", "value"),
    [("132", "132.00"), ("-12.5", "-12.50"), (".5", "0.50"), ("0", "0.00"), ("1.230", "1.23")],
)
def test_amounts_are_read_exactly(text: str, value: str) -> None:
    """X12 R values become Decimals with two places."""
    assert amount(text) == Decimal(value)
    assert str(amount(text)) == value


@pytest.mark.parametrize(
    "text", ["1,250.00", "250USD", "1e3", "NaN", "--1", "1-2", "+5", " 12", "1.234", "-", "",
             "\u0661\u0662", "1_000", "9" * 19],
)  # fmt: skip
def test_bad_amounts_are_refused(text: str) -> None:
    """Anything that is not a plain decimal with at most two places is refused."""
    with pytest.raises(ValueProblem):
        amount(text)


def test_quantities_and_dates() -> None:
    """Quantities keep their precision; impossible dates become None."""
    assert quantity("1.5") == Decimal("1.5")
    with pytest.raises(ValueProblem):
        quantity("x")
    assert date("20261118") == dt.date(2026, 11, 18)
    assert date("20002316") is None
    assert date("2026111") is None


def test_bad_amount_in_a_file_names_the_element() -> None:
    """A malformed CLP04 is a ParseError at that segment and element."""
    data = (FILES / "crlf.835").read_bytes().replace(b"*120.00*120.00**12", b"*120.00*1,20**12")
    with pytest.raises(ParseError) as info:
        parse_bytes(data)
    assert (info.value.segment_id, info.value.element) == ("CLP", "CLP04")


def test_unknown_codes_render_without_error() -> None:
    """Unknown CARC/RARC/status/method codes read 'unknown …', never raise."""
    assert codes.carc("45").startswith("charge above the fee schedule")
    assert codes.carc("999") == "unknown CARC 999"
    assert codes.rarc("ZZ99") == "unknown RARC ZZ99"
    assert codes.rarc("N30") == "patient not eligible for this service"
    assert codes.claim_status("22") == "reversal of a previous payment"
    assert codes.claim_status("99") == "unknown claim status 99"
    assert codes.payment_method("ACH").startswith("electronic")
    assert codes.plb_reason("WO").startswith("overpayment recovery")
    assert codes.group("CO").startswith("contractual")
    assert codes.adjustment("PR", "1") == "PR-1 deductible"


def test_dental_carcs_from_the_reference_are_covered() -> None:
    """Every CARC the research lists as common in dental remittances has a description."""
    common = ["1", "2", "3", "4", "5", "6", "16", "18", "22", "23", "24", "26", "27", "29", "31",
              "35", "45", "49", "50", "59", "96", "97", "101", "109", "119", "129", "131", "151",
              "187", "197", "204", "242", "252", "253", "A1", "B7"]  # fmt: skip
    assert [c for c in common if c not in codes.CARC] == []
    assert {"CHK", "ACH", "BOP", "FWT", "NON"} <= set(codes.PAYMENT_METHODS)
    assert {"WO", "FB", "72", "L6", "CS", "J1", "IR", "LE", "E3", "B2", "90"} <= set(
        codes.PLB_REASONS
    )
    statuses = {"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"}
    assert statuses == set(codes.CLAIM_STATUS)
