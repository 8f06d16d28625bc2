"""Which Open Dental API endpoints an office's version has (the minimum version of each).

Open Dental's API pages give a "Version Added" for every endpoint and for some fields; an office
on an older version answers those requests as unknown. The adapter reads the office's version
(pref ``DataBaseVersion``, over ODBC) and only uses what that version has. The table is repeated
with its sources in docs/vendors/opendental.md; "[3P]" marks versions read from a third-party
integrator's copy of Open Dental's pages rather than from the pages themselves (unverified).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Version = tuple[int, ...]


@dataclass(frozen=True)
class Endpoint:
    """One API feature the adapter uses, with the first Open Dental version that has it."""

    feature: str
    request: str
    since: Version
    source: str


def _v(text: str) -> Version:
    return tuple(int(part) for part in text.split("."))


ENDPOINTS: dict[str, Endpoint] = {
    e.feature: e
    for e in (
        Endpoint("payments", "POST /payments", _v("21.2"), "apipayments.html"),
        Endpoint("payment_edit", "PUT /payments/{PayNum}", _v("23.3.11"), "apipayments.html"),
        Endpoint("refunds", "POST /payments/Refund", _v("24.4.28"), "apipayments.html [3P]"),
        Endpoint(
            "explicit_allocation", "PUT /payments/{PayNum}/Partial", _v("25.1.11"),
            "apipayments.html [3P]",
        ),
        Endpoint("notes", "POST /commlogs", _v("21.1"), "apicommlogs.html"),
        Endpoint("claimprocs", "PUT /claimprocs/{ClaimProcNum}", _v("22.3.33"),
                 "apiclaimprocs.html"),
        Endpoint(
            "claimproc_attach", "PUT /claimprocs/{ClaimProcNum} ClaimPaymentNum", _v("24.3.24"),
            "apiclaimprocs.html [3P]",
        ),
        Endpoint(
            "supplemental", "POST /claimprocs/Supplemental", _v("25.2.7"),
            "apiclaimprocs.html; forum t=8669",
        ),
        Endpoint("claims", "PUT /claims/{ClaimNum}", _v("21.4"), "apiclaims.html [3P]"),
        Endpoint("claim_check", "POST /claimpayments", _v("22.4.8"), "apiclaimpayments.html"),
        Endpoint(
            "batch_check", "POST /claimpayments/Batch", _v("24.2.18"), "apiclaimpayments.html"
        ),
        Endpoint("preferences", "GET /preferences", _v("21.1"), "apipreferences.html [3P]"),
        # Unverified: the API page lists MerchantFee on POST /payments without a version;
        # payment.MerchantFee is in the 24.3 schema our reference was read from.
        Endpoint("merchant_fee", "POST /payments MerchantFee", _v("24.3"),
                 "apipayments.html, no version given (unverified)"),
        Endpoint("deposits", "POST /deposits", _v("25.4.33"), "apideposits.html [OD-A6]"),
    )
}  # fmt: skip

# One insurance check per remittance needs both: the batch check, then attaching later claims.
REMITTANCE_CHECK = ("batch_check", "claimproc_attach")

# What happens to the work that needs a feature when the office's version lacks it.
CONSEQUENCES: dict[str, str] = {
    "payments": "patient payments go to review",
    "payment_edit": "full refunds, disputes and ACH returns go to review",
    "refunds": "full refunds, disputes and ACH returns go to review",
    "explicit_allocation": "payments whose planned split differs from Open Dental's own "
    "oldest-first split go to review (nothing is written)",
    "notes": "patient notes cannot be written",
    "claimprocs": "ERA claim payments go to review",
    "claim_check": "ERA claim payments go to review",
    "claims": "ERA claim payments go to review",
    "supplemental": "ERA money on already received claims goes to review",
    "batch_check": "each ERA claim gets its own insurance check instead of one per remittance",
    "claimproc_attach": "each ERA claim gets its own insurance check instead of one per remittance",
    "preferences": "the API reachability probe fails (posting treats it as an outage)",
    "merchant_fee": "writeback.fees merchant_fee goes in the payment note instead",
    "deposits": "no deposits are written; deposit slips are in `connector report deposits`",
}


def unavailable(version: Version | None) -> list[str]:
    """One sentence per feature the office's version lacks, for ``check-config``."""
    return [
        f"{e.request} needs Open Dental {show(e.since)} ({e.source}): {CONSEQUENCES[e.feature]}"
        for e in missing(version, *ENDPOINTS)
    ]


def parse_version(text: object) -> Version | None:
    """``"24.3.36.0"`` → ``(24, 3, 36, 0)``; None when it is not a version."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)*)\s*", str(text or ""))
    return _v(match.group(1)) if match else None


def has(version: Version | None, *features: str) -> bool:
    """True when ``version`` has every feature (an unknown version is assumed to have them:
    the adapter then behaves as before version checks, and ``check-config`` says so).

    Raises:
        KeyError: an unknown feature name (a typo in our code).
    """
    needed = [ENDPOINTS[f].since for f in features]
    return version is None or all(version >= since for since in needed)


def missing(version: Version | None, *features: str) -> list[Endpoint]:
    """The features ``version`` lacks (none when the version is unknown)."""
    if version is None:
        return []
    return [ENDPOINTS[f] for f in features if version < ENDPOINTS[f].since]


def show(version: Version) -> str:
    """``(24, 3, 24)`` → ``"24.3.24"``."""
    return ".".join(str(part) for part in version)
