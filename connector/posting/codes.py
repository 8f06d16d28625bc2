"""X12 code words for review messages: CAS group codes, CARCs, RARCs and PLB reason codes.

Every lookup in the posting engine goes through :data:`lookup` (a :class:`CodeWords`). By
default it reads the ERA source's tables (``connector/sources/era/codes.py``) and falls back to
the small set here (the codes a dental practice meets most often, in our own words; see
/work/shared/reference/x12-835.md §4). Pointing the engine at other tables is one assignment:
``codes.lookup = <object with the same three methods>``. Unknown codes never fail: they read
"unknown CARC nnn", because X12 changes the lists three times a year.
"""

from __future__ import annotations

from typing import Protocol

from connector.sources.era import codes as era_codes

GROUPS = {
    "CO": "contractual obligation (write-off, never billed to the patient)",
    "PR": "patient responsibility",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal (old 4010 code)",
}

CARCS = {
    "1": "applied to the deductible",
    "2": "coinsurance (the patient's percentage)",
    "3": "copayment",
    "4": "procedure code conflicts with a modifier, or a modifier is missing",
    "5": "procedure inconsistent with the place of service",
    "6": "not covered at the patient's age",
    "16": "claim is missing information or has a billing error (see the remark code)",
    "18": "exact duplicate of a claim or service already processed",
    "22": "another payer may be primary (coordination of benefits)",
    "23": "effect of the prior payer's payment and adjustments",
    "24": "covered by a capitation agreement",
    "26": "service before coverage began",
    "27": "service after coverage ended",
    "29": "filing deadline passed",
    "31": "patient not identified as the payer's member",
    "32": "patient not an eligible dependent",
    "35": "lifetime benefit maximum reached",
    "45": "charge above the fee schedule or contracted fee",
    "49": "routine or preventive service not covered",
    "50": "not considered medically necessary",
    "59": "reduced under multiple-procedure rules",
    "96": "non-covered charge (see the remark code)",
    "97": "paid as part of another service already adjudicated (bundled)",
    "101": "predetermination: expected payment once the service is done",
    "109": "not covered by this payer; send to the correct payer",
    "119": "benefit maximum for the period reached (annual maximum or frequency limit)",
    "129": "earlier processing information appears incorrect",
    "131": "claim-specific negotiated discount",
    "151": "information does not support this many services or this frequency",
    "187": "paid from a consumer spending account (HSA/FSA)",
    "197": "precertification or authorization missing",
    "204": "not covered by the patient's current benefit plan",
    "242": "not provided by a network or primary-care provider",
    "252": "an attachment or other documentation is needed",
    "253": "sequestration (mandated federal reduction)",
    "A1": "claim or service denied (see the remark code)",
    "A2": "contractual adjustment",
    "A7": "presumptive payment adjustment",
    "B7": "provider not certified or eligible for this service on this date",
}

RARCS = {
    "M15": "separately billed services were bundled",
    "M86": "service denied because payment already made for the same or similar procedure",
    "MA01": "the claim may be appealed",
    "MA130": "claim has incomplete or invalid information; resubmit as a new claim",
    "N1": "see the payer's explanation of benefits",
    "N4": "missing or incomplete prior-insurance explanation of benefits",
    "N19": "procedure code incidental to the primary procedure",
    "N20": "service not payable with other service rendered on the same date",
    "N30": "patient ineligible for this service",
    "N115": "decision based on a local coverage determination",
    "N130": "consult plan benefit documents for coverage",
    "N362": "the number of days or units exceeds the acceptable maximum",
    "N381": "consult the contractual agreement for restrictions and billing",
    "N432": "adjusted based on the plan's frequency limit",
}

PLB_REASONS = {
    "WO": "overpayment recovery (money taken back for an earlier claim)",
    "FB": "forwarding balance (carried to or from another remittance)",
    "72": "authorized return (the payer acknowledges a refund you sent)",
    "L6": "interest owed (prompt-payment interest)",
    "CS": "general adjustment (for example a reissued check)",
    "J1": "nonreimbursable",
    "IR": "IRS withholding",
    "LE": "levy (garnishment)",
    "E3": "withholding (for example a capitation withhold)",
    "B2": "rebate",
    "90": "early payment allowance",
    "50": "late charge",
    "51": "interest penalty charge",
    "AH": "origination fee",
    "AM": "applied to borrower's account",
    "AP": "acceleration of benefits",
    "BD": "bad debt adjustment",
    "BN": "bonus",
    "C5": "temporary allowance",
    "CR": "capitation interest",
    "CT": "capitation payment",
    "CV": "capital passthru",
    "CW": "certified registered nurse anesthetist passthru",
    "DM": "direct medical education passthru",
    "GO": "graduate medical education passthru",
    "HM": "hemophilia clotting factor supplement",
    "IP": "incentive premium payment",
    "IS": "adjustment for shortened hospital stay",
    "L3": "penalty",
    "LS": "lump sum",
    "OA": "organ acquisition passthru",
    "OB": "offset for affiliated providers",
    "PI": "periodic interim payment",
    "PL": "payment final",
    "RA": "retro-activity adjustment",
    "RE": "return on equity",
    "SL": "student loan repayment",
    "TL": "third-party liability",
    "WU": "unspecified recovery",
}


class CodeWords(Protocol):
    """Plain words for X12 codes; unknown codes give ``None``."""

    def carc(self, code: str) -> str | None:
        """Words for a claim adjustment reason code."""

    def rarc(self, code: str) -> str | None:
        """Words for a remittance advice remark code."""

    def plb(self, code: str) -> str | None:
        """Words for a provider-level adjustment reason code."""


class InternalCodes:
    """The small built-in tables of this module."""

    def carc(self, code: str) -> str | None:
        """Words for a CARC from :data:`CARCS`."""
        return CARCS.get(code.strip().upper())

    def rarc(self, code: str) -> str | None:
        """Words for a RARC from :data:`RARCS`."""
        return RARCS.get(code.strip().upper())

    def plb(self, code: str) -> str | None:
        """Words for a PLB reason from :data:`PLB_REASONS`."""
        return PLB_REASONS.get(code.strip().upper())


class EraTables:
    """The ERA source's tables (``connector.sources.era.codes``), with this module's small
    tables as a fallback for codes they do not list."""

    def __init__(self, fallback: CodeWords | None = None) -> None:
        self._fallback = fallback or InternalCodes()

    def carc(self, code: str) -> str | None:
        """Words for a CARC."""
        return era_codes.CARC.get(code.strip().upper()) or self._fallback.carc(code)

    def rarc(self, code: str) -> str | None:
        """Words for a RARC (an ``HE:`` qualifier is ignored)."""
        bare = code.split(":", 1)[-1].strip().upper()
        return era_codes.RARC.get(bare) or self._fallback.rarc(bare)

    def plb(self, code: str) -> str | None:
        """Words for a PLB reason."""
        return era_codes.PLB_REASONS.get(code.strip().upper()) or self._fallback.plb(code)


lookup: CodeWords = EraTables()
"""The tables every message uses: the ERA source's, then the small ones here."""


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
    group_words = GROUPS.get(group.upper(), "unknown group")
    words = lookup.carc(reason)
    return f"{group}-{reason} ({group_words}): {words or f'unknown CARC {reason}'}"
