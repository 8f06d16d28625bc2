"""The items about a payout itself (docs/payloads.md): a manual payout's notice and a failed
payout's review, both carrying the :class:`~connector.records.stripe.StripePayout` record; and
the Stripe id and timestamp readers :mod:`.classify` shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.money import fmt, from_minor_units
from connector.records.stripe import StripePayout


def stripe_id(value: Any) -> str | None:
    """The id of an expanded Stripe object, or the id itself when it is not expanded."""
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) else None


def day_of(ts: Any) -> dt.date | None:
    """A Stripe timestamp's UTC day (None when absent)."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).date() if ts else None


def moment_of(ts: Any) -> dt.datetime | None:
    """A Stripe timestamp as an aware UTC datetime (None when absent)."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC) if ts else None


def manual_payout_notice(payout: dict[str, Any], *, account: str | None) -> NewItem:
    """The one review item for a manual payout, whose payments Stripe cannot list."""
    amount = from_minor_units(int(payout["amount"]), payout.get("currency"))
    return NewItem(
        key=f"{payout['id']}:manual_payout", kind=ItemKind.PAYOUT_NOTICE,
        payload=payout_record(payout, account).to_json(), amount=amount,
        status=ItemStatus.REVIEW,
        group_key=str(payout["id"]), review_reason="manual_payout_account",
        review_message=(
            f"Payout {payout['id']} of {fmt(amount)} was started by hand (a manual payout), so "
            "Stripe cannot say which payments it holds; post them by hand, or switch the Stripe "
            "account to automatic payouts."),
    )  # fmt: skip


def failed_payout_item(payout: dict[str, Any], *, account: str | None) -> NewItem:
    """The review item for a payout first reported ``paid`` that later ``failed``."""
    amount = from_minor_units(int(payout["amount"]), payout.get("currency"))
    return NewItem(
        key=f"{payout['id']}:failed", kind=ItemKind.PAYOUT_FAILURE,
        payload=payout_record(payout, account).to_json(), amount=-amount,
        status=ItemStatus.REVIEW,
        group_key=str(payout["id"]), review_reason="payout_failed",
        review_message=(
            f"Payout {payout['id']} of {fmt(amount)}, first reported as paid, failed "
            f"({payout.get('failure_code') or 'no code'}): the money did not reach the bank. "
            "Stripe returns it to the balance and pays it out later; check the bank statement."),
    )  # fmt: skip


def payout_record(payout: dict[str, Any], account: str | None) -> StripePayout:
    """A Stripe payout object as the record the items about it store."""
    return StripePayout(
        payout=payout["id"], payout_arrival_date=day_of(payout.get("arrival_date")),
        status=payout.get("status"), automatic=payout.get("automatic"),
        payout_method=payout.get("method"), failure_code=payout.get("failure_code"),
        failure_balance_transaction=stripe_id(payout.get("failure_balance_transaction")),
        amount=from_minor_units(int(payout["amount"]), payout.get("currency")),
        currency=payout.get("currency"), created=moment_of(payout.get("created")),
        account=account,
    )  # fmt: skip
