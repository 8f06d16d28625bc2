"""What planning an item can lead to, besides a plan for the adapter or a review.

The planners return one :data:`Outcome`; the runner carries it out (or, in a dry run, only
logs it). Every outcome is a frozen record so that a plan can be compared in tests and written
to history as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.domain import (
    DepositPlan,
    InsurancePaymentPlan,
    Item,
    NewItem,
    PatientPaymentPlan,
    ReversalPlan,
    ReviewDecision,
)


@dataclass(frozen=True)
class Ignore:
    """Nothing to post, nothing for a person to do (a test-file claim, a bare remittance)."""

    reason: str


@dataclass(frozen=True)
class Defer:
    """Not yet: something this item depends on is still in flight; try again later."""

    code: str
    message: str


@dataclass(frozen=True)
class NetReversal:
    """A reversal whose original payment was never posted: one review for both.

    The runner sends the reversal item to review with ``review`` and takes every item in
    ``closes`` (the original, and earlier netted movements of the same charge) out of the
    posting queue: pending → ignored; an open review of it → resolved, pointing here.
    """

    review: ReviewDecision
    original: Item
    closes: tuple[Item, ...] = ()


@dataclass(frozen=True)
class DeriveItems:
    """Record new items derived from this one (PLB adjustments), then ``then`` for this one."""

    items: tuple[NewItem, ...]
    then: Ignore


@dataclass(frozen=True)
class PostedByPms:
    """The PMS already shows exactly what this item pays (it posted the ERA itself, or staff
    did): record it as posted by the PMS, pointing at ``pms_ids``; nothing is written."""

    pms_ids: dict[str, Any]
    summary: str


Plan = PatientPaymentPlan | ReversalPlan | InsurancePaymentPlan | DepositPlan
Outcome = Plan | ReviewDecision | Ignore | Defer | NetReversal | DeriveItems | PostedByPms


@dataclass(frozen=True)
class Planned:
    """An outcome plus the inputs that led to it (written to history with the item's status)."""

    outcome: Outcome
    decision: dict[str, Any] = field(default_factory=dict)
