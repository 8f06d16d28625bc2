"""A Connect platform and its connected practices for the sandbox: who owns which money.

:func:`connect_dataset` seeds one platform account (configured as a practice of its own) and
connected accounts (one practice each). The platform takes direct payments of its own and makes
destination charges for each connected account, some with an application fee, one with
``on_behalf_of``, one whose patient id is only on the platform's customer. A later payout on
each account carries a refund with a transfer reversal (the connected account gives the money
back: ``payment_refund`` there), a refund without one (the platform pays it alone) and a lost
dispute on a destination charge (debited from the platform).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workshop.sandbox.stripe_data import (
    DAY,
    PLATFORM_ACCOUNT,
    AccountData,
    Builder,
    KeyGrant,
    StripeDataset,
)


@dataclass
class ConnectStory:
    """What was seeded, by id, so tests can state the expected outcome per practice."""

    platform_own_payments: list[str] = field(default_factory=list)  # platform charge txn ids
    destination_charges: dict[str, list[str]] = field(default_factory=dict)  # acct → ch ids
    connected_payments: dict[str, list[str]] = field(default_factory=dict)  # acct → txn ids
    connected_refunds: dict[str, list[str]] = field(default_factory=dict)  # acct → txn ids
    platform_ignored: list[str] = field(default_factory=list)  # txn ids ignored on the platform
    platform_review: list[str] = field(default_factory=list)  # txn ids to review on the platform


def connect_dataset(
    platform_key: str,
    connected: Sequence[str],
    *,
    now: dt.datetime,
    metadata_key: str = "pms_patient_id",
) -> tuple[StripeDataset, ConnectStory]:
    """The platform + Connect data set (see the module docstring) and its story."""
    data = StripeDataset()
    story = ConnectStory()
    ts = int(now.timestamp())
    b = Builder(data, ts, tag="C")
    platform = data.account(PLATFORM_ACCOUNT)
    data.keys[platform_key] = KeyGrant(platform.id)
    for n in range(2):  # the platform's own patients (a clinic run by the DSO itself)
        b.payment(platform, 9000 + n, created=ts - 5 * DAY,
                  charge_metadata={metadata_key: f"90{n}"})  # fmt: skip
        story.platform_own_payments.append(platform.transactions[-1]["id"])
    own = b.customer(platform, {metadata_key: "903"})  # the id only on the customer
    b.payment(platform, 9100, created=ts - 5 * DAY, customer=own)
    story.platform_own_payments.append(platform.transactions[-1]["id"])
    later: list[dict[str, Any]] = []
    accounts: list[tuple[AccountData, list[dict[str, Any]], list[dict[str, Any]]]] = []
    for index, account_id in enumerate(connected):
        acct = data.account(account_id, connected_to=platform.id)
        charges = _destination_charges(b, platform, acct, index, metadata_key, story)
        start = len(platform.transactions)
        own_first = list(acct.transactions)
        _reversals(b, platform, acct, charges, key=metadata_key, index=index, story=story)
        later += platform.transactions[start:]
        accounts.append((acct, own_first, acct.transactions[len(own_first) :]))
    b.payment(platform, 40000, created=ts - 3 * DAY, charge_metadata={metadata_key: "909"})
    story.platform_own_payments.append(platform.transactions[-1]["id"])
    later.append(platform.transactions[-1])
    first = [t for t in platform.transactions if t not in later]
    b.payout(platform, first, arrival=ts - 2 * DAY)
    b.payout(platform, later, arrival=ts - 1 * DAY)
    for acct, own_first, own_later in accounts:
        b.payout(acct, own_first, arrival=ts - 2 * DAY)
        if own_later:
            b.payout(acct, own_later, arrival=ts - 1 * DAY)
    return data, story


def _destination_charges(
    b: Builder, platform: AccountData, acct: AccountData, index: int, key: str,
    story: ConnectStory,
) -> list[dict[str, Any]]:  # fmt: skip
    t = b.now - 5 * DAY
    customer = b.customer(platform, {key: f"{index + 1}03"})
    made = [
        b.destination_charge(
            platform, acct, 10000, created=t, charge_metadata={key: f"{index + 1}01"}
        ),
        b.destination_charge(
            platform,
            acct,
            12000,
            created=t,
            charge_metadata={key: f"{index + 1}02"},
            application_fee=600,
        ),
        b.destination_charge(platform, acct, 8000, created=t, customer=customer),
        b.destination_charge(
            platform,
            acct,
            15000,
            created=t,
            on_behalf_of=True,
            charge_metadata={key: f"{index + 1}04"},
        ),
    ]
    story.destination_charges[acct.id] = [charge["id"] for charge, _ in made]
    story.connected_payments[acct.id] = [t_["id"] for t_ in acct.transactions]
    _note_ignored(platform, story)
    return [charge for charge, _ in made]


def _note_ignored(platform: AccountData, story: ConnectStory) -> None:
    for txn in platform.transactions:
        ignored = txn["type"] in ("transfer", "application_fee") or (
            txn["type"] == "charge" and _is_destination(platform, txn))  # fmt: skip
        if ignored and txn["id"] not in story.platform_ignored:
            story.platform_ignored.append(txn["id"])


def _is_destination(platform: AccountData, txn: dict[str, Any]) -> bool:
    charge = platform.objects.get(str(txn["source"]))
    return bool(charge and charge.get("transfer_data"))


def _reversals(
    b: Builder, platform: AccountData, acct: AccountData, charges: list[dict[str, Any]], *,
    key: str, index: int, story: ConnectStory,
) -> None:  # fmt: skip
    t = b.now - 3 * DAY
    before = len(acct.transactions)
    b.destination_charge(platform, acct, 20000, created=t, charge_metadata={key: f"{index + 1}05"})
    story.destination_charges[acct.id].append(platform.transactions[-2]["source"])
    story.connected_payments[acct.id].append(acct.transactions[-1]["id"])
    _note_ignored(platform, story)
    before = len(acct.transactions)
    b.destination_refund(platform, acct, charges[0], 2500, created=t)  # transfer reversed
    story.platform_ignored += [platform.transactions[-2]["id"], platform.transactions[-1]["id"]]
    b.destination_refund(platform, acct, charges[1], 3000, created=t, reverse_transfer=False)
    story.platform_review.append(platform.transactions[-1]["id"])
    _, txns = b.dispute(platform, charges[2], won=False, created=t)
    story.platform_review += [txn["id"] for txn in txns]
    story.connected_refunds[acct.id] = [x["id"] for x in acct.transactions[before:]]
