"""The C claim loop (``_claimloop.c``) against the Python one (``claimloop.py``), in one process.

Both loops read the same files here: values, warnings, verdicts and errors (message, segment,
element) must be identical. The inputs are built to reach every branch of the C loop: its fast
shapes, each fallback to :class:`SegmentReader` (amounts and dates not in its tables, negative
zero, more than two decimals, odd element counts, other component separators, non-ASCII text)
and segments in the wrong loop. Skipped when the C loop is not built (``make era-fast``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import ParseError
from connector.sources.era import claimloop, speedups
from connector.sources.era.segments import SegmentReader
from tests.sources.era.helpers import outcome, parse_bytes
from workshop.era_synth import SynthOptions, to_bytes

_DEFAULT = "200" if os.environ.get("CI") == "true" else "800"
EXAMPLES = int(os.environ.get("ERA_FUZZ_EXAMPLES", _DEFAULT))

needs_c = pytest.mark.skipif(
    speedups.c_claim_loop() is None, reason="no C claim loop (make era-fast)"
)


def _python_outcome(data: bytes, chunk_size: int) -> object:
    """``outcome`` with the Python claim loop (the C one switched off for this call)."""
    saved = speedups.c_module("_claimloop")  # resolved before it is switched off
    speedups._C_MODULES_LOADED["_claimloop"] = None
    try:
        return outcome(data, chunk_size=chunk_size)
    finally:
        speedups._C_MODULES_LOADED["_claimloop"] = saved


def _both(data: bytes, chunk_size: int = 1 << 16) -> tuple[object, object]:
    return outcome(data, chunk_size=chunk_size), _python_outcome(data, chunk_size)


HEADER = (
    "ISA*00*          *00*          *ZZ*CH             *ZZ*PRACTICE       *261118*0930*^*00501"
    "*000000001*0*P*:~GS*HP*CH*PRACTICE*20261118*0930*1*X*005010X221A1~ST*835*0001~"
    "BPR*I*100*C*ACH*CCP*01*011000015*DA*1*1999999999**01*021000021*DA*2*20261118~"
    "TRN*1*T1*1999999999~N1*PR*PLAN*XV*P1~N1*PE*SMILES*XX*1999999976~LX*1~"
)


def _wrap(segments: list[str]) -> bytes:
    body = "".join(f"{s}~" for s in segments)
    count = 6 + len(segments) + 1  # ST, BPR, TRN, two N1, LX, the segments, SE
    return (HEADER + body + f"SE*{count}*0001~GE*1*1~IEA*1*000000001~").encode()


# Element texts that reach the fast shapes and every fallback.
VALUES = [
    "", "0", "1", "12", "12.5", "12.50", "12.", ".5", "-3.25", "-0", "-0.00", "0.00", "1.500",
    "1.505", "abc", "1e3", " 1", "+5", "--1", "-", ".", "1.2.3", "999999999999999", "9" * 16,
    "9" * 18, "9" * 19, "20261001", "20261301", "2026100", "20260229", "HE", "N19", "CO", "PR",
    "OA", "CR", "ZZ", "45", "2", "472", "150", "151", "232", "AD:D1110", "AD:D1110:XX::YY",
    "AD:", ":D1110", "AD>D0120", "HC|99213", "AD", "QC", "IL", "MI", "6R", "B6", "é", "日本",
    "x" * 81,
]  # fmt: skip
IDS = ["CLP", "CAS", "SVC", "DTM", "REF", "AMT", "NM1", "LQ", "QTY", "MOA", "MIA", "PER", "LX",
       "TS3", "PLB", "N1", "XYZ", "CL", "C"]  # fmt: skip
element = st.sampled_from(VALUES) | st.text(
    alphabet=st.characters(blacklist_characters="~*:^\r\n", blacklist_categories=("Cs",)),
    max_size=5,
)


@st.composite
def segment(draw: st.DrawFn) -> str:
    """One claim-loop-like segment: a common shape with random element texts."""
    sid = draw(st.sampled_from(IDS))
    count = draw(st.integers(0, 22))
    return "*".join([sid, *draw(st.lists(element, min_size=count, max_size=count))])


def _plain_claim(seed: int) -> list[str]:
    return [
        f"CLP*P{seed}*1*100*80*20*12*CC{seed}*11*1",
        "NM1*QC*1*DOE*JANE****MI*M1",
        "DTM*232*20261001",
        "SVC*AD:D1110*100*80**1",
        "DTM*472*20261001",
        "CAS*CO*45*0",
        "CAS*PR*2*20",
        "REF*6R*L1",
        "AMT*B6*100",
    ]


@needs_c
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    before=st.integers(0, 2),
    noise=st.lists(segment(), min_size=1, max_size=8),
    after=st.integers(0, 2),
    chunk=st.sampled_from([1 << 16, 97, 11]),
)
def test_c_and_python_loops_agree_on_random_segments(
    before: int, noise: list[str], after: int, chunk: int
) -> None:
    """Random claim-loop segments between well-formed claims: the same outcome either way."""
    segments = [s for k in range(before) for s in _plain_claim(k)]
    segments += noise + [s for k in range(after) for s in _plain_claim(10 + k)]
    mine, theirs = _both(_wrap(segments), chunk)
    assert mine == theirs


def _edits(data: bytes, seed: int) -> Iterator[bytes]:
    """Copies of ``data`` with one element of one segment replaced by each of VALUES."""
    rng = random.Random(seed)
    text = data.decode()
    segments = text.split("~")
    for value in VALUES:
        index = rng.randrange(len(segments))
        parts = segments[index].split("*")
        if len(parts) > 1:
            parts[rng.randrange(1, len(parts))] = value
        edited = list(segments)
        edited[index] = "*".join(parts)
        yield "~".join(edited).encode()


@needs_c
@pytest.mark.parametrize("seed", range(6))
def test_c_and_python_loops_agree_on_edited_generated_files(seed: int) -> None:
    """Generated files (reversals, denials, PLB) with single-element edits: same outcome."""
    data = to_bytes(SynthOptions(claims=30, claims_per_transaction=12, reversal_every=7,
                                 denied_every=5, seed=seed))  # fmt: skip
    mine, theirs = _both(data)
    assert mine == theirs
    assert mine[0] != "ParseError"
    for edited in _edits(data, seed):
        for chunk in (1 << 16, 53):
            mine, theirs = _both(edited, chunk)
            assert mine == theirs


@needs_c
def test_c_loop_is_used_when_built() -> None:
    """With the extension built and current, transactions use the C loop."""
    if os.environ.get(speedups.PURE_ENV) == "1" or os.environ.get(speedups.NO_C_ENV) == "1":
        pytest.skip("switched off by the environment")
    loop = claimloop.new_claim_loop(SegmentReader("x.835", ":", []))
    assert type(loop).__module__ == "connector.sources.era._claimloop"
    assert not isinstance(loop, claimloop.ClaimLoop)


def _traced_after(data: bytes, runs: int) -> int:
    for _ in range(runs):
        with contextlib.suppress(ParseError):  # the broken file is parsed for its error path
            parse_bytes(data)
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@needs_c
@pytest.mark.parametrize("broken", [False, True])
def test_c_loop_does_not_leak(broken: bool) -> None:
    """Parsing the same file (or one that fails mid-claim) again and again keeps memory flat.

    One leaked object per claim would add ~100 KiB per run here.
    """
    data = to_bytes(SynthOptions(claims=2000, claims_per_transaction=500, seed=9))
    if broken:
        at = data.index(b"CAS*", len(data) // 2)
        data = data[:at] + b"CAS*CO*45*abc~" + data[at:]
    tracemalloc.start()
    try:
        first = _traced_after(data, 3)  # the bounded value caches fill here
        later = _traced_after(data, 8)
    finally:
        tracemalloc.stop()
    assert later - first < 64 * 1024
