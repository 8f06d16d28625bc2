"""The claim loops of one 835 transaction set (2100 claims, 2110 service lines): the hot path.

:class:`ClaimLoop` takes the segments of the claim loops (CLP, CAS, SVC, DTM, REF, AMT, NM1,
LQ, QTY, MOA, MIA, PER) and closes each line and claim with its balancing verdicts; the
transaction builder (:mod:`connector.sources.era.transaction`) handles everything else and the
loop-state changes those segments make (BPR, N1, LX, PLB …). :meth:`ClaimLoop.consume` stops
at the first segment it does not take in the current state and leaves it to the builder,
which either handles it or reports it in the wrong place.

Two implementations with one behaviour: this module (pure Python, also compiled by mypyc) and
``_claimloop.c`` (a C extension built by ``make era-fast``), which reads the common
well-formed segments itself and calls :class:`SegmentReader` for anything else, so values,
warnings and errors come from the same code. :func:`new_claim_loop` picks the C one when it is
built and current (see :mod:`connector.sources.era.speedups`);
tests/sources/era/test_speedups.py compares the two on samples, generated and mutated files.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import Final, Protocol

from connector.sources.era import speedups
from connector.sources.era._fast import fast_constructor
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
from connector.sources.era.segcache import cache_for
from connector.sources.era.segments import ClpValues, SegmentReader, SvcValues
from connector.sources.era.validate import GROUPS_5010, claim_warnings
from connector.sources.era.values import AMOUNTS

# Loop states inside one transaction set. ``Final`` lets mypyc compile them as constants.
START: Final = 0
HEADER: Final = 1
PAYER: Final = 2
PAYEE: Final = 3
LX: Final = 4
CLAIM: Final = 5
LINE: Final = 6
PLB: Final = 7
_LINE_DATES: Final = {"472": 0, "150": 1, "151": 2}
_NO_DATES: Final[tuple[dt.date | None, dt.date | None, dt.date | None]] = (None, None, None)
_intern: Final = sys.intern

_new_adjustment: Final = fast_constructor(Adjustment)
_new_line: Final = fast_constructor(ServiceLine)
_new_claim: Final = fast_constructor(ClaimPayment)


class ClaimLoopLike(Protocol):
    """What the transaction builder uses of a claim loop (Python or C)."""

    state: int
    claims: list[ClaimPayment]

    @property
    def claim_count(self) -> int:
        """Claims closed so far."""

    @property
    def paid_total(self) -> Decimal:
        """Σ CLP04 of the claims closed so far."""

    @property
    def claim_errors(self) -> list[BalanceError]:
        """Line and claim balance errors, in claim order."""

    def consume(self, batch: list[str], start: int, base: int, elem: str) -> int:
        """Take segments from ``batch[start]``; the index of the first one not taken."""

    def close_claim(self) -> None:
        """Close the open line and claim, if any."""


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
        # the open claim (lists are cleared, never replaced, so consume() can bind them)
        self.clp: ClpValues | None = None
        self.clp_no = 0
        self.c_adj: list[Adjustment] = []
        self.c_people: list[Person] = []
        self.c_refs: list[Reference] = []
        self.c_dates: list[tuple[str, dt.date | None]] = []
        self.c_amts: list[MonetaryAmount] = []
        self.c_qtys: list[Quantity] = []
        self.c_remarks: list[str] = []
        self.c_lines: list[ServiceLine] = []
        self.c_errors: list[BalanceError] = []
        self.c_groups: set[str] = set()
        self.c_cas = ZERO  # claim-level CAS total
        self.c_line_cas = ZERO  # line-level CAS total of the claim
        self.c_line_paid = ZERO
        self.c_pr = ZERO  # PR-group total (claim and lines)
        # the open service line
        self.svc: SvcValues | None = None
        self.svc_no = 0
        self.l_adj: list[Adjustment] = []
        self.l_refs: list[Reference] = []
        self.l_amts: list[MonetaryAmount] = []
        self.l_qtys: list[Quantity] = []
        self.l_remarks: list[str] = []
        self.l_dates: list[dt.date | None] = [None, None, None]
        self.l_cas = ZERO

    def consume(self, batch: list[str], start: int, base: int, elem: str) -> int:
        """Take claim-loop segments from ``batch[start]`` on; return the first index not taken.

        ``base + i + 1`` is the file position of ``batch[i]``. Only a CLP is taken after the
        payee or an LX; nothing before that or in the PLB part.

        Raises:
            ParseError: a claim-loop segment with a bad or missing element.
        """
        state = self.state
        if state < PAYEE or state == PLB:
            return start
        reader = self.reader
        l_adj, c_adj, l_refs, c_refs = self.l_adj, self.c_adj, self.l_refs, self.c_refs
        l_dates, c_dates, c_groups = self.l_dates, self.c_dates, self.c_groups
        amounts = AMOUNTS
        zero = ZERO
        dates_seen = cache_for(elem)
        dtm_seen = dates_seen.dtm
        n = len(batch)
        i = start
        while i < n:
            raw = batch[i]
            seg_no = base + i + 1
            if state >= CLAIM and raw[0] == "D":  # a date segment seen before: reuse its values
                dtm_hit = dtm_seen.get(raw)
                if dtm_hit is not None:
                    if state == LINE:
                        slot = _LINE_DATES.get(dtm_hit[0])
                        if slot is not None:
                            l_dates[slot] = dtm_hit[1]
                    else:
                        c_dates.append(dtm_hit)
                    i += 1
                    continue
            els = raw.split(elem)
            sid = els[0]
            if state < CLAIM and sid != "CLP":  # after the payee or an LX: only a claim starts
                break
            if sid == "CAS":
                if len(els) == 4 and els[1] and els[2] and els[3]:  # the common single triple
                    group = els[1]
                    value = amounts.get(els[3]) or reader.amount(els, 3, seg_no)
                    adjs: tuple[Adjustment, ...] = (
                        _new_adjustment(_intern(group), _intern(els[2]), value, None),
                    )
                    pr = value if group == "PR" else zero
                else:
                    adjs, value, pr = reader.cas(els, seg_no)
                if state == LINE:
                    l_adj.extend(adjs)
                    self.l_cas += value
                else:
                    c_adj.extend(adjs)
                    self.c_cas += value
                c_groups.add(els[1])
                if pr:
                    self.c_pr += pr
            elif sid == "DTM":
                qualifier, value_date = reader.dtm(els, seg_no)
                if value_date is not None and len(els) == 3:
                    dates_seen.add_dtm(raw, (qualifier, value_date))  # bounded
                if state == LINE:
                    slot = _LINE_DATES.get(qualifier)
                    if slot is not None:
                        l_dates[slot] = value_date
                else:
                    c_dates.append((qualifier, value_date))
            elif sid == "SVC":
                values = reader.svc(els, seg_no)
                self._close_line()
                self.svc = values
                self.svc_no = seg_no
                state = LINE
            elif sid == "REF":
                ref = reader.ref(els, seg_no)
                if state == LINE:
                    l_refs.append(ref)
                else:
                    c_refs.append(ref)
            elif sid == "AMT":
                amt = reader.amt(els, seg_no)
                if state == LINE:
                    self.l_amts.append(amt)
                else:
                    self.c_amts.append(amt)
            elif sid == "CLP":
                claim = reader.clp(els, seg_no)
                self.close_claim()
                self.clp = claim
                self.clp_no = seg_no
                state = CLAIM
            elif sid == "NM1" and state == CLAIM:
                self.c_people.append(reader.nm1(els, seg_no))
            elif sid == "LQ" and state == LINE:
                self.l_remarks.append(reader.lq(els, seg_no))
            elif sid == "QTY":
                qty = reader.qty(els, seg_no)
                if state == LINE:
                    self.l_qtys.append(qty)
                else:
                    self.c_qtys.append(qty)
            elif (sid == "MOA" or sid == "MIA") and state == CLAIM:  # noqa: PLR1714 - faster
                self.c_remarks.extend(reader.remark_codes(els, seg_no, sid))
            elif sid == "PER" and state == CLAIM:  # claim contact: checked, not kept
                reader.check_limit(els, seg_no, "PER", 9)
            else:
                break
            i += 1
        self.state = state
        return i

    def _close_line(self) -> None:
        svc = self.svc
        if svc is None:
            return
        self.svc = None
        seg_no = self.svc_no
        charge, paid = svc[3], svc[4]
        cas = self.l_cas
        l_dates = self.l_dates
        line = _new_line(
            seg_no, svc[0], svc[1], svc[2], charge, paid, svc[5], svc[6], svc[7], svc[8], svc[9],
            svc[10], l_dates[0], l_dates[1], l_dates[2],
            tuple(self.l_adj), tuple(self.l_refs), tuple(self.l_amts), tuple(self.l_qtys),
            tuple(self.l_remarks),
        )  # fmt: skip
        self.c_lines.append(line)
        if charge - cas != paid:
            clp = self.clp
            pcn = clp[0] if clp else ""
            self.c_errors.append(BalanceError("line", "line_balance", seg_no, "SVC", "SVC03",
                                              charge - cas, paid, pcn))  # fmt: skip
        self.c_line_cas += cas
        self.c_line_paid += paid
        for kept in (self.l_adj, self.l_refs, self.l_amts, self.l_qtys, self.l_remarks):
            if kept:
                kept.clear()
        l_dates[:] = _NO_DATES
        self.l_cas = ZERO

    def close_claim(self) -> None:
        """Close the open service line and claim (if any), with their balancing verdicts."""
        self._close_line()
        clp = self.clp
        if clp is None:
            return
        self.clp = None
        seg_no = self.clp_no
        pcn, charge, paid, patient = clp[0], clp[2], clp[3], clp[4]
        errors = self.c_errors
        expected = charge - self.c_cas - self.c_line_cas
        if expected != paid:
            errors.append(BalanceError("claim", "claim_balance", seg_no, "CLP", "CLP04",
                                       expected, paid, pcn))  # fmt: skip
        if self.c_lines:
            from_lines = self.c_line_paid - self.c_cas
            if from_lines != paid:
                errors.append(BalanceError("claim", "claim_line_payments", seg_no, "CLP", "CLP04",
                                           from_lines, paid, pcn))  # fmt: skip
        warnings: tuple[str, ...] = ()
        groups = self.c_groups
        if (patient is not None and patient != self.c_pr) or not groups <= GROUPS_5010:
            warnings = tuple(claim_warnings(pcn, patient, self.c_pr, groups))
            self.reader.warnings.extend(warnings)
        self.claims.append(
            _new_claim(
                seg_no, pcn, clp[1], charge, paid, patient, clp[5], clp[6], clp[7], clp[8],
                tuple(self.c_adj), tuple(self.c_people), tuple(self.c_refs),
                tuple(self.c_dates), tuple(self.c_amts), tuple(self.c_qtys),
                tuple(self.c_remarks), tuple(self.c_lines), tuple(errors), warnings,
            )
        )  # fmt: skip
        self.claim_count += 1
        self.paid_total += paid
        if errors:
            self.claim_errors.extend(errors)
            errors.clear()
        for kept in (self.c_adj, self.c_people, self.c_refs, self.c_dates, self.c_amts,
                     self.c_qtys, self.c_remarks, self.c_lines):  # fmt: skip
            if kept:
                kept.clear()
        groups.clear()
        self.c_cas = self.c_line_cas = self.c_line_paid = self.c_pr = ZERO


def new_claim_loop(reader: SegmentReader) -> ClaimLoopLike:
    """The C claim loop when it is built and current, else :class:`ClaimLoop`."""
    c_type = speedups.c_claim_loop()
    if c_type is None:
        return ClaimLoop(reader)
    loop: ClaimLoopLike = c_type(reader)
    return loop
