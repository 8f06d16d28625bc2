"""Which Open Dental versions take the writes that close the books (fees, deposits).

The office's version is the ``DataBaseVersion`` preference (``24.3.36.0``). Sources are in
``/work/shared/reference/opendental-era-and-api.md``; a gate marked *unverified* is our
reading, not a documented "Version Added".
"""

from __future__ import annotations

MERCHANT_FEE_SINCE = (24, 3)
"""``POST /payments`` field ``MerchantFee``. Unverified: the API page lists the field without a
"Added in version"; ``payment.MerchantFee`` is in the 24.3 schema our reference was read from,
so 24.3 is the oldest version we send it to. Below it the fee goes in the note instead."""

DEPOSITS_SINCE = (25, 4, 33)
"""``POST /deposits`` with ``payNums`` / ``claimPaymentNums`` (API page "Deposits", [OD-A6])."""


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """``"24.3.36.0"`` → ``(24, 3, 36, 0)``; None when absent or not dotted numbers."""
    if not text:
        return None
    parts = text.strip().split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def at_least(version: str | None, since: tuple[int, ...]) -> bool:
    """True when ``version`` is ``since`` or newer; False when it cannot be read."""
    parsed = parse_version(version)
    return parsed is not None and parsed[: len(since)] >= since
