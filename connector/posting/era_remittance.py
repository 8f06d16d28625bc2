"""A remittance (one check or EFT) as a whole: test files, balancing, provider-level adjustments.

The remittance item itself posts no money (its claims do, one by one, each with the
remittance's check/EFT record). What it decides:

* a test file (ISA15 = T) → review ``test_file`` (its claims are ignored);
* totals that do not balance → review ``unbalanced_era`` (its claims go to review too);
* each PLB adjustment → its own ``era_plb`` item, keyed ``{remittance key}:plb:{n}``, which
  :mod:`connector.posting.era_plb` posts by the practice's rule per reason code or sends to
  review ``provider_level_adjustment`` with its reason in words. The derived items carry the
  remittance key as ``group_key`` and ``related_key``; recording them is idempotent by key.
"""

from __future__ import annotations

from connector.domain import Item, ItemKind, NewItem
from connector.posting.codes import plb_words
from connector.posting.outcomes import DeriveItems, Ignore, Planned
from connector.posting.reasons import review
from connector.records.era_plb import EraPlb
from connector.records.era_remittance import EraRemittance

RECORDED = "remittance_recorded"


def plan_remittance(item: Item) -> Planned:
    """Plan an ``era_remittance`` item.

    Raises:
        DataError: the payload is unusable.
    """
    remit = EraRemittance.from_item(item)
    info = {
        "trace": remit.trace,
        "payer_id": remit.payer_id or None,
        "payer_name": remit.payer_name or None,
        "amount": remit.amount,
        "payment_date": remit.payment_date,
    }
    decision = {"remittance": info, "plb_count": len(remit.plb)}
    if remit.test:
        return Planned(review("test_file", **info), decision)
    if not remit.balanced:
        # each failed rule in the parser's plain words (segment, element, the two amounts)
        problems = (
            "; ".join(error.message for error in remit.balance_errors) or "its totals do not match"
        )
        return Planned(review("unbalanced_era", **info, problems=problems), decision)
    if not remit.plb:
        return Planned(Ignore(RECORDED), decision)
    derived = []
    for number, plb in enumerate(remit.plb, 1):
        plb_item = EraPlb(
            remittance_key=item.key,
            trace=remit.trace,
            payer_id=remit.payer_id or None,
            payer_name=remit.payer_name or None,
            number=number,
            provider=plb.provider or None,
            period_end=plb.period_end,
            reason=plb.reason,
            reference=plb.reference,
            amount=plb.amount,
        )
        derived.append(
            NewItem(
                key=f"{item.key}:plb:{number}",
                kind=ItemKind.ERA_PLB,
                payload=plb_item.to_json(),
                amount=-plb.amount,  # a positive PLB amount is money withheld from the practice
                group_key=item.key,
                related_key=item.key,
            )
        )
    return Planned(DeriveItems(tuple(derived), then=Ignore(RECORDED)), decision)


def plan_provider_adjustment(item: Item) -> Planned:
    """An ``era_plb`` item: always a review, with the reason in words.

    Raises:
        DataError: the payload is unusable.
    """
    plb = EraPlb.from_json(item.payload)
    reason, plb_amount, reference = plb.reason, plb.amount, plb.reference
    effect = "withheld from" if plb_amount > 0 else "added to"
    info = {
        "trace": plb.trace,
        "payer_name": plb.payer_name,
        "code": reason,
        "words": plb_words(reason),
        "amount": f"{abs(plb_amount)} {effect} the payment",
        "reference": reference,
        "reference_text": f" (reference {reference})" if reference else "",
        "remittance_key": plb.remittance_key,
    }
    return Planned(review("provider_level_adjustment", **info), {"plb": info})
