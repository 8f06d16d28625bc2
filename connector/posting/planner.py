"""Route one stored item to the rules for its kind; reads only (store and ledger), never writes."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from adapters.base import Ledger
from connector.config import AutoPostSettings, PracticeSettings, WritebackSettings
from connector.domain import Item, ItemKind, ReviewDecision
from connector.money import fmt_currency
from connector.posting.deposits import plan_deposit
from connector.posting.era_claims import plan_claim
from connector.posting.era_plb import plan_plb
from connector.posting.era_remittance import plan_remittance
from connector.posting.era_secondary import plan_secondary_claim
from connector.posting.hand import resolved_by_hand
from connector.posting.outcomes import Ignore, Planned
from connector.posting.patient_payments import plan_patient_payment
from connector.posting.reasons import review
from connector.posting.reversals import plan_dispute_won, plan_reversal
from connector.records.era import EraClaim
from connector.records.stripe import StripeTransaction, stripe_record
from connector.store import StateStore

REVERSALS = frozenset({ItemKind.REFUND, ItemKind.DISPUTE, ItemKind.ACH_RETURN})
NEVER_WRITTEN = frozenset(
    {
        ItemKind.ERA_REMITTANCE,
        ItemKind.ERA_SECONDARY,
        ItemKind.PAYOUT_FAILURE,
        ItemKind.PAYOUT_NOTICE,
        ItemKind.STRIPE_OTHER,
    }
)
"""Kinds that never lead to a PMS write, so the PMS is not asked whether they are there."""


PATIENT_OVERRIDE = "patient_override"
POST_ANYWAY = "post_anyway"
"""Item progress flag: staff said the PMS payment the hand-entry check found is another one."""


def writeback_of(practice: PracticeSettings) -> WritebackSettings:
    """The practice's write-back settings (defaults when it has no payments section)."""
    return practice.payments.writeback if practice.payments else WritebackSettings()


def auto_post_of(practice: PracticeSettings) -> AutoPostSettings:
    """The practice's ERA auto-post settings (auto-posting off when it has no ERA section)."""
    return practice.era.auto_post if practice.era else AutoPostSettings()


PROCESSOR_MONEY = frozenset({ItemKind.PATIENT_PAYMENT, ItemKind.DISPUTE_WON, *REVERSALS})
"""Kinds written from a card processor's transaction, which names its currency."""


def currency_mismatch(item: Item, practice_currency: str) -> ReviewDecision | None:
    """``currency_mismatch`` when the item's currency is not the practice's (an item that
    names no currency is taken to be in the practice's)."""
    currency = StripeTransaction.from_json(item.payload).currency
    if currency is None or currency.lower() == practice_currency:
        return None
    shown_code = currency
    return review(
        "currency_mismatch",
        what=item.kind.value.replace("_", " "),
        shown=fmt_currency(item.amount, shown_code),
        amount=item.amount,
        currency=shown_code.lower(),
        practice_currency=practice_currency.upper(),
        reference=_reference(item),
    )


def above_limit(item: Item, limit: Decimal) -> ReviewDecision | None:
    """``amount_above_limit`` when the item moves more money than the practice's ceiling
    (either way: a payment or a reversal of it)."""
    if abs(item.amount) <= limit:
        return None
    return review(
        "amount_above_limit",
        what=item.kind.value.replace("_", " "),
        amount=item.amount,
        limit=limit,
        reference=_reference(item),
    )


def _reference(item: Item) -> str:
    """What a limit or currency review names the item by: the Stripe charge (else the key);
    an ERA claim by its patient control number and remittance trace."""
    if item.kind is ItemKind.ERA_CLAIM:
        claim = EraClaim.from_json(item.payload)
        return f"claim {claim.patient_control} in remittance {claim.trace}"
    return StripeTransaction.from_json(item.payload).charge or item.key


def plan_item(item: Item, practice: PracticeSettings, store: StateStore, ledger: Ledger) -> Planned:
    """The outcome for ``item`` and the inputs behind it.

    Raises:
        DataError: the item's payload is unusable. TransientError: a read failed.
    """
    tz = ZoneInfo(practice.timezone)
    kind = item.kind
    if kind in PROCESSOR_MONEY:
        wrong = currency_mismatch(item, practice.currency)
        if wrong is not None:
            return Planned(wrong)
    if kind in PROCESSOR_MONEY or kind is ItemKind.ERA_CLAIM:
        too_large = above_limit(item, practice.max_payment)
        if too_large is not None:
            return Planned(too_large)
    related = store.related_items(practice.id, item.related_key) if item.related_key else []
    if kind is ItemKind.PATIENT_PAYMENT:
        # staff may name the patient when the processor's metadata had none (`retry --patient`)
        override = item.progress.get(PATIENT_OVERRIDE)
        return Planned(
            plan_patient_payment(
                item,
                writeback_of(practice),
                ledger,
                tz=tz,
                patient_ref=str(override) if override else None,
                post_anyway=bool(item.progress.get(POST_ANYWAY)),
            )
        )
    if kind in REVERSALS:
        hand = resolved_by_hand(store, practice.id, related)
        outcome = plan_reversal(
            item, related, writeback_of(practice), ledger, tz=tz, hand_entered=hand
        )
        return Planned(outcome)
    if kind is ItemKind.DISPUTE_WON:
        return Planned(plan_dispute_won(item, related, writeback_of(practice), ledger, tz=tz))
    if kind is ItemKind.ERA_CLAIM:
        remittance = store.find_item(practice.id, item.group_key) if item.group_key else None
        group = item.group_key
        return plan_claim(
            item,
            auto_post_of(practice),
            ledger,
            remittance=remittance,
            related=related,
            siblings=lambda: store.group_items(practice.id, group) if group else [],
        )
    if kind is ItemKind.ERA_REMITTANCE:
        return plan_remittance(item)
    if kind is ItemKind.ERA_PLB:
        remittance = store.find_item(practice.id, item.group_key) if item.group_key else None
        siblings = store.group_items(practice.id, item.group_key) if item.group_key else []
        return plan_plb(
            item, auto_post_of(practice), ledger, remittance=remittance, siblings=siblings
        )
    if kind is ItemKind.ERA_SECONDARY:
        return plan_secondary_claim(item)
    if kind is ItemKind.DEPOSIT:
        return plan_deposit(item, practice, store, ledger)
    record = stripe_record(item)
    payout = record.payout or item.group_key
    if kind is ItemKind.PAYOUT_FAILURE:
        return Planned(review("payout_failed", payout=payout, amount=item.amount))
    if kind is ItemKind.PAYOUT_NOTICE:
        return Planned(review("manual_payout_account", payout=payout, amount=item.amount))
    txn = record if isinstance(record, StripeTransaction) else None
    stripe_type = txn.type if txn is not None else None
    if stripe_type == "refund_failure" and txn is not None:
        charge = txn.original_charge or item.related_key
        return Planned(review("refund_failed", charge=charge, amount=item.amount, payout=payout))
    return Planned(Ignore(f"not posted: {stripe_type or kind.value}"))
