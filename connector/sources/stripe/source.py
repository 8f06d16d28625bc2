"""The Stripe source: record every cleared money movement of one practice, exactly once.

"Cleared" means: part of a payout whose status is ``paid`` (the money reached the practice's
bank, as far as Stripe knows). One poll:

1. lists paid payouts whose arrival date is in the window (cursor minus ``lookback``);
2. oldest first, for each payout not yet recorded whole: a manual payout becomes one review
   item; a payout still reconciling or inside ``settle_delay`` waits; otherwise its balance
   transactions are listed (sources expanded, 100 per page), classified, their patient ids
   looked up, and the items recorded **together with the advanced cursor** in one
   ``store.record()`` call;
3. records a review item for each failed payout of the longer ``failed_payout_lookback``
   window whose payments were already recorded (paid and failed payouts come from one list
   call over both windows, filtered here).

``ctx.stop`` is honoured between payouts and between the pages of a long payout; a stopped
poll has recorded only whole payouts. A payout cut short (stop, rate limit past the poll's
``rate_limit_wait``, outage) leaves its place in the cursor (:mod:`.progress`, written after
each page but the last) and the next poll resumes at ``starting_after``, never at page 1.

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
from connector.errors import ConfigError, RateLimited
from connector.faults import kill_point
from connector.jobs import PollContext
from connector.records.stripe import transaction_of
from connector.sources.stripe.client import StripeApi
from connector.sources.stripe.failures import link_returned_money, record_failed_payouts
from connector.sources.stripe.patients import PatientResolver
from connector.sources.stripe.payout_items import manual_payout_notice
from connector.sources.stripe.payouts import Cursor, Readiness, readiness, sort_key
from connector.sources.stripe.progress import PayoutProgress
from connector.sources.stripe.ratelimit import TokenBucket, process_bucket
from connector.sources.stripe.reader import PayoutReader
from connector.sources.stripe.window import first_anchor, first_run_words, window_of

SOURCE = "stripe"


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
        return (f"Stripe key accepted for {where}; balance readable "
                f"({', '.join(currencies) or '-'}); {first_run_words(self.settings)}")  # fmt: skip

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Record newly cleared transactions; return counts for the poll summary.

        A 429 that outlasts the poll's ``rate_limit_wait`` (or carries
        ``Stripe-Should-Retry: false``) ends the poll normally, keeping its place; the
        summary then has ``rate_limit_stops``.
        """
        api = self.api(ctx)
        api.policy.begin_poll()
        start_requests = api.requests_made
        counts: Counter[str] = Counter()
        resolver = self._resolver(api)
        try:
            self._poll(ctx, api, PayoutReader(api, resolver, self.settings.account,
                       self.settings.patient_id_metadata_key), counts)  # fmt: skip
        except RateLimited as exc:
            counts["rate_limit_stops"] += 1
            ctx.log.warning(
                "stripe.poll.rate_limited", operation=exc.context.get("operation"),
                request_id=exc.context.get("request_id"),
                waited_s=round(api.policy.rate_limit_waited, 3),
                budget_spent=bool(exc.context.get("rate_limit_budget_spent")),
                hint="Stripe kept asking us to slow down; the next poll resumes where this one "
                "stopped",
            )  # fmt: skip
        counts["rate_limited"] = api.policy.rate_limited
        counts["customer_lookups"] = resolver.customer_calls
        counts["requests"] = api.requests_made - start_requests
        return dict(counts)

    def _poll(
        self, ctx: PollContext, api: StripeApi, reader: PayoutReader, counts: Counter[str]
    ) -> None:
        settings = self.settings
        now = ctx.now()
        stored = ctx.store.get_cursor(self.practice.id, SOURCE)
        cursor = Cursor.load(stored, now, first_anchor(settings, now))
        window = window_of(settings, stored, now)
        if window.basis == "lookback":  # say plainly how far back a first run looks
            ctx.log.warning("stripe.window", **window.fields(), hint=window.words())
        else:
            ctx.log.info("stripe.window", **window.fields())
        keep = max(settings.lookback, settings.failed_payout_lookback)
        fail_start = cursor.window_start(settings.failed_payout_lookback)
        # one list for both windows: paid payouts to record, failed ones to check (.failures)
        listed = list(api.payouts(status=None, arrival_gte=min(window.since, fail_start)))
        payouts = sorted((p for p in listed if p.get("status") == "paid"
                          and int(p.get("arrival_date") or 0) >= window.since),
                         key=sort_key)  # fmt: skip
        failed = [p for p in listed if p.get("status") == "failed"]
        counts["payouts_paid"] = len(payouts)
        if cursor.partial is not None and cursor.partial.payout not in {p["id"] for p in payouts}:
            cursor = cursor.with_partial(None)  # no longer a paid payout: read it whole later
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
                ctx.log.warning(
                    "stripe.payout.manual",
                    payout=payout["id"],
                    hint="a manual payout cannot be broken down; see the review queue",
                )
            else:
                read = self._read(ctx, reader, payout, cursor, counts)
                if read is None:
                    ctx.log.info("stripe.poll.stopped", inside_payout=payout["id"])
                    return
                items = read
            items = link_returned_money(ctx, items, counts, settings.account)
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
            record_failed_payouts(ctx, failed, cursor.done, account=settings.account,
                                  counts=counts)  # fmt: skip

    def _read(
        self, ctx: PollContext, reader: PayoutReader, payout: dict[str, Any], cursor: Cursor,
        counts: Counter[str],
    ) -> list[NewItem] | None:  # fmt: skip
        """Read a payout, resuming a half-read one and keeping its place after every page."""
        resumed = cursor.partial
        if resumed is not None and resumed.payout != payout["id"]:
            resumed = None
        if resumed is not None:
            counts["payouts_resumed"] += 1
            ctx.log.info("stripe.payout.resumed", payout=payout["id"], pages_read=resumed.pages,
                         transactions_read=len(resumed.entries))  # fmt: skip

        def save(progress: PayoutProgress) -> None:
            ctx.store.record(self.practice.id, SOURCE, [],
                             cursor.with_partial(progress).to_json())  # fmt: skip
            counts["pages_kept"] += 1

        return reader.read(payout, progress=resumed, save=save, stop=ctx.stop)

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
                reader = PayoutReader(api, resolver, self.settings.account,
                                      self.settings.patient_id_metadata_key)  # fmt: skip
                items = (
                    [manual_payout_notice(payout, account=self.settings.account)]
                    if state is Readiness.MANUAL
                    else reader.read(payout) or []
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
            record = transaction_of(item)
            if record is None:
                continue
            if record.ignored_reason and item.status is ItemStatus.IGNORED:
                counts[f"ignored_{record.ignored_reason}"] += 1
            if item.status is ItemStatus.REVIEW and record.connect_reason:
                counts[record.connect_reason] += 1
