"""The posting job: take due items of one practice and post, review or retry each.

Failures are classified per item, by what to do about them:

* :class:`~connector.errors.TransientError` → ``failed``, retried after an exponential backoff
  (``posting.retry_backoff`` doubling up to ``posting.retry_backoff_max``), and ``dead`` once
  ``posting.max_attempts`` attempts have failed;
* :class:`~connector.errors.PermanentError` → ``dead`` at once;
* :class:`~connector.errors.DataError` → review, with the reason in words;
* :class:`~connector.errors.AuthError` → propagates: the daemon pauses this practice's job.

A transient error whose code says the PMS itself is unreachable (:data:`PMS_UNAVAILABLE`) may
be an outage or the PMS choking on this one item (Open Dental's API can answer HTTP 5xx to one
payload while everything else works). The job asks the PMS with a cheap read-only probe
(:class:`~adapters.base.ServicesPing` where the adapter has it, else ``ledger.ping()``):

* **the probe fails too** (any exception: the PMS has not shown it is up) → an **outage**: the
  item is scheduled for retry, but the failure is not counted against its attempt budget (so
  it is never dead-lettered for an outage, and a long outage followed by one refused request
  cannot kill it either), and the run stops there (the other items would fail the same
  way) by raising :class:`PmsUnavailable`. While the
  outage lasts, each run probes the PMS with the next waiting item even when all of them wait
  out their backoff, so the job keeps failing until the PMS answers instead of seeming to
  recover on a run that had nothing to do. The daemon then logs the outage once and the
  recovery once, and ``connector status`` shows the posting job failing with that code.
* **the probe answers** → the failure is the item's own: an ordinary transient failure of that
  item (attempts + 1, backoff, ``dead`` after ``posting.max_attempts``), stored with a message
  saying the PMS answered other requests and logged as ``posting.failed`` with ``pms_up=True``;
  the run goes on with the other items, and the practice is not in an outage (so the probing
  above does not pick the same item forever). The probe only reads; the item is not retried
  within the run.

A write whose outcome is unknown (:class:`~connector.errors.OutcomeUnknown`: the PMS got the
request and never answered, and the row was not there when the adapter looked at once) is never
sent again at once: the PMS may still be working on it and commit after our look. The item is
marked ``failed`` with the code ``pms_write_outcome_unknown`` and a progress marker
(``outcome_unknown``: since, look after, step); it is not picked again before
``posting.outcome_unknown_wait`` (longer than any PMS API timeout) has passed, even by the
outage probe or after a requeue. Then the usual look in the PMS comes first: the row is there →
posted (``already_posted``); two rows carry its marker → review ``duplicate_in_pms``; still
absent → sent again. Unknown outcomes are never dead-lettered (the next look is what settles
them). If the PMS does not answer a read-only probe either, the run stops as in an outage.

A dry run (``--dry-run``) writes nothing, but an unreachable PMS ends it the same way: the
probe fails, the job raises :class:`PmsUnavailable` and ``connector status`` shows posting
failing (instead of one ``posting.failed`` line per item and a job that looks fine).

An unexpected exception (a bug) is logged with its traceback and counted as a transient
failure of that item only, so one bad item cannot block the queue; it dies after the usual
number of attempts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Callable

from adapters.base import Ledger, ServicesPing
from adapters.registry import create_ledger
from connector.config import PostingSettings, PracticeSettings
from connector.domain import OPEN_STATUSES, Item, ItemKind
from connector.errors import (
    AuthError,
    ConnectorError,
    DataError,
    OutcomeUnknown,
    PermanentError,
    TransientError,
    error_code,
)
from connector.jobs import PollContext
from connector.posting.deposits import record_ready_deposits
from connector.posting.executor import ItemPoster, data_review
from connector.posting.planner import auto_post_of, writeback_of
from connector.redaction import Redactor

LedgerFactory = Callable[[PracticeSettings], Ledger]
PMS_UNAVAILABLE = frozenset({"pms_db_unavailable", "pms_api_unavailable"})
"""Error codes meaning the PMS (database or API) cannot be reached at all."""
PMS_UP_NOTE = "the PMS answered other requests, so only this item's request fails"
"""Appended to the stored error of an item whose PMS_UNAVAILABLE failure was its own."""
COUNTS = ("posted", "review", "ignored", "already_posted", "failed", "dead", "deferred")
OUTCOME_UNKNOWN = "outcome_unknown"
"""Progress key of an item whose last write got no answer: ``{since, look_after, step, code}``."""


def look_after(item: Item) -> dt.datetime | None:
    """When an item whose last write's outcome is unknown may be looked at again (else None)."""
    marker = item.progress.get(OUTCOME_UNKNOWN)
    if not isinstance(marker, dict) or not isinstance(marker.get("look_after"), str):
        return None
    try:
        return dt.datetime.fromisoformat(marker["look_after"])
    except ValueError:
        return None


class PmsUnavailable(TransientError):
    """The PMS stopped answering during a posting run; the run was cut short."""

    code = "pms_unavailable"


def backoff(attempt: int, settings: PostingSettings) -> dt.timedelta:
    """Delay before retry number ``attempt`` (1-based): base times 2^(attempt-1), capped."""
    base: dt.timedelta = settings.retry_backoff
    cap: dt.timedelta = settings.retry_backoff_max
    factor = 1 << min(max(attempt - 1, 0), 30)
    return min(base * factor, cap)


class PostingJob:
    """Posts a practice's due items through its ledger adapter.

    Args:
        practice: the practice's settings.
        redactor: scrubs error text before it is stored.
        dry_run: plan and log every item; write nothing to the PMS or the store.
        posting: the ``posting`` section (batch size, retries); defaults when not given.
        ledger_factory: builds the practice's ledger (default: the adapter registry, given the
            run's clock and the practice's time zone); it is called lazily, only when items are
            due, and the ledger is closed after each run.
    """

    name = "posting"

    def __init__(
        self,
        practice: PracticeSettings,
        *,
        redactor: Redactor,
        dry_run: bool = False,
        posting: PostingSettings | None = None,
        ledger_factory: LedgerFactory | None = None,
    ) -> None:
        self.practice = practice
        self.redactor = redactor
        self.dry_run = dry_run
        self.settings = posting or PostingSettings()
        self._ledger_factory = ledger_factory
        self._outage: TransientError | None = None  # the last run found the PMS unreachable

    @classmethod
    def for_practice(
        cls,
        practice: PracticeSettings,
        *,
        redactor: Redactor,
        dry_run: bool = False,
        posting: PostingSettings | None = None,
        ledger_factory: LedgerFactory | None = None,
    ) -> PostingJob:
        """The posting job of one practice."""
        return cls(
            practice,
            redactor=redactor,
            dry_run=dry_run,
            posting=posting,
            ledger_factory=ledger_factory,
        )

    def _ledger(self, ctx: PollContext) -> Ledger:
        """The practice's ledger: the injected factory's, else the registry's, stamping PMS
        rows from the run's clock in the practice's time zone."""
        if self._ledger_factory is not None:
            return self._ledger_factory(self.practice)
        return create_ledger(
            self.practice.pms,
            practice_id=self.practice.id,
            redactor=self.redactor,
            clock=ctx.clock,
            timezone=self.practice.timezone,
        )

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Post every due item (up to ``posting.batch_size``); return counts by outcome.

        Raises:
            AuthError: the PMS refused the credentials (nothing more is tried this run).
            ConfigError, NotImplementedYet: the ledger could not be built.
            PmsUnavailable: the PMS stopped answering; the run was cut short (its code is the
                adapter's, e.g. ``pms_api_unavailable``).
            TransientError: the state store itself failed.
        """
        dry_run = self.dry_run or ctx.dry_run
        counts: Counter[str] = Counter(dict.fromkeys(COUNTS, 0))
        if not dry_run:  # deposits of payouts/EFTs whose items are all settled (docs/posting.md)
            self._new_deposits(ctx)
        queue = deque(ctx.store.due_items(self.practice.id, ctx.now(), self.settings.batch_size))
        if not queue and self._outage is not None and not dry_run:
            # The PMS was unreachable last run and every item now waits out its backoff:
            # probe with the next one rather than report a recovery nobody has seen.
            later = ctx.now() + self.settings.retry_backoff_max
            queue.extend(ctx.store.due_items(self.practice.id, later, 1))
        if not queue:
            self._outage = None
            return dict(counts)
        ledger = self._ledger(ctx)
        try:
            poster = ItemPoster(self.practice, ctx.store, ledger, ctx.log, dry_run=dry_run)
            swept = dry_run  # once the queue is empty, deposits this run settled, then stop
            while (queue or not swept) and not ctx.stop.is_set():
                if not queue:
                    swept = True
                    queue.extend(self._new_deposits(ctx))
                    continue
                item = queue.popleft()
                if not dry_run:
                    fresh = ctx.store.get_item(item.id)
                    if fresh is None or fresh.status not in OPEN_STATUSES:
                        continue  # another item's outcome closed it (netting)
                    item = fresh
                try:
                    outcome = self._one(poster, ledger, item, ctx, dry_run=dry_run)
                    # deposits are counted apart from postings: "deposits_posted", ...
                    deposit = item.kind is ItemKind.DEPOSIT and not dry_run
                    counts[f"deposits_{outcome}" if deposit else outcome] += 1
                except _Outage as outage:
                    cause = self._outage = outage.cause
                    raise PmsUnavailable(
                        f"{cause.message} (posting stopped; {counts['posted']} posted before)",
                        code=cause.code,
                        context={**cause.context, "item_id": item.id},
                    ) from cause
                queue.extend(poster.derived)
                poster.derived.clear()
        finally:
            ledger.close()
        self._outage = None
        if dry_run:
            counts["planned"] = counts.pop("posted")
        return dict(counts)

    def _new_deposits(self, ctx: PollContext) -> list[Item]:
        """Record the deposit items that became due and return them, to post in this run."""
        keys = record_ready_deposits(
            ctx.store, self.practice.id, ctx.now(),
            payouts=writeback_of(self.practice).deposits,
            efts=auto_post_of(self.practice).deposits,
        )  # fmt: skip
        found = [ctx.store.find_item(self.practice.id, key) for key in keys]
        return [item for item in found if item is not None]

    def _one(
        self, poster: ItemPoster, ledger: Ledger, item: Item, ctx: PollContext, *, dry_run: bool
    ) -> str:
        log = ctx.log
        quiet_until = look_after(item)
        if quiet_until is not None and ctx.now() < quiet_until:
            # its last write may still land: not even a look before the wait is over
            log.debug("posting.outcome_pending", item_id=item.id, until=quiet_until.isoformat())
            return "deferred"
        try:
            return poster.post(item)
        except AuthError:
            raise
        except OutcomeUnknown as exc:
            if dry_run:  # pragma: no cover - a dry run writes nothing
                return "failed"
            result = self._unknown(item, exc, ctx)
            if not _pms_answers(ledger, item, ctx):
                raise _Outage(exc) from exc
            return result
        except TransientError as exc:
            if dry_run:
                if exc.code in PMS_UNAVAILABLE and not _pms_answers(ledger, item, ctx):
                    raise _Outage(exc) from exc  # the job fails once, as a real run would
                log.info("posting.failed", item_id=item.id, error_code=exc.code, dry_run=True)
                return "failed"
            if exc.code in PMS_UNAVAILABLE:
                if not _pms_answers(ledger, item, ctx):
                    self._failed(item, exc.code, exc.message, ctx, outage=True)
                    raise _Outage(exc) from exc
                self._outage = None  # the PMS answered: this practice is not in an outage
                message = f"{exc.message}; {PMS_UP_NOTE}"
                return self._failed(item, exc.code, message, ctx, pms_up=True)
            return self._failed(item, exc.code, exc.message, ctx)
        except PermanentError as exc:
            if dry_run:
                log.info("posting.dead", item_id=item.id, error_code=exc.code, dry_run=True)
                return "dead"
            ctx.store.mark_dead(item.id, exc.code, self.redactor.scrub_text(exc.message))
            log.error("posting.dead", item_id=item.id, error_code=exc.code, error=exc.message)
            return "dead"
        except DataError as exc:
            decision = data_review(exc, self.redactor.scrub_text)
            if dry_run:
                log.info("posting.review", item_id=item.id, reason=decision.reason, dry_run=True)
            else:
                poster.to_review(item, decision, {"error_code": exc.code})
            return "review"
        except Exception as exc:
            log.exception("posting.crashed", item_id=item.id, error=type(exc).__name__)
            if dry_run:
                return "failed"
            return self._failed(item, error_code(exc), type(exc).__name__, ctx)

    def _unknown(self, item: Item, exc: OutcomeUnknown, ctx: PollContext) -> str:
        """Mark the item's write as "outcome unknown": no look and no send before the wait."""
        now = ctx.now()
        when = now + self.settings.outcome_unknown_wait
        fresh = ctx.store.get_item(item.id) or item
        marker = {
            "since": now.isoformat(),
            "look_after": when.isoformat(),
            "step": exc.context.get("step"),
            "error_code": exc.code,
        }
        # the marker first: a crash before mark_failed still leaves the item quiet until then
        ctx.store.save_progress(item.id, {**fresh.progress, OUTCOME_UNKNOWN: marker})
        text = self.redactor.scrub_text(exc.message)
        ctx.store.mark_failed(item.id, exc.code, text, when)
        ctx.log.warning(
            "posting.outcome_unknown",
            item_id=item.id,
            error_code=exc.code,
            step=exc.context.get("step"),
            look_after=when.isoformat(),
        )
        return "failed"

    def _failed(
        self,
        item: Item,
        code: str,
        message: str,
        ctx: PollContext,
        *,
        outage: bool = False,
        pms_up: bool = False,
    ) -> str:
        attempt = item.attempts + 1
        text = self.redactor.scrub_text(message)
        extra = {"pms_up": True} if pms_up else {}
        if attempt >= self.settings.max_attempts and not outage:
            ctx.store.mark_dead(item.id, code, f"gave up after {attempt} attempts: {text}")
            ctx.log.error(
                "posting.dead", item_id=item.id, error_code=code, attempts=attempt, **extra
            )
            return "dead"
        when = ctx.now() + backoff(attempt, self.settings)
        # an outage is not this item's failure: it keeps its whole attempt budget for its own
        ctx.store.mark_failed(item.id, code, text, when, count_attempt=not outage)
        # an outage is logged once by the daemon (poll.failed), not once per item and run
        (ctx.log.debug if outage else ctx.log.warning)(
            "posting.failed",
            item_id=item.id,
            error_code=code,
            attempts=item.attempts if outage else attempt,  # as stored
            next_attempt_at=when.isoformat(),
            **extra,
        )
        return "failed"


def _pms_answers(ledger: Ledger, item: Item, ctx: PollContext) -> bool:
    """True only when the PMS answered a read-only probe after ``item`` failed as unreachable.

    Any failure of the probe, even a bug, counts as "not shown up": the caller then keeps the
    outage behaviour, so the probe can neither hide an outage nor raise a new kind of error.
    """
    probe = ledger.ping_services if isinstance(ledger, ServicesPing) else ledger.ping
    try:
        probe()
    except ConnectorError as exc:
        ctx.log.debug("posting.probe_failed", item_id=item.id, error_code=exc.code)
        return False
    except Exception as exc:  # a bug in the probe: still "treat as outage"
        ctx.log.exception("posting.probe_crashed", item_id=item.id, error=type(exc).__name__)
        return False
    return True


class _Outage(Exception):
    """Internal: the PMS is unreachable; carries the adapter's error to :meth:`PostingJob.poll`."""

    def __init__(self, cause: TransientError) -> None:
        super().__init__(cause.code)
        self.cause = cause
