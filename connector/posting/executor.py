"""Carry out one item's outcome: write through the adapter, then record the result in the store.

Order of work for an item that may be written to the PMS:

1. ask the PMS whether it is already there (``find_posting``: the key is in the PMS row's
   marker) — if so, record it as posted (``already_existed``): this heals a crash between the
   PMS commit and the store update;
2. otherwise plan it (pure rules over what the store and the PMS say);
3. execute the plan through the adapter; multi-step writes record each finished step in the
   item's progress (:class:`~connector.posting.journal.StoreJournal`);
4. record the outcome (``posted`` with the PMS ids and the decision inputs, ``review``,
   ``ignored``).

A patient note is its own step after the payment: a failed note never repeats the payment.
In a dry run steps 1 and 2 happen (reads only) and the plan is logged; nothing is written anywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from adapters.base import Ledger
from adapters.books import Deposits
from connector import jsonutil
from connector.config import PracticeSettings
from connector.domain import (
    DepositPlan,
    InsurancePaymentPlan,
    Item,
    ItemKind,
    ItemStatus,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
    ReviewDecision,
)
from connector.errors import DataError, PermanentError, TransientError
from connector.faults import kill_point
from connector.posting.era_claims import secondary_of_posted
from connector.posting.era_secondary import DECISION_KEY as SECONDARY_KEY
from connector.posting.era_secondary import SUFFIX as SECONDARY_SUFFIX
from connector.posting.era_secondary import secondary_item
from connector.posting.journal import StoreJournal, insurance_plan_from, save_plan
from connector.posting.outcomes import (
    Defer,
    DeriveItems,
    Ignore,
    NetReversal,
    Outcome,
    Planned,
    PostedByPms,
)
from connector.posting.patient_payments import patient_note
from connector.posting.planner import (
    NEVER_WRITTEN,
    PATIENT_OVERRIDE,
    auto_post_of,
    plan_item,
    writeback_of,
)
from connector.posting.reasons import REASONS, review
from connector.records.stripe import StripeTransaction
from connector.store import StateStore

POSTED, REVIEW, IGNORED, ALREADY, DEFERRED = (
    "posted",
    "review",
    "ignored",
    "already_posted",
    "deferred",
)
_NOTE_KINDS = frozenset({ItemKind.PATIENT_PAYMENT, ItemKind.DISPUTE_WON})
REVERSED_NOTE = (
    "the payer reversed the primary payment this secondary claim is based on; use the "
    "corrected claim's amounts (its own secondary_claim_ready review) instead"
)


def summary(outcome: Outcome) -> dict[str, Any]:
    """A JSON-safe description of an outcome for logs and history (ids and amounts only)."""
    if isinstance(outcome, NetReversal):
        return {
            "type": "net_reversal",
            "reason": outcome.review.reason,
            "closes": [i.key for i in outcome.closes],
        }
    if isinstance(outcome, DeriveItems):
        return {
            "type": "derive_items",
            "items": [i.key for i in outcome.items],
            "then": outcome.then.reason,
        }
    data: dict[str, Any] = jsonutil.loads(jsonutil.dumps(dataclasses.asdict(outcome)))
    data["type"] = type(outcome).__name__
    return data


def _safe(value: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (Decimals and dates as text) for log lines."""
    safe: dict[str, Any] = jsonutil.loads(jsonutil.dumps(value))
    return safe


def data_review(exc: DataError, scrub: Callable[[str], str] = str) -> ReviewDecision:
    """The review for a :class:`DataError` (a known reason code keeps its own words);
    ``scrub`` removes anything sensitive from the adapter's message before it is stored."""
    message = scrub(exc.message)
    if exc.code == "payload_invalid":
        return review("payload_invalid", problem=message)
    if exc.code in REASONS:
        return ReviewDecision(exc.code, message, {"error_code": exc.code, **exc.context})
    return review("pms_rejected", error=message, error_code=exc.code, **exc.context)


def duplicate_review(item: Item, entry: PostedEntry) -> ReviewDecision:
    """The ``duplicate_in_pms`` review for an item whose marker is on several PMS entries."""
    rows = [entry.pms_ids, *entry.duplicates]
    keep = ", ".join(f"{k} {v}" for k, v in entry.pms_ids.items() if not isinstance(v, list))
    shown = "; ".join(
        ", ".join(f"{k} {v}" for k, v in row.items() if not isinstance(v, list)) for row in rows
    )
    return review(
        "duplicate_in_pms",
        key=item.key,
        amount=item.amount,
        copies=len(rows),
        rows=shown,
        keep=keep or "the first",
        entries=rows,
    )


def posting_patient(item: Item) -> str | None:
    """The PMS patient any posting of ``item`` was written for, when that is certain.

    A patient payment is written for its payload's ``patient_ref`` (the planner looks that id
    up and posts to it), so the ledger may search that patient's rows only. Not for a payment
    whose patient staff chose by hand (``retry --patient``; an earlier attempt may have used
    the payload's), nor for other kinds (a dispute win, a reversal, an insurance payment):
    those search the whole ledger.
    """
    if item.kind is not ItemKind.PATIENT_PAYMENT or item.progress.get(PATIENT_OVERRIDE):
        return None
    return _payload_patient(item)


def _payload_patient(item: Item) -> str | None:
    """The Stripe payload's ``patient_ref``; None when absent or the payload is unreadable (a
    hint only: an unreadable payload goes to review when it is planned)."""
    try:
        return StripeTransaction.from_json(item.payload).patient_ref or None
    except DataError:
        return None


class ItemPoster:
    """Posts items of one practice through one ledger, recording results in the store."""

    def __init__(
        self,
        practice: PracticeSettings,
        store: StateStore,
        ledger: Ledger,
        log: Any,
        *,
        dry_run: bool,
    ) -> None:
        self.practice = practice
        self.store = store
        self.ledger = ledger
        self.log = log
        self.dry_run = dry_run
        self.tz = ZoneInfo(practice.timezone)
        self.derived: list[Item] = []  # items recorded while posting (PLBs), to post next

    # -- entry point --------------------------------------------------------------------------
    def post(self, item: Item) -> str:
        """Do one item; returns ``posted``, ``review``, ``ignored``, ``already_posted`` or
        ``deferred``.

        Raises:
            TransientError, PermanentError, AuthError: for the runner to classify (the runner
            turns :class:`DataError` into a review itself).
        """
        if item.kind not in NEVER_WRITTEN:
            existing = self.ledger.find_posting(item.key, patient_id=posting_patient(item))
            if existing is not None and existing.duplicates:
                return self._duplicated(item, existing)
            if existing is not None:
                return self._already(item, existing)
        saved = item.progress.get("plan")
        if isinstance(saved, dict) and not self.dry_run:
            # an insurance write was under way: finish that plan (the adapter resumes after
            # the last step its journal recorded) rather than re-plan against a PMS that
            # already holds part of it
            resumed = insurance_plan_from(saved)
            self.log.info(
                "posting.resumed", item_id=item.id, steps=list(item.progress.get("steps") or {})
            )
            return self._execute(item, Planned(resumed, dict(item.progress.get("decision") or {})))
        planned = plan_item(item, self.practice, self.store, self.ledger)
        if self.dry_run:
            return self._log_plan(item, planned)
        return self._execute(item, planned)

    # -- outcomes -------------------------------------------------------------------------------
    def _execute(self, item: Item, planned: Planned) -> str:
        outcome = planned.outcome
        fallback = planned.decision.get("expected_from")
        if isinstance(fallback, dict):
            self.log.info(
                "posting.expected_from_fee",
                item_id=item.id,
                procedures=fallback.get("procedures"),
                reason=fallback.get("why"),
            )
        if isinstance(outcome, ReviewDecision):
            self.to_review(item, outcome, planned.decision)
            return REVIEW
        if isinstance(outcome, Ignore):
            self.store.mark_ignored(item.id, outcome.reason)
            self.log.info("posting.ignored", item_id=item.id, reason=outcome.reason)
            return IGNORED
        if isinstance(outcome, Defer):
            raise TransientError(outcome.message, code=outcome.code)
        if isinstance(outcome, NetReversal):
            return self._net(item, outcome, planned.decision)
        if isinstance(outcome, DeriveItems):
            return self._derive(item, outcome, planned.decision)
        if isinstance(outcome, PostedByPms):
            detail = {"posted_by": "pms", "summary": outcome.summary, "decision": planned.decision}
            self.store.mark_posted(item.id, outcome.pms_ids, detail)
            self.log.info("posting.posted_by_pms", item_id=item.id, pms_ids=outcome.pms_ids)
            return ALREADY
        return self._write(item, outcome, planned.decision)

    def to_review(self, item: Item, decision: ReviewDecision, inputs: dict[str, Any]) -> int:
        """Send ``item`` to the review queue with the decision inputs in its details."""
        details = {**decision.details, **({"decision": inputs} if inputs else {})}
        fresh = self.store.get_item(item.id) or item
        if "plan" in fresh.progress:
            # a person takes over: keep what was done for them to see, but let a later
            # `connector retry` plan afresh instead of resuming (or skipping steps of) this plan
            abandoned = {"plan": fresh.progress["plan"], "steps": fresh.progress.get("steps", {})}
            self.store.save_progress(item.id, {"abandoned": abandoned})
            details["steps_done_before_review"] = sorted(abandoned["steps"])
        review_id = self.store.mark_review(item.id, decision.reason, decision.message, details)
        self.log.info(
            "posting.review", item_id=item.id, review_id=review_id, reason=decision.reason
        )
        return review_id

    def _write(self, item: Item, plan: Outcome, inputs: dict[str, Any]) -> str:
        journal = StoreJournal(self.store, item)
        kill_point("posting.before_pms_write")
        if isinstance(plan, PatientPaymentPlan):
            done = journal.done("payment")
            entry = (
                PostedEntry(item.key, done, plan.amount, steps_done=("payment",))
                if done
                else self.ledger.post_patient_payment(plan)
            )
            if done is None:
                kill_point("posting.after_pms_write")  # in the PMS; neither journal nor store know
                journal.record("payment", entry.pms_ids)
        elif isinstance(plan, ReversalPlan):
            entry = self.ledger.post_reversal(plan)
            kill_point("posting.after_pms_write")
        elif isinstance(plan, InsurancePaymentPlan):
            if "plan" not in item.progress:
                save_plan(self.store, item, summary(plan), inputs)
                journal = StoreJournal(self.store, self.store.get_item(item.id) or item)
            entry = self.ledger.post_insurance_payment(plan, journal)
            kill_point("posting.after_pms_write")
        elif isinstance(plan, DepositPlan):
            if not isinstance(self.ledger, Deposits):  # the planner checked; a different ledger
                raise PermanentError("this PMS adapter writes no deposits", code="unknown_plan")
            entry = self.ledger.post_deposit(plan)
            kill_point("posting.after_pms_write")
        else:  # pragma: no cover - the planners return nothing else
            raise PermanentError(f"cannot execute {type(plan).__name__}", code="unknown_plan")
        detail: dict[str, Any] = {
            "plan": summary(plan),
            "decision": inputs,
            "already_existed": entry.already_existed,
        }
        if isinstance(plan, PatientPaymentPlan):
            detail["note"] = self._note(item, plan.patient_id, journal)
        if isinstance(plan, InsurancePaymentPlan):
            self._secondary(item, inputs)
        kill_point("posting.before_store_update")
        self.store.mark_posted(item.id, entry.pms_ids, detail)
        self.log.info(
            "posting.posted",
            item_id=item.id,
            plan=type(plan).__name__,
            amount=str(item.amount),
            pms_ids=entry.pms_ids,
            already_existed=entry.already_existed,
        )
        return ALREADY if entry.already_existed else POSTED

    def _already(self, item: Item, entry: PostedEntry) -> str:
        if self.dry_run:
            self.log.info(
                "posting.already_posted", item_id=item.id, pms_ids=entry.pms_ids, dry_run=True
            )
            return ALREADY
        detail: dict[str, Any] = {"already_existed": True}
        if item.kind in _NOTE_KINDS:
            patient_id = entry.pms_ids.get("patient_id") or _payload_patient(item)
            if patient_id:
                detail["note"] = self._note(item, str(patient_id), StoreJournal(self.store, item))
        if item.kind is ItemKind.ERA_CLAIM:
            decision = dict(item.progress.get("decision") or {})
            if SECONDARY_KEY not in decision:  # saved decision gone (state store lost): redo it
                decision[SECONDARY_KEY] = secondary_of_posted(
                    item, auto_post_of(self.practice), self.ledger
                )
            self._secondary(item, decision)
        self.store.mark_posted(item.id, entry.pms_ids, detail)
        self.log.info("posting.already_posted", item_id=item.id, pms_ids=entry.pms_ids)
        return ALREADY

    def _duplicated(self, item: Item, entry: PostedEntry) -> str:
        """The key is on more than one PMS entry: a person decides, nothing more is written."""
        decision = duplicate_review(item, entry)
        if self.dry_run:
            self.log.info("posting.review", item_id=item.id, reason=decision.reason, dry_run=True)
            return REVIEW
        self.log.error(
            "posting.duplicate_in_pms",
            item_id=item.id,
            pms_ids=entry.pms_ids,
            duplicates=_safe({"rows": list(entry.duplicates)})["rows"],
        )
        self.to_review(item, decision, {})
        return REVIEW

    def _note(self, item: Item, patient_id: str, journal: StoreJournal) -> dict[str, Any] | None:
        """Add the patient note once (its own journal step); a permanent failure is recorded,
        a transient one retries the item (the payment is found in the PMS next time)."""
        writeback = writeback_of(self.practice)
        if not writeback.patient_notes:
            return None
        done = journal.done("note")
        if done is not None:
            return done
        note = patient_note(item, patient_id, writeback, self.tz)
        try:
            ids = self.ledger.add_patient_note(note)
        except (PermanentError, DataError) as exc:
            self.log.warning("posting.note_failed", item_id=item.id, error_code=exc.code)
            return {"error_code": exc.code}
        journal.record("note", ids)
        return ids

    def _secondary(self, item: Item, decision: dict[str, Any]) -> None:
        """Record the secondary claim a primary payment leaves (once: its key is derived from
        the claim's), before the claim is marked posted, so a crash in between records it on
        the retry that finds the payment in the PMS; it is reviewed in this run. A reversal of
        such a primary payment notes on that secondary claim's history that it was reversed."""
        reversed_key = decision.get("reverses")
        if isinstance(reversed_key, str):
            earlier = self.store.find_item(self.practice.id, f"{reversed_key}{SECONDARY_SUFFIX}")
            if earlier is not None and not any(
                h.event == "secondary.reversed" and h.detail.get("reversal") == item.key
                for h in self.store.history(earlier.id)
            ):
                note = {"reversal": item.key, "note": REVERSED_NOTE}
                self.store.add_history(earlier.id, self.practice.id, "secondary.reversed", note)
        new = secondary_item(item, decision)
        if new is None:
            return
        result = self.store.record(self.practice.id, item.source, [new])
        for key in result.new_keys:
            found = self.store.find_item(self.practice.id, key)
            if found is not None:
                self.derived.append(found)
        self.log.info("posting.secondary_claim", item_id=item.id, new=len(result.new_keys))

    def _net(self, item: Item, outcome: NetReversal, inputs: dict[str, Any]) -> str:
        review_id = self.to_review(item, outcome.review, inputs)
        note = f"netted into review #{review_id} ({item.key})"
        for other in outcome.closes:
            fresh = self.store.get_item(other.id) or other
            for entry in self.store.list_reviews(self.practice.id, state="open"):
                if entry.item_id == fresh.id:
                    self.store.resolve_review(entry.id, note)
            if fresh.status is not ItemStatus.IGNORED:
                # ignored = netted: tells a later reversal this was not entered by hand
                self.store.mark_ignored(fresh.id, note)
        self.log.info(
            "posting.netted",
            item_id=item.id,
            review_id=review_id,
            closes=[o.id for o in outcome.closes],
        )
        return REVIEW

    def _derive(self, item: Item, outcome: DeriveItems, inputs: dict[str, Any]) -> str:
        result = self.store.record(self.practice.id, item.source, list(outcome.items))
        for key in result.new_keys:
            new = self.store.find_item(self.practice.id, key)
            if new is not None:
                self.derived.append(new)
        self.store.mark_ignored(item.id, outcome.then.reason)
        self.log.info(
            "posting.derived",
            item_id=item.id,
            items=len(outcome.items),
            new=len(result.new_keys),
            decision=_safe(inputs),
        )
        return IGNORED

    # -- dry run --------------------------------------------------------------------------------
    def _log_plan(self, item: Item, planned: Planned) -> str:
        outcome = planned.outcome
        base = {
            "item_id": item.id,
            "key": item.key,
            "kind": item.kind.value,
            "amount": str(item.amount),
            "dry_run": True,
        }
        if isinstance(outcome, ReviewDecision):
            self.log.info("posting.review", **base, reason=outcome.reason, message=outcome.message)
            return REVIEW
        if isinstance(outcome, NetReversal):
            self.log.info(
                "posting.review",
                **base,
                reason=outcome.review.reason,
                message=outcome.review.message,
            )
            return REVIEW
        if isinstance(outcome, Ignore):
            self.log.info("posting.ignored", **base, reason=outcome.reason)
            return IGNORED
        if isinstance(outcome, Defer):
            self.log.info("posting.deferred", **base, code=outcome.code)
            return DEFERRED
        if isinstance(outcome, PostedByPms):
            self.log.info("posting.posted_by_pms", **base, pms_ids=outcome.pms_ids)
            return ALREADY
        if isinstance(outcome, DeriveItems):
            for new in outcome.items:
                shown = {**base, "key": new.key, "kind": new.kind.value, "amount": str(new.amount)}
                self.log.info("posting.review", **shown, reason="provider_level_adjustment")
            self.log.info("posting.ignored", **base, reason=outcome.then.reason)
            return IGNORED
        self.log.info(
            "posting.planned", **base, plan=summary(outcome), decision=_safe(planned.decision)
        )
        if isinstance(outcome, InsurancePaymentPlan) and secondary_item(item, planned.decision):
            self.log.info("posting.review", **base, reason="secondary_claim_ready")
        return POSTED
