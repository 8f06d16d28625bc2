"""Builds one :class:`Remittance` from the segments between ST and SE (005010X221A1).

The loops are tracked with a small state machine; a segment in a place the 835 does not
allow it (an SVC before any CLP, a second BPR …) is a :class:`ParseError`. The claim loops
(2100/2110), nearly every segment of a remittance, are read by the claim loop
(:mod:`connector.sources.era.claimloop`); this module handles the header,
payer, payee, LX and PLB parts, and the segments the claim loop leaves to it. Balancing runs
when each claim and the transaction close, and its failures become :class:`BalanceError`
verdicts.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from connector.errors import ParseError
from connector.sources.era import validate
from connector.sources.era.claimloop import (
    CLAIM,
    HEADER,
    LINE,
    LX,
    PAYEE,
    PAYER,
    PLB,
    START,
    ClaimLoop,
)
from connector.sources.era.model import (
    BalanceError,
    ClaimPayment,
    Contact,
    Envelope,
    Party,
    ProviderAdjustment,
    Reference,
    Remittance,
)
from connector.sources.era.segments import SegmentReader, element_name
from connector.sources.era.values import amount, date

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
        self.warnings: list[str] = []
        self.reader = SegmentReader(file, component, self.warnings)
        self.loop = ClaimLoop(self.reader)
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
        self.plb: list[ProviderAdjustment] = []

    @property
    def claims(self) -> list[ClaimPayment]:
        """Claims closed and not yet taken."""
        return self.loop.claims

    @property
    def claim_count(self) -> int:
        """Claims closed so far (taken or not)."""
        return self.loop.claim_count

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        """A ParseError at a segment of this transaction."""
        return self.reader.error(message, seg_no, sid, element)

    def _wrong_place(self, els: list[str], seg_no: int, state: int) -> ParseError:
        return self.error(f"segment not allowed in {_LOOP_NAMES[state]}", seg_no, els[0][:3])

    def segment(self, els: list[str], seg_no: int) -> None:
        """Take a segment between ST and SE that :attr:`loop` did not take
        (:meth:`ClaimLoop.take` is asked first: it takes nearly every segment).

        Raises:
            ParseError: unknown segment, segment in the wrong loop, bad element value.
        """
        self._segment(els, seg_no, els[0], self.loop.state)

    def _header_ref(self, ref: Reference, els: list[str], seg_no: int, state: int) -> None:
        if state == HEADER:
            self.refs.append(ref)
        elif state == PAYER:
            self.payer_refs.append(ref)
        elif state == PAYEE:
            self.payee_refs.append(ref)
        else:
            raise self._wrong_place(els, seg_no, state)

    def _segment(self, els: list[str], seg_no: int, sid: str, state: int) -> None:
        """A segment the claim loop did not take: header, payer, payee, LX, PLB, or misplaced."""
        limit = MAX_ELEMENTS.get(sid)
        if limit is None:
            raise self.error("not a segment of an 835 transaction", seg_no, sid[:3])
        if len(els) - 1 > limit:
            raise self.error(f"too many elements ({len(els) - 1}, at most {limit})", seg_no, sid)
        loop = self.loop
        if sid == "DTM" and state == HEADER:
            self.dates.append(self.reader.dtm(els, seg_no))
        elif sid == "REF":
            self._header_ref(self.reader.ref(els, seg_no), els, seg_no, state)
        elif sid == "LX":
            if state not in (PAYEE, LX, CLAIM, LINE):
                raise self._wrong_place(els, seg_no, state)
            loop.close_claim()
            loop.state = LX
        elif sid in ("TS3", "TS2"):
            if state != LX:
                raise self._wrong_place(els, seg_no, state)
        elif sid == "PER":
            if state == PAYER:
                e = els + [""] * (10 - len(els))
                numbers = tuple((e[i], e[i + 1]) for i in (3, 5, 7) if e[i] or e[i + 1])
                self.payer_contacts.append(Contact(e[1], e[2], numbers))
            else:  # a claim's PER is taken by the claim loop
                raise self._wrong_place(els, seg_no, state)
        elif sid == "PLB":
            if state not in (PAYEE, LX, CLAIM, LINE, PLB):
                raise self._wrong_place(els, seg_no, state)
            loop.close_claim()
            loop.state = PLB
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
            self.reader.amount(els, 2, seg_no)
            if els[3] not in ("C", "D"):
                raise self.error(f"credit/debit flag {els[3][:3]!r} is not C or D",
                                 seg_no, "BPR", "BPR03")  # fmt: skip
            self.bpr = els + [""] * (22 - len(els))
            self.bpr_no = seg_no
            self.loop.state = HEADER
        elif sid == "TRN":
            if state != HEADER or self.trn:
                raise self._wrong_place(els, seg_no, state)
            if len(els) < 4 or not els[2] or not els[3]:
                raise self.error("TRN needs a trace number and a payer id", seg_no, "TRN")
            for index in (2, 3):
                self.reader.not_too_long(els[index], seg_no, "TRN", f"TRN0{index}")
            self.trn = els + [""] * (5 - len(els))
        elif sid == "CUR":
            if state != HEADER:
                raise self._wrong_place(els, seg_no, state)
            self.warnings.append(f"segment {seg_no} CUR: foreign currency {els[2:3]}")
        else:  # SE, and claim-loop segments the claim loop did not take here
            raise self._wrong_place(els, seg_no, state)

    def _n1(self, els: list[str], seg_no: int, state: int) -> None:
        qual = els[1] if len(els) > 1 else ""
        if qual == "PR" and state == HEADER:
            if not self.trn:
                raise self.error("N1*PR before the TRN (trace number)", seg_no, "N1", "N101")
            self.payer = els
            self.loop.state = PAYER
        elif qual == "PE" and state == PAYER:
            self.payee = els
            self.loop.state = PAYEE
        else:
            raise self.error(
                f"N1*{qual[:3]} not allowed in {_LOOP_NAMES[state]}", seg_no, "N1", "N101"
            )

    def _plb(self, els: list[str], seg_no: int) -> None:
        if len(els) < 5 or not els[1]:
            raise self.error("PLB needs a provider, a date and at least one adjustment",
                             seg_no, "PLB")  # fmt: skip
        provider = els[1]
        period_end = self.reader.date(els[2], seg_no, "PLB02")
        for index in range(3, len(els), 2):
            ident = els[index]
            amt_text = els[index + 1] if index + 1 < len(els) else ""
            if not ident and not amt_text:
                continue
            if not ident or not amt_text:
                raise self.error("adjustment needs a reason and an amount", seg_no, "PLB",
                                 element_name(els, index if not ident else index + 1))  # fmt: skip
            parts = ident.split(self.component, 1)
            value = self.reader.amount(els, index + 1, seg_no)
            reference = parts[1] if len(parts) > 1 else ""
            self.plb.append(
                ProviderAdjustment(seg_no, provider, period_end, parts[0], reference, value)
            )

    # -- end of transaction ---------------------------------------------------------------

    def take_claims(self) -> list[ClaimPayment]:
        """The claims closed since the last call; they will not be in :meth:`finish`'s result."""
        taken = self.loop.claims
        self.loop.claims = []
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
        loop = self.loop
        loop.close_claim()
        for what, present in (("a BPR (payment) segment", self.bpr),
                              ("a TRN (trace number) segment", self.trn),
                              ("a payer (N1*PR)", self.payer),
                              ("a payee (N1*PE)", self.payee)):  # fmt: skip
            if not present:
                raise self.error(f"the transaction has no {what}", se_no, "SE")
        bpr = self.bpr
        paid = amount(bpr[2])
        signed = -paid if bpr[3] == "D" else paid
        errors = list(loop.claim_errors)
        errors.extend(validate.transaction_error(self.bpr_no, signed, loop.paid_total, self.plb))
        pay_date = self.reader.date(bpr[16], self.bpr_no, "BPR16")
        if not bpr[16]:
            self.warnings.append(f"segment {self.bpr_no} BPR16: payment date is missing")
        claims = tuple(loop.claims) if self.keep_claims else ()
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
