"""Mutated 835 files: the parser either parses them or raises ParseError, never anything else."""

from __future__ import annotations

import contextlib
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import ParseError
from connector.sources.era.records import claim_record, remittance_record
from tests.sources.era.helpers import FILES, parse_bytes
from workshop.era_synth import SynthOptions, to_bytes

_DEFAULT = "150" if os.environ.get("CI") == "true" else "600"
EXAMPLES = int(os.environ.get("ERA_FUZZ_EXAMPLES", _DEFAULT))

VALID = [
    (FILES / name).read_bytes()
    for name in (
        "claim_statuses.835",
        "plb_multiple.835",
        "multiple_envelopes.835",
        "control_char_delimiters.835",
        "newline_terminator.835",
        "wrapped_80.835",
    )
] + [to_bytes(SynthOptions(claims=12, claims_per_transaction=5, reversal_every=4, seed=7))]

TOKENS = [b"*", b":", b"~", b"^", b"\n", b"\r\n", b"", b"-", b".", b"0", b"9" * 30, b"ISA",
          b"IEA*1*000000001~", b"SE*1*1~", b"ST*835*1~", b"CLP*", b"SVC*", b"CAS*", b"PLB*",
          b"\x00", b"\xff\xfe", b"1,000.00", b"NaN", b"D", b"\x1c", b"GS*HP~"]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid file with a few random edits: byte flips, cuts, insertions, swaps."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "swap", "truncate", "token"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "swap":
            segments = bytes(data).split(b"~")
            if len(segments) > 3:
                i = draw(st.integers(0, len(segments) - 2))
                j = draw(st.integers(0, len(segments) - 2))
                segments[i], segments[j] = segments[j], segments[i]
                data = bytearray(b"~".join(segments))
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated(), chunk=st.sampled_from([3, 64, 1 << 20]))
def test_only_parse_error_escapes(data: bytes, chunk: int) -> None:
    """Whatever the damage, the outcome is remittances or a located ParseError."""
    try:
        remittances = parse_bytes(data, chunk_size=chunk)
    except ParseError as exc:
        assert exc.file == "test.835"
        assert exc.reason
        return
    for rem in remittances:  # a parsed result must be usable end to end
        remittance_record(rem).to_json()
        for claim in rem.claims:
            claim_record(claim, rem).to_json()


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_raise_parse_error(data: bytes) -> None:
    """Arbitrary bytes (with or without an ISA prefix) never crash the parser."""
    for candidate in (data, b"ISA" + data):
        with contextlib.suppress(ParseError):
            parse_bytes(candidate)
