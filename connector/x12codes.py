"""The X12 835 code tables: plain-words meanings support staff and review reasons need.

The one table module of the connector (and the CLP02 status constants, the procedure-code
normaliser the ERA records and rules share): the ERA parser's ``era inspect`` report
(:mod:`connector.sources.era.report`) and the posting rules' review messages
(:mod:`connector.posting.codes`) both read these tables.

Descriptions are our own wording, written for dental office staff (the codes a dental practice
meets most often; see /work/shared/reference/x12-835.md §4); the authoritative lists are the
X12 TR3 (005010X221A1) and the CARC/RARC lists X12 maintains (updated three times a year), so
a description here is not the official text: check the X12 lists when a meaning matters.
Unknown codes never raise: they render as ``unknown CARC 999`` so a new code from a payer never
stops a file.
"""

from __future__ import annotations

import re

# CLP02 claim status codes (005010X221A1).
PRIMARY, SECONDARY, TERTIARY, DENIED = "1", "2", "3", "4"
PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED = "19", "20", "21"
REVERSAL, NOT_OUR_CLAIM, PREDETERMINATION = "22", "23", "25"
PROCESSED = frozenset(
    {PRIMARY, SECONDARY, TERTIARY, PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED}
)
FORWARDED = frozenset({PRIMARY_FORWARDED, SECONDARY_FORWARDED, TERTIARY_FORWARDED})

_QUALIFIER = re.compile(r"^(?:AD|HC)\s*[:>|^]\s*", re.IGNORECASE)


def normalize_code(code: str | None) -> str:
    """A procedure code without its ``AD:``/``HC:`` qualifier, upper case: ``ad:d1110`` → D1110."""
    return _QUALIFIER.sub("", (code or "").strip()).upper()


GROUPS = {
    "CO": "contractual obligation (write-off; never bill the patient)",
    "PR": "patient responsibility (move to the patient's balance)",
    "OA": "other adjustment (review; on a secondary claim usually the prior payer's part)",
    "PI": "payer-initiated reduction (not the patient's; review, may be appealed)",
    "CR": "correction/reversal (4010 only, not valid in 5010)",
}

CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination (estimate only, no payment)",
}

HANDLING = {
    "C": "payment with remittance advice",
    "D": "payment only (make payment)",
    "H": "notification only (no money moves)",
    "I": "remittance information only; the money is sent separately",
    "P": "prenotification of a future transfer",
    "U": "split payment and remittance",
    "X": "handling party's option to split payment and remittance",
}

PAYMENT_METHODS = {
    "ACH": "electronic funds transfer (ACH)",
    "BOP": "financial institution option",
    "CHK": "paper check",
    "FWT": "federal reserve wire transfer",
    "NON": "no payment",
}

FILING_INDICATORS = {
    "12": "PPO", "13": "point of service", "14": "EPO", "15": "indemnity",
    "16": "HMO Medicare risk", "17": "dental maintenance organization (DHMO)", "AM": "auto",
    "CH": "TRICARE", "DS": "disability", "HM": "HMO", "LM": "liability medical",
    "MA": "Medicare part A", "MB": "Medicare part B", "MC": "Medicaid", "OF": "other federal",
    "TV": "Title V", "VA": "veterans affairs", "WC": "workers' compensation",
    "ZZ": "mutually defined",
}  # fmt: skip

PLB_REASONS = {
    "50": "late charge", "51": "interest penalty charge", "72": "authorized return (refund"
    " the practice sent)", "90": "early payment allowance", "AH": "origination fee",
    "AM": "applied to borrower's account", "AP": "acceleration of benefits", "B2": "rebate",
    "B3": "recovery allowance", "BD": "bad debt adjustment", "BN": "bonus",
    "C5": "temporary allowance", "CR": "capitation interest", "CS": "adjustment (general)",
    "CT": "capitation payment", "CV": "capital passthru", "CW": "certified registered nurse"
    " anesthetist passthru", "DM": "direct medical education passthru",
    "E3": "withholding", "FB": "forwarding balance (carried to or from another remittance)",
    "FC": "fund allocation", "GO": "graduate medical education passthru",
    "HM": "hemophilia clotting factor supplement", "IP": "incentive premium payment",
    "IR": "IRS withholding", "IS": "interim settlement", "J1": "nonreimbursable",
    "L3": "penalty", "L6": "interest owed (paid to the practice)", "LE": "levy",
    "LS": "lump sum", "OA": "organ acquisition passthru", "OB": "offset for affiliated"
    " providers", "PI": "periodic interim payment", "PL": "payment final",
    "RA": "retro-activity adjustment", "RE": "return on equity", "SL": "student loan repayment",
    "TL": "third party liability", "WO": "overpayment recovery (money taken back)",
    "WU": "unspecified recovery",
}  # fmt: skip

CARC = {
    "1": "deductible",
    "2": "coinsurance (the patient's percentage share)",
    "3": "copayment",
    "4": "procedure code conflicts with a modifier, or a required modifier is missing",
    "5": "procedure code not consistent with the place of service",
    "6": "procedure not covered at the patient's age",
    "16": "claim lacks information or has a billing error; see the remark code",
    "18": "duplicate of a claim or service already processed",
    "22": "another payer may be primary (coordination of benefits)",
    "23": "effect of the prior payer's payment and adjustments",
    "24": "covered by a capitation agreement",
    "26": "service before coverage began",
    "27": "service after coverage ended",
    "29": "the filing deadline has passed",
    "31": "patient not identified as a member of this plan",
    "32": "dependent not eligible under this plan",
    "35": "lifetime benefit maximum reached",
    "39": "authorization was denied for this service",
    "40": "service not needed as an emergency/urgent",
    "42": "charge above the fee schedule or maximum allowed (older code; see 45)",
    "45": "charge above the fee schedule, maximum allowed or contracted fee",
    "49": "routine or preventive service not covered",
    "50": "not considered medically necessary",
    "51": "pre-existing condition not covered",
    "59": "reduced under multiple or same-day procedure rules",
    "85": "patient interest adjustment",
    "89": "professional fees removed from charges",
    "94": "processed in excess of charges",
    "96": "non-covered charge; see the remark code",
    "97": "included in the payment for another service already adjudicated (bundled)",
    "101": "predetermination: expected payment once the service is done",
    "107": "the related or qualifying claim or service was not identified on this claim",
    "109": "not covered by this payer; send to the correct payer",
    "119": "benefit maximum for the period or occurrence reached (annual maximum or frequency)",
    "129": "earlier processing information appears incorrect",
    "131": "claim-specific negotiated discount",
    "133": "claim is pending further review",
    "146": "diagnosis not valid for the date of service",
    "149": "lifetime benefit maximum for this service reached",
    "151": "the information sent does not support this many services or this frequency",
    "167": "diagnosis not covered",
    "170": "payment denied when performed by this type of provider",
    "171": "payment denied when performed by this type of provider in this type of facility",
    "181": "procedure code was invalid on the date of service",
    "182": "procedure modifier was invalid on the date of service",
    "185": "the rendering provider is not eligible for this service",
    "187": "paid from a consumer spending account (HSA/FSA)",
    "197": "precertification, authorization or notification missing",
    "198": "precertification or authorization exceeded",
    "199": "revenue code and procedure code do not match",
    "204": "service not covered by the patient's current benefit plan",
    "206": "national provider identifier missing",
    "222": "exceeds the contracted maximum number of hours, days or units",
    "226": "information requested from the provider was not sent or was incomplete",
    "227": "information requested from the patient was not sent or was incomplete",
    "234": "this procedure is not paid separately",
    "242": "service not provided by a network or primary care provider",
    "252": "an attachment or other documentation is needed",
    "253": "sequestration: mandated reduction of federal payments",
    "256": "service not payable under the patient's managed care contract",
    "273": "coverage or program guidelines were exceeded",
    "A1": "claim or service denied; see the remark code",
    "A2": "contractual adjustment",
    "A7": "presumptive payment adjustment",
    "B1": "non-covered visits",
    "B7": "provider not certified or eligible to be paid for this service on this date",
    "B13": "previously paid; payment for this service was in an earlier claim",
    "B15": "this service requires another qualifying service that was not paid",
    "B16": "new patient qualifications were not met",
}

RARC = {
    "M15": "separately billed services were bundled into one allowance",
    "M80": "not covered when performed in the same session as another service",
    "M86": "denied: payment already made for the same or a similar procedure in a set period",
    "MA01": "you may appeal this decision; follow the payer's appeal instructions",
    "MA18": "claim information was forwarded to the patient's supplemental insurer",
    "MA130": "the claim has incomplete or invalid information; resubmit a corrected claim",
    "N1": "you may appeal this decision",
    "N4": "prior insurer's explanation of benefits missing, incomplete or invalid",
    "N14": "payment based on a contractual amount or agreement, fee schedule or maximum",
    "N19": "procedure code is part of (incidental to) the primary procedure",
    "N20": "service not paid separately when performed with another service that day",
    "N29": "missing documentation, orders or notes",
    "N30": "patient not eligible for this service",
    "N115": "decision based on a local coverage determination",
    "N130": "consult the plan's benefit documents for coverage limits",
    "N362": "the number of days or units exceeds what is allowed",
    "N381": "see the contract with the payer for restrictions, billing or payment terms",
    "N432": "adjusted based on the plan's frequency limit",
    "N522": "duplicate of a claim processed, or being processed, as a crossover",
}

AMOUNT_QUALIFIERS = {
    "AU": "covered amount", "B6": "allowed amount", "D8": "discount",
    "DY": "per day limit", "F5": "patient amount paid", "I": "interest",
    "KH": "late filing reduction", "NL": "negative ledger balance", "T": "tax",
    "T2": "total claim before taxes", "ZK": "federal medicare or medicaid category 1",
}  # fmt: skip


def _lookup(table: dict[str, str], code: str, kind: str) -> str:
    found = table.get(code.strip().upper())
    return found if found is not None else f"unknown {kind} {code}"


def carc(code: str) -> str:
    """Meaning of a claim adjustment reason code (``unknown CARC nnn`` when not listed)."""
    return _lookup(CARC, code, "CARC")


def rarc(code: str) -> str:
    """Meaning of a remittance advice remark code (``unknown RARC xxx`` when not listed)."""
    return _lookup(RARC, code.split(":", 1)[-1], "RARC")


def group(code: str) -> str:
    """Meaning of a CAS group code."""
    return _lookup(GROUPS, code, "group code")


def group_name(code: str) -> str:
    """The short name of a CAS group code (``contractual obligation``), or ``unknown group``."""
    found = GROUPS.get(code.strip().upper())
    return found.split(" (")[0] if found is not None else "unknown group"


def claim_status(code: str) -> str:
    """Meaning of CLP02."""
    return _lookup(CLAIM_STATUS, code, "claim status")


def payment_method(code: str) -> str:
    """Meaning of BPR04."""
    return _lookup(PAYMENT_METHODS, code, "payment method")


def handling(code: str) -> str:
    """Meaning of BPR01."""
    return _lookup(HANDLING, code, "handling code")


def plb_reason(code: str) -> str:
    """Meaning of a PLB adjustment reason (PLB03-1)."""
    return _lookup(PLB_REASONS, code, "PLB reason")


def filing_indicator(code: str) -> str:
    """Meaning of CLP06 (claim filing indicator)."""
    return _lookup(FILING_INDICATORS, code, "filing indicator")


def adjustment(group_code: str, reason: str) -> str:
    """``CO-45 charge above the fee schedule …`` for review reasons and ``era inspect``."""
    return f"{group_code}-{reason} {carc(reason)}"
