"""Seeded Stripe data for the sandbox server: accounts, keys and Stripe-shaped objects.

Objects follow the field names and types of Stripe's published example objects
(``stripe/openapi`` ``fixtures3.json``): amounts in integer cents, times as Unix seconds,
expandable references as id strings. Only the fields the connector or a curious reader needs
are filled; billing details stay empty (no personal data in the sandbox either).

:func:`demo_dataset` builds the demo: per practice, card and ``us_bank_account`` payments,
a refund, a lost and a won dispute, an ACH return, a Stripe fee, a manual payout, an
``in_transit`` payout and, for a practice on Connect, a destination charge.
:func:`bulk_dataset` builds many payments over several payouts for the request benchmark.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY = 86_400
PLATFORM_ACCOUNT = "acct_1SandboxPlatform0"
ALL_PERMISSIONS = frozenset(
    {"balance", "balance_transaction_sources", "payouts", "charges", "payment_intents",
     "customers"})  # fmt: skip
"""Read permissions a restricted key may hold in the sandbox (see docs/stripe.md)."""


@dataclass
class KeyGrant:
    """What one API key may do: its own account, and (restricted keys) which reads."""

    account: str
    permissions: frozenset[str] = ALL_PERMISSIONS


@dataclass
class AccountData:
    """The objects one Stripe account sees. ``connected_to`` names its Connect platform."""

    id: str
    connected_to: str | None = None
    payouts: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    payout_of: dict[str, str] = field(default_factory=dict)  # txn id → payout id
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # ch/pi/cus/re/du/tr/po


@dataclass
class StripeDataset:
    """Every account and key the sandbox serves."""

    accounts: dict[str, AccountData] = field(default_factory=dict)
    keys: dict[str, KeyGrant] = field(default_factory=dict)

    def account(self, account_id: str, *, connected_to: str | None = None) -> AccountData:
        """The account with this id, created on first use."""
        if account_id not in self.accounts:
            self.accounts[account_id] = AccountData(account_id, connected_to)
        return self.accounts[account_id]

    def find(self, object_id: str) -> dict[str, Any] | None:
        """Any object by id, in any account (expansion may cross to the platform)."""
        for account in self.accounts.values():
            if object_id in account.objects:
                return account.objects[object_id]
        return None

    def payout(self, payout_id: str) -> dict[str, Any]:
        """A payout by id (KeyError when unknown), for tests that change its status."""
        found = self.find(payout_id)
        if found is None or found.get("object") != "payout":
            raise KeyError(payout_id)
        return found


def _fee(amount: int, method: str) -> int:
    if method == "us_bank_account":
        return min(round(amount * 0.008), 500)
    return round(amount * 0.029) + 30


class Builder:
    """Creates Stripe-shaped objects in a dataset with unique, repeatable ids.

    Args:
        dataset: where objects go.
        now: the reference time (Unix seconds) the demo's dates are relative to.
        tag: a few letters mixed into ids so two builders never collide.
    """

    def __init__(self, dataset: StripeDataset, now: int, tag: str = "S") -> None:
        self.data = dataset
        self.now = now
        self.tag = tag
        self._counter = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        """A fresh id such as ``ch_3SbxA1b2…``."""
        n = next(self._counter)
        digest = hashlib.sha256(f"{self.tag}:{prefix}:{n}".encode()).hexdigest()[:10]
        return f"{prefix}_1{self.tag}{digest}{n:06d}"

    # -- payment objects -------------------------------------------------------------------
    def customer(self, acct: AccountData, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """A customer with no personal data, only metadata."""
        cus: dict[str, Any] = {
            "id": self.new_id("cus"), "object": "customer", "address": None, "balance": 0,
            "created": self.now - 30 * DAY, "currency": "usd", "default_source": None,
            "delinquent": False, "description": None, "email": None, "invoice_prefix": "SBX0001",
            "livemode": False, "metadata": dict(metadata or {}), "name": None, "phone": None,
            "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None,
        }  # fmt: skip
        acct.objects[cus["id"]] = cus
        return cus

    def payment(
        self,
        acct: AccountData,
        amount: int,
        *,
        method: str = "card",
        created: int,
        charge_metadata: dict[str, str] | None = None,
        intent_metadata: dict[str, str] | None = None,
        customer: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A succeeded PaymentIntent with its Charge and the charge's balance transaction."""
        pi_id, ch_id, txn_id = self.new_id("pi"), self.new_id("ch"), self.new_id("txn")
        cus_id = customer["id"] if customer else None
        intent = {
            "id": pi_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_received": amount, "application": None, "application_fee_amount": None,
            "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic",
            "confirmation_method": "automatic", "created": created, "currency": "usd",
            "customer": cus_id, "description": None, "latest_charge": ch_id, "livemode": False,
            "metadata": dict(intent_metadata or {}), "on_behalf_of": None,
            "payment_method": self.new_id("pm"), "payment_method_types": [method],
            "status": "succeeded", "transfer_data": None, "transfer_group": None,
        }  # fmt: skip
        charge = self._charge(ch_id, amount, method=method, created=created, txn_id=txn_id,
                              metadata=charge_metadata, customer=cus_id, intent=pi_id)  # fmt: skip
        acct.objects[pi_id] = intent
        acct.objects[ch_id] = charge
        fee = _fee(amount, method)
        self.transaction(acct, txn_id, amount=amount, fee=fee, type_="charge",
                         category="charge", source=ch_id, created=created)  # fmt: skip
        return intent, charge

    def _charge(
        self,
        ch_id: str,
        amount: int,
        *,
        method: str,
        created: int,
        txn_id: str,
        metadata: dict[str, str] | None,
        customer: str | None,
        intent: str | None,
    ) -> dict[str, Any]:
        if method == "card":
            details: dict[str, Any] = {"type": "card", "card": {
                "brand": "visa", "country": "US", "exp_month": 8, "exp_year": 2030,
                "fingerprint": "SbxFingerprint01", "funding": "credit", "last4": "4242",
                "network": "visa", "three_d_secure": None, "wallet": None}}  # fmt: skip
        elif method == "us_bank_account":
            details = {"type": "us_bank_account", "us_bank_account": {
                "account_holder_type": "individual", "account_type": "checking",
                "bank_name": "STRIPE TEST BANK", "fingerprint": "SbxBankFinger01",
                "last4": "6789", "routing_number": "110000000"}}  # fmt: skip
        else:
            details = {"type": method, method: {}}
        return {
            "id": ch_id, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "application": None, "application_fee": None,
            "application_fee_amount": None, "balance_transaction": txn_id,
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "calculated_statement_descriptor": "SANDBOX DENTAL", "captured": True,
            "created": created, "currency": "usd", "customer": customer, "description": None,
            "disputed": False, "failure_balance_transaction": None, "failure_code": None,
            "failure_message": None, "livemode": False, "metadata": dict(metadata or {}),
            "on_behalf_of": None, "paid": True, "payment_intent": intent,
            "payment_method": self.new_id("pm"), "payment_method_details": details,
            "receipt_email": None, "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False,
                        "url": f"/v1/charges/{ch_id}/refunds"},
            "source_transfer": None, "statement_descriptor": None, "status": "succeeded",
            "transfer_data": None, "transfer_group": None,
        }  # fmt: skip

    def transaction(
        self,
        acct: AccountData,
        txn_id: str | None = None,
        *,
        amount: int,
        fee: int = 0,
        type_: str,
        category: str,
        source: str | None,
        created: int,
        description: str | None = None,
    ) -> dict[str, Any]:
        """A balance transaction (``net = amount - fee``)."""
        fee_details = ([{"amount": fee, "application": None, "currency": "usd",
                         "description": "Stripe processing fees", "type": "stripe_fee"}]
                       if fee else [])  # fmt: skip
        txn: dict[str, Any] = {
            "id": txn_id or self.new_id("txn"), "object": "balance_transaction",
            "amount": amount, "available_on": created + 2 * DAY, "balance_type": "payments",
            "created": created, "currency": "usd", "description": description,
            "exchange_rate": None, "fee": fee, "fee_details": fee_details, "net": amount - fee,
            "reporting_category": category, "source": source, "status": "available",
            "type": type_,
        }  # fmt: skip
        acct.transactions.append(txn)
        acct.objects[txn["id"]] = txn
        return txn

    def refund(self, acct: AccountData, charge: dict[str, Any], amount: int,
               created: int) -> dict[str, Any]:  # fmt: skip
        """A partial or full refund of a charge, with its negative balance transaction."""
        re_id, txn_id = self.new_id("re"), self.new_id("txn")
        refund: dict[str, Any] = {
            "id": re_id, "object": "refund", "amount": amount, "balance_transaction": txn_id,
            "charge": charge["id"], "created": created, "currency": "usd",
            "destination_details": {"type": "card", "card": {"type": "refund"}},
            "metadata": {}, "payment_intent": charge.get("payment_intent"), "reason": None,
            "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
            "transfer_reversal": None,
        }  # fmt: skip
        acct.objects[re_id] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.transaction(acct, txn_id, amount=-amount, type_="refund", category="refund",
                         source=re_id, created=created)  # fmt: skip
        return refund

    def dispute(
        self,
        acct: AccountData,
        charge: dict[str, Any],
        *,
        won: bool,
        created: int,
        closed: int | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A dispute: funds withdrawn (with the 15.00 dispute fee) and, if won, reinstated."""
        du_id = self.new_id("du")
        amount = charge["amount"]
        withdrawn = self.transaction(
            acct,
            amount=-amount,
            fee=1500,
            type_="adjustment",
            category="dispute",
            source=du_id,
            created=created,
            description=f"Chargeback withdrawal for {charge['id']}",
        )
        txns = [withdrawn]
        if won:
            txns.append(self.transaction(
                acct, amount=amount, fee=-1500, type_="adjustment", category="dispute_reversal",
                source=du_id, created=closed or created + DAY,
                description=f"Chargeback reversal for {charge['id']}"))  # fmt: skip
        dispute = {
            "id": du_id, "object": "dispute", "amount": amount,
            "balance_transactions": [t["id"] for t in txns], "charge": charge["id"],
            "created": created, "currency": "usd", "evidence": {}, "evidence_details": {
                "due_by": created + 7 * DAY, "has_evidence": won, "past_due": False,
                "submission_count": 1 if won else 0},
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": charge.get("payment_intent"), "reason": "fraudulent",
            "status": "won" if won else "lost",
        }  # fmt: skip
        acct.objects[du_id] = dispute
        charge["disputed"] = True
        return dispute, txns

    def ach_return(self, acct: AccountData, charge: dict[str, Any],
                   created: int) -> dict[str, Any]:  # fmt: skip
        """An ACH debit that bounced after it was paid out: the charge fails, money leaves."""
        charge["status"] = "failed"
        charge["failure_code"] = "insufficient_funds"
        txn = self.transaction(
            acct,
            amount=-charge["amount"],
            type_="payment_failure_refund",
            category="charge_failure",
            source=charge["id"],
            created=created,
        )
        charge["failure_balance_transaction"] = txn["id"]
        return txn

    def destination_charge(
        self,
        platform: AccountData,
        connected: AccountData,
        amount: int,
        *,
        created: int,
        charge_metadata: dict[str, str] | None = None,
        customer: dict[str, Any] | None = None,
        application_fee: int = 0,
        on_behalf_of: bool = False,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A Connect destination charge: platform charge → transfer → ``py_`` on the practice.

        The platform's balance gets the charge (+), the transfer (−) and, with
        ``application_fee``, an ``application_fee`` transaction (+); the connected account gets
        a ``payment`` whose fee is the application fee. (That the connected account's payment
        carries the application fee as its fee is our reading of Stripe's Connect fee pages,
        *unverified* against a live account.) Returns the platform charge and the ``py_``.
        """
        _, charge = self.payment(platform, amount, created=created,
                                 charge_metadata=charge_metadata, customer=customer)  # fmt: skip
        tr_id, py_id, txn_id = self.new_id("tr"), self.new_id("py"), self.new_id("txn")
        transfer_txn = self.new_id("txn")
        charge["transfer"] = tr_id
        charge["transfer_data"] = {"amount": None, "destination": connected.id}
        if on_behalf_of:
            charge["on_behalf_of"] = connected.id
        platform.objects[tr_id] = {
            "id": tr_id, "object": "transfer", "amount": amount, "amount_reversed": 0,
            "balance_transaction": transfer_txn, "created": created, "currency": "usd",
            "description": None, "destination": connected.id, "destination_payment": py_id,
            "livemode": False, "metadata": {}, "reversed": False, "reversals": [],
            "source_transaction": charge["id"], "source_type": "card", "transfer_group": None,
        }  # fmt: skip
        self.transaction(platform, transfer_txn, amount=-amount, type_="transfer",
                         category="transfer", source=tr_id, created=created)  # fmt: skip
        if application_fee:
            fee_id = self.new_id("fee")
            charge["application_fee"] = fee_id
            charge["application_fee_amount"] = application_fee
            platform.objects[fee_id] = {
                "id": fee_id, "object": "application_fee", "account": connected.id,
                "amount": application_fee, "amount_refunded": 0, "charge": py_id,
                "created": created, "currency": "usd", "livemode": False,
                "originating_transaction": charge["id"], "refunded": False,
            }  # fmt: skip
            self.transaction(platform, amount=application_fee, type_="application_fee",
                             category="platform_earning", source=fee_id,
                             created=created)  # fmt: skip
        payment = self._charge(
            py_id,
            amount,
            method="stripe_account",
            created=created,
            txn_id=txn_id,
            metadata=None,
            customer=None,
            intent=None,
        )
        payment["source_transfer"] = tr_id
        connected.objects[py_id] = payment
        txn = self.transaction(connected, txn_id, amount=amount, fee=application_fee,
                               type_="payment", category="charge", source=py_id,
                               created=created)  # fmt: skip
        if application_fee:
            txn["fee_details"] = [{"amount": application_fee, "application": None,
                                   "currency": "usd", "description": "Application fee",
                                   "type": "application_fee"}]  # fmt: skip
        return charge, payment

    def destination_refund(
        self,
        platform: AccountData,
        connected: AccountData,
        charge: dict[str, Any],
        amount: int,
        *,
        created: int,
        reverse_transfer: bool = True,
    ) -> dict[str, Any]:
        """A refund of a destination charge, taken from the platform's balance.

        With ``reverse_transfer`` the platform takes the money back from the connected account:
        a transfer reversal (``trr_``, platform ``transfer_refund`` +) and the connected
        account's ``payment_refund`` (−) of its ``py_`` payment. Returns the platform refund.
        """
        refund = self.refund(platform, charge, amount, created)
        if not reverse_transfer:
            return refund
        transfer = platform.objects[charge["transfer"]]
        trr_id, pyr_id = self.new_id("trr"), self.new_id("pyr")
        trr_txn, pyr_txn = self.new_id("txn"), self.new_id("txn")
        py_id = transfer["destination_payment"]
        platform.objects[trr_id] = {
            "id": trr_id, "object": "transfer_reversal", "amount": amount,
            "balance_transaction": trr_txn, "created": created, "currency": "usd",
            "destination_payment_refund": pyr_id, "metadata": {}, "source_refund": refund["id"],
            "transfer": transfer["id"],
        }  # fmt: skip
        transfer["amount_reversed"] += amount
        transfer["reversals"].append(trr_id)
        refund["transfer_reversal"] = trr_id
        self.transaction(platform, trr_txn, amount=amount, type_="transfer_refund",
                         category="transfer_reversal", source=trr_id,
                         created=created)  # fmt: skip
        connected.objects[pyr_id] = {
            "id": pyr_id, "object": "refund", "amount": amount, "balance_transaction": pyr_txn,
            "charge": py_id, "created": created, "currency": "usd", "metadata": {},
            "payment_intent": None, "reason": None, "source_transfer_reversal": trr_id,
            "status": "succeeded", "transfer_reversal": None,
        }  # fmt: skip
        self.transaction(connected, pyr_txn, amount=-amount, type_="payment_refund",
                         category="refund", source=pyr_id, created=created)  # fmt: skip
        return refund

    def stripe_fee(self, acct: AccountData, amount: int, created: int) -> dict[str, Any]:
        """A Stripe billing fee (e.g. Radar) taken from the balance."""
        return self.transaction(acct, amount=-amount, type_="stripe_fee", category="fee",
                                source=None, created=created, description="Radar fees")  # fmt: skip

    def payout(
        self,
        acct: AccountData,
        txns: Sequence[dict[str, Any]],
        *,
        arrival: int,
        status: str = "paid",
        automatic: bool = True,
        amount: int | None = None,
    ) -> dict[str, Any]:
        """A payout of ``txns`` (automatic: listable by ``payout=``) with its own debit."""
        po_id = self.new_id("po")
        total = amount if amount is not None else sum(t["net"] for t in txns)
        own = self.transaction(acct, amount=-total, type_="payout", category="payout",
                               source=po_id, created=arrival - 2 * DAY,
                               description="STRIPE PAYOUT")  # fmt: skip
        payout = {
            "id": po_id, "object": "payout", "amount": total, "application_fee": None,
            "application_fee_amount": None, "arrival_date": arrival, "automatic": automatic,
            "balance_transaction": own["id"], "created": arrival - 2 * DAY, "currency": "usd",
            "description": "STRIPE PAYOUT", "destination": self.new_id("ba"),
            "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
            "livemode": False, "metadata": {}, "method": "standard", "original_payout": None,
            "reconciliation_status": ("completed" if automatic and status == "paid"
                                      else "in_progress" if automatic else "not_applicable"),
            "reversed_by": None, "source_type": "card", "statement_descriptor": None,
            "status": status, "trace_id": {"status": "supported", "value": None},
            "type": "bank_account",
        }  # fmt: skip
        acct.payouts.append(payout)
        acct.objects[po_id] = payout
        if automatic:
            for txn in [*txns, own]:
                acct.payout_of[txn["id"]] = po_id
        return payout

    def fail_payout(self, acct: AccountData, payout: dict[str, Any], created: int) -> None:
        """Turn a paid payout into a failed one, returning its money to the balance."""
        txn = self.transaction(
            acct,
            amount=payout["amount"],
            type_="payout_failure",
            category="payout_reversal",
            source=payout["id"],
            created=created,
        )
        payout.update(status="failed", failure_code="account_closed",
                      failure_message="The bank account has been closed.",
                      failure_balance_transaction=txn["id"])  # fmt: skip


@dataclass(frozen=True)
class DemoPractice:
    """One practice of the demo: its key, its Connect account (if any) and patient ids."""

    practice_id: str
    api_key: str
    patient_ids: tuple[str, ...]
    account: str | None = None  # acct_… when the practice is a connected account


def demo_dataset(
    practices: Iterable[DemoPractice],
    *,
    now: dt.datetime | None = None,
    metadata_key: str = "pms_patient_id",
) -> StripeDataset:
    """The demo data set (see the module docstring); dates are relative to ``now``."""
    data = StripeDataset()
    ts = int((now or dt.datetime.now(dt.UTC)).timestamp())
    for index, practice in enumerate(practices):
        b = Builder(data, ts, tag=f"D{index}")
        if practice.account is None:
            acct = data.account(b.new_id("acct"))
            data.keys[practice.api_key] = KeyGrant(acct.id)
            platform = None
        else:
            platform = data.account(PLATFORM_ACCOUNT)
            acct = data.account(practice.account, connected_to=platform.id)
            data.keys.setdefault(practice.api_key, KeyGrant(platform.id))
        _seed_practice(b, acct, platform, list(practice.patient_ids), metadata_key)
    return data


def _seed_practice(b: Builder, acct: AccountData, platform: AccountData | None,
                   patients: list[str], key: str) -> None:  # fmt: skip
    def pid(i: int) -> dict[str, str]:
        return {key: patients[i % len(patients)]}

    t = b.now
    # Payout 1 (arrived two days ago): payments by card and bank debit, a Stripe fee.
    _, card = b.payment(acct, 12500, created=t - 5 * DAY, charge_metadata=pid(0))
    _, ach = b.payment(acct, 30000, method="us_bank_account", created=t - 5 * DAY,
                       intent_metadata=pid(1))  # fmt: skip
    cus = b.customer(acct, pid(2))
    _, by_customer = b.payment(acct, 8000, created=t - 5 * DAY, customer=cus)
    _, to_refund = b.payment(acct, 6000, created=t - 5 * DAY, charge_metadata=pid(0))
    _, lost = b.payment(acct, 20000, created=t - 5 * DAY, charge_metadata=pid(3))
    _, won = b.payment(acct, 15000, created=t - 5 * DAY, charge_metadata=pid(4))
    _, bounced = b.payment(acct, 9000, method="us_bank_account", created=t - 5 * DAY,
                           charge_metadata=pid(1))  # fmt: skip
    _, anonymous = b.payment(acct, 4500, created=t - 5 * DAY)  # no patient id anywhere
    first = [*acct.transactions]
    first.append(b.stripe_fee(acct, 500, t - 4 * DAY))
    if platform is not None:
        b.destination_charge(platform, acct, 17500, created=t - 5 * DAY, charge_metadata=pid(2))
        first.append(acct.transactions[-1])
    b.payout(acct, first, arrival=t - 2 * DAY)
    # Payout 2 (arrived yesterday): refund, lost dispute, won dispute, ACH return, a payment.
    start = len(acct.transactions)
    b.refund(acct, to_refund, 2000, t - 3 * DAY)
    b.dispute(acct, lost, won=False, created=t - 3 * DAY)
    b.dispute(acct, won, won=True, created=t - 3 * DAY, closed=t - 2 * DAY)
    b.ach_return(acct, bounced, t - 3 * DAY)
    b.payment(acct, 4000, created=t - 3 * DAY, charge_metadata=pid(1))
    b.payment(acct, 52000, method="us_bank_account", created=t - 3 * DAY, charge_metadata=pid(3))
    b.payout(acct, acct.transactions[start:], arrival=t - 1 * DAY)
    # A manual payout (Stripe cannot list what it holds) and one still on its way.
    b.payout(acct, [], arrival=t - 1 * DAY, automatic=False, amount=50000)
    start = len(acct.transactions)
    b.payment(acct, 11000, created=t - 1 * DAY, charge_metadata=pid(2))
    b.payout(acct, acct.transactions[start:], arrival=t + DAY, status="in_transit")
    del card, ach, by_customer, anonymous


def bulk_dataset(
    api_key: str,
    *,
    payouts: int = 10,
    payments_per_payout: int = 100,
    account: str | None = None,
    now: dt.datetime | None = None,
    metadata_key: str = "pms_patient_id",
) -> StripeDataset:
    """Many paid card payments over several automatic payouts (the request benchmark)."""
    data = StripeDataset()
    ts = int((now or dt.datetime.now(dt.UTC)).timestamp())
    b = Builder(data, ts, tag="B")
    if account is None:
        acct = data.account(b.new_id("acct"))
        data.keys[api_key] = KeyGrant(acct.id)
    else:
        platform = data.account(PLATFORM_ACCOUNT)
        acct = data.account(account, connected_to=platform.id)
        data.keys[api_key] = KeyGrant(platform.id)
    for p in range(payouts):
        arrival = ts - (payouts - p) * 3600
        start = len(acct.transactions)
        for i in range(payments_per_payout):
            b.payment(
                acct,
                1000 + i,
                created=arrival - 2 * DAY,
                charge_metadata={metadata_key: str(10_000 + p * payments_per_payout + i)},
            )
        b.payout(acct, acct.transactions[start:], arrival=arrival)
    return data


def clone(dataset: StripeDataset) -> StripeDataset:
    """A deep copy (tests change statuses without touching a shared fixture)."""
    return copy.deepcopy(dataset)
