"""The hand-made files in ``files/``: statuses, reversals, CAS levels, PLB, envelopes, defects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connector.errors import ParseError
from connector.sources.era.parser import parse_file
from connector.sources.era.records import remittance_record
from tests.sources.era.helpers import FILES, parse_bytes

D = Decimal


def test_every_claim_status_is_read() -> None:
    """Statuses 1, 2, 3, 4, 19, 20, 21, 22, 23 and 25 all parse, in file order, and balance."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    assert [c.status for c in rem.claims] == [
        "1", "2", "3", "4", "19", "20", "21", "23", "25", "22", "1",
    ]  # fmt: skip
    assert rem.balanced, [e.message for e in rem.balance_errors]
    assert rem.amount == D("237.00")
    assert rem.method == "ACH"
    assert rem.payment_date == dt.date(2026, 11, 18)


def test_reversal_and_correction_have_distinct_keys() -> None:
    """A 22 and its correction share CLP01 but get different claim keys; amounts are negated."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    reversal, correction = rem.claims[-2], rem.claims[-1]
    assert reversal.is_reversal and not correction.is_reversal
    assert reversal.patient_control == correction.patient_control == "1099"
    assert reversal.item_key(rem) == f"{rem.item_key}:1099:P0999:22"
    assert correction.item_key(rem) == f"{rem.item_key}:1099:P1099:1"
    assert reversal.paid == D("-144.00") and reversal.lines[0].adjustments[0].amount == D("-36.00")
    line = correction.lines[0]
    assert (line.code, line.original_code) == ("D2391", "D2392")  # SVC06: billed code
    assert ("F8", "P0999") in [(r.qualifier, r.value) for r in correction.refs]


def test_claim_and_line_level_adjustments() -> None:
    """Claim-level CAS stays on the claim; line CAS (with several triples) on the line."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    first = rem.claims[0]
    assert first.adjustments == ()
    second_line = first.lines[1]
    assert [(a.group, a.reason, a.amount) for a in second_line.adjustments] == [
        ("CO", "45", D("20.00")), ("PR", "1", D("10.00")), ("PR", "2", D("10.00")),
    ]  # fmt: skip
    predetermination = rem.claims[8]
    assert [(a.group, a.reason) for a in predetermination.adjustments] == [("OA", "101"),
                                                                          ("PR", "2")]  # fmt: skip
    assert predetermination.lines == ()
    assert first.lines[0].line_ref == "1001-1"
    assert first.lines[0].allowed == D("100.00")
    assert first.service_from == dt.date(2026, 10, 1)


def test_denied_claim_remark_codes() -> None:
    """The denied claim (4) keeps its line remark code and pays nothing."""
    [rem] = parse_file(FILES / "claim_statuses.835")
    denied = rem.claims[3]
    assert denied.status == "4" and denied.paid == D("0.00")
    assert denied.lines[0].remarks == ("N30",)


def test_plb_with_several_adjustments_per_segment() -> None:
    """Two PLB segments with five adjustments in all; the payment balances with them."""
    [rem] = parse_file(FILES / "plb_multiple.835")
    assert [(p.reason, p.reference, p.amount) for p in rem.plb] == [
        ("WO", "P1888", D("25.00")), ("L6", "", D("-3.50")), ("FB", "P1777", D("-10.00")),
        ("72", "REFUND9", D("-5.00")), ("WO", "REFUND9", D("5.00")),
    ]  # fmt: skip
    assert rem.plb[0].period_end == dt.date(2026, 12, 31)
    assert rem.balanced
    assert rem.amount == D("68.50")


def test_several_st_gs_and_isa_with_different_delimiters() -> None:
    """Three STs in one GS, a second GS, and a second ISA using '|' and '>' all parse."""
    rems = parse_file(FILES / "multiple_envelopes.835")
    assert [r.trace for r in rems] == ["CHK1001", "CHK1002", "CHK1003", "CHK1004", "CHK2001"]
    assert [r.envelope.group_control for r in rems] == ["2011"] * 3 + ["2012", "2021"]
    assert rems[-1].envelope.interchange_control == "000000202"
    assert rems[-1].claims[0].lines[0].code == "D0120"
    assert all(r.balanced for r in rems)


@pytest.mark.parametrize(
    "name", ["control_char_delimiters.835", "newline_terminator.835", "crlf.835", "wrapped_80.835"]
)
def test_unusual_delimiters_and_line_breaks(name: str) -> None:
    """Control-character and newline delimiters, CRLF and 80-column wrapping give the same data."""
    [rem] = parse_file(FILES / name)
    [claim] = rem.claims
    assert claim.lines[0].code == "D0120"
    assert claim.paid == rem.amount
    assert rem.balanced


def test_truncated_file_mid_segment() -> None:
    """A file cut in the middle of a segment is a ParseError naming the truncation."""
    with pytest.raises(ParseError, match="truncated") as info:
        parse_file(FILES / "truncated.835")
    assert info.value.file == "truncated.835"
    assert info.value.segment_no is not None


def test_truncated_file_at_a_segment_boundary() -> None:
    """A file cut after a whole segment (no SE/GE/IEA) is a ParseError too."""
    data = (FILES / "claim_statuses.835").read_bytes()
    cut = data[: data.index(b"CLP*1004")]
    with pytest.raises(ParseError, match="no SE"):
        parse_bytes(cut)


def test_wrong_se_count() -> None:
    """SE01 that disagrees with the segment count names SE01 and both numbers."""
    with pytest.raises(ParseError) as info:
        parse_file(FILES / "wrong_se_count.835")
    err = info.value
    assert (err.segment_id, err.element, err.segment_no) == ("SE", "SE01", 21)
    assert "says 17, expected 19" in str(err)


def test_every_wrong_count_of_an_envelope_is_reported() -> None:
    """SE01, GE01 and IEA01 all wrong: one error names the three, located at the first."""
    data = (FILES / "wrong_se_count.835").read_bytes()
    data = data.replace(b"GE*1*501", b"GE*3*501").replace(b"IEA*1*000000501", b"IEA*2*000000501")
    with pytest.raises(ParseError) as info:
        parse_bytes(data)
    err = info.value
    assert (err.segment_id, err.element, err.segment_no) == ("SE", "SE01", 21)
    assert len(err.problems) == 3
    assert "SE01 segment count is wrong: the file says 17, expected 19" in err.problems[0]
    assert (
        "GE01 count of transaction sets is wrong: the file says 3, expected 1" in (err.problems[1])
    )
    assert (
        "IEA01 count of functional groups is wrong: the file says 2, expected 1"
        in (err.problems[2])
    )
    assert all(problem in str(err) for problem in err.problems)


def test_wrong_counts_come_with_the_error_that_stops_the_file() -> None:
    """A wrong SE01 and then a truncated file: both are reported."""
    data = (FILES / "wrong_se_count.835").read_bytes()
    with pytest.raises(ParseError) as info:
        parse_bytes(data[: data.index(b"GE*1*501")])
    assert len(info.value.problems) == 2
    assert "SE01" in info.value.problems[0] and "no GE" in info.value.problems[1]


def test_one_wrong_count_is_reported_as_it_is() -> None:
    """A single wrong count keeps its own message and location."""
    data = (FILES / "wrong_se_count.835").read_bytes()
    data = data.replace(b"SE*17*0001", b"SE*19*0001").replace(b"GE*1*501", b"GE*2*501")
    with pytest.raises(ParseError) as info:
        parse_bytes(data)
    assert (info.value.element, info.value.problems) == ("GE01", [str(info.value)])


def test_unbalanced_claim_is_a_verdict_not_an_exception() -> None:
    """A claim off by 10.00 parses; the line and claim errors name segment and element."""
    [rem] = parse_file(FILES / "unbalanced_claim.835")
    assert not rem.balanced
    assert not rem.claims[0].balanced
    line_err, claim_err = rem.balance_errors
    assert (line_err.rule, line_err.segment_no, line_err.element) == ("line_balance", 19, "SVC03")
    assert (line_err.expected, line_err.found) == (D("160.00"), D("150.00"))
    assert (claim_err.rule, claim_err.segment_no, claim_err.element) == (
        "claim_balance", 17, "CLP04")  # fmt: skip
    assert "claim 7001" in claim_err.message and "off by -10.00" in claim_err.message
    assert remittance_record(rem).to_json()["balanced"] is False


def test_binary_garbage() -> None:
    """Random bytes are a ParseError, not a decode or index error."""
    with pytest.raises(ParseError, match="not an X12 interchange"):
        parse_file(FILES / "binary_garbage.bin")


def test_missing_file_is_a_parse_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A path that cannot be opened raises ParseError with the file name."""
    with pytest.raises(ParseError, match="cannot open"):
        parse_file(tmp_path / "nope.835")


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"SE*19*0001", "SE*1\u00b2*0001".encode()), (b"ST*835*0001", "ST*835*\u00b2001".encode())],
)
def test_non_ascii_digits_in_counts_are_parse_errors(old: bytes, new: bytes) -> None:
    """Unicode digits such as a superscript two are not numbers in a control field."""
    data = (FILES / "crlf.835").read_bytes().replace(old, new)
    with pytest.raises(ParseError, match="SE0"):
        parse_bytes(data)
