"""Tokenizer: delimiters from the ISA, line breaks, chunk boundaries, several interchanges."""

from __future__ import annotations

import io

import pytest

from connector.errors import ParseError
from connector.sources.era.tokenizer import Tokenizer, split_segments
from tests.sources.era.helpers import FILES, parse_bytes
from workshop.era_synth import SynthOptions, to_bytes


def _segments(data: bytes, chunk_size: int = 1 << 20) -> list[list[str]]:
    return list(Tokenizer(io.BytesIO(data), "t.835", chunk_size).segments())


def test_delimiters_come_from_the_isa() -> None:
    """Element, component, repetition and terminator are read from ISA positions."""
    tok = Tokenizer(io.BytesIO((FILES / "newline_terminator.835").read_bytes()), "t")
    segments = list(tok.segments())
    assert tok.delimiters is not None
    assert (tok.delimiters.element, tok.delimiters.component) == ("!", "}")
    assert (tok.delimiters.repetition, tok.delimiters.segment) == ("{", "\n")
    assert segments[1][0] == "GS"


def test_4010_isa11_is_not_a_repetition_separator() -> None:
    """ISA12 00401 means ISA11 'U' is the standards id, not a delimiter."""
    isa = ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261118*0930*U*"
           "00401*000000001*0*P*:~")  # fmt: skip
    tok = Tokenizer(io.BytesIO(isa.encode() + b"IEA*0*000000001~"), "t")
    list(tok.segments())
    assert tok.delimiters is not None and tok.delimiters.repetition is None


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 4096])
def test_chunk_size_does_not_change_the_result(chunk_size: int) -> None:
    """Reading one byte at a time yields exactly the segments of reading all at once."""
    data = (FILES / "multiple_envelopes.835").read_bytes()
    assert _segments(data, chunk_size) == _segments(data)
    assert parse_bytes(data, chunk_size=chunk_size) == parse_bytes(data)


def test_crlf_and_wrapping_equal_plain() -> None:
    """CRLF after terminators and wrapped lines give the same segments as one line."""
    plain = (FILES / "crlf.835").read_bytes().replace(b"\r\n", b"")
    assert _segments((FILES / "crlf.835").read_bytes()) == _segments(plain)
    assert _segments((FILES / "wrapped_80.835").read_bytes()) == _segments(plain)


@pytest.mark.parametrize("ending", [b"\r", b"\r\n"], ids=["CR", "CRLF"])
@pytest.mark.parametrize("chunk_size", [1, 7, 1 << 20])
def test_carriage_return_as_the_segment_terminator(ending: bytes, chunk_size: int) -> None:
    """ISA16 followed by CR: CR ends each segment (an LF after it is a line break)."""
    plain = (FILES / "crlf.835").read_bytes().replace(b"\r\n", b"")
    assert plain.count(b"~") == len(_segments(plain))  # "~" is only ever the terminator
    data = plain.replace(b"~", ending)
    tok = Tokenizer(io.BytesIO(data), "t", chunk_size)
    assert list(tok.segments()) == _segments(plain)
    assert tok.delimiters is not None and tok.delimiters.segment == "\r"
    assert parse_bytes(data, chunk_size=chunk_size) == parse_bytes(plain)


def test_newline_before_terminator_is_removed() -> None:
    """Some 4010-era senders write the newline before the '~'."""
    data = (FILES / "crlf.835").read_bytes().replace(b"~\r\n", b"\n~")
    assert _segments(data) == _segments((FILES / "crlf.835").read_bytes())


def test_bom_and_leading_blank_lines_are_tolerated() -> None:
    """A UTF-8 byte order mark and blank lines before the ISA are skipped."""
    data = (FILES / "crlf.835").read_bytes()
    assert parse_bytes(b"\xef\xbb\xbf\r\n\r\n" + data) == parse_bytes(data)


def test_latin1_bytes_do_not_raise() -> None:
    """A payer name in Latin-1 (not UTF-8) is read, never a decode error."""
    data = (FILES / "crlf.835").read_bytes().replace(b"ACME DENTAL PLAN", b"ACM\xc9 DENTAL")
    [rem] = parse_bytes(data)
    assert rem.payer.name == "ACM\u00c9 DENTAL"


def test_trailing_ctrl_z_and_whitespace_after_iea() -> None:
    """DOS end-of-file marks and blank lines after the last IEA are ignored."""
    data = (FILES / "crlf.835").read_bytes()
    assert parse_bytes(data + b"\r\n\x1a") == parse_bytes(data)


def test_text_after_the_last_iea_is_an_error() -> None:
    """Anything but another ISA after an IEA is rejected."""
    data = (FILES / "crlf.835").read_bytes() + b"HELLO WORLD~"
    with pytest.raises(ParseError, match="ISA"):
        parse_bytes(data)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty file"),
        (b"ISA*00*", "cut short"),
        (b"GS*HP*X~", "not an X12 interchange"),
        (b"ISA1" + b"x" * 200, "element separator"),
        (b"ISA*00*  *00*  *ZZ*A*ZZ*B*261118*0930*^*00501*000000001*0*P*", "cut short"),
    ],
)
def test_bad_isa(data: bytes, match: str) -> None:
    """A missing, short or malformed ISA raises ParseError."""
    with pytest.raises(ParseError, match=match):
        parse_bytes(data)


def test_unpadded_isa_is_accepted() -> None:
    """An ISA whose ids are not padded to 15 characters still gives its delimiters."""
    data = to_bytes(SynthOptions(claims=2))
    padded = data.split(b"~", 1)
    fields = padded[0].split(b"*")
    fields[6], fields[8] = fields[6].strip(), fields[8].strip()
    assert parse_bytes(b"*".join(fields) + b"~" + padded[1])[0].claims


def test_splitter_drops_line_breaks_and_empty_segments() -> None:
    """CR and LF that are not the terminator go; empty segments dropped; the first IEA found."""
    segments, iea_at = split_segments("A*1~\r\n~B*2\n~IEA*1~ISA*", "~", "*")
    assert (segments, iea_at) == (["A*1", "B*2", "IEA*1", "ISA*"], 2)
    assert split_segments("A\r\nB\n", "\n", "*") == (["A", "B", ""], -1)
    assert split_segments("A\r\nB\r", "\r", "*") == (["A", "B", ""], -1)
