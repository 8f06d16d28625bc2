"""stream_claims(): the same claims and verdicts as parse_stream, one at a time, in flat memory."""

from __future__ import annotations

import functools
import io
import tracemalloc
from pathlib import Path

import pytest

from connector.errors import ParseError
from connector.sources.era import segments, transaction
from connector.sources.era.items import FileItems, build_items
from connector.sources.era.model import ClaimPayment
from connector.sources.era.parser import (
    RemittanceEnd,
    RemittanceStart,
    StreamEvent,
    parse_stream,
    stream_claims,
)
from tests.sources.era.helpers import FILES, canonical, samples_dir
from workshop.era_synth import SynthOptions, to_bytes, write


def _inputs() -> list[tuple[str, bytes]]:
    files = [(p.name, p.read_bytes()) for p in sorted(FILES.glob("*.835"))]
    samples = samples_dir()
    if samples is not None:
        files += [(p.name, p.read_bytes()) for p in sorted(samples.iterdir()) if p.suffix != ".md"]
    files.append(("synth.835", to_bytes(SynthOptions(claims=90, claims_per_transaction=40,
                                                     reversal_every=7, seed=2))))  # fmt: skip
    return files


def _events(data: bytes, name: str, chunk_size: int) -> list[StreamEvent]:
    return list(stream_claims(io.BytesIO(data), name, chunk_size=chunk_size))


@pytest.mark.parametrize("chunk_size", [64, 1 << 16])
def test_events_rebuild_exactly_what_parse_stream_gives(chunk_size: int) -> None:
    """Start, claims, end per transaction set; together they equal parse_stream's remittances."""
    for name, data in _inputs():
        try:
            whole = list(parse_stream(io.BytesIO(data), name, chunk_size=chunk_size))
        except ParseError as exc:
            with pytest.raises(ParseError) as info:
                _events(data, name, chunk_size)
            assert str(info.value) == str(exc)
            continue
        rebuilt = []
        claims: list[ClaimPayment] = []
        header = None
        for event in _events(data, name, chunk_size):
            if isinstance(event, RemittanceStart):
                assert header is None and not claims
                header = event.remittance
            elif isinstance(event, ClaimPayment):
                assert header is not None
                claims.append(event)
            else:
                assert isinstance(event, RemittanceEnd)
                assert header is not None and event.claim_count == len(claims)
                assert event.remittance.claims == ()
                assert header.item_key == event.remittance.item_key
                assert header.test == event.remittance.test
                assert header.payment_date == event.remittance.payment_date
                rebuilt.append(event.remittance._replace(claims=tuple(claims)))
                header, claims = None, []
        assert canonical(rebuilt) == canonical(whole), name


def test_source_items_from_events_equal_items_from_whole_remittances() -> None:
    """The ERA source's streamed items (keys, payloads, amounts, statuses) equal build_items'."""
    inputs = _inputs()
    inputs.append(("test.835", to_bytes(SynthOptions(claims=30, test=True, seed=3))))
    unbalanced = (FILES / "unbalanced_claim.835").read_bytes()
    inputs.append(("unbalanced.835", unbalanced))
    checked = 0
    for name, data in inputs:
        try:
            whole = list(parse_stream(io.BytesIO(data), name))
            expected = build_items(whole)
        except ParseError:
            continue
        collected = FileItems()
        for event in stream_claims(io.BytesIO(data), name, chunk_size=256):
            collected.event(event)
        assert collected.items == expected, name
        assert collected.remittances == len(whole)
        assert collected.claims == sum(len(r.claims) for r in whole)
        assert collected.unbalanced == sum(1 for r in whole if not r.balanced)
        checked += 1
    assert checked >= 5
    assert any(not item.payload.get("remittance_balanced", True) for item in
               build_items(list(parse_stream(io.BytesIO(unbalanced), "u.835"))))  # fmt: skip


def _peak_streaming(path: Path) -> tuple[int, int]:
    claims = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            for event in stream_claims(stream, path.name):
                if isinstance(event, ClaimPayment):
                    claims += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return claims, peak


def test_memory_is_flat_however_many_claims_one_check_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 16 000-claim check peaks within 1 MiB of a 1 000-claim one, and under 4 MiB."""
    # 100 bytes kept per claim would add 1.5 MiB. The value caches (amounts, dates,
    # procedure codes) are bounded (4 096-8 192 entries) but fill and empty as distinct values
    # go by, ~1 MiB of noise on either peak, so they are made small here (an lru_cache's size
    # is fixed when it is made: the parser's modules get smaller ones of the same functions).
    # Peaks also move by about 0.3 MiB between runs with where the chunks end.
    for module in (segments, transaction):
        for name in ("amount", "date", "quantity", "procedure_code"):
            if hasattr(module, name):
                small = functools.lru_cache(maxsize=64)(getattr(module, name).__wrapped__)
                monkeypatch.setattr(module, name, small)
    small, large = tmp_path / "small.835", tmp_path / "large.835"
    for path, claims in ((small, 1_000), (large, 16_000)):
        with path.open("wb") as out:
            write(out, SynthOptions(claims=claims, claims_per_transaction=claims, seed=4))
    small_claims, small_peak = _peak_streaming(small)
    large_claims, large_peak = _peak_streaming(large)
    assert (small_claims, large_claims) == (1_000, 16_000)
    assert large_peak < small_peak + 1024 * 1024
    assert large_peak < 4 * 1024 * 1024
