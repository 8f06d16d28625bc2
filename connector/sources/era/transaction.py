"""Builds one :class:`Remittance` from the segments between ST and SE (005010X221A1).

The loops are tracked with a small state machine; a segment in a place the 835 does not
allow it (an SVC before any CLP, a second BPR …) is a :class:`ParseError`. Element text is
converted strictly (see :mod:`connector.sources.era.values`); balancing runs when each claim
and the transaction close, and its failures become :class:`BalanceError` verdicts.

This is the hot path of the parser: segments arrive as lists of element strings and are
handled with plain lists until a loop closes, when the frozen model objects are built once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from connector.errors import ParseError
from connector.sources.era import validate
from connector.sources.era.model import (
    Adjustment,
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
from connector.sources.era.values import ValueProblem, amount, date, quantity

# Loop states inside one transaction set.
START, HEADER, PAYER, PAYEE, LX, CLAIM, LINE, PLB = range(8)
_LOOP_NAMES = {
    START: "the transaction header (before BPR)",
    HEADER: "the payment header",
    PAYER: "the payer loop 1000A",
    PAYEE: "the payee loop 1000B",
    LX: "the LX header",
    CLAIM: "a claim loop 2100",
    LINE: "a service line loop 2110",
    PLB: "the provider adjustments (PLB)",
}

# Maximum number of elements per segment (005010X221A1); more means a corrupt segment.
MAX_ELEMENTS = {
    "BPR": 21,
    "TRN": 4,
    "CUR": 21,
    "REF": 4,
    "DTM": 6,
    "N1": 6,
    "N2": 2,
    "N3": 2,
    "N4": 7,
    "PER": 9,
    "RDM": 7,
    "LX": 1,
    "TS3": 24,
    "TS2": 19,
    "CLP": 14,
    "CAS": 19,
    "NM1": 12,
    "MIA": 24,
    "MOA": 9,
    "AMT": 3,
    "QTY": 4,
    "SVC": 7,
    "LQ": 2,
    "PLB": 14,
}

# SVC01/SVC06 product/service id qualifiers (5010), used to accept a composite written with
# a component separator other than ISA16 (see _composite).
SVC_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
_NOT_SEPARATORS = frozenset(" -.")


class TransactionBuilder:
    """Accumulates one ST…SE transaction set.

    Args:
        file: file name for errors.
        envelope: ISA/GS/ST control data.
        st_segment_no: file position of the ST segment.
        component: the component separator declared in ISA16.
    """

    def __init__(self, file: str, envelope: Envelope, st_segment_no: int, component: str):
        self.file = file
        self.envelope = envelope
        self.st_no = st_segment_no
        self.component = component
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
        self._reset_claim()
        self._reset_line()

    # -- helpers ---------------------------------------------------------------------------

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        """A ParseError at a segment of this transaction."""
        return ParseError(
            message, file=self.file, segment_no=seg_no, segment_id=sid, element=element
        )

    def _amount(self, els: list[str], index: int, seg_no: int, required: bool = True) -> Decimal:
        text = els[index] if len(els) > index else ""
        if not text:
            if required:
                raise self.error("required amount is missing", seg_no, els[0], _el(els, index))
            return Decimal("0.00")
        try:
            return amount(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], _el(els, index)) from None

    def _optional_amount(self, els: list[str], index: int, seg_no: int) -> Decimal | None:
        text = els[index] if len(els) > index else ""
        if not text:
            return None
        try:
            return amount(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], _el(els, index)) from None

    def _quantity(self, els: list[str], index: int, seg_no: int) -> Decimal | None:
        text = els[index] if len(els) > index else ""
        if not text:
            return None
        try:
            return quantity(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], _el(els, index)) from None

    def _date(self, text: str, seg_no: int, element: str, warn: bool = True) -> dt.date | None:
        if not text:
            return None
        found = date(text)
        if found is None and warn:
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

    def _wrong_place(self, els: list[str], seg_no: int) -> ParseError:
        where = _LOOP_NAMES[self.state]
        return self.error(f"segment not allowed in {where}", seg_no, els[0])

    # -- claim and line accumulation ----------------------------------------------------

    def _reset_claim(self) -> None:
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

    def _reset_line(self) -> None:
        self.svc: list[str] | None = None
        self.svc_no = 0
        self.l_adj: list[Adjustment] = []
        self.l_refs: list[Reference] = []
        self.l_amts: list[MonetaryAmount] = []
        self.l_qtys: list[Quantity] = []
        self.l_remarks: list[str] = []
        self.l_dates: list[dt.date | None] = [None, None, None]

    def _close_line(self) -> None:
        svc = self.svc
        if svc is None:
            return
        seg_no = self.svc_no
        if len(svc) < 8:
            svc = svc + [""] * (8 - len(svc))
        proc = self._composite(svc[1], seg_no, "SVC01")
        if len(proc) < 2 or not proc[1]:
            self.warnings.append(f"segment {seg_no} SVC01: no procedure code")
        original: list[str] = self._composite(svc[6], seg_no, "SVC06") if svc[6] else []
        d = self.l_dates
        self.c_lines.append(
            ServiceLine(
                seg_no,
                proc[0],
                proc[1] if len(proc) > 1 else "",
                tuple(m for m in proc[2:6] if m),
                self._amount(svc, 2, seg_no),
                self._amount(svc, 3, seg_no),
                svc[4],
                self._quantity(svc, 5, seg_no),
                original[0] if original else None,
                original[1] if len(original) > 1 else None,
                tuple(m for m in original[2:6] if m),
                self._quantity(svc, 7, seg_no),
                d[0],
                d[1],
                d[2],
                tuple(self.l_adj),
                tuple(self.l_refs),
                tuple(self.l_amts),
                tuple(self.l_qtys),
                tuple(self.l_remarks),
            )
        )
        self._reset_line()

    def _close_claim(self) -> None:
        self._close_line()
        clp = self.clp
        if clp is None:
            return
        seg_no = self.clp_no
        if len(clp) < 15:
            clp = clp + [""] * (15 - len(clp))
        pcn, status = clp[1], clp[2]
        if not pcn:
            raise self.error("patient control number is missing", seg_no, "CLP", "CLP01")
        if not status:
            raise self.error("claim status code is missing", seg_no, "CLP", "CLP02")
        charge = self._amount(clp, 3, seg_no)
        paid = self._amount(clp, 4, seg_no)
        patient = self._optional_amount(clp, 5, seg_no)
        lines = self.c_lines
        adjustments = self.c_adj
        errors = validate.claim_errors(
            seg_no, pcn, charge=charge, paid=paid, adjustments=adjustments, lines=lines
        )
        warnings = validate.claim_warnings(pcn, patient, adjustments, lines)
        if warnings:
            self.warnings.extend(warnings)
        self.claims.append(
            ClaimPayment(
                seg_no,
                pcn,
                status,
                charge,
                paid,
                patient,
                clp[6],
                clp[7],
                clp[8],
                clp[9],
                tuple(adjustments),
                tuple(self.c_people),
                tuple(self.c_refs),
                tuple(self.c_dates),
                tuple(self.c_amts),
                tuple(self.c_qtys),
                tuple(self.c_remarks),
                tuple(lines),
                tuple(errors),
                tuple(warnings),
            )
        )
        self._reset_claim()

    def _cas(self, els: list[str], seg_no: int) -> list[Adjustment]:
        n = len(els)
        if n < 4:
            raise self.error("an adjustment needs a group, a reason and an amount", seg_no, "CAS")
        group = els[1]
        if not group:
            raise self.error("adjustment group code is missing", seg_no, "CAS", "CAS01")
        result = []
        for index in range(2, n, 3):
            reason = els[index]
            amt_text = els[index + 1] if index + 1 < n else ""
            qty_text = els[index + 2] if index + 2 < n else ""
            if not reason:
                if amt_text or qty_text:
                    raise self.error("amount without a reason code", seg_no, "CAS", _el(els, index))
                continue
            if not amt_text:
                raise self.error(
                    "reason code without an amount", seg_no, "CAS", _el(els, index + 1)
                )
            try:
                value = amount(amt_text)
            except ValueProblem as exc:
                raise self.error(str(exc), seg_no, "CAS", _el(els, index + 1)) from None
            qty = self._quantity(els, index + 2, seg_no) if qty_text else None
            result.append(Adjustment(group, reason, value, qty))
        if not result:
            raise self.error("adjustment without any reason code", seg_no, "CAS", "CAS02")
        return result

    # -- segment dispatch -----------------------------------------------------------------

    def feed(self, els: list[str], seg_no: int) -> None:
        """Take one segment of the transaction set (anything between ST and SE).

        Raises:
            ParseError: unknown segment, segment in the wrong loop, bad element value.
        """
        sid = els[0]
        limit = MAX_ELEMENTS.get(sid)
        if limit is None:
            raise self.error("not a segment of an 835 transaction", seg_no, sid[:3])
        if len(els) - 1 > limit:
            raise self.error(f"too many elements ({len(els) - 1}, at most {limit})", seg_no, sid)
        state = self.state
        if sid == "CAS":
            if state == LINE:
                self.l_adj.extend(self._cas(els, seg_no))
            elif state == CLAIM:
                self.c_adj.extend(self._cas(els, seg_no))
            else:
                raise self._wrong_place(els, seg_no)
        elif sid == "SVC":
            if state not in (CLAIM, LINE):
                raise self._wrong_place(els, seg_no)
            self._close_line()
            self.svc = els
            self.svc_no = seg_no
            self.state = LINE
            if len(els) < 4 or not els[1]:
                raise self.error("SVC needs a procedure, a charge and a payment", seg_no, "SVC")
        elif sid == "DTM":
            self._dtm(els, seg_no, state)
        elif sid == "REF":
            ref = Reference(els[1] if len(els) > 1 else "", els[2] if len(els) > 2 else "")
            if state == LINE:
                self.l_refs.append(ref)
            elif state == CLAIM:
                self.c_refs.append(ref)
            elif state == HEADER:
                self.refs.append(ref)
            elif state == PAYER:
                self.payer_refs.append(ref)
            elif state == PAYEE:
                self.payee_refs.append(ref)
            else:
                raise self._wrong_place(els, seg_no)
        elif sid == "AMT":
            amt = MonetaryAmount(els[1] if len(els) > 1 else "", self._amount(els, 2, seg_no))
            if state == LINE:
                self.l_amts.append(amt)
            elif state == CLAIM:
                self.c_amts.append(amt)
            else:
                raise self._wrong_place(els, seg_no)
        elif sid == "CLP":
            if state not in (LX, CLAIM, LINE, PAYEE):
                raise self._wrong_place(els, seg_no)
            self._close_claim()
            self.clp = els
            self.clp_no = seg_no
            self.state = CLAIM
        elif sid == "NM1":
            if state != CLAIM:
                raise self._wrong_place(els, seg_no)
            e = els + [""] * (13 - len(els))
            self.c_people.append(Person(e[1], e[2], e[3], e[4], e[5], e[8], e[9]))
        elif sid == "LQ":
            if state != LINE:
                raise self._wrong_place(els, seg_no)
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
                raise self._wrong_place(els, seg_no)
        else:
            self._rare(els, seg_no, sid, state)

    def _dtm(self, els: list[str], seg_no: int, state: int) -> None:
        qual = els[1] if len(els) > 1 else ""
        value = self._date(els[2] if len(els) > 2 else "", seg_no, "DTM02")
        if state == LINE:
            slot = {"472": 0, "150": 1, "151": 2}.get(qual)
            if slot is not None:
                self.l_dates[slot] = value
        elif state == CLAIM:
            self.c_dates.append((qual, value))
        elif state == HEADER:
            self.dates.append((qual, value))
        else:
            raise self._wrong_place(els, seg_no)

    def _rare(self, els: list[str], seg_no: int, sid: str, state: int) -> None:
        """Segments that occur once per transaction or loop."""
        if sid == "LX":
            if state not in (PAYEE, LX, CLAIM, LINE):
                raise self._wrong_place(els, seg_no)
            self._close_claim()
            self.state = LX
        elif sid in ("TS3", "TS2"):
            if state != LX:
                raise self._wrong_place(els, seg_no)
        elif sid in {"MOA", "MIA"}:
            if state != CLAIM:
                raise self._wrong_place(els, seg_no)
            slots = range(3, 8) if sid == "MOA" else (5, 20, 21, 22, 23)
            self.c_remarks.extend(els[i] for i in slots if i < len(els) and els[i])
        elif sid == "PER":
            if state == PAYER:
                e = els + [""] * (10 - len(els))
                numbers = tuple((e[i], e[i + 1]) for i in (3, 5, 7) if e[i] or e[i + 1])
                self.payer_contacts.append(Contact(e[1], e[2], numbers))
            elif state != CLAIM:
                raise self._wrong_place(els, seg_no)
        elif sid == "PLB":
            if state not in (PAYEE, LX, CLAIM, LINE, PLB):
                raise self._wrong_place(els, seg_no)
            self._close_claim()
            self.state = PLB
            self._plb(els, seg_no)
        elif sid == "N1":
            qual = els[1] if len(els) > 1 else ""
            if qual == "PR" and state == HEADER:
                self.payer = els
                self.state = PAYER
            elif qual == "PE" and state == PAYER:
                self.payee = els
                self.state = PAYEE
            else:
                raise self.error(
                    f"N1*{qual[:3]} not allowed in {_LOOP_NAMES[state]}", seg_no, "N1", "N101"
                )
        elif sid in ("N2", "N3", "N4"):
            if state not in (PAYER, PAYEE):
                raise self._wrong_place(els, seg_no)
        elif sid == "RDM":
            if state != PAYEE:
                raise self._wrong_place(els, seg_no)
        elif sid == "BPR":
            if state != START:
                raise self._wrong_place(els, seg_no)
            if len(els) < 5:
                raise self.error(
                    "BPR needs handling, amount, credit/debit and method", seg_no, "BPR"
                )
            self._amount(els, 2, seg_no)
            self.bpr = els + [""] * (22 - len(els))
            self.bpr_no = seg_no
            self.state = HEADER
        elif sid == "TRN":
            if state != HEADER or self.trn:
                raise self._wrong_place(els, seg_no)
            if len(els) < 4 or not els[2] or not els[3]:
                raise self.error("TRN needs a trace number and a payer id", seg_no, "TRN")
            self.trn = els + [""] * (5 - len(els))
        elif sid == "CUR":
            if state != HEADER:
                raise self._wrong_place(els, seg_no)
            self.warnings.append(f"segment {seg_no} CUR: foreign currency {els[2:3]}")
        else:  # pragma: no cover - every id in MAX_ELEMENTS is handled above
            raise self._wrong_place(els, seg_no)

    def _plb(self, els: list[str], seg_no: int) -> None:
        if len(els) < 5 or not els[1]:
            raise self.error(
                "PLB needs a provider, a date and at least one adjustment", seg_no, "PLB"
            )
        provider = els[1]
        period_end = self._date(els[2], seg_no, "PLB02")
        for index in range(3, len(els), 2):
            ident = els[index]
            amt_text = els[index + 1] if index + 1 < len(els) else ""
            if not ident and not amt_text:
                continue
            if not ident or not amt_text:
                raise self.error(
                    "adjustment needs a reason and an amount",
                    seg_no,
                    "PLB",
                    _el(els, index if not ident else index + 1),
                )
            parts = ident.split(self.component, 1)
            try:
                value = amount(amt_text)
            except ValueProblem as exc:
                raise self.error(str(exc), seg_no, "PLB", _el(els, index + 1)) from None
            self.plb.append(
                ProviderAdjustment(
                    seg_no,
                    provider,
                    period_end,
                    parts[0],
                    parts[1] if len(parts) > 1 else "",
                    value,
                )
            )

    # -- end of transaction ---------------------------------------------------------------

    def finish(self, se_no: int) -> Remittance:
        """Close open loops, check balancing and return the remittance.

        Raises:
            ParseError: BPR, TRN, N1*PR or N1*PE missing.
        """
        self._close_claim()
        if not self.bpr:
            raise self.error("the transaction has no BPR (payment) segment", se_no, "SE")
        if not self.trn:
            raise self.error("the transaction has no TRN (trace number) segment", se_no, "SE")
        if not self.payer:
            raise self.error("the transaction has no payer (N1*PR)", se_no, "SE")
        if not self.payee:
            raise self.error("the transaction has no payee (N1*PE)", se_no, "SE")
        bpr, trn = self.bpr, self.trn
        credit_debit = bpr[3]
        if credit_debit not in ("C", "D"):
            raise self.error(
                f"credit/debit flag {credit_debit[:3]!r} is not C or D", self.bpr_no, "BPR", "BPR03"
            )
        paid = amount(bpr[2])
        signed = -paid if credit_debit == "D" else paid
        errors = [e for claim in self.claims for e in claim.balance_errors]
        errors.extend(validate.transaction_errors(self.bpr_no, signed, self.claims, self.plb))
        pay_date = self._date(bpr[16], self.bpr_no, "BPR16")
        if not bpr[16]:
            self.warnings.append(f"segment {self.bpr_no} BPR16: payment date is missing")
        payer, payee = self.payer + [""] * 5, self.payee + [""] * 5
        return Remittance(
            file=self.file,
            segment_no=self.st_no,
            envelope=self.envelope,
            handling=bpr[1],
            amount=paid,
            credit_debit=credit_debit,
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
            claims=tuple(self.claims),
            plb=tuple(self.plb),
            balance_errors=tuple(errors),
            warnings=tuple(self.warnings),
        )


def _el(els: list[str], index: int) -> str:
    """Element name like ``CLP04``."""
    return f"{els[0]}{index:02d}"
