"""X12 code words for review messages: CAS group codes, CARCs, RARCs and PLB reason codes.

Every lookup in the posting engine goes through :data:`lookup` (a :class:`CodeWords`). By
default it reads the connector's one set of X12 code tables, :mod:`connector.x12codes` (shared
with the ERA parser's report). Pointing the engine at other tables is one assignment:
``codes.lookup = <object with the same three methods>``. Unknown codes never fail: they read
"unknown CARC nnn", because X12 changes the lists three times a year.
"""

from __future__ import annotations

from typing import Protocol

from connector import x12codes


class CodeWords(Protocol):
    """Plain words for X12 codes; unknown codes give ``None``."""

    def carc(self, code: str) -> str | None:
        """Words for a claim adjustment reason code."""

    def rarc(self, code: str) -> str | None:
        """Words for a remittance advice remark code."""

    def plb(self, code: str) -> str | None:
        """Words for a provider-level adjustment reason code."""


class X12Tables:
    """The tables of :mod:`connector.x12codes`."""

    def carc(self, code: str) -> str | None:
        """Words for a CARC."""
        return x12codes.CARC.get(code.strip().upper())

    def rarc(self, code: str) -> str | None:
        """Words for a RARC (an ``HE:`` qualifier is ignored)."""
        return x12codes.RARC.get(code.split(":", 1)[-1].strip().upper())

    def plb(self, code: str) -> str | None:
        """Words for a PLB reason."""
        return x12codes.PLB_REASONS.get(code.strip().upper())


lookup: CodeWords = X12Tables()
"""The tables every message uses."""


def carc_words(code: str) -> str:
    """``"45: charge above the fee schedule …"``, or ``"unknown CARC 999"``."""
    words = lookup.carc(code)
    return f"{code}: {words}" if words else f"unknown CARC {code}"


def rarc_words(code: str) -> str:
    """``"N130: consult plan benefit documents …"``, or ``"unknown remark N999"``."""
    words = lookup.rarc(code)
    return f"{code}: {words}" if words else f"unknown remark {code}"


def plb_words(code: str) -> str:
    """``"WO: overpayment recovery …"``, or ``"unknown PLB reason XX"``."""
    words = lookup.plb(code)
    return f"{code}: {words}" if words else f"unknown PLB reason {code}"


def adjustment_words(group: str, reason: str) -> str:
    """``"CO-45 (contractual obligation …): charge above the fee schedule …"``."""
    group_words = x12codes.group_name(group)
    words = lookup.carc(reason)
    return f"{group}-{reason} ({group_words}): {words or f'unknown CARC {reason}'}"
