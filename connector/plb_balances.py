"""Forward balances (PLB reason ``FB``) carried across remittances, by payer and reference.

A payer that takes back more than one remittance pays carries the rest forward: one 835 shows
an FB adjustment that *adds* the amount (negative PLB04), a later one an FB that *withholds* it
again (positive PLB04), both naming the same reference (PLB03-2). Summing the FB adjustments
per payer and reference shows which balances are still open; a balance is closed when the sum
is 0.00. The connector posts each FB by its rule (:mod:`connector.posting.era_plb`); this report
is how staff see that the later remittance's FB closed the earlier one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from connector.domain import ItemKind
from connector.money import ZERO
from connector.records.era_plb import readable_plb
from connector.store import StateStore

FORWARD_BALANCE = "FB"


@dataclass
class ForwardBalanceRow:
    """One forward balance: its FB adjustments across remittances and what remains open."""

    practice_id: str
    payer: str
    reference: str
    balance: Decimal = ZERO  # Σ PLB04 of its FB adjustments: 0.00 = closed
    remittances: list[str] = field(default_factory=list)  # trace numbers, oldest first
    statuses: list[str] = field(default_factory=list)  # each FB item's status

    @property
    def closed(self) -> bool:
        """True when the later remittances' FB adjustments cancel the earlier ones."""
        return self.balance == ZERO


def forward_balances(
    store: StateStore,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[ForwardBalanceRow]:
    """Every FB reference of the practices' remittances recorded in ``[since, until)``, open
    ones first, then by payer and reference."""
    rows: dict[tuple[str, str, str], ForwardBalanceRow] = {}
    for practice_id in practice_ids:
        for item in store.items_of_kind(practice_id, [ItemKind.ERA_PLB.value], since, until):
            plb = readable_plb(item)
            if plb is None or plb.reason.strip().upper() != FORWARD_BALANCE:
                continue
            payer = plb.payer_id or plb.payer_name or "?"
            reference = plb.reference or "(none)"
            row = rows.setdefault(
                (practice_id, payer, reference), ForwardBalanceRow(practice_id, payer, reference)
            )
            row.balance += plb.amount
            row.remittances.append(plb.trace or "")
            row.statuses.append(item.status.value)
    return sorted(rows.values(), key=lambda r: (r.closed, r.practice_id, r.payer, r.reference))
