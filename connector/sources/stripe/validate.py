"""Check a balance transaction's shape before it is classified; unreadable ones go to review.

Stripe's objects are well formed, but a payout whose transaction cannot be read must not stop
the poll forever (the payout is recorded whole or not at all, so one bad object would hold back
every other transaction of it). A transaction with a missing or mistyped field is recorded as a
``stripe_object_invalid`` review item instead, keyed by its id (or, without a usable id, by the
payout and a digest of the object, so a re-read records it once).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.money import ZERO, from_cents, minor_unit_digits

MAX_ID = 255
_OPTIONAL_INTS = ("fee", "net", "created", "available_on")
_OPTIONAL_TEXTS = ("type", "reporting_category", "currency", "description", "status")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problems(txn: Any) -> list[str]:
    """What is wrong with the transaction's shape (empty when it can be classified)."""
    if not isinstance(txn, dict):
        return [f"the transaction is a {type(txn).__name__}, not an object"]
    found = []
    txn_id = txn.get("id")
    if not isinstance(txn_id, str) or not txn_id or len(txn_id) > MAX_ID:
        found.append("id is missing or not a short text")
    if not _is_int(txn.get("amount")):
        found.append("amount is missing or not a whole number of cents")
    found += [f"{name} is not a whole number" for name in _OPTIONAL_INTS
              if txn.get(name) is not None and not _is_int(txn[name])]  # fmt: skip
    found += [f"{name} is not text" for name in _OPTIONAL_TEXTS
              if txn.get(name) is not None and not isinstance(txn[name], str)]  # fmt: skip
    if minor_unit_digits(txn.get("currency")) == 3:  # Stripe rounds these to tens
        found += [f"{name} is not a whole number of cents" for name in ("amount", "fee", "net")
                  if _is_int(txn.get(name)) and txn[name] % 10]  # fmt: skip
    source = txn.get("source")
    if source is not None and not isinstance(source, str | dict):
        found.append("source is neither an id nor an object")
    if isinstance(source, dict):
        for name in ("metadata",):
            if source.get(name) is not None and not isinstance(source[name], dict):
                found.append(f"source.{name} is not an object")
    return found


def invalid_item(txn: Any, payout: dict[str, Any], reasons: list[str], *,
                 account: str | None) -> NewItem:  # fmt: skip
    """The review item for a transaction that cannot be read (ids and field names only)."""
    txn_id = txn.get("id") if isinstance(txn, dict) else None
    usable = isinstance(txn_id, str) and 0 < len(txn_id) <= MAX_ID
    digest = hashlib.sha256(
        json.dumps(txn, sort_keys=True, default=repr).encode("utf-8")
    ).hexdigest()[:16]
    key = str(txn_id) if usable else f"{payout['id']}:invalid:{digest}"
    raw = txn.get("amount") if isinstance(txn, dict) else None
    amount = from_cents(raw) if isinstance(raw, int) and not isinstance(raw, bool) else ZERO
    problem = "; ".join(reasons)
    return NewItem(
        key=key, kind=ItemKind.STRIPE_OTHER,
        payload={"txn": txn_id if usable else None, "payout": payout["id"], "problem": problem,
                 "digest": digest, "account": account},
        amount=amount, status=ItemStatus.REVIEW, group_key=str(payout["id"]),
        review_reason="stripe_object_invalid",
        review_message=(f"Stripe transaction {key if usable else '(no id)'} in payout "
                        f"{payout['id']} could not be read ({problem}); look it up in the "
                        "Stripe dashboard and post it by hand if it is a patient's money."),
    )  # fmt: skip
