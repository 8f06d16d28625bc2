"""Write small X12 835 remittances from explicit claims (the demo's and end-to-end tests' ERAs).

Unlike :mod:`workshop.era_synth` (random, balanced, many claims), this builds exactly
the claims a scenario names, so each one can match a claim the PMS seed submitted: ``CLP01`` is
the PMS claim identifier, and each ``SVC`` line carries a procedure's code, fee and date. Every
line, claim and transaction balances by construction:

* a line's charge = paid + the sum of its CAS amounts;
* CLP03/04/05 are the sums of the lines' charges, payments and PR adjustments;
* BPR02 = Σ CLP04 − Σ PLB amounts (a PLB amount is what the payer withheld; negative adds).

Patient names in ``NM1*QC`` come from the caller (the demo uses the seeds' invented names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from connector.money import to_money

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Adj:
    """One CAS adjustment: group (CO, PR, OA, PI), reason (CARC) and amount."""

    group: str
    reason: str
    amount: Decimal


@dataclass(frozen=True)
class Line:
    """One service line (SVC): CDT code, charge, paid, date, adjustments, remark codes."""

    code: str
    charge: Decimal
    paid: Decimal
    date: dt.date
    adjustments: tuple[Adj, ...] = ()
    remarks: tuple[str, ...] = ()  # RARCs (LQ*HE)
    line_ref: str | None = None  # REF*6R

    def __post_init__(self) -> None:
        adjusted = sum((a.amount for a in self.adjustments), _ZERO)
        if self.paid + adjusted != self.charge:
            raise ValueError(
                f"line {self.code}: paid {self.paid} + adjustments {adjusted} != {self.charge}"
            )

    @property
    def patient_share(self) -> Decimal:
        """Sum of the line's PR adjustments."""
        return sum((a.amount for a in self.adjustments if a.group == "PR"), _ZERO)

    def negated(self) -> Line:
        """The same line with every amount's sign flipped (a reversal's line)."""
        return Line(
            self.code, -self.charge, -self.paid, self.date,
            tuple(Adj(a.group, a.reason, -a.amount) for a in self.adjustments),
            self.remarks, self.line_ref,
        )  # fmt: skip


@dataclass(frozen=True)
class Claim:
    """One claim payment (CLP) with its patient and lines."""

    control: str  # CLP01: the claim identifier the PMS submitted
    status: str  # CLP02: 1 processed as primary, 4 denied, 22 reversal, …
    payer_control: str  # CLP07
    patient_last: str
    patient_first: str
    member_id: str
    lines: tuple[Line, ...]
    remarks: tuple[str, ...] = ()  # claim-level RARCs (MOA)

    @property
    def charge(self) -> Decimal:
        """CLP03."""
        return sum((ln.charge for ln in self.lines), _ZERO)

    @property
    def paid(self) -> Decimal:
        """CLP04."""
        return sum((ln.paid for ln in self.lines), _ZERO)

    @property
    def patient_share(self) -> Decimal:
        """CLP05."""
        return sum((ln.patient_share for ln in self.lines), _ZERO)

    def reversal(self) -> Claim:
        """CLP02 = 22 with every amount negated and the same CLP01/CLP07 (payer takes it back)."""
        return Claim(
            self.control, "22", self.payer_control, self.patient_last, self.patient_first,
            self.member_id, tuple(ln.negated() for ln in self.lines), self.remarks,
        )  # fmt: skip


@dataclass(frozen=True)
class Plb:
    """One provider-level adjustment: reason (e.g. WO, L6, FB), reference, amount withheld."""

    reason: str
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction: one payment (BPR/TRN) from one payer to one provider."""

    trace: str  # TRN02: the check or EFT number
    payer_id: str  # TRN03
    payer_name: str
    payee_name: str
    payee_npi: str
    paid_on: dt.date  # BPR16
    claims: tuple[Claim, ...]
    method: str = "ACH"  # BPR04: ACH or CHK
    plb: tuple[Plb, ...] = field(default_factory=tuple)

    @property
    def amount(self) -> Decimal:
        """BPR02: the claims' payments less what the PLBs withheld."""
        return sum((c.paid for c in self.claims), _ZERO) - sum((p.amount for p in self.plb), _ZERO)


def _m(value: Decimal) -> str:
    return f"{to_money(value):.2f}"


def _d(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _claim_segments(claim: Claim) -> list[str]:
    segments = [
        f"CLP*{claim.control}*{claim.status}*{_m(claim.charge)}*{_m(claim.paid)}*"
        f"{_m(claim.patient_share)}*12*{claim.payer_control}*11*1",
        f"NM1*QC*1*{claim.patient_last}*{claim.patient_first}****MI*{claim.member_id}",
    ]
    if claim.remarks:
        segments.append("MOA***" + "*".join(claim.remarks[:5]))
    dates = [ln.date for ln in claim.lines]
    segments += [f"DTM*232*{_d(min(dates))}", f"DTM*233*{_d(max(dates))}"]
    for line in claim.lines:
        segments += [f"SVC*AD:{line.code}*{_m(line.charge)}*{_m(line.paid)}**1",
                     f"DTM*472*{_d(line.date)}"]  # fmt: skip
        groups: dict[str, list[str]] = {}
        for adj in line.adjustments:
            groups.setdefault(adj.group, []).extend((adj.reason, _m(adj.amount), ""))
        for group, triples in groups.items():
            segments.append("*".join(["CAS", group, *triples]).rstrip("*"))
        if line.line_ref:
            segments.append(f"REF*6R*{line.line_ref}")
        segments += [f"LQ*HE*{remark}" for remark in line.remarks]
    return segments


def render(remittance: Remittance, *, interchange: int = 1, usage: str = "P") -> bytes:
    """The remittance as a complete ISA…IEA interchange (``usage`` T marks a test file)."""
    r = remittance
    amount = r.amount
    credit = "C" if amount >= _ZERO else "D"
    paid_on = _d(r.paid_on)
    if r.method == "CHK":
        bpr = f"BPR*I*{_m(abs(amount))}*{credit}*CHK************{paid_on}"
    else:
        bpr = (
            f"BPR*I*{_m(abs(amount))}*{credit}*{r.method}*CCP*01*011000015*DA*1234567*"
            f"{r.payer_id}**01*021000021*DA*7654321*{paid_on}"
        )
    body = [
        bpr,
        f"TRN*1*{r.trace}*{r.payer_id}",
        f"DTM*405*{paid_on}",
        f"N1*PR*{r.payer_name}",
        "N3*1 PLAN WAY",
        "N4*COLUMBUS*OH*43215",
        "PER*BL*EDI SUPPORT*TE*8005550100",
        f"N1*PE*{r.payee_name}*XX*{r.payee_npi}",
        "REF*TJ*123456789",
        "LX*1",
    ]
    for claim in r.claims:
        body += _claim_segments(claim)
    if r.plb:
        year_end = f"{r.paid_on.year}1231"
        pairs: list[str] = []
        for adj in r.plb:
            pairs += [f"{adj.reason}:{adj.reference}" if adj.reference else adj.reason,
                      _m(adj.amount)]  # fmt: skip
        body.append("*".join(["PLB", r.payee_npi, year_end, *pairs]))
    control = f"{interchange:09d}"
    stamp = r.paid_on.strftime("%y%m%d")
    segments = [
        f"ISA*00*          *00*          *ZZ*{'CLEARINGHOUSE':<15}*ZZ*{'SANDBOXDENTAL':<15}*"
        f"{stamp}*1200*^*00501*{control}*0*{usage}*:",
        f"GS*HP*CLEARINGHOUSE*SANDBOXDENTAL*{paid_on}*1200*{interchange}*X*005010X221A1",
        "ST*835*0001*005010X221A1",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{interchange}",
        f"IEA*1*{control}",
    ]
    return ("~\n".join(segments) + "~\n").encode("ascii")
