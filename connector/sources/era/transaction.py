"""Builds one :class:`Remittance` from the segments between ST and SE (005010X221A1).

The loops are tracked with a small state machine; a segment in a place the 835 does not
allow it (an SVC before any CLP, a second BPR …) is a :class:`ParseError`. Element text is
converted strictly (see :mod:`connector.sources.era.values`); balancing runs when each claim
and the transaction close, and its failures become :class:`BalanceError` verdicts.

This is the parser's hot path (profiled with cProfile; numbers in docs/benchmarks-era.md):
:meth:`TransactionBuilder.consume` handles the frequent segments inline with local variables,
keeps running sums for balancing instead of re-walking the claim, and builds the frozen model
objects once per loop through :mod:`connector.sources.era._fast`.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from typing import Final

from connector.errors import ParseError
from connector.sources.era import validate
from connector.sources.era._fast import fast_constructor
from connector.sources.era.model import (
    ZERO,
    Adjustment,
    BalanceError,
    ClaimPayment,
    Contact,
    Envelope,
    MonetaryAmount,
    Party,
    Person,
    ProviderAdjustment,
    Quantity,
    Reference,
    Remittance,
    ServiceLine,
)
from connector.sources.era.segcache import cache_for
from connector.sources.era.values import AMOUNTS, DATES, ValueProblem, amount, date, quantity

# Loop states inside one transaction set. ``Final`` lets mypyc compile them as constants.
START: Final = 0
HEADER: Final = 1
PAYER: Final = 2
PAYEE: Final = 3
LX: Final = 4
CLAIM: Final = 5
LINE: Final = 6
PLB: Final = 7
MAX_ID: Final = 80  # generous: payers overrun X12's lengths; megabytes are corruption
_LOOP_NAMES: Final = {
    START: "the transaction header (before BPR)", HEADER: "the payment header",
    PAYER: "the payer loop 1000A", PAYEE: "the payee loop 1000B", LX: "the LX header",
    CLAIM: "a claim loop 2100", LINE: "a service line loop 2110",
    PLB: "the provider adjustments (PLB)",
}  # fmt: skip

# Maximum number of elements per segment (005010X221A1); more means a corrupt segment.
MAX_ELEMENTS: Final = {
    "BPR": 21, "TRN": 4, "CUR": 21, "REF": 4, "DTM": 6, "N1": 6, "N2": 2, "N3": 2, "N4": 7,
    "PER": 9, "RDM": 7, "LX": 1, "TS3": 24, "TS2": 19, "CLP": 14, "CAS": 19, "NM1": 12,
    "MIA": 24, "MOA": 9, "AMT": 3, "QTY": 4, "SVC": 7, "LQ": 2, "PLB": 14, "SE": 2,
}  # fmt: skip

# SVC01/SVC06 product/service id qualifiers (5010), used to accept a composite written with
# a component separator other than ISA16 (see _composite).
SVC_QUALIFIERS: Final = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
_NOT_SEPARATORS: Final = frozenset(" -.")
_LINE_DATES: Final = {"472": 0, "150": 1, "151": 2}
_NO_DATES: Final[tuple[dt.date | None, dt.date | None, dt.date | None]] = (None, None, None)
# Codes and qualifiers repeat on every claim; one shared string each saves ~50 bytes a time.
_intern: Final = sys.intern
# SVC01 composites seen in this process (procedure codes repeat on every remittance).
_PROCEDURES: Final[dict[tuple[str, str], tuple[str, str, tuple[str, ...]]]] = {}
_PROCEDURES_LIMIT = 4096  # not Final: tests lower it

_new_adjustment: Final = fast_constructor(Adjustment)
_new_reference: Final = fast_constructor(Reference)
_new_amount: Final = fast_constructor(MonetaryAmount)
_new_person: Final = fast_constructor(Person)
_new_line: Final = fast_constructor(ServiceLine)
_new_claim: Final = fast_constructor(ClaimPayment)


class TransactionBuilder:
    """Accumulates one ST…SE transaction set.

    Closed claims collect in :attr:`claims`. A streaming caller (``keep_claims=False``) takes
    them with :meth:`take_claims` as they close, and :meth:`finish` returns a remittance
    without claims; otherwise :meth:`finish` returns them all in the remittance. Balancing uses
    running totals, so it does not need the claims that were taken.

    Args:
        file: file name for errors.
        envelope: ISA/GS/ST control data.
        st_segment_no: file position of the ST segment.
        component: the component separator declared in ISA16.
        file_sha256: stored on the remittance.
        keep_claims: False when the caller takes the claims as they close (streaming).
    """

    def __init__(
        self,
        file: str,
        envelope: Envelope,
        st_segment_no: int,
        component: str,
        file_sha256: str | None = None,
        *,
        keep_claims: bool = True,
    ) -> None:
        self.file = file
        self.envelope = envelope
        self.st_no = st_segment_no
        self.component = component
        self.file_sha256 = file_sha256
        self.keep_claims = keep_claims
        self.claim_count = 0
        self.paid_total = ZERO  # Σ CLP04, in claim order
        self.claim_errors: list[BalanceError] = []  # line and claim errors, in claim order
        self.state = START
        self.warnings: list[str] = []
        self.bpr: list[str] = []
        self.bpr_no = 0
        self.trn: list[str] = []
        self.refs: list[Reference] = []
        self.dates: list[tuple[str, dt.date | None]] = []
        self.payer: list[str] = []
        self.payer_refs: list[Reference] = []
        self.payer_contacts: list[Contact] = []
        self.payee: list[str] = []
        self.payee_refs: list[Reference] = []
        self.claims: list[ClaimPayment] = []
        self.plb: list[ProviderAdjustment] = []
        self.alt_separators: set[str] = set()
        self.errors: list[BalanceError] = []
        # the open claim (lists are cleared, never replaced, so consume() can bind them)
        self.clp: list[str] | None = None
        self.clp_no = 0
        self.c_adj: list[Adjustment] = []
        self.c_people: list[Person] = []
        self.c_refs: list[Reference] = []
        self.c_dates: list[tuple[str, dt.date | None]] = []
        self.c_amts: list[MonetaryAmount] = []
        self.c_qtys: list[Quantity] = []
        self.c_remarks: list[str] = []
        self.c_lines: list[ServiceLine] = []
        self.c_groups: set[str] = set()
        self.c_cas = ZERO  # claim-level CAS total
        self.c_line_cas = ZERO  # line-level CAS total of the claim
        self.c_line_paid = ZERO
        self.c_pr = ZERO  # PR-group total (claim and lines)
        # the open service line
        self.svc: list[str] | None = None
        self.svc_no = 0
        self.l_adj: list[Adjustment] = []
        self.l_refs: list[Reference] = []
        self.l_amts: list[MonetaryAmount] = []
        self.l_qtys: list[Quantity] = []
        self.l_remarks: list[str] = []
        self.l_dates: list[dt.date | None] = [None, None, None]
        self.l_cas = ZERO

    # -- helpers ---------------------------------------------------------------------------

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        """A ParseError at a segment of this transaction."""
        return ParseError(
            message, file=self.file, segment_no=seg_no, segment_id=sid, element=element
        )

    def _not_too_long(self, value: str, seg_no: int, sid: str, element: str) -> None:
        """Identifiers that become item keys and PMS markers: X12 allows 38 (CLP01) to 50
        (CLP07, TRN02) characters; anything past :data:`MAX_ID` is corruption, not data."""
        if len(value) > MAX_ID:
            raise self.error(f"longer than {MAX_ID} characters ({len(value)})", seg_no, sid,
                             element)  # fmt: skip

    def _amount(self, els: list[str], index: int, seg_no: int) -> Decimal:
        """A required amount element."""
        text = els[index] if len(els) > index else ""
        if not text:
            raise self.error("required amount is missing", seg_no, els[0], _el(els, index))
        try:
            return amount(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], _el(els, index)) from None

    def _optional_amount(self, els: list[str], index: int, seg_no: int) -> Decimal | None:
        if len(els) <= index or not els[index]:
            return None
        return self._amount(els, index, seg_no)

    def _quantity(self, els: list[str], index: int, seg_no: int) -> Decimal | None:
        text = els[index] if len(els) > index else ""
        if not text:
            return None
        try:
            return quantity(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], _el(els, index)) from None

    def _date(self, text: str, seg_no: int, element: str) -> dt.date | None:
        if not text:
            return None
        found = DATES[text] if text in DATES else date(text)
        if found is None:
            self.warnings.append(f"segment {seg_no} {element}: {text[:12]!r} is not a date")
        return found

    def _composite(self, value: str, seg_no: int, element: str) -> list[str]:
        """Split a composite; accept another separator after a known qualifier (and warn).

        Some senders (the X12 TR3 examples copied by LinuxForHealth) declare ``:`` in ISA16
        but write ``HC>55669``. When the declared separator is absent and the value starts
        with a known qualifier followed by a punctuation character, that character is used for
        this element and a warning names it. Anything else is taken as one component.
        """
        comp = self.component
        if comp in value:
            return value.split(comp)
        if (
            len(value) > 3
            and value[:2] in SVC_QUALIFIERS
            and not value[2].isalnum()
            and value[2] not in _NOT_SEPARATORS
        ):
            sep = value[2]
            if sep not in self.alt_separators:
                self.alt_separators.add(sep)
                self.warnings.append(
                    f"segment {seg_no} {element}: component separator {sep!r} used where ISA16"
                    f" declares {comp!r}; read as a separator after qualifier {value[:2]}"
                )
            return value.split(sep)
        return [value]

    def _wrong_place(self, els: list[str], seg_no: int, state: int) -> ParseError:
        return self.error(f"segment not allowed in {_LOOP_NAMES[state]}", seg_no, els[0][:3])

    # -- loop closing -----------------------------------------------------------------------

    def _procedure(self, text: str, seg_no: int) -> tuple[str, str, tuple[str, ...]]:
        """SVC01 as (qualifier, code, modifiers); cached, since codes repeat on every line."""
        comp = self.component
        if comp not in text:
            proc = self._composite(text, seg_no, "SVC01")
            return _split_procedure(proc)
        key = (comp, text)
        found = _PROCEDURES.get(key)
        if found is None:
            found = _split_procedure(text.split(comp))
            if len(_PROCEDURES) >= _PROCEDURES_LIMIT:
                _PROCEDURES.clear()
            _PROCEDURES[key] = found
        return found

    def _close_line(self) -> None:
        svc = self.svc
        if svc is None:
            return
        self.svc = None
        seg_no = self.svc_no
        if len(svc) < 8:
            svc = svc + [""] * (8 - len(svc))
        qualifier, code, modifiers = self._procedure(svc[1], seg_no)
        if not code:
            self.warnings.append(f"segment {seg_no} SVC01: no procedure code")
        amounts = AMOUNTS
        charge = amounts.get(svc[2]) or self._amount(svc, 2, seg_no)
        paid = amounts.get(svc[3]) or self._amount(svc, 3, seg_no)
        original = self._composite(svc[6], seg_no, "SVC06") if svc[6] else None
        cas = self.l_cas
        l_dates = self.l_dates
        line = _new_line(
            seg_no,
            qualifier,
            code,
            modifiers,
            charge,
            paid,
            svc[4],
            self._quantity(svc, 5, seg_no) if svc[5] else None,
            original[0] if original else None,
            original[1] if original and len(original) > 1 else None,
            tuple([m for m in original[2:6] if m]) if original else (),
            self._quantity(svc, 7, seg_no) if svc[7] else None,
            l_dates[0],
            l_dates[1],
            l_dates[2],
            tuple(self.l_adj),
            tuple(self.l_refs),
            tuple(self.l_amts),
            tuple(self.l_qtys),
            tuple(self.l_remarks),
        )
        self.c_lines.append(line)
        if charge - cas != paid:
            clp = self.clp
            pcn = clp[1] if clp else ""
            self.errors.append(
                BalanceError(
                    "line", "line_balance", seg_no, "SVC", "SVC03", charge - cas, paid, pcn
                )
            )
        self.c_line_cas += cas
        self.c_line_paid += paid
        if self.l_adj:
            self.l_adj.clear()
        if self.l_refs:
            self.l_refs.clear()
        if self.l_amts:
            self.l_amts.clear()
        if self.l_qtys:
            self.l_qtys.clear()
        if self.l_remarks:
            self.l_remarks.clear()
        l_dates[:] = _NO_DATES
        self.l_cas = ZERO

    def _close_claim(self) -> None:
        self._close_line()
        clp = self.clp
        if clp is None:
            return
        self.clp = None
        seg_no = self.clp_no
        if len(clp) < 15:
            clp = clp + [""] * (15 - len(clp))
        pcn, status = clp[1], clp[2]
        if not pcn:
            raise self.error("patient control number is missing", seg_no, "CLP", "CLP01")
        if not status:
            raise self.error("claim status code is missing", seg_no, "CLP", "CLP02")
        self._not_too_long(pcn, seg_no, "CLP", "CLP01")
        self._not_too_long(clp[7], seg_no, "CLP", "CLP07")
        amounts = AMOUNTS
        charge = amounts.get(clp[3]) or self._amount(clp, 3, seg_no)
        paid = amounts.get(clp[4]) or self._amount(clp, 4, seg_no)
        patient = (amounts.get(clp[5]) or self._amount(clp, 5, seg_no)) if clp[5] else None
        errors = self.errors
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
        if (patient is not None and patient != self.c_pr) or not groups <= validate.GROUPS_5010:
            warnings = tuple(validate.claim_warnings(pcn, patient, self.c_pr, groups))
            self.warnings.extend(warnings)
        self.claims.append(
            _new_claim(
                seg_no, pcn, _intern(status), charge, paid, patient, _intern(clp[6]), clp[7],
                _intern(clp[8]), _intern(clp[9]),
                tuple(self.c_adj), tuple(self.c_people), tuple(self.c_refs),
                tuple(self.c_dates), tuple(self.c_amts), tuple(self.c_qtys),
                tuple(self.c_remarks), tuple(self.c_lines), tuple(errors), warnings,
            )
        )  # fmt: skip
        self.claim_count += 1
        self.paid_total += paid
        if errors:
            self.claim_errors.extend(errors)
            self.errors = []
        if self.c_adj:
            self.c_adj.clear()
        if self.c_people:
            self.c_people.clear()
        if self.c_refs:
            self.c_refs.clear()
        if self.c_dates:
            self.c_dates.clear()
        if self.c_amts:
            self.c_amts.clear()
        if self.c_qtys:
            self.c_qtys.clear()
        if self.c_remarks:
            self.c_remarks.clear()
        if self.c_lines:
            self.c_lines.clear()
        groups.clear()
        self.c_cas = self.c_line_cas = self.c_line_paid = self.c_pr = ZERO

    def _cas(self, els: list[str], seg_no: int) -> tuple[tuple[Adjustment, ...], Decimal, Decimal]:
        """All triples of a CAS segment, their total and their PR total."""
        n = len(els)
        if n < 4:
            raise self.error("an adjustment needs a group, a reason and an amount", seg_no, "CAS")
        if n > 20:
            raise self.error(f"too many elements ({n - 1}, at most 19)", seg_no, "CAS")
        group = els[1]
        if not group:
            raise self.error("adjustment group code is missing", seg_no, "CAS", "CAS01")
        result: list[Adjustment] = []
        total = ZERO
        for index in range(2, n, 3):
            reason = els[index]
            amt_text = els[index + 1] if index + 1 < n else ""
            qty_text = els[index + 2] if index + 2 < n else ""
            if not reason:
                if amt_text or qty_text:
                    raise self.error("amount without a reason code", seg_no, "CAS",
                                     _el(els, index))  # fmt: skip
                continue
            if not amt_text:
                raise self.error("reason code without an amount", seg_no, "CAS",
                                 _el(els, index + 1))  # fmt: skip
            value = AMOUNTS.get(amt_text) or self._amount(els, index + 1, seg_no)
            qty = self._quantity(els, index + 2, seg_no) if qty_text else None
            result.append(_new_adjustment(_intern(group), _intern(reason), value, qty))
            total += value
        if not result:
            raise self.error("adjustment without any reason code", seg_no, "CAS", "CAS02")
        return tuple(result), total, (total if group == "PR" else ZERO)

    # -- segment dispatch -----------------------------------------------------------------

    def consume(self, batch: list[str], start: int, base: int, elem: str) -> int:
        """Take segments ``batch[start:]`` up to (not including) the SE; return its index.

        ``base + i + 1`` is the file position of ``batch[i]``. Returns ``len(batch)`` when the
        batch ends before the SE.

        Raises:
            ParseError: unknown segment, segment in the wrong loop, bad element value.
        """
        state = self.state
        l_adj, c_adj, l_refs, c_refs = self.l_adj, self.c_adj, self.l_refs, self.c_refs
        l_amts, l_dates, c_dates = self.l_amts, self.l_dates, self.c_dates
        amounts, dates, intern = AMOUNTS, DATES, _intern
        zero = ZERO
        cache = cache_for(elem)
        dtm_seen = cache.dtm
        n = len(batch)
        i = start
        while i < n:
            raw = batch[i]
            # A date segment seen before (segcache): reuse its values when the loop allows them.
            if raw[0] == "D":
                dtm_hit = dtm_seen.get(raw)
                if dtm_hit is not None:
                    if state == LINE:
                        slot = _LINE_DATES.get(dtm_hit[0])
                        if slot is not None:
                            l_dates[slot] = dtm_hit[1]
                        i += 1
                        continue
                    if state == CLAIM:
                        c_dates.append(dtm_hit)
                        i += 1
                        continue
            els = raw.split(elem)
            sid = els[0]
            if sid == "CAS":
                if len(els) == 4 and els[1] and els[2]:  # the common single triple
                    group = els[1]
                    value = amounts.get(els[3]) or self._amount(els, 3, base + i + 1)
                    adjs: tuple[Adjustment, ...] = (
                        _new_adjustment(intern(group), intern(els[2]), value, None),
                    )
                    pr = value if group == "PR" else zero
                else:
                    adjs, value, pr = self._cas(els, base + i + 1)
                if state == LINE:
                    l_adj.extend(adjs)
                    self.l_cas += value
                elif state == CLAIM:
                    c_adj.extend(adjs)
                    self.c_cas += value
                else:
                    raise self._wrong_place(els, base + i + 1, state)
                self.c_groups.add(els[1])
                if pr:
                    self.c_pr += pr
            elif sid == "DTM":
                if len(els) < 3 or len(els) > 7:
                    raise self.error("DTM needs a qualifier and a date (at most 6 elements)",
                                     base + i + 1, "DTM")  # fmt: skip
                text = els[2]
                value_date = dates.get(text)
                if value_date is None:
                    value_date = self._date(text, base + i + 1, "DTM02")
                elif len(els) == 3:
                    cache.add_dtm(raw, (intern(els[1]), value_date))
                if state == LINE:
                    slot = _LINE_DATES.get(els[1])
                    if slot is not None:
                        l_dates[slot] = value_date
                elif state == CLAIM:
                    c_dates.append((intern(els[1]), value_date))
                elif state == HEADER:
                    self.dates.append((els[1], value_date))
                else:
                    raise self._wrong_place(els, base + i + 1, state)
            elif sid == "SVC":
                if state != LINE and state != CLAIM:  # noqa: PLR1714 - faster than a tuple
                    raise self._wrong_place(els, base + i + 1, state)
                if self.svc is not None:
                    self._close_line()
                if len(els) < 4 or not els[1] or len(els) > 8:
                    raise self.error("SVC needs a procedure, a charge and a payment (at most 7"
                                     " elements)", base + i + 1, "SVC")  # fmt: skip
                self.svc = els
                self.svc_no = base + i + 1
                state = LINE
            elif sid == "REF":
                if len(els) > 5:
                    raise self.error("too many elements", base + i + 1, "REF")
                ref = _new_reference(
                    intern(els[1]) if len(els) > 1 else "", els[2] if len(els) > 2 else ""
                )
                if state == LINE:
                    l_refs.append(ref)
                elif state == CLAIM:
                    c_refs.append(ref)
                else:
                    self._header_ref(ref, els, base + i + 1, state)
            elif sid == "AMT":
                if len(els) < 3 or len(els) > 4:
                    raise self.error("AMT needs a qualifier and an amount (at most 3 elements)",
                                     base + i + 1, "AMT")  # fmt: skip
                amt = _new_amount(
                    intern(els[1]), amounts.get(els[2]) or self._amount(els, 2, base + i + 1)
                )
                if state == LINE:
                    l_amts.append(amt)
                elif state == CLAIM:
                    self.c_amts.append(amt)
                else:
                    raise self._wrong_place(els, base + i + 1, state)
            elif sid == "CLP":
                if state < PAYEE or state == PLB:
                    raise self._wrong_place(els, base + i + 1, state)
                if len(els) > 15:
                    raise self.error("too many elements", base + i + 1, "CLP")
                self._close_claim()
                self.clp = els
                self.clp_no = base + i + 1
                state = CLAIM
            elif sid == "NM1":
                if state != CLAIM:
                    raise self._wrong_place(els, base + i + 1, state)
                if len(els) > 13:
                    raise self.error("too many elements", base + i + 1, "NM1")
                e = els + [""] * (13 - len(els))
                self.c_people.append(
                    _new_person(intern(e[1]), intern(e[2]), e[3], e[4], e[5], intern(e[8]), e[9])
                )
            elif sid == "SE":
                break
            else:
                self.state = state
                self._rare(els, base + i + 1, sid, state)
                state = self.state
            i += 1
        self.state = state
        return i

    def _header_ref(self, ref: Reference, els: list[str], seg_no: int, state: int) -> None:
        if state == HEADER:
            self.refs.append(ref)
        elif state == PAYER:
            self.payer_refs.append(ref)
        elif state == PAYEE:
            self.payee_refs.append(ref)
        else:
            raise self._wrong_place(els, seg_no, state)

    def _rare(self, els: list[str], seg_no: int, sid: str, state: int) -> None:
        """Segments that occur at most a few times per transaction or loop."""
        limit = MAX_ELEMENTS.get(sid)
        if limit is None:
            raise self.error("not a segment of an 835 transaction", seg_no, sid[:3])
        if len(els) - 1 > limit:
            raise self.error(f"too many elements ({len(els) - 1}, at most {limit})", seg_no, sid)
        if sid == "LQ":
            if state != LINE:
                raise self._wrong_place(els, seg_no, state)
            qual = els[1] if len(els) > 1 else ""
            code = els[2] if len(els) > 2 else ""
            self.l_remarks.append(code if qual == "HE" else f"{qual}:{code}")
        elif sid == "QTY":
            value = self._quantity(els, 2, seg_no)
            if value is None:
                raise self.error("quantity is missing", seg_no, "QTY", "QTY02")
            qty = Quantity(els[1] if len(els) > 1 else "", value)
            if state == LINE:
                self.l_qtys.append(qty)
            elif state == CLAIM:
                self.c_qtys.append(qty)
            else:
                raise self._wrong_place(els, seg_no, state)
        elif sid == "LX":
            if state not in (PAYEE, LX, CLAIM, LINE):
                raise self._wrong_place(els, seg_no, state)
            self._close_claim()
            self.state = LX
        elif sid in ("TS3", "TS2"):
            if state != LX:
                raise self._wrong_place(els, seg_no, state)
        elif sid in {"MOA", "MIA"}:
            if state != CLAIM:
                raise self._wrong_place(els, seg_no, state)
            slots = range(3, 8) if sid == "MOA" else (5, 20, 21, 22, 23)
            self.c_remarks.extend(els[i] for i in slots if i < len(els) and els[i])
        elif sid == "PER":
            if state == PAYER:
                e = els + [""] * (10 - len(els))
                numbers = tuple((e[i], e[i + 1]) for i in (3, 5, 7) if e[i] or e[i + 1])
                self.payer_contacts.append(Contact(e[1], e[2], numbers))
            elif state != CLAIM:
                raise self._wrong_place(els, seg_no, state)
        elif sid == "PLB":
            if state not in (PAYEE, LX, CLAIM, LINE, PLB):
                raise self._wrong_place(els, seg_no, state)
            self._close_claim()
            self.state = PLB
            self._plb(els, seg_no)
        elif sid == "N1":
            self._n1(els, seg_no, state)
        elif sid in ("N2", "N3", "N4"):
            if state not in (PAYER, PAYEE):
                raise self._wrong_place(els, seg_no, state)
        elif sid == "RDM":
            if state != PAYEE:
                raise self._wrong_place(els, seg_no, state)
        elif sid == "BPR":
            if state != START:
                raise self._wrong_place(els, seg_no, state)
            if len(els) < 5:
                raise self.error("BPR needs handling, amount, credit/debit and method",
                                 seg_no, "BPR")  # fmt: skip
            self._amount(els, 2, seg_no)
            if els[3] not in ("C", "D"):
                raise self.error(f"credit/debit flag {els[3][:3]!r} is not C or D",
                                 seg_no, "BPR", "BPR03")  # fmt: skip
            self.bpr = els + [""] * (22 - len(els))
            self.bpr_no = seg_no
            self.state = HEADER
        elif sid == "TRN":
            if state != HEADER or self.trn:
                raise self._wrong_place(els, seg_no, state)
            if len(els) < 4 or not els[2] or not els[3]:
                raise self.error("TRN needs a trace number and a payer id", seg_no, "TRN")
            for index in (2, 3):
                self._not_too_long(els[index], seg_no, "TRN", f"TRN0{index}")
            self.trn = els + [""] * (5 - len(els))
        elif sid == "CUR":
            if state != HEADER:
                raise self._wrong_place(els, seg_no, state)
            self.warnings.append(f"segment {seg_no} CUR: foreign currency {els[2:3]}")
        else:  # SE, and ids already handled inline by consume() but in the wrong place
            raise self._wrong_place(els, seg_no, state)

    def _n1(self, els: list[str], seg_no: int, state: int) -> None:
        qual = els[1] if len(els) > 1 else ""
        if qual == "PR" and state == HEADER:
            if not self.trn:
                raise self.error("N1*PR before the TRN (trace number)", seg_no, "N1", "N101")
            self.payer = els
            self.state = PAYER
        elif qual == "PE" and state == PAYER:
            self.payee = els
            self.state = PAYEE
        else:
            raise self.error(
                f"N1*{qual[:3]} not allowed in {_LOOP_NAMES[state]}", seg_no, "N1", "N101"
            )

    def _plb(self, els: list[str], seg_no: int) -> None:
        if len(els) < 5 or not els[1]:
            raise self.error("PLB needs a provider, a date and at least one adjustment",
                             seg_no, "PLB")  # fmt: skip
        provider = els[1]
        period_end = self._date(els[2], seg_no, "PLB02")
        for index in range(3, len(els), 2):
            ident = els[index]
            amt_text = els[index + 1] if index + 1 < len(els) else ""
            if not ident and not amt_text:
                continue
            if not ident or not amt_text:
                raise self.error("adjustment needs a reason and an amount", seg_no, "PLB",
                                 _el(els, index if not ident else index + 1))  # fmt: skip
            parts = ident.split(self.component, 1)
            value = self._amount(els, index + 1, seg_no)
            reference = parts[1] if len(parts) > 1 else ""
            self.plb.append(
                ProviderAdjustment(seg_no, provider, period_end, parts[0], reference, value)
            )

    # -- end of transaction ---------------------------------------------------------------

    def take_claims(self) -> list[ClaimPayment]:
        """The claims closed since the last call; they will not be in :meth:`finish`'s result."""
        taken = self.claims
        self.claims = []
        return taken

    def header(self) -> Remittance:
        """The remittance as known from its header (BPR, TRN, payer, payee), before any claim.

        Only valid once a claim has been read (the 835 order guarantees the header then).
        ``claims``, ``plb``, ``balance_errors`` and ``warnings`` are empty: :meth:`finish`
        gives them.
        """
        bpr = self.bpr
        return self._remittance(date(bpr[16]) if bpr[16] else None, (), (), (), ())

    def finish(self, se_no: int) -> Remittance:
        """Close open loops, check balancing and return the remittance.

        Raises:
            ParseError: BPR, TRN, N1*PR or N1*PE missing.
        """
        self._close_claim()
        for what, present in (("a BPR (payment) segment", self.bpr),
                              ("a TRN (trace number) segment", self.trn),
                              ("a payer (N1*PR)", self.payer),
                              ("a payee (N1*PE)", self.payee)):  # fmt: skip
            if not present:
                raise self.error(f"the transaction has no {what}", se_no, "SE")
        bpr = self.bpr
        paid = amount(bpr[2])
        signed = -paid if bpr[3] == "D" else paid
        errors = self.claim_errors
        errors.extend(validate.transaction_error(self.bpr_no, signed, self.paid_total, self.plb))
        pay_date = self._date(bpr[16], self.bpr_no, "BPR16")
        if not bpr[16]:
            self.warnings.append(f"segment {self.bpr_no} BPR16: payment date is missing")
        claims = tuple(self.claims) if self.keep_claims else ()
        return self._remittance(
            pay_date, claims, tuple(self.plb), tuple(errors), tuple(self.warnings)
        )

    def _remittance(
        self,
        pay_date: dt.date | None,
        claims: tuple[ClaimPayment, ...],
        plb: tuple[ProviderAdjustment, ...],
        errors: tuple[BalanceError, ...],
        warnings: tuple[str, ...],
    ) -> Remittance:
        bpr, trn = self.bpr, self.trn
        payer, payee = self.payer + [""] * 5, self.payee + [""] * 5
        return Remittance(
            file=self.file,
            segment_no=self.st_no,
            envelope=self.envelope,
            handling=bpr[1],
            amount=amount(bpr[2]),
            credit_debit=bpr[3],
            method=bpr[4],
            payment_format=bpr[5],
            payment_date=pay_date,
            payment_date_raw=bpr[16],
            trace_type=trn[1],
            trace=trn[2],
            payer_id=trn[3],
            trace_supplemental=trn[4],
            refs=tuple(self.refs),
            dates=tuple(self.dates),
            payer=Party(
                "PR",
                payer[2],
                payer[3],
                payer[4],
                tuple(self.payer_refs),
                tuple(self.payer_contacts),
            ),
            payee=Party("PE", payee[2], payee[3], payee[4], tuple(self.payee_refs)),
            claims=claims,
            plb=plb,
            balance_errors=errors,
            warnings=warnings,
            file_sha256=self.file_sha256,
        )


def _split_procedure(proc: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """Qualifier, code and non-empty modifiers of a split SVC01/SVC06 composite."""
    n_proc = len(proc)
    return (
        _intern(proc[0]),
        _intern(proc[1]) if n_proc > 1 else "",
        tuple([m for m in proc[2:6] if m]) if n_proc > 2 else (),
    )


def _el(els: list[str], index: int) -> str:
    """Element name like ``CLP04``."""
    return f"{els[0]}{index:02d}"
