"""Tell what the connector did, in words a practice manager understands (the demo's story).

Everything comes from the state store (items, their history and the review queue) and the ERA
work folders; the totals use :mod:`connector.reports`. Only ids, codes and amounts are shown,
never patient names. :func:`practice_story` returns the lines for one practice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.config import PracticeSettings
from connector.domain import Item, ItemKind, ItemStatus
from connector.money import ZERO, to_money
from connector.records.era import EraClaim
from connector.records.era_plb import EraPlb
from connector.records.era_remittance import EraRemittance
from connector.records.stripe import transaction_of
from connector.reports import payout_report, remittance_report
from connector.store import StateStore

VENDOR_NAMES = {"opendental": "Open Dental", "dentrix": "Dentrix G", "eaglesoft": "Eaglesoft"}
_STRIPE_MONEY = [
    k.value
    for k in (
        ItemKind.PATIENT_PAYMENT,
        ItemKind.REFUND,
        ItemKind.DISPUTE,
        ItemKind.DISPUTE_WON,
        ItemKind.ACH_RETURN,
    )
]
_REVERSAL_WORDS = {
    ItemKind.REFUND: "Refund",
    ItemKind.DISPUTE: "Card dispute (money taken back)",
    ItemKind.ACH_RETURN: "Bank debit returned unpaid",
    ItemKind.DISPUTE_WON: "Dispute won (money given back)",
}
_METHODS = {"card": "card", "us_bank_account": "bank debit", "stripe_account": "Connect payment"}


def money(value: Decimal | str | int | float | None) -> str:
    """``$1,234.50`` (negative as ``-$20.00``)."""
    amount = to_money(str(value if value is not None else "0"))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@dataclass
class Story:
    """The lines to print, and anything that did not end as the sandbox expects."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, text: str = "", indent: int = 0) -> None:
        """Add one line."""
        self.lines.append("  " * indent + text)


def _posted_detail(store: StateStore, item: Item) -> dict[str, Any]:
    for entry in reversed(store.history(item.id)):
        if entry.event == "item.posted":
            return entry.detail
    return {}


def _ids(pms_ids: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in pms_ids.items()) or "-"


def _splits(plan: dict[str, Any]) -> str:
    parts = []
    for split in plan.get("splits") or []:
        kind = split.get("charge_kind") or "unapplied credit"
        ref = split.get("charge_ref")
        target = f"{kind} {ref}" if ref else "credit on the account (prepayment)"
        parts.append(f"{money(split['amount'])} to {target} of patient {split.get('patient_id')}")
    return "; ".join(parts) or "one unallocated payment"


def stripe_section(
    story: Story,
    store: StateStore,
    practice: PracticeSettings,
    pending: Iterable[tuple[str, Decimal]],
) -> None:
    """Payouts, what was posted from each, reversals, and what is not cleared yet."""
    story.say("Patient payments (Stripe) - money that reached the practice's bank:", 1)
    items = store.items_of_kind(practice.id, _STRIPE_MONEY)
    for row in payout_report(store, [practice.id]):
        if row.payout == "(no payout)":
            continue
        to_bank = row.paid_out
        story.say(
            f"Payout {row.payout} arrived {row.arrival_date}: patient money {money(row.gross)}, "
            f"Stripe fees {money(row.fees)}, paid to the bank {money(to_bank)}",
            2,
        )
        for item in (i for i in items if i.group_key == row.payout):
            _stripe_item(story, store, item)
        unposted = row.gross - row.posted - row.ignored
        in_review = sum(
            (
                i.amount
                for i in items
                if i.group_key == row.payout and i.status is ItemStatus.REVIEW
            ),
            ZERO,
        )
        verdict = "checks out" if unposted == in_review else "DOES NOT ADD UP"
        story.say(
            f"Totals: posted {money(row.posted)} + waiting for a person "
            f"{money(in_review)} = gross {money(row.gross)} - {verdict}",
            3,
        )
        if unposted != in_review:
            story.problems.append(f"{practice.id}: payout {row.payout} does not add up")
    for payout, amount in pending:
        story.say(
            f"Not cleared yet: payout {payout} of {money(amount)} is still on its way to "
            "the bank; its payments are posted once Stripe reports it paid.",
            2,
        )


def _stripe_item(story: Story, store: StateStore, item: Item) -> None:
    record = transaction_of(item)
    txn = (record.txn if record else None) or item.key
    if item.kind is ItemKind.PATIENT_PAYMENT or (
        item.kind is ItemKind.DISPUTE_WON and item.status is ItemStatus.POSTED
    ):
        method = record.method if record else None
        method = _METHODS.get(str(method), str(method or "card"))
        if item.kind is ItemKind.PATIENT_PAYMENT:
            patient = record.patient_ref if record else None
            head = (
                f"Payment {money(item.amount)} by {method} from patient "
                f"{patient or '(no patient id)'} ({txn})"
            )
        else:
            head = f"Dispute won: {money(item.amount)} back for charge {item.related_key} ({txn})"
        if item.status is ItemStatus.POSTED:
            detail = _posted_detail(store, item)
            plan = detail.get("plan") or {}
            story.say(f"{head}: posted as {_ids(item.pms_ids)}, marked {plan.get('marker')}", 3)
            story.say(f"split: {_splits(plan)}", 4)
        else:
            story.say(f"{head}: {item.status.value}", 3)
        return
    words = _REVERSAL_WORDS.get(item.kind, item.kind.value)
    head = f"{words} {money(abs(item.amount))} for charge {item.related_key} ({txn})"
    if item.status is ItemStatus.POSTED:
        plan = _posted_detail(store, item).get("plan") or {}
        story.say(
            f"{head}: written back as {_ids(item.pms_ids)}, linked to the original "
            f"posting {_ids(plan.get('original_pms_ids') or {})}",
            3,
        )
    else:
        story.say(f"{head}: {item.status.value}", 3)


def era_section(
    story: Story,
    store: StateStore,
    practice: PracticeSettings,
    check_total: Callable[[str], Decimal | None] | None,
) -> None:
    """Each remittance, each claim's outcome with its reason, PLBs and quarantined files."""
    story.say("Insurance payments (ERA / 835 files):", 1)
    reviews = {r.item_id: r for r in store.list_reviews(practice.id, state="all")}
    for row in remittance_report(store, [practice.id]):
        rem = store.find_item(practice.id, row.remittance)
        file = EraRemittance.from_json(rem.payload).file if rem else "?"
        story.say(f"Remittance {row.trace} from {row.payer} ({file}): {money(row.amount)}", 2)
        for claim in store.group_items(practice.id, row.remittance):
            if claim.kind is ItemKind.ERA_CLAIM:
                _claim_line(story, claim, reviews)
            elif claim.kind is ItemKind.ERA_PLB and claim.status is ItemStatus.POSTED:
                story.say(
                    f"Provider-level adjustment {EraPlb.from_json(claim.payload).reason} "
                    f"{money(claim.amount)}: posted on the claim it names, by rule",
                    3,
                )
            elif claim.kind is ItemKind.ERA_SECONDARY:
                review = reviews.get(claim.id)
                story.say(
                    f"Secondary claim to send: {review.message if review else claim.status.value}",
                    3,
                )
            elif claim.kind is ItemKind.ERA_PLB:
                review = reviews.get(claim.id)
                story.say(
                    f"Provider-level adjustment {money(claim.amount)}: sent to a person "
                    f"- {review.message if review else claim.status.value}",
                    3,
                )
        ok = row.difference == ZERO
        story.problems += [] if ok else [f"{practice.id}: remittance {row.trace} does not add up"]
        story.say(
            f"Totals: posted {money(row.posted)} + waiting for a person "
            f"{money(row.in_review)} - provider adjustments {money(row.plb)} = "
            f"{money(row.amount)} paid - {'checks out' if ok else 'DOES NOT ADD UP'}",
            3,
        )
        in_pms = check_total(row.trace) if check_total else None
        if in_pms is not None:
            same = in_pms == row.posted + row.plb_posted
            closes = " - the remittance closes to the cent" if same and in_pms == row.amount else ""
            story.say(
                f"{VENDOR_NAMES.get(practice.pms.vendor, 'PMS')} insurance checks "
                f"numbered {row.trace} total {money(in_pms)} "
                f"({'equal to' if same else 'DIFFERENT from'} what was posted){closes}",
                3,
            )
            if not same:
                story.problems.append(f"{practice.id}: PMS checks for {row.trace} differ")
    for record in quarantined(practice):
        story.say(
            f"File {record.get('file')} was set aside (quarantined): "
            f"{record.get('reason') or record.get('message')}",
            2,
        )


def _claim_line(story: Story, claim: Item, reviews: dict[int, Any]) -> None:
    era = EraClaim.from_json(claim.payload)
    status = era.status
    what = {"22": "reversal (payer takes back)", "4": "denied", "1": "paid"}.get(status, status)
    head = (
        f"Claim {era.patient_control} ({what}), charge {money(era.charge)}, paid {money(era.paid)}"
    )
    if claim.status is ItemStatus.POSTED:
        story.say(f"{head}: auto-posted, {_ids(claim.pms_ids)}", 3)
    elif claim.status is ItemStatus.REVIEW and claim.id in reviews:
        review = reviews[claim.id]
        story.say(f"{head}: waiting for a person ({review.reason}) - {review.message}", 3)
    else:
        story.say(f"{head}: {claim.status.value}", 3)


def quarantined(practice: PracticeSettings) -> list[dict[str, Any]]:
    """The ``.error.json`` records of the practice's quarantined ERA files."""
    era = practice.era
    if era is None or era.inbox.folder is None:
        return []
    work = era.work_dir or era.inbox.folder.path.parent
    folder = Path(work) / "quarantine"
    records = []
    for path in sorted(folder.glob("*.error.json")) if folder.is_dir() else []:
        records.append(json.loads(path.read_text(encoding="utf-8")))
    return records


def review_section(story: Story, store: StateStore, practice: PracticeSettings) -> None:
    """The open review queue with its reasons."""
    reviews = sorted(store.list_reviews(practice.id), key=lambda r: r.id)
    story.say(f"Waiting for a person ({len(reviews)} in `connector review`):", 1)
    for review in reviews:
        story.say(f"#{review.id} [{review.reason}] {money(review.amount)}: {review.message}", 2)


def practice_story(
    store: StateStore,
    practice: PracticeSettings,
    *,
    pending: Iterable[tuple[str, Decimal]] = (),
    check_total: Callable[[str], Decimal | None] | None = None,
) -> Story:
    """The whole story of one practice."""
    story = Story()
    vendor = VENDOR_NAMES.get(practice.pms.vendor, practice.pms.vendor)
    story.say(f"== {practice.name or practice.id} ({practice.id}, {vendor}) ==")
    if practice.payments is not None:
        stripe_section(story, store, practice, pending)
    if practice.era is not None:
        era_section(story, store, practice, check_total)
    review_section(story, store, practice)
    for item in store.items_of_kind(practice.id, [k.value for k in ItemKind]):
        if item.status in (ItemStatus.DEAD, ItemStatus.FAILED, ItemStatus.RECEIVED):
            story.problems.append(f"{practice.id}: item {item.key} is {item.status.value}")
    return story
