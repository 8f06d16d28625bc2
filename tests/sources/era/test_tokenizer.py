"""Tokenizer: delimiters from the ISA, line breaks, chunk boundaries, several interchanges."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import ParseError
from connector.sources.era import speedups
from connector.sources.era.tokenizer import Tokenizer, segment_splitter, split_segments
from tests.sources.era.helpers import FILES, parse_bytes
from workshop.era_synth import SynthOptions, to_bytes

EXAMPLES = int(
    os.environ.get("ERA_FUZZ_EXAMPLES", "300" if os.environ.get("CI") == "true" else "1000")
)


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


_SPLIT_ALPHABET = [*"~*:|IEAISXG \r\n\x1cé", "日", "\U0001f600"]
_c_split = speedups.c_function("_segsplit", "split_segments")


@pytest.mark.skipif(_c_split is None, reason="no C splitter (make era-fast)")
@settings(max_examples=EXAMPLES, deadline=None)
@given(
    text=st.lists(st.sampled_from([*_SPLIT_ALPHABET, "IEA*", "IEA", "~\r\n", "CLP*1*2"]),
                  max_size=40).map("".join),
    term=st.sampled_from(["~", "\n", "\r", "\x1c", "日", "é"]),
    elem=st.sampled_from(["*", "|", "é", "日"]),
    strip=st.booleans(),
)  # fmt: skip
def test_c_splitter_matches_the_python_one(text: str, term: str, elem: str, strip: bool) -> None:
    """``_segsplit.split_segments`` returns exactly what ``tokenizer.split_segments`` does."""
    assert _c_split(text, term, elem, strip) == split_segments(text, term, elem, strip)


def test_python_splitter_drops_line_breaks_and_empty_segments() -> None:
    """CR always, LF when asked; empty segments dropped; the rest last; the first IEA found."""
    segments, iea_at = split_segments("A*1~\r\n~B*2\n~IEA*1~ISA*", "~", "*", True)
    assert (segments, iea_at) == (["A*1", "B*2", "IEA*1", "ISA*"], 2)
    assert split_segments("A\r\nB\n", "\n", "*", False) == (["A", "B", ""], -1)


def test_tokenizer_uses_the_c_splitter_when_built() -> None:
    """With the extension built and current, chunks are split in C."""
    if _c_split is None:
        pytest.skip("no C splitter (make era-fast)")
    assert segment_splitter() is _c_split
