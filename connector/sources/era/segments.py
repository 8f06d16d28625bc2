"""Reads one claim-loop segment (CLP, CAS, SVC, DTM, REF, AMT, NM1, LQ, QTY, MOA/MIA) into values.

Every reader validates the whole segment before anything is kept, and raises a
:class:`ParseError` naming the file, segment number, segment id and element. The claim loop
(:mod:`connector.sources.era.claimloop`) calls these for every segment.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from decimal import Decimal
from typing import Final

from connector.errors import ParseError
from connector.sources.era.model import (
    ZERO,
    Adjustment,
    MonetaryAmount,
    Person,
    Quantity,
    Reference,
)
from connector.sources.era.values import ValueProblem, amount, date, quantity

MAX_ID: Final = 80  # generous: payers overrun X12's lengths; megabytes are corruption
# Maximum number of elements of the rarer claim-loop segments (005010X221A1).
CLAIM_LIMITS: Final = {"LQ": 2, "QTY": 4, "MOA": 9, "MIA": 24, "PER": 9}
# SVC01/SVC06 product/service id qualifiers (5010), used to accept a composite written with
# a component separator other than ISA16 (see SegmentReader.composite).
SVC_QUALIFIERS: Final = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})
_NOT_SEPARATORS: Final = frozenset(" -.")
# Codes and qualifiers repeat on every claim; one shared string each saves ~50 bytes a time.
_intern: Final = sys.intern

# What SegmentReader.clp and .svc return (plain tuples, taken apart by the claim loop).
# CLP: (CLP01, CLP02, CLP03, CLP04, CLP05 or None, CLP06, CLP07, CLP08, CLP09)
ClpValues = tuple[str, str, Decimal, Decimal, Decimal | None, str, str, str, str]
# SVC: (qualifier, code, modifiers, SVC02, SVC03, SVC04, SVC05, SVC06 qualifier, SVC06 code,
#       SVC06 modifiers, SVC07)
SvcValues = tuple[
    str, str, tuple[str, ...], Decimal, Decimal, str, Decimal | None, str | None, str | None,
    tuple[str, ...], Decimal | None,
]  # fmt: skip


def element_name(els: list[str], index: int) -> str:
    """Element name like ``CLP04``."""
    return f"{els[0]}{index:02d}"


class SegmentReader:
    """Turns the claim-loop segments of one transaction set into model values.

    Args:
        file: the file name, for errors.
        component: the component separator declared in ISA16.
        warnings: the transaction's warning list (appended to, in file order).
    """

    def __init__(self, file: str, component: str, warnings: list[str]) -> None:
        self.file = file
        self.component = component
        self.warnings = warnings
        self.alt_separators: set[str] = set()

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        """A ParseError at a segment of this transaction."""
        return ParseError(
            message, file=self.file, segment_no=seg_no, segment_id=sid, element=element
        )

    def not_too_long(self, value: str, seg_no: int, sid: str, element: str) -> None:
        """Identifiers that become item keys and PMS markers: X12 allows 38 (CLP01) to 50
        (CLP07, TRN02) characters; anything past :data:`MAX_ID` is corruption, not data."""
        if len(value) > MAX_ID:
            raise self.error(f"longer than {MAX_ID} characters ({len(value)})", seg_no, sid,
                             element)  # fmt: skip

    def amount(self, els: list[str], index: int, seg_no: int) -> Decimal:
        """A required amount element."""
        try:
            return amount(els[index])
        except (IndexError, ValueProblem) as exc:
            missing = len(els) <= index or not els[index]
            message = "required amount is missing" if missing else str(exc)
            raise self.error(message, seg_no, els[0], element_name(els, index)) from None

    def quantity(self, els: list[str], index: int, seg_no: int) -> Decimal | None:
        """An optional quantity element."""
        text = els[index] if len(els) > index else ""
        if not text:
            return None
        try:
            return quantity(text)
        except ValueProblem as exc:
            raise self.error(str(exc), seg_no, els[0], element_name(els, index)) from None

    def date(self, text: str, seg_no: int, element: str) -> dt.date | None:
        """A date element; a value that is not a date is None and a warning."""
        if not text:
            return None
        found = date(text)
        if found is None:
            self.warnings.append(f"segment {seg_no} {element}: {text[:12]!r} is not a date")
        return found

    def check_limit(self, els: list[str], seg_no: int, sid: str, limit: int) -> None:
        """Refuse a segment with more elements than the 835 defines for it."""
        if len(els) - 1 > limit:
            raise self.error(f"too many elements ({len(els) - 1}, at most {limit})", seg_no, sid)

    def composite(self, value: str, seg_no: int, element: str) -> list[str]:
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

    def procedure(self, text: str, seg_no: int) -> tuple[str, str, tuple[str, ...]]:
        """SVC01 as (qualifier, code, modifiers); cached, since codes repeat on every line."""
        comp = self.component
        if comp not in text:
            return split_procedure(self.composite(text, seg_no, "SVC01"))
        return procedure_code(text, comp)

    # -- one reader per segment ----------------------------------------------------------------

    def clp(self, els: list[str], seg_no: int) -> ClpValues:
        """A CLP segment (claim payment information)."""
        if len(els) > 15:
            raise self.error("too many elements", seg_no, "CLP")
        clp = els + [""] * (15 - len(els)) if len(els) < 15 else els
        pcn, status = clp[1], clp[2]
        if not pcn:
            raise self.error("patient control number is missing", seg_no, "CLP", "CLP01")
        if not status:
            raise self.error("claim status code is missing", seg_no, "CLP", "CLP02")
        self.not_too_long(pcn, seg_no, "CLP", "CLP01")
        self.not_too_long(clp[7], seg_no, "CLP", "CLP07")
        charge = self.amount(clp, 3, seg_no)
        paid = self.amount(clp, 4, seg_no)
        patient = self.amount(clp, 5, seg_no) if clp[5] else None
        return (pcn, _intern(status), charge, paid, patient, _intern(clp[6]), clp[7],
                _intern(clp[8]), _intern(clp[9]))  # fmt: skip

    def svc(self, els: list[str], seg_no: int) -> SvcValues:
        """An SVC segment (service payment information); warns on an empty procedure code."""
        if len(els) < 4 or not els[1] or len(els) > 8:
            raise self.error("SVC needs a procedure, a charge and a payment (at most 7"
                             " elements)", seg_no, "SVC")  # fmt: skip
        svc = els + [""] * (8 - len(els)) if len(els) < 8 else els
        qualifier, code, modifiers = self.procedure(svc[1], seg_no)
        if not code:
            self.warnings.append(f"segment {seg_no} SVC01: no procedure code")
        charge = self.amount(svc, 2, seg_no)
        paid = self.amount(svc, 3, seg_no)
        units = self.quantity(svc, 5, seg_no) if svc[5] else None
        original = self.composite(svc[6], seg_no, "SVC06") if svc[6] else None
        original_units = self.quantity(svc, 7, seg_no) if svc[7] else None
        return (
            qualifier, code, modifiers, charge, paid, svc[4], units,
            original[0] if original else None,
            original[1] if original and len(original) > 1 else None,
            tuple([m for m in original[2:6] if m]) if original else (),
            original_units,
        )  # fmt: skip

    def cas(self, els: list[str], seg_no: int) -> tuple[tuple[Adjustment, ...], Decimal, Decimal]:
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
                                     element_name(els, index))  # fmt: skip
                continue
            if not amt_text:
                raise self.error("reason code without an amount", seg_no, "CAS",
                                 element_name(els, index + 1))  # fmt: skip
            value = self.amount(els, index + 1, seg_no)
            qty = self.quantity(els, index + 2, seg_no) if qty_text else None
            result.append(Adjustment(_intern(group), _intern(reason), value, qty))
            total += value
        if not result:
            raise self.error("adjustment without any reason code", seg_no, "CAS", "CAS02")
        return tuple(result), total, (total if group == "PR" else ZERO)

    def dtm(self, els: list[str], seg_no: int) -> tuple[str, dt.date | None]:
        """A DTM segment: (qualifier, date or None with a warning)."""
        if len(els) < 3 or len(els) > 7:
            raise self.error("DTM needs a qualifier and a date (at most 6 elements)", seg_no,
                             "DTM")  # fmt: skip
        return _intern(els[1]), self.date(els[2], seg_no, "DTM02")

    def ref(self, els: list[str], seg_no: int) -> Reference:
        """A REF segment."""
        if len(els) > 5:
            raise self.error("too many elements", seg_no, "REF")
        return Reference(_intern(els[1]) if len(els) > 1 else "", els[2] if len(els) > 2 else "")

    def amt(self, els: list[str], seg_no: int) -> MonetaryAmount:
        """An AMT segment."""
        if len(els) < 3 or len(els) > 4:
            raise self.error("AMT needs a qualifier and an amount (at most 3 elements)", seg_no,
                             "AMT")  # fmt: skip
        return MonetaryAmount(_intern(els[1]), self.amount(els, 2, seg_no))

    def nm1(self, els: list[str], seg_no: int) -> Person:
        """An NM1 segment of a claim (patient, insured, corrected patient, provider …)."""
        if len(els) > 13:
            raise self.error("too many elements", seg_no, "NM1")
        e = els + [""] * (13 - len(els))
        return Person(_intern(e[1]), _intern(e[2]), e[3], e[4], e[5], _intern(e[8]), e[9])

    def lq(self, els: list[str], seg_no: int) -> str:
        """An LQ segment: the remark code (``HE`` RARC as is, others as ``qualifier:code``)."""
        self.check_limit(els, seg_no, "LQ", CLAIM_LIMITS["LQ"])
        qual = els[1] if len(els) > 1 else ""
        code = els[2] if len(els) > 2 else ""
        return code if qual == "HE" else f"{qual}:{code}"

    def qty(self, els: list[str], seg_no: int) -> Quantity:
        """A QTY segment."""
        self.check_limit(els, seg_no, "QTY", CLAIM_LIMITS["QTY"])
        value = self.quantity(els, 2, seg_no)
        if value is None:
            raise self.error("quantity is missing", seg_no, "QTY", "QTY02")
        return Quantity(els[1] if len(els) > 1 else "", value)

    def remark_codes(self, els: list[str], seg_no: int, sid: str) -> list[str]:
        """The remark codes of a MOA (MOA03-07) or MIA (MIA05, MIA20-23) segment."""
        self.check_limit(els, seg_no, sid, CLAIM_LIMITS[sid])
        slots = (3, 4, 5, 6, 7) if sid == "MOA" else (5, 20, 21, 22, 23)
        return [els[i] for i in slots if i < len(els) and els[i]]


def split_procedure(proc: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """Qualifier, code and non-empty modifiers of a split SVC01/SVC06 composite."""
    n_proc = len(proc)
    return (
        _intern(proc[0]),
        _intern(proc[1]) if n_proc > 1 else "",
        tuple([m for m in proc[2:6] if m]) if n_proc > 2 else (),
    )


@functools.lru_cache(maxsize=4096)
def procedure_code(text: str, component: str) -> tuple[str, str, tuple[str, ...]]:
    """SVC01 text with its component separator as (qualifier, code, modifiers)."""
    return split_procedure(text.split(component))
