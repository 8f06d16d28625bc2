"""Generator of balanced synthetic dental 835 files (tests, benchmarks, demos).

Every line, claim and transaction balances; the output is deterministic for a given
:class:`SynthOptions` (including the seed). Claims carry CDT lines with CO-45 write-offs,
PR-1 deductibles and PR-2 coinsurance, CO-97 bundling, denied claims (CLP02 = 4),
secondary (2 with OA-23), crossover (19), predetermination (25), reversal + correction pairs
(22 then 1) and one PLB per transaction (L6 interest and a WO recoupment). Patient names are
invented from a fixed list.

The file is written transaction by transaction, so a 50 000-claim file needs little memory::

    python -m workshop.era_synth --claims 50000 --seed 1 out.835
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

_CDT = (  # code, fee, category (coinsurance share the patient pays)
    ("D0120", 52, "0"), ("D0150", 95, "0"), ("D0210", 140, "0"), ("D0220", 31, "0"),
    ("D0230", 25, "0"), ("D0274", 68, "0"), ("D1110", 110, "0"), ("D1120", 80, "0"),
    ("D1206", 45, "0"), ("D1351", 55, "0"), ("D2140", 150, "20"), ("D2150", 185, "20"),
    ("D2330", 165, "20"), ("D2391", 175, "20"), ("D2392", 215, "20"), ("D2740", 1250, "50"),
    ("D2750", 1150, "50"), ("D2950", 290, "50"), ("D3310", 850, "20"), ("D3330", 1150, "20"),
    ("D4341", 255, "20"), ("D4342", 180, "20"), ("D4910", 135, "20"), ("D6010", 2100, "50"),
    ("D7140", 185, "20"), ("D7210", 310, "20"), ("D9110", 95, "20"),
)  # fmt: skip
_FIRST = ("ALEX", "SAM", "JORDAN", "TAYLOR", "MORGAN", "CASEY", "RILEY", "JAMIE", "DREW", "AVERY")
_LAST = ("SYNTHA", "TESTOVA", "EXAMPLO", "FAKERSON", "MOCKLEY", "SAMPLEY", "DUMMETT", "PLACEBO")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class SynthOptions:
    """What to generate.

    Attributes:
        claims: total claims in the file.
        claims_per_transaction: claims per ST (one payment each).
        transactions_per_group: STs per GS; groups_per_interchange: GSs per ISA.
        reversal_every: every N-th claim slot is a reversal (22) followed by its correction.
        denied_every: every N-th claim is denied (CLP02 = 4).
        plb: add one PLB (L6 interest + WO recoupment) per transaction.
        st03: write ST03 (real payers do; pyx12's 5010 map marks it "not used").
        test: ISA15 = ``T``.
        element/component/repetition/segment: delimiters; newline follows each terminator.
    """

    claims: int = 100
    seed: int = 1
    claims_per_transaction: int = 1000
    transactions_per_group: int = 1000
    groups_per_interchange: int = 1000
    reversal_every: int = 250
    denied_every: int = 40
    plb: bool = True
    st03: bool = True
    test: bool = False
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    newline: str = "\n"


@dataclass
class _Line:
    code: str
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]
    ref: str


@dataclass
class _Claim:
    pcn: str
    status: str
    charge: Decimal
    paid: Decimal
    patient: Decimal
    icn: str
    lines: list[_Line]
    claim_adjustments: list[tuple[str, str, Decimal]]
    first: str
    last: str
    member: str
    date: str


def _money(value: Decimal) -> str:
    text = str(value.quantize(_CENT))
    return text[:-3] if text.endswith(".00") else text


class _Writer:
    def __init__(self, opts: SynthOptions) -> None:
        self.o = opts
        self.end = opts.segment + opts.newline

    def seg(self, *elements: str) -> str:
        return self.o.element.join(elements).rstrip(self.o.element) + self.end


def _make_line(rng: random.Random, deductible_left: Decimal, share_override: str | None) -> _Line:
    code, fee, share = _CDT[rng.randrange(len(_CDT))]
    charge = Decimal(fee + rng.randrange(0, 40))
    allowed = (charge * Decimal(rng.randrange(60, 95)) / 100).quantize(_CENT)
    adjustments: list[tuple[str, str, Decimal]] = []
    if rng.random() < 0.04:  # bundled into another procedure: CO-97, nothing paid
        adjustments.append(("CO", "97", charge))
        return _Line(code, charge, Decimal("0.00"), adjustments, "")
    if charge != allowed:
        adjustments.append(("CO", "45", charge - allowed))
    remaining = allowed
    deductible = min(deductible_left, remaining) if share != "0" else Decimal("0.00")
    if deductible > 0:
        adjustments.append(("PR", "1", deductible))
        remaining -= deductible
    pct = Decimal(share_override or share)
    coins = (remaining * pct / 100).quantize(_CENT)
    if coins > 0:
        adjustments.append(("PR", "2", coins))
    return _Line(code, charge, remaining - coins, adjustments, "")


def _make_claim(rng: random.Random, index: int, opts: SynthOptions) -> _Claim:
    status = "1"
    roll = rng.random()
    if opts.denied_every and index % opts.denied_every == opts.denied_every - 1:
        status = "4"
    elif roll < 0.05:
        status = "2"
    elif roll < 0.07:
        status = "19"
    elif roll < 0.08:
        status = "25"
    lines: list[_Line] = []
    deductible_left = Decimal(rng.choice((0, 0, 0, 25, 50)))
    for n in range(rng.choice((1, 1, 2, 2, 3, 4))):
        line = _make_line(rng, deductible_left, None)
        for group, reason, amt in line.adjustments:
            if (group, reason) == ("PR", "1"):
                deductible_left -= amt
        line.ref = f"{index % 100000:05d}{n + 1:02d}"
        lines.append(line)
    claim_adjustments: list[tuple[str, str, Decimal]] = []
    if status == "4":
        for line in lines:
            line.adjustments = [("CO", rng.choice(("29", "16", "197", "B7")), line.charge)]
            line.paid = Decimal("0.00")
    elif status in ("2", "25"):
        # secondary: the primary's share shows as OA-23; predetermination: OA-101, no money
        reason = "23" if status == "2" else "101"
        share = Decimal("0.60") if status == "2" else Decimal("1")
        for line in lines:
            moved = (line.paid * share).quantize(_CENT)
            if moved:
                line.adjustments.append(("OA", reason, moved))
                line.paid -= moved
    charge = sum((line.charge for line in lines), Decimal("0.00"))
    paid = sum((line.paid for line in lines), Decimal("0.00"))
    patient = sum(
        (a for line in lines for g, _, a in line.adjustments if g == "PR"), Decimal("0.00")
    )
    day = 1 + index % 28
    return _Claim(
        pcn=f"{100000 + index}",
        status=status,
        charge=charge,
        paid=paid,
        patient=patient,
        icn=f"26{opts.seed % 100:02d}{index:010d}",
        lines=lines,
        claim_adjustments=claim_adjustments,
        first=rng.choice(_FIRST),
        last=rng.choice(_LAST),
        member=f"SYN{rng.randrange(10**8):08d}",
        date=f"202610{day:02d}",
    )


def _reversed(claim: _Claim) -> _Claim:
    lines = [
        _Line(ln.code, -ln.charge, -ln.paid, [(g, r, -a) for g, r, a in ln.adjustments], ln.ref)
        for ln in claim.lines
    ]
    return _Claim(
        claim.pcn, "22", -claim.charge, -claim.paid, -claim.patient, claim.icn, lines,
        [(g, r, -a) for g, r, a in claim.claim_adjustments], claim.first, claim.last,
        claim.member, claim.date,
    )  # fmt: skip


def _claims_of(opts: SynthOptions, st_index: int, first: int, count: int) -> Iterator[_Claim]:
    rng = random.Random(opts.seed * 1_000_003 + st_index)  # noqa: S311 - test data, not secrets
    index = first
    emitted = 0
    while emitted < count:
        claim = _make_claim(rng, index, opts)
        pair = (
            opts.reversal_every
            and index % opts.reversal_every == opts.reversal_every - 1
            and claim.status == "1"
            and count - emitted >= 2
        )
        if pair:
            yield _reversed(claim)
            correction = _make_claim(rng, index, opts)
            correction.pcn = claim.pcn
            correction.status = "1"
            correction.icn = claim.icn + "C"
            yield correction
            emitted += 2
        else:
            yield claim
            emitted += 1
        index += 1


def _claim_segments(w: _Writer, claim: _Claim) -> Iterator[str]:
    comp = w.o.component
    yield w.seg(
        "CLP",
        claim.pcn,
        claim.status,
        _money(claim.charge),
        _money(claim.paid),
        _money(claim.patient) if claim.patient else "",
        "12",
        claim.icn,
        "11",
        "1",
    )
    for group, reason, amt in claim.claim_adjustments:
        yield w.seg("CAS", group, reason, _money(amt))
    yield w.seg("NM1", "QC", "1", claim.last, claim.first, "", "", "", "MI", claim.member)
    yield w.seg("DTM", "232", claim.date)
    yield w.seg("DTM", "233", claim.date)
    for line in claim.lines:
        yield w.seg("SVC", f"AD{comp}{line.code}", _money(line.charge), _money(line.paid), "", "1")
        yield w.seg("DTM", "472", claim.date)
        groups: dict[str, list[str]] = {}
        for group, reason, amt in line.adjustments:
            groups.setdefault(group, []).extend((reason, _money(amt), ""))
        for group, triples in groups.items():
            yield w.seg("CAS", group, *triples)
        yield w.seg("REF", "6R", line.ref)
        allowed = line.paid + sum((a for g, _, a in line.adjustments if g == "PR"), Decimal("0.00"))
        yield w.seg("AMT", "B6", _money(allowed))
        if any(g == "CO" and r == "97" for g, r, _ in line.adjustments):
            yield w.seg("LQ", "HE", "N19")


def _transaction(
    w: _Writer, opts: SynthOptions, st_index: int, first: int, count: int
) -> Iterator[str]:
    total = Decimal("0.00")
    for claim in _claims_of(opts, st_index, first, count):
        total += claim.paid
    plb = [("L6", "", Decimal("-4.27")), ("WO", f"26{st_index:08d}", Decimal("12.50"))]
    if opts.plb:
        for _, _, amt in plb:
            total -= amt
    credit = "C" if total >= 0 else "D"
    st_control = f"{st_index + 1:04d}"
    trace = f"{opts.seed:03d}{st_index + 1:07d}"
    count_segments = 0

    def seg(*elements: str) -> str:
        nonlocal count_segments
        count_segments += 1
        return w.seg(*elements)

    yield seg("ST", "835", st_control, "005010X221A1" if opts.st03 else "")
    yield seg(
        "BPR",
        "I",
        _money(abs(total)),
        credit,
        "ACH",
        "CCP",
        "01",
        "011000015",
        "DA",
        "1234567",
        "1999999999",
        "",
        "01",
        "021000021",
        "DA",
        "7654321",
        "20261118",
    )
    yield seg("TRN", "1", trace, "1999999999")
    yield seg("REF", "EV", "SYNTHCH")
    yield seg("DTM", "405", "20261117")
    yield seg("N1", "PR", "SYNTHETIC DENTAL PLAN", "XV", "SYN01")
    yield seg("N3", "1 SYNTHETIC WAY")
    yield seg("N4", "TESTVILLE", "OH", "45000")
    yield seg("PER", "BL", "EDI SUPPORT", "TE", "8005550100")
    yield seg("N1", "PE", "SYNTHETIC SMILES DDS", "XX", "1999999976")
    yield seg("REF", "TJ", "999999999")
    yield seg("LX", "1")
    for claim in _claims_of(opts, st_index, first, count):
        for text in _claim_segments(w, claim):
            count_segments += 1
            yield text
    if opts.plb:
        pairs: list[str] = []
        for reason, ref, amt in plb:
            pairs.extend((f"{reason}{opts.component}{ref}" if ref else reason, _money(amt)))
        yield seg("PLB", "1999999976", "20261231", *pairs)
    yield w.seg("SE", str(count_segments + 1), st_control)


def generate(opts: SynthOptions) -> Iterator[str]:
    """Yield the file's text in pieces (one segment at a time)."""
    w = _Writer(opts)
    o = opts
    n_st = max(1, -(-o.claims // o.claims_per_transaction))
    st_index = 0
    isa_no = 0
    first = 0
    while st_index < n_st:
        isa_no += 1
        isa_control = f"{o.seed % 1000:03d}{isa_no:06d}"
        yield o.element.join([
            "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SYNTHCH".ljust(15), "ZZ",
            "SYNTHPRACTICE".ljust(15), "261118", "0930", o.repetition, "00501", isa_control,
            "0", "T" if o.test else "P", o.component,
        ]) + w.end  # fmt: skip
        groups = 0
        while groups < o.groups_per_interchange and st_index < n_st:
            groups += 1
            gs_control = f"{isa_no}{groups:04d}"
            yield w.seg("GS", "HP", "SYNTHCH", "SYNTHPRACTICE", "20261118", "0930", gs_control,
                        "X", "005010X221A1")  # fmt: skip
            sts = 0
            while sts < o.transactions_per_group and st_index < n_st:
                count = min(o.claims_per_transaction, o.claims - first)
                yield from _transaction(w, o, st_index, first, max(count, 0))
                first += max(count, 0)
                st_index += 1
                sts += 1
            yield w.seg("GE", str(sts), gs_control)
        yield w.seg("IEA", str(groups), isa_control)


def write(stream: BinaryIO, opts: SynthOptions, buffer_segments: int = 4096) -> None:
    """Write the generated file to a binary stream, buffering a few thousand segments."""
    pending: list[str] = []
    for text in generate(opts):
        pending.append(text)
        if len(pending) >= buffer_segments:
            stream.write("".join(pending).encode())
            pending.clear()
    stream.write("".join(pending).encode())


def to_bytes(opts: SynthOptions) -> bytes:
    """The whole generated file (for small test files)."""
    return "".join(generate(opts)).encode()


def main(argv: list[str] | None = None) -> int:
    """Command line: write a generated file."""
    parser = argparse.ArgumentParser(description="write a balanced synthetic dental 835 file")
    parser.add_argument("out", type=Path)
    parser.add_argument("--claims", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-st", type=int, default=1000)
    parser.add_argument("--test", action="store_true", help="ISA15 = T")
    args = parser.parse_args(argv)
    opts = SynthOptions(
        claims=args.claims, seed=args.seed, claims_per_transaction=args.per_st, test=args.test
    )
    with args.out.open("wb") as out:
        write(out, opts)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
