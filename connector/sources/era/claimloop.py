"""The claim loops of one 835 transaction set (2100 claims, 2110 service lines).

:class:`ClaimLoop` takes the segments of the claim loops (CLP, CAS, SVC, DTM, REF, AMT, NM1,
LQ, QTY, MOA, MIA, PER) one at a time and closes each line and claim with its balancing
verdicts; the transaction builder (:mod:`connector.sources.era.transaction`) handles everything
else and the loop-state changes those segments make (BPR, N1, LX, PLB …).
:meth:`ClaimLoop.take` says False for a segment it does not take in the current state and
leaves it to the builder, which either handles it or reports it in the wrong place.

Nearly every segment of a remittance passes through here, so the code keeps to plain
attribute updates and running sums (a claim's balancing needs no second pass over its lines);
every segment is read and validated by :class:`SegmentReader` before anything is kept.
"""

from __future__ import annotations

import datetime as dt

from connector.sources.era.model import (
    ZERO,
    Adjustment,
    BalanceError,
    ClaimPayment,
    MonetaryAmount,
    Person,
    Quantity,
    Reference,
    ServiceLine,
)
from connector.sources.era.segments import ClpValues, SegmentReader, SvcValues
from connector.sources.era.validate import claim_warnings

# Loop states inside one transaction set.
START = 0
HEADER = 1
PAYER = 2
PAYEE = 3
LX = 4
CLAIM = 5
LINE = 6
PLB = 7
# DTM qualifiers of a service line: service date, period start, period end.
_LINE_DATES = {"472": "date", "150": "date_from", "151": "date_to"}


class _OpenLine:
    """What has been read of the service line (2110) being built."""

    __slots__ = ("adjustments", "amounts", "cas_total", "dates", "quantities", "refs",
                 "remarks", "seg_no", "svc")  # fmt: skip

    def __init__(self, svc: SvcValues, seg_no: int) -> None:
        self.svc = svc
        self.seg_no = seg_no
        self.adjustments: list[Adjustment] = []
        self.refs: list[Reference] = []
        self.amounts: list[MonetaryAmount] = []
        self.quantities: list[Quantity] = []
        self.remarks: list[str] = []
        self.dates: dict[str, dt.date | None] = {}
        self.cas_total = ZERO


class _OpenClaim:
    """What has been read of the claim (2100) being built, with its running sums."""

    __slots__ = (
        "adjustments",
        "amounts",
        "cas_total",
        "clp",
        "dates",
        "errors",
        "groups",
        "line_cas_total",
        "line_paid_total",
        "lines",
        "people",
        "pr_total",
        "quantities",
        "refs",
        "remarks",
        "seg_no",
    )

    def __init__(self, clp: ClpValues, seg_no: int) -> None:
        self.clp = clp
        self.seg_no = seg_no
        self.adjustments: list[Adjustment] = []
        self.people: list[Person] = []
        self.refs: list[Reference] = []
        self.dates: list[tuple[str, dt.date | None]] = []
        self.amounts: list[MonetaryAmount] = []
        self.quantities: list[Quantity] = []
        self.remarks: list[str] = []
        self.lines: list[ServiceLine] = []
        self.errors: list[BalanceError] = []
        self.groups: set[str] = set()
        self.cas_total = ZERO  # claim-level CAS
        self.line_cas_total = ZERO  # line-level CAS of all its lines
        self.line_paid_total = ZERO  # Σ SVC03
        self.pr_total = ZERO  # PR group, claim and lines


class ClaimLoop:
    """Claims and service lines of one transaction set, with their balancing.

    ``state`` is the transaction's loop state (:data:`START` … :data:`PLB`); the builder
    sets it for the segments it handles. Closed claims collect in :attr:`claims` (a streaming
    caller takes them as they close: the list may be replaced); :attr:`claim_count`,
    :attr:`paid_total` and :attr:`claim_errors` cover every claim closed so far.

    Args:
        reader: reads and validates each segment (file name, ISA16, warning list).
    """

    def __init__(self, reader: SegmentReader) -> None:
        self.reader = reader
        self.state = START
        self.claims: list[ClaimPayment] = []
        self.claim_count = 0
        self.paid_total = ZERO  # Σ CLP04, in claim order
        self.claim_errors: list[BalanceError] = []  # line and claim errors, in claim order
        self.claim: _OpenClaim | None = None
        self.line: _OpenLine | None = None

    def take(self, els: list[str], seg_no: int) -> bool:
        """Read one segment into the open claim or line; False when it is not one of ours.

        Only a CLP is taken after the payee or an LX; nothing before that or in the PLB part.

        Raises:
            ParseError: a claim-loop segment with a bad or missing element.
        """
        state = self.state
        sid = els[0]
        if state < PAYEE or state == PLB or (state < CLAIM and sid != "CLP"):
            return False
        reader = self.reader
        if sid == "CLP":
            clp = reader.clp(els, seg_no)
            self.close_claim()
            self.claim = _OpenClaim(clp, seg_no)
            self.state = CLAIM
            return True
        claim, line = self.claim, self.line
        assert claim is not None  # state is CLAIM or LINE
        # where REF, AMT, QTY, CAS and DTM go: the open service line, else the claim
        target: _OpenLine | _OpenClaim = line if line is not None else claim
        if sid == "CAS":
            adjustments, total, pr_total = reader.cas(els, seg_no)
            target.adjustments.extend(adjustments)
            target.cas_total += total
            claim.groups.add(els[1])
            claim.pr_total += pr_total
        elif sid == "DTM":
            qualifier, value = reader.dtm(els, seg_no)
            if line is None:
                claim.dates.append((qualifier, value))
            elif qualifier in _LINE_DATES:
                line.dates[_LINE_DATES[qualifier]] = value
        elif sid == "SVC":
            svc = reader.svc(els, seg_no)
            self._close_line()
            self.line = _OpenLine(svc, seg_no)
            self.state = LINE
        elif sid == "REF":
            target.refs.append(reader.ref(els, seg_no))
        elif sid == "AMT":
            target.amounts.append(reader.amt(els, seg_no))
        elif sid == "QTY":
            target.quantities.append(reader.qty(els, seg_no))
        elif sid == "LQ" and line is not None:
            line.remarks.append(reader.lq(els, seg_no))
        elif line is not None:  # the rest belongs to the claim, before its first line
            return False
        elif sid == "NM1":
            claim.people.append(reader.nm1(els, seg_no))
        elif sid in ("MOA", "MIA"):
            claim.remarks.extend(reader.remark_codes(els, seg_no, sid))
        elif sid == "PER":  # claim contact: checked, not kept
            reader.check_limit(els, seg_no, "PER", 9)
        else:
            return False
        return True

    def _close_line(self) -> None:
        line, claim = self.line, self.claim
        if line is None:
            return
        assert claim is not None
        self.line = None
        svc = line.svc
        charge, paid = svc[3], svc[4]
        dates = line.dates
        claim.lines.append(
            ServiceLine(
                line.seg_no, svc[0], svc[1], svc[2], charge, paid, svc[5], svc[6], svc[7],
                svc[8], svc[9], svc[10], dates.get("date"), dates.get("date_from"),
                dates.get("date_to"), tuple(line.adjustments), tuple(line.refs),
                tuple(line.amounts), tuple(line.quantities), tuple(line.remarks),
            )
        )  # fmt: skip
        expected = charge - line.cas_total
        if expected != paid:
            claim.errors.append(BalanceError("line", "line_balance", line.seg_no, "SVC", "SVC03",
                                             expected, paid, claim.clp[0]))  # fmt: skip
        claim.line_cas_total += line.cas_total
        claim.line_paid_total += paid

    def close_claim(self) -> None:
        """Close the open service line and claim (if any), with their balancing verdicts."""
        self._close_line()
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        clp = claim.clp
        pcn, charge, paid, patient = clp[0], clp[2], clp[3], clp[4]
        errors = claim.errors
        expected = charge - claim.cas_total - claim.line_cas_total
        if expected != paid:
            errors.append(BalanceError("claim", "claim_balance", claim.seg_no, "CLP", "CLP04",
                                       expected, paid, pcn))  # fmt: skip
        if claim.lines:
            from_lines = claim.line_paid_total - claim.cas_total
            if from_lines != paid:
                errors.append(BalanceError("claim", "claim_line_payments", claim.seg_no, "CLP",
                                           "CLP04", from_lines, paid, pcn))  # fmt: skip
        warnings = tuple(claim_warnings(pcn, patient, claim.pr_total, claim.groups))
        self.reader.warnings.extend(warnings)
        self.claims.append(
            ClaimPayment(
                claim.seg_no, pcn, clp[1], charge, paid, patient, clp[5], clp[6], clp[7], clp[8],
                tuple(claim.adjustments), tuple(claim.people), tuple(claim.refs),
                tuple(claim.dates), tuple(claim.amounts), tuple(claim.quantities),
                tuple(claim.remarks), tuple(claim.lines), tuple(errors), warnings,
            )
        )  # fmt: skip
        self.claim_count += 1
        self.paid_total += paid
        self.claim_errors.extend(errors)
