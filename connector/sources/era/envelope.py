"""Envelope rules of an X12 file: ISA/GS/ST headers and their IEA/GE/SE trailers.

Each failure is a :class:`ParseError`, because a file whose control numbers or counts
disagree was cut off or corrupted: ISA13 = IEA02, GS06 = GE02, ST02 = SE02, SE01 = segments
in ST…SE, GE01 = number of STs, IEA01 = number of GSs, ST01 = 835, ISA15 is P or T.

A wrong count (SE01, GE01, IEA01) does not stop the reading at once: the counts of the whole
interchange are checked and every wrong one is reported together, at its IEA (or with the
error that ends the file first), so one look at the quarantine reason shows them all.
"""

from __future__ import annotations

from typing import Final

from connector.errors import ParseError
from connector.sources.era.model import Envelope, Remittance
from connector.sources.era.transaction import TransactionBuilder
from connector.sources.era.validate import check_control

_VERSIONS_5010: Final = ("005010X221A1", "005010X221")


def pad(els: list[str], size: int) -> list[str]:
    """``els`` with empty elements appended up to ``size``."""
    return els + [""] * (size - len(els)) if len(els) < size else els


class EnvelopeState:
    """Where we are in ISA/GS/ST and what each trailer must repeat."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.gs_count = 0
        self.st_count = 0
        self.count_errors: list[ParseError] = []  # of this interchange, reported at its IEA

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        """A ParseError at a segment of this file."""
        return ParseError(
            message, file=self.name, segment_no=seg_no, segment_id=sid, element=element
        )

    def open_transaction(
        self,
        st: list[str],
        seg_no: int,
        component: str,
        file_sha256: str | None,
        *,
        keep_claims: bool,
    ) -> TransactionBuilder:
        """Check an ST (padded to 4 elements) and start its transaction set."""
        if self.gs is None:
            raise self.error("ST outside a functional group (no GS before it)", seg_no, "ST")
        if st[1] != "835":
            raise self.error(f"transaction set {st[1][:6]!r} is not an 835", seg_no, "ST", "ST01")
        if not st[2]:
            raise self.error("transaction set control number is missing", seg_no, "ST", "ST02")
        self.st_count += 1
        isa, gs = self.isa, self.gs
        assert isa is not None
        envelope = Envelope(
            interchange_control=isa[13],
            sender_id=isa[6].strip(),
            receiver_id=isa[8].strip(),
            usage=isa[15],
            group_control=gs[6],
            version=gs[8],
            transaction_control=st[2],
        )
        builder = TransactionBuilder(self.name, envelope, seg_no, component, file_sha256,
                                     keep_claims=keep_claims)  # fmt: skip
        if gs[8] and gs[8] not in _VERSIONS_5010:
            builder.warnings.append(
                f"segment {seg_no}: version {gs[8][:16]!r} is not 005010X221A1; read as 5010"
            )
        return builder

    def close_transaction(
        self, txn: TransactionBuilder, st: list[str], st_no: int, se: list[str], se_no: int
    ) -> Remittance:
        """Check the SE against its ST and finish the transaction set."""
        se = pad(se, 3)
        count = str(se_no - st_no + 1)
        if not (se[1].isascii() and se[1].isdigit()):
            raise self.error(f"segment count {se[1][:10]!r} is not a number", se_no, "SE", "SE01")
        self._count(se[1], count, "SE01 segment count is wrong", se_no, "SE", "SE01")
        check_control(
            se[2],
            st[2],
            what="SE02 must repeat the ST02 control number",
            file=self.name,
            segment_no=se_no,
            segment_id="SE",
            element="SE02",
        )
        return txn.finish(se_no)

    def _count(
        self, found: str, expected: str, what: str, seg_no: int, sid: str, element: str
    ) -> None:
        """Check a trailer's count; a wrong one is kept for :meth:`raise_count_errors`."""
        try:
            check_control(found, expected, what=what, file=self.name, segment_no=seg_no,
                          segment_id=sid, element=element)  # fmt: skip
        except ParseError as exc:
            self.count_errors.append(exc)

    def raise_count_errors(self, cause: ParseError | None = None) -> None:
        """Raise one error naming every wrong count so far (and ``cause``, if given).

        Does nothing without wrong counts and ``cause``; raises ``cause`` alone without wrong
        counts. The first problem gives the location; ``problems`` lists them all.
        """
        found = [*self.count_errors, *([cause] if cause is not None else [])]
        self.count_errors = []
        if not found:
            return
        if len(found) == 1:
            raise found[0]
        first = found[0]
        problems = [problem for exc in found for problem in exc.problems]
        raise ParseError(
            f"{len(problems)} problems in the envelope: " + "; ".join(problems),
            file=first.file, segment_no=first.segment_no, segment_id=first.segment_id,
            element=first.element, problems=problems,
        ) from cause  # fmt: skip

    def segment(self, els: list[str], seg_no: int) -> None:
        """An ISA, GS, GE, IEA or TA1 segment (anything else outside an ST is an error)."""
        sid = els[0]
        if sid == "ISA":
            if self.isa is not None:
                raise self.error(
                    "ISA inside an interchange (the previous IEA is missing)", seg_no, "ISA"
                )
            if len(els) != 17:
                raise self.error(f"ISA must have 16 elements, not {len(els) - 1}", seg_no, "ISA")
            if els[15] not in ("P", "T"):
                raise self.error(
                    f"usage indicator {els[15][:3]!r} is not P or T", seg_no, "ISA", "ISA15"
                )
            self.isa = els
            self.gs_count = 0
        elif sid == "GS":
            if self.isa is None or self.gs is not None:
                raise self.error("GS outside an interchange or inside another group", seg_no, "GS")
            gs = pad(els, 9)
            self.gs = gs
            if not gs[6]:
                raise self.error("group control number is missing", seg_no, "GS", "GS06")
            self.gs_count += 1
            self.st_count = 0
        elif sid == "GE":
            if self.gs is None:
                raise self.error("GE without GS", seg_no, "GE")
            self._trailer(pad(els, 3), self.gs[6], self.st_count, seg_no, "GE", "GS06")
            self.gs = None
        elif sid == "IEA":
            if self.isa is None or self.gs is not None:
                raise self.error("IEA without ISA, or before the GE of its group", seg_no, "IEA")
            self._trailer(pad(els, 3), self.isa[13], self.gs_count, seg_no, "IEA", "ISA13")
            self.isa = None
            self.raise_count_errors()
        elif sid == "TA1":
            if self.isa is None or self.gs is not None:
                raise self.error("TA1 outside an interchange header", seg_no, "TA1")
        else:
            where = "outside a transaction set (no ST before it)"
            raise self.error(f"segment {where}", seg_no, sid[:3])

    def _trailer(
        self, els: list[str], control: str, count: int, seg_no: int, sid: str, header: str
    ) -> None:
        """GE/IEA: element 1 counts, element 2 repeats the header's control number."""
        what = "transaction sets" if sid == "GE" else "functional groups"
        self._count(els[1], str(count), f"{sid}01 count of {what} is wrong", seg_no, sid,
                    f"{sid}01")  # fmt: skip
        check_control(
            els[2],
            control,
            what=f"{sid}02 must repeat the {header} control number",
            file=self.name,
            segment_no=seg_no,
            segment_id=sid,
            element=f"{sid}02",
        )
