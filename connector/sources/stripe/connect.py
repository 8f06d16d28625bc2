"""Which practice owns a Connect balance transaction (pure functions; see docs/stripe.md).

A DSO may configure its Connect **platform** account as one practice and its **connected**
accounts as others. A destination charge (a platform charge with ``transfer_data.destination``,
or ``on_behalf_of``) lands on the platform's balance and is transferred at once to the
connected account, where it shows as a ``payment`` (``py_…``) whose
``source_transfer.source_transaction`` is the platform charge. The money reaches the
**connected** account's bank (the platform's payout nets the charge against its ``transfer``),
so the connected account's practice owns the payment; the platform practice ignores it with a
counted reason. Reading Stripe's object model, per transaction seen on the account being polled:

==========================================  ===============================================
balance transaction                         decision on this account
==========================================  ===============================================
``charge``/``payment`` whose charge has     ignored ``connect_destination_charge``: the
``transfer_data.destination`` or            connected account's ``payment`` is recorded there
``on_behalf_of`` naming another account
``refund`` of such a charge, the refund     ignored ``connect_destination_refund``: the
carrying a ``transfer_reversal``            connected account's ``payment_refund`` is recorded
                                            there
``refund`` without a transfer reversal,     review ``connect_platform_reversal``: the money
or a dispute ``adjustment``, of such a      left the platform only, the payment was posted by
charge                                      the connected account's practice; staff decide
``transfer``, ``transfer_cancel``,          ignored ``connect_transfer`` (the platform's side of
``transfer_failure``, ``transfer_refund``   moving money to or from a connected account)
``application_fee``,                        ignored ``connect_application_fee`` (the
``application_fee_refund``                  platform's revenue, not a patient's money)
==========================================  ===============================================

On the connected account, ``payment`` and ``payment_refund`` are patient money as any charge
and refund (see :mod:`.classify`). *Unverified* against a live account: that a "separate
charges and transfers" charge carrying only ``on_behalf_of`` is always followed by a transfer
of its money (if a platform kept such money, it would have to be posted by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLATFORM_SIDE_TYPES = {
    "transfer": "connect_transfer",
    "transfer_cancel": "connect_transfer",
    "transfer_failure": "connect_transfer",
    "transfer_refund": "connect_transfer",
    "application_fee": "connect_application_fee",
    "application_fee_refund": "connect_application_fee",
}
"""Balance transaction types that move money between a platform and its connected accounts."""

REASON_WORDS = {
    "connect_destination_charge": "a destination charge: recorded by the connected account's "
    "practice",
    "connect_destination_refund": "a refund of a destination charge whose transfer was "
    "reversed: recorded by the connected account's practice",
    "connect_transfer": "the platform's transfer to or from a connected account",
    "connect_application_fee": "the platform's application fee",
}
"""Plain words for each counted ignore reason (``connector status``/docs)."""


@dataclass(frozen=True)
class Ownership:
    """The decision for a transaction another account's practice owns (or the platform keeps).

    Attributes:
        reason: stable code (counted in the poll summary, stored in the item payload).
        owner: the ``acct_…`` whose practice records the patient's money, when known.
        review: True when the money moved on this account only, so staff must decide.
    """

    reason: str
    owner: str | None
    review: bool = False


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) and value else None


def destination_of(charge: Any, own_account: str | None) -> str | None:
    """The connected account a platform charge's money is for, or None for our own charge.

    Reads ``transfer_data.destination`` first, then ``on_behalf_of``; an account equal to
    ``own_account`` (the polled account, when configured) is not "another" account.
    """
    if not isinstance(charge, dict) or charge.get("object") != "charge":
        return None
    transfer_data = charge.get("transfer_data")
    destination = _id(transfer_data.get("destination")) if isinstance(transfer_data, dict) else None
    for candidate in (destination, _id(charge.get("on_behalf_of"))):
        if candidate and candidate != own_account:
            return candidate
    return None


def ownership(txn: dict[str, Any], own_account: str | None) -> Ownership | None:
    """None when this account's practice owns the transaction, else who does and why."""
    txn_type = txn.get("type")
    if txn_type in PLATFORM_SIDE_TYPES:
        return Ownership(PLATFORM_SIDE_TYPES[str(txn_type)], None)
    source = txn.get("source")
    if not isinstance(source, dict):
        return None
    kind = source.get("object")
    if kind == "charge":
        owner = destination_of(source, own_account)
        return Ownership("connect_destination_charge", owner) if owner else None
    if kind in ("refund", "dispute"):
        owner = destination_of(source.get("charge"), own_account)
        if owner is None:
            return None
        if kind == "refund" and _id(source.get("transfer_reversal")):
            return Ownership("connect_destination_refund", owner)
        return Ownership("connect_platform_reversal", owner, review=True)
    return None
