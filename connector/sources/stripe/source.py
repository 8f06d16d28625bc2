"""The Stripe source: record every cleared money movement of one practice, exactly once.

"Cleared" means: part of a payout whose status is ``paid`` (the money reached the practice's
bank, as far as Stripe knows). One poll:

1. lists paid payouts whose arrival date is in the window (cursor minus ``lookback``);
2. oldest first, for each payout not yet recorded whole: a manual payout becomes one review
   item; a payout still reconciling or inside ``settle_delay`` waits; otherwise its balance
   transactions are listed (sources expanded, 100 per page), classified, their patient ids
   looked up, and the items recorded **together with the advanced cursor** in one
   ``store.record()`` call;
3. lists failed payouts of the longer ``failed_payout_lookback`` window and records a review
   item for each one whose payments were already recorded.

``ctx.stop`` is honoured between payouts; a stopped poll has recorded only whole payouts.

:meth:`StripeSource.replay` re-reads a window chosen by a person (``connector replay``): every
paid payout that arrived since a date, recorded whole again. The store dedupes by ``txn_…``
key, so only what was missed is new; the stored cursor is never passed to ``store.record``
then, so a replay cannot move it backwards (or forwards).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from tenacity.wait import wait_base

from connector.config import PracticeSettings, StripeSettings
from connector.domain import ItemStatus, NewItem
from connector.errors import ConfigError
from connector.faults import kill_point
from connector.jobs import PollContext
from connector.sources.stripe.classify import (
    classify,
    failed_payout_item,
    manual_payout_notice,
    needs_patient,
)
from connector.sources.stripe.client import StripeApi
from connector.sources.stripe.patients import PatientResolver
from connector.sources.stripe.payouts import Cursor, Readiness, readiness, sort_key
from connector.sources.stripe.ratelimit import TokenBucket, process_bucket
from connector.sources.stripe.validate import invalid_item, problems

SOURCE = "stripe"
_REVERSAL_LOOKUP = False  # reversals link to their charge; no customer call just for them


class StripeSource:
    """Polls one practice's Stripe account (or Connect account) for cleared money.

    Args:
        practice: the practice; its ``payments.stripe`` section must be present.
        sleep: how retries wait (tests pass a recorder; default waits on ``ctx.stop``).
        wait: tenacity wait strategy for retries.
        buckets: token buckets for every request (default: this practice's and the process's).
    """

    name = SOURCE

    def __init__(
        self,
        practice: PracticeSettings,
        *,
        sleep: Callable[[float], None] | None = None,
        wait: wait_base | None = None,
        buckets: list[TokenBucket] | None = None,
    ) -> None:
        if practice.payments is None:
            raise ConfigError(f"practices[{practice.id}].payments: the Stripe section is missing")
        self.practice = practice
        self.settings: StripeSettings = practice.payments.stripe
        self._sleep = sleep
        self._wait = wait
        self._buckets = buckets if buckets is not None else [
            TokenBucket(self.settings.requests_per_second), process_bucket()]  # fmt: skip
        self._api: StripeApi | None = None

    @classmethod
    def from_settings(cls, practice: PracticeSettings) -> StripeSource:
        """The source of one practice (used by the source registry)."""
        return cls(practice)

    def api(self, ctx: PollContext) -> StripeApi:
        """The practice's Stripe client (built once; follows the context's stop event and log)."""
        if self._api is None:
            self._api = StripeApi(self.settings, log=ctx.log, stop=ctx.stop, sleep=self._sleep,
                                  wait=self._wait, buckets=self._buckets)  # fmt: skip
        self._api.log = ctx.log
        self._api.stop = ctx.stop
        return self._api

    def check(self, ctx: PollContext) -> str:
        """One cheap authenticated call (retrieve the balance); a short description.

        Raises:
            AuthError: the key is refused or lacks the Balance read permission.
            TransientError: Stripe cannot be reached.
        """
        api = self.api(ctx)
        balance = api.balance()
        currencies = sorted({str(b.get("currency")) for b in balance.get("available") or []})
        where = f"connected account {self.settings.account}" if self.settings.account else (
            "own account")  # fmt: skip
        return f"Stripe key accepted for {where}; balance readable ({', '.join(currencies) or '-'})"

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Record newly cleared transactions; return counts for the poll summary."""
        api = self.api(ctx)
        start_requests = api.requests_made
        counts: Counter[str] = Counter()
        settings = self.settings
        resolver = self._resolver(api)
        now = ctx.now()
        cursor = Cursor.load(ctx.store.get_cursor(self.practice.id, SOURCE), now)
        keep = max(settings.lookback, settings.failed_payout_lookback)
        fail_start = cursor.window_start(settings.failed_payout_lookback)
        payouts = sorted(api.payouts(status="paid", arrival_gte=cursor.window_start(
            settings.lookback)), key=sort_key)  # fmt: skip
        counts["payouts_paid"] = len(payouts)
        held_at: int | None = None
        for payout in payouts:
            if ctx.stop.is_set():
                ctx.log.info("stripe.poll.stopped", before_payout=payout["id"])
                break
            if payout["id"] in cursor.done:
                continue
            state = readiness(payout, now, settings.settle_delay)
            if state in (Readiness.NOT_RECONCILED, Readiness.SETTLING):
                arrival = int(payout.get("arrival_date") or 0)
                held_at = arrival if held_at is None else min(held_at, arrival)
                counts["payouts_waiting"] += 1
                ctx.log.info("stripe.payout.waiting", payout=payout["id"], reason=state.value,
                             reconciliation_status=payout.get("reconciliation_status"))  # fmt: skip
                continue
            if state is Readiness.MANUAL:
                items = [manual_payout_notice(payout, account=settings.account)]
                counts["payouts_manual"] += 1
                ctx.log.warning("stripe.payout.manual", payout=payout["id"],
                                hint="a manual payout cannot be broken down; see the review queue")
            else:
                items = self._payout_items(api, resolver, payout)
            kill_point("stripe.after_fetch_before_record")
            cursor = cursor.after_recording(payout, held_at=held_at, keep=keep)
            result = ctx.store.record(self.practice.id, SOURCE, items, cursor.to_json())
            self._count(counts, items, set(result.new_keys), result.duplicates)
            counts["payouts_recorded"] += 1
            ctx.log.info(
                "stripe.payout.recorded", payout=payout["id"], arrival_date=payout.get(
                    "arrival_date"), transactions=len(items), new=len(result.new_keys),
                duplicates=result.duplicates,
            )  # fmt: skip
        if not ctx.stop.is_set():
            self._failed_payouts(ctx, api, cursor, fail_start, counts)
        counts["customer_lookups"] = resolver.customer_calls
        counts["requests"] = api.requests_made - start_requests
        return dict(counts)

    def replay(
        self,
        ctx: PollContext,
        since: dt.datetime,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, int]:
        """Re-read every paid payout that arrived at or after ``since``; record what is new.

        Payouts still reconciling or settling are left to the regular poll. The cursor is not
        read or written. ``progress(done, total)`` is called after each payout.

        Raises:
            AuthError, TransientError: as :meth:`poll`.
        """
        api = self.api(ctx)
        start_requests = api.requests_made
        counts: Counter[str] = Counter()
        resolver = self._resolver(api)
        now = ctx.now()
        payouts = sorted(api.payouts(status="paid", arrival_gte=int(since.timestamp())),
                         key=sort_key)  # fmt: skip
        counts["payouts_paid"] = len(payouts)
        for done, payout in enumerate(payouts, start=1):
            if ctx.stop.is_set():
                break
            state = readiness(payout, now, self.settings.settle_delay)
            if state in (Readiness.NOT_RECONCILED, Readiness.SETTLING):
                counts["payouts_waiting"] += 1
            else:
                items = (
                    [manual_payout_notice(payout, account=self.settings.account)]
                    if state is Readiness.MANUAL
                    else self._payout_items(api, resolver, payout)
                )
                result = ctx.store.record(self.practice.id, SOURCE, items)  # no cursor
                self._count(counts, items, set(result.new_keys), result.duplicates)
                counts["payouts_replayed"] += 1
                ctx.log.info("stripe.payout.replayed", payout=payout["id"],
                             transactions=len(items), new=len(result.new_keys),
                             duplicates=result.duplicates)  # fmt: skip
            if progress is not None:
                progress(done, len(payouts))
        counts["customer_lookups"] = resolver.customer_calls
        counts["requests"] = api.requests_made - start_requests
        return dict(counts)

    def _resolver(self, api: StripeApi) -> PatientResolver:
        settings = self.settings
        return PatientResolver(
            settings.patient_id_metadata_key, settings.metadata_lookup_order,
            settings.patient_id_pattern,
            lambda customer_id, platform: api.customer(customer_id, platform=platform),
        )  # fmt: skip

    def _payout_items(
        self, api: StripeApi, resolver: PatientResolver, payout: dict[str, Any]
    ) -> list[NewItem]:
        items, account = [], self.settings.account
        # Stripe lists newest first; record oldest first, so a dispute's withdrawal is recorded
        # (and posted) before its reinstatement and a refund after its payment.
        txns = list(api.payout_transactions(payout["id"]))
        txns.reverse()
        readable = []
        for txn in txns:
            wrong = problems(txn)
            if wrong:  # recorded for a person; the payout's other transactions go on
                items.append(invalid_item(txn, payout, wrong, account=account))
            else:
                readable.append(txn)
        readable.sort(key=lambda t: int(t.get("created") or 0))
        for txn in readable:
            source = txn.get("source")
            patient = None
            if isinstance(source, dict):
                allow = needs_patient(txn) or _REVERSAL_LOOKUP
                patient = resolver.resolve(source, allow_fetch=allow)
            items.append(classify(txn, payout, account=account, patient=patient,
                                  patient_key=self.settings.patient_id_metadata_key))  # fmt: skip
        return items

    def _failed_payouts(
        self, ctx: PollContext, api: StripeApi, cursor: Cursor, start: int, counts: Counter[str]
    ) -> None:
        for payout in api.payouts(status="failed", arrival_gte=start):
            recorded = payout["id"] in cursor.done or bool(
                ctx.store.group_items(self.practice.id, payout["id"]))  # fmt: skip
            if not recorded:
                continue  # never seen paid: its payments were never recorded as cleared
            item = failed_payout_item(payout, account=self.settings.account)
            result = ctx.store.record(self.practice.id, SOURCE, [item])
            if result.new_keys:
                counts["payouts_failed"] += 1
                counts["review"] += 1
                ctx.log.warning("stripe.payout.failed", payout=payout["id"],
                                failure_code=payout.get("failure_code"))  # fmt: skip

    @staticmethod
    def _count(counts: Counter[str], items: list[NewItem], new: set[str], dupes: int) -> None:
        counts["items_new"] += len(new)
        counts["items_duplicate"] += dupes
        for item in items:
            if item.key not in new:
                continue
            if item.status is ItemStatus.REVIEW:
                counts["review"] += 1
            elif item.status is ItemStatus.IGNORED:
                counts["ignored"] += 1

