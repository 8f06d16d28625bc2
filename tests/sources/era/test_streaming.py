"""The parser streams: memory stays flat as files grow; the generator is balanced and seeded."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from pathlib import Path

from connector.sources.era.parser import parse_file, parse_stream
from tests.sources.era.helpers import parse_bytes
from workshop.era_synth import SynthOptions, to_bytes, write


def _peak_while_parsing(path: Path) -> tuple[int, int]:
    """Parse ``path`` one remittance at a time; return (claims, tracemalloc peak bytes)."""
    claims = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for remittance in parse_stream(stream, path.name, chunk_size=1 << 16):
                claims += len(remittance.claims)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return claims, peak


def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    """A file 8x larger (same transaction size) peaks at about the same memory, under 8 MiB."""
    small, large = tmp_path / "small.835", tmp_path / "large.835"
    for path, claims in ((small, 1_000), (large, 8_000)):
        with path.open("wb") as out:
            write(out, SynthOptions(claims=claims, claims_per_transaction=250, seed=3))
    small_claims, small_peak = _peak_while_parsing(small)
    large_claims, large_peak = _peak_while_parsing(large)
    assert (small_claims, large_claims) == (1_000, 8_000)
    assert large.stat().st_size > 7 * small.stat().st_size
    assert large_peak < small_peak * 1.5
    assert large_peak < 8 * 1024 * 1024


def test_generated_files_balance_and_cover_the_cases(tmp_path: Path) -> None:
    """The generator's files balance everywhere and contain reversals, denials and PLBs."""
    path = tmp_path / "synth.835"
    with path.open("wb") as out:
        write(out, SynthOptions(claims=600, claims_per_transaction=200, reversal_every=50))
    remittances = parse_file(path)
    assert len(remittances) == 3
    assert all(r.balanced for r in remittances), remittances[0].balance_errors[:3]
    statuses = Counter(c.status for r in remittances for c in r.claims)
    assert statuses["22"] >= 6 and statuses["4"] >= 10 and statuses["1"] > 400
    assert all(len(r.plb) == 2 for r in remittances)
    codes = {a.reason for r in remittances for c in r.claims for ln in c.lines
             for a in ln.adjustments}  # fmt: skip
    assert {"45", "1", "2", "97"} <= codes
    assert all(ln.code.startswith("D") for r in remittances for c in r.claims for ln in c.lines)


def test_generator_is_deterministic_by_seed() -> None:
    """Same options give the same bytes; another seed gives other data."""
    opts = SynthOptions(claims=50, seed=11)
    assert to_bytes(opts) == to_bytes(SynthOptions(claims=50, seed=11))
    assert to_bytes(opts) != to_bytes(SynthOptions(claims=50, seed=12))


def test_generator_options_shape_the_envelopes() -> None:
    """Transactions per group and groups per interchange produce several GS and ISA."""
    data = to_bytes(SynthOptions(claims=40, claims_per_transaction=5, transactions_per_group=2,
                                 groups_per_interchange=2, test=True))  # fmt: skip
    remittances = parse_bytes(data)
    assert len(remittances) == 8
    assert len({r.envelope.interchange_control for r in remittances}) == 2
    assert len({(r.envelope.interchange_control, r.envelope.group_control)
                for r in remittances}) == 4  # fmt: skip
    assert all(r.test for r in remittances)
