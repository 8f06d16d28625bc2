"""Reconciliation and denial reports over the state store (pure functions returning rows).

* payouts — per Stripe payout: gross, fees, net, what was posted, and the items that explain a
  difference; and the bank identity payments − refunds − disputes − fees + other = paid out, where
  fees are every fee of the payout (each transaction's processing fee, dispute fees, and the fee
  transactions themselves: Radar, billing, application fees);
* remittances — per ERA remittance: BPR amount against posted claims, claims in review or
  elsewhere, and provider-level adjustments (PLB);
* denials — denied claims by payer and CARC over a date range, to spot patterns;
* unclaimed — completed procedures of insured patients that are on no claim (read from the PMS
  through the adapter's optional :class:`~adapters.base.ProcedureAudit` capability).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.base import Ledger, ProcedureAudit, UnclaimedProcedure
from connector.domain import Item, ItemKind, ItemStatus
from connector.errors import DataError, NotImplementedYet
from connector.money import ZERO
from connector.records.era import EraClaim, readable_claim
from connector.records.era_remittance import readable_remittance
from connector.records.fields import iso
from connector.records.stripe import (
    StripePayout,
    StripeTransaction,
    is_payout_item,
    stripe_record,
)
from connector.store import ItemReader
from connector.x12codes import DENIED

_PATIENT_MONEY = {
    ItemKind.PATIENT_PAYMENT,
    ItemKind.REFUND,
    ItemKind.DISPUTE,
    ItemKind.DISPUTE_WON,
    ItemKind.ACH_RETURN,
}
_STRIPE_KINDS = [k.value for k in (*_PATIENT_MONEY, ItemKind.PAYOUT_FAILURE, ItemKind.STRIPE_OTHER)]


@dataclass
class PayoutRow:
    """One payout's reconciliation."""

    practice_id: str
    payout: str
    arrival_date: str | None
    items: int = 0
    gross: Decimal = ZERO
    fees: Decimal = ZERO
    net: Decimal = ZERO
    posted: Decimal = ZERO
    paid_out: Decimal = ZERO  # the payout's own debit: what Stripe sent to the bank
    ignored: Decimal = ZERO
    unposted: list[str] = field(default_factory=list)
    payments: Decimal = ZERO  # patient payments (charges), before any fee
    refunds: Decimal = ZERO  # refunds and ACH returns, positive = money out
    disputes: Decimal = ZERO  # disputes lost minus disputes won, positive = money out
    other: Decimal = ZERO  # anything else in the payout (transfers, failed payouts), signed
    failed: bool = False  # Stripe reported it paid, then failed
    repaid_in: list[str] = field(default_factory=list)  # payouts that carried its money again
    repays: list[str] = field(default_factory=list)  # failed payouts whose money this one carries

    @property
    def difference(self) -> Decimal:
        """Patient money in the payout that is not (yet) on the ledger."""
        return self.gross - self.posted - self.ignored

    @property
    def bank(self) -> Decimal:
        """What the parts say reached the bank: payments − refunds − disputes − fees + other."""
        return self.payments - self.refunds - self.disputes - self.fees + self.other

    @property
    def unexplained(self) -> Decimal:
        """The parts against the payout's own amount: 0.00 on every line whose fees are all
        counted (the processing fee of each transaction, dispute fees, Radar and other fees)."""
        return self.bank - self.paid_out

    @property
    def status_words(self) -> str:
        """``failed, re-paid in po_…`` / ``re-pays po_…`` / empty for an ordinary payout."""
        words = []
        if self.failed:
            again = ", ".join(self.repaid_in)
            words.append(f"failed, re-paid in {again}" if again else "failed, not re-paid yet")
        if self.repays:
            words.append(f"re-pays {', '.join(self.repays)}")
        return "; ".join(words)


@dataclass
class RemittanceRow:
    """One remittance's reconciliation: BPR02 = posted + review + other - PLB when all is well."""

    practice_id: str
    remittance: str
    trace: str
    payer: str
    amount: Decimal
    posted: Decimal = ZERO
    in_review: Decimal = ZERO
    other: Decimal = ZERO
    plb: Decimal = ZERO
    claims: int = 0
    plb_posted: Decimal = ZERO  # money of the PLB adjustments posted by rule (−PLB04 each)

    @property
    def difference(self) -> Decimal:
        """BPR amount not accounted for by claims and PLB (0 for a balanced remittance)."""
        return self.amount - (self.posted + self.in_review + self.other - self.plb)


@dataclass(frozen=True)
class DenialRow:
    """Denied claims of one payer for one reason code."""

    practice_id: str
    payer: str
    carc: str
    claims: int
    charges: Decimal


def _stripe(item: Item) -> StripeTransaction | StripePayout | None:
    """The item's record; None when its payload cannot be read (a report never stops)."""
    try:
        return stripe_record(item)
    except DataError:
        return None


def payout_report(
    store: ItemReader,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[PayoutRow]:
    """Per payout: gross, fees, net, posted sum, and the unposted items by key and status."""
    rows: dict[tuple[str, str], PayoutRow] = {}
    for practice_id in practice_ids:
        for item in store.items_of_kind(practice_id, _STRIPE_KINDS, since, until):
            payout = item.group_key or "(no payout)"
            record = _stripe(item)
            arrival = record.payout_arrival_date if record is not None else None
            row = rows.setdefault(
                (practice_id, payout), PayoutRow(practice_id, payout, iso(arrival))
            )
            txn = record if isinstance(record, StripeTransaction) else None
            if txn is not None and txn.is_payout_debit:
                row.paid_out += -item.amount  # the transfer to the bank, not money in it
                continue
            if item.kind is ItemKind.PAYOUT_FAILURE and is_payout_item(item):
                row.failed = True  # the review item of a paid payout that failed
            if item.kind is ItemKind.PAYOUT_FAILURE and txn is not None and txn.failed_payout:
                row.repays.append(txn.failed_payout)
            row.items += 1
            row.fees += (txn.fee if txn is not None else None) or ZERO
            row.net += (txn.net if txn is not None else None) or ZERO
            _add_part(row, item, txn)
            if item.kind not in _PATIENT_MONEY:
                continue
            row.gross += item.amount
            if item.status is ItemStatus.POSTED:
                row.posted += item.amount
            elif item.status is ItemStatus.IGNORED:
                row.ignored += item.amount
            else:
                row.unposted.append(
                    f"{item.key} {item.kind.value} {item.amount} {item.status.value}"
                )
    for (practice_id, payout), row in rows.items():
        for failed in row.repays:
            if (practice_id, failed) in rows:
                rows[(practice_id, failed)].repaid_in.append(payout)
    return sorted(rows.values(), key=lambda r: (r.practice_id, r.arrival_date or "", r.payout))


def is_fee_transaction(txn: StripeTransaction | None) -> bool:
    """True for a balance transaction that *is* a fee (Radar, billing, an application fee),
    as opposed to the ``fee`` field every transaction carries.

    Stripe files these under ``reporting_category`` ``fee``; ``type`` ``stripe_fee`` and
    ``application_fee`` are read from Stripe's type list (stripe-and-peers.md §1.1), the
    ``application_fee`` case on a connected account is unverified against a live account.
    """
    return txn is not None and txn.is_fee


def _add_part(row: PayoutRow, item: Item, txn: StripeTransaction | None) -> None:
    """Put one transaction's amount in its part of the payout (payments, refunds, ...)."""
    words = (txn.type, txn.reporting_category) if txn is not None else ()
    if item.kind is ItemKind.PATIENT_PAYMENT:
        row.payments += item.amount
    elif item.kind in (ItemKind.REFUND, ItemKind.ACH_RETURN):
        row.refunds -= item.amount
    elif "refund_failure" in words:
        row.refunds -= item.amount  # the failed refund's money came back
    elif item.kind in (ItemKind.DISPUTE, ItemKind.DISPUTE_WON):
        row.disputes -= item.amount
    elif is_fee_transaction(txn):
        row.fees -= item.amount  # a fee transaction's amount is negative
    else:
        row.other += item.amount


def remittance_report(
    store: ItemReader,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[RemittanceRow]:
    """Per remittance: BPR amount vs posted claims, claims in review or elsewhere, and PLB."""
    rows = []
    for practice_id in practice_ids:
        for rem in store.items_of_kind(practice_id, [ItemKind.ERA_REMITTANCE.value], since, until):
            remittance = readable_remittance(rem)
            row = RemittanceRow(
                practice_id,
                rem.key,
                remittance.trace if remittance else "",
                (remittance.payer_name or remittance.payer_id or "") if remittance else "",
                rem.amount,
            )
            plb = remittance.plb if remittance else ()
            row.plb = sum((adj.amount for adj in plb), ZERO)
            for claim in store.group_items(practice_id, rem.key):
                if claim.kind is ItemKind.ERA_PLB and claim.status is ItemStatus.POSTED:
                    row.plb_posted += claim.amount
                if claim.kind is not ItemKind.ERA_CLAIM:
                    continue
                row.claims += 1
                if claim.status is ItemStatus.POSTED:
                    row.posted += claim.amount
                elif claim.status is ItemStatus.REVIEW:
                    row.in_review += claim.amount
                else:
                    row.other += claim.amount
            rows.append(row)
    return rows


def denial_report(
    store: ItemReader,
    practice_ids: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[DenialRow]:
    """Denied claims (CLP02 = 4) grouped by payer and CARC (group-reason, claim and line level)."""
    counts: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    for practice_id in practice_ids:
        for item in store.items_of_kind(practice_id, [ItemKind.ERA_CLAIM.value], since, until):
            claim = readable_claim(item)
            if claim is None or claim.status != DENIED:
                continue
            payer = claim.payer_name or claim.payer_id or "?"
            for code in sorted(_carcs(claim)) or ["(none)"]:
                counts[(practice_id, payer, code)].append(claim.charge)
    return [
        DenialRow(practice_id, payer, code, len(charges), sum(charges, ZERO))
        for (practice_id, payer, code), charges in sorted(counts.items())
    ]


def _carcs(claim: EraClaim) -> set[str]:
    adjustments = [*claim.adjustments, *(a for line in claim.lines for a in line.adjustments)]
    return {adj.code for adj in adjustments}


@dataclass(frozen=True)
class UnclaimedRow:
    """One completed procedure not attached to a claim, in one practice."""

    practice_id: str
    procedure: UnclaimedProcedure


def unclaimed_report(
    practice_id: str, ledger: Ledger, start: dt.date, end: dt.date
) -> list[UnclaimedRow]:
    """Completed procedures dated ``start`` to ``end`` (inclusive) that no claim carries.

    Raises:
        NotImplementedYet: the practice's adapter cannot read procedures and claims.
        TransientError, AuthError: the PMS cannot be read now.
    """
    if not isinstance(ledger, ProcedureAudit):
        raise NotImplementedYet(
            f"the {ledger.vendor} adapter cannot list procedures not attached to a claim"
        )
    return [UnclaimedRow(practice_id, proc) for proc in ledger.unclaimed_procedures(start, end)]
