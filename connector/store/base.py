"""The state-store interface. SQLite implements it first; PostgreSQL follows the same contract.

Invariants every implementation keeps:

* an item's external key is unique per practice: recording it twice stores one row;
* :meth:`StateStore.record` writes the new items, their review rows, their history and the
  source cursor in **one** transaction: either all of it is stored or none;
* history is append-only;
* status changes go through the ``mark_*`` methods (and ``retry_review``, ``requeue_item``),
  each of which writes history;
* a practice lease has at most one live owner; only that owner renews or releases it, and a
  claim takes a practice only when its lease is free or expired (by the store's clock).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.domain import Item, ItemStatus, NewItem


@dataclass(frozen=True)
class RecordResult:
    """What :meth:`StateStore.record` stored: the new keys, and how many were already known."""

    new_keys: tuple[str, ...]
    duplicates: int


@dataclass(frozen=True)
class Review:
    """A review queue entry."""

    id: int
    item_id: int
    practice_id: str
    reason: str
    message: str
    details: dict[str, Any]
    state: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    resolution_note: str | None
    item_key: str
    item_kind: str
    amount: str


@dataclass(frozen=True)
class PollState:
    """The last poll of one source for one practice."""

    practice_id: str
    source: str
    last_started_at: dt.datetime | None
    last_ok_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_error_code: str | None
    last_error: str | None
    consecutive_failures: int
    last_summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Audit:
    """Who did a change, written as a history row in the same transaction as the change.

    ``event`` is e.g. ``console.resolved``; ``detail`` names the person (``user``, ``role``)
    and what they chose. One transaction: a crash can never leave a change nobody signed.
    """

    event: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    """One append-only history row."""

    id: int
    item_id: int | None
    practice_id: str
    at: dt.datetime
    event: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]


class ItemRecorder(Protocol):
    """What a source needs: record items with their cursor, atomically."""

    def record(
        self,
        practice_id: str,
        source: str,
        items: Sequence[NewItem],
        cursor: dict[str, Any] | None = None,
    ) -> RecordResult:
        """Store new items (skipping known keys) and, if given, the cursor — atomically."""

    def get_cursor(self, practice_id: str, source: str) -> dict[str, Any] | None:
        """The source's cursor, or None before the first poll."""

    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by its external key."""


class ItemReader(Protocol):
    """What reports, review tools and the console read."""

    def get_item(self, item_id: int) -> Item | None:
        """One item by id."""

    def find_item(self, practice_id: str, key: str) -> Item | None:
        """One item by its external key."""

    def related_items(self, practice_id: str, related_key: str) -> list[Item]:
        """Items that name ``related_key`` (e.g. the refunds of a charge)."""

    def group_items(self, practice_id: str, group_key: str) -> list[Item]:
        """Items of one payout or remittance."""

    def items_of_kind(
        self,
        practice_id: str,
        kinds: Sequence[str],
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Item]:
        """Items of the given kinds recorded in ``[since, until)``, oldest first (for reports)."""

    def items_with_status(self, status: ItemStatus, practice_id: str | None = None) -> list[Item]:
        """Items in ``status`` (of one practice, or all), by practice then oldest first."""

    def history(self, item_id: int) -> list[HistoryEntry]:
        """The item's history, oldest first."""


class PostingQueue(Protocol):
    """What the poster needs: the due items and every status change, each with history."""

    def due_items(self, practice_id: str, now: dt.datetime, limit: int) -> list[Item]:
        """Items to post now: ``received``, or ``failed`` whose next attempt time has come."""

    def mark_posted(self, item_id: int, pms_ids: dict[str, Any], detail: dict[str, Any]) -> None:
        """The item is in the PMS; remember what was written."""

    def mark_review(
        self, item_id: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> int:
        """Send the item to the review queue; returns the review id."""

    def mark_failed(
        self,
        item_id: int,
        code: str,
        message: str,
        next_attempt_at: dt.datetime,
        *,
        count_attempt: bool = True,
    ) -> None:
        """A transient failure: count the attempt (unless told not to: a PMS outage is not the
        item's failure) and schedule the next one."""

    def mark_dead(self, item_id: int, code: str, message: str) -> None:
        """Give up on the item; it shows in status and diagnostics."""

    def mark_ignored(self, item_id: int, reason: str) -> None:
        """Record that the item will never be posted (and why)."""

    def requeue_item(self, item_id: int, *, audit: Audit | None = None) -> Item:
        """Put a ``dead`` or ``failed`` item back in the posting queue, in one transaction
        (with ``audit``'s history row, when given).

        The item becomes ``received`` with no next attempt time, no error and an attempt
        count of 0 (the full ``posting.max_attempts`` again); its progress (finished steps of
        a multi-step write) is kept so nothing is written twice. The history gets an
        ``item.requeued`` event with the previous status, error code and message.

        Raises:
            PermanentError: no such item (``item_not_found``), or its status does not allow
                it (``item_posted``, ``item_in_review`` naming the open review,
                ``item_queued``, ``item_ignored``; see :mod:`connector.store.requeue`).
        """

    def save_progress(self, item_id: int, progress: dict[str, Any]) -> None:
        """Remember the finished steps of a multi-step write, so a retry resumes."""

    def add_history(
        self, item_id: int | None, practice_id: str, event: str, detail: dict[str, Any]
    ) -> None:
        """Append a decision or note to the history (no status change)."""


class ReviewQueue(Protocol):
    """The queue of items waiting for a person."""

    def list_reviews(
        self, practice_id: str | None = None, reason: str | None = None, state: str = "open"
    ) -> list[Review]:
        """Review entries, newest first."""

    def get_review(self, review_id: int) -> Review | None:
        """One review entry."""

    def resolve_review(self, review_id: int, note: str, *, audit: Audit | None = None) -> None:
        """Staff handled it by hand; close the entry and the item stays as it is (one
        transaction with ``audit``'s history row, when given)."""

    def retry_review(self, review_id: int, *, audit: Audit | None = None) -> Item:
        """Close the entry and put its item back to ``received`` for re-planning (one
        transaction with ``audit``'s history row, when given)."""


class PollLog(Protocol):
    """How each job last ran, and the counts ``status`` and ``/healthz`` show."""

    def poll_started(self, practice_id: str, source: str) -> None:
        """A poll began."""

    def poll_succeeded(self, practice_id: str, source: str, summary: dict[str, Any]) -> None:
        """A poll finished; remember its summary."""

    def poll_failed(self, practice_id: str, source: str, code: str, message: str) -> int:
        """A poll failed; returns the number of consecutive failures including this one."""

    def poll_states(self, practice_id: str | None = None) -> list[PollState]:
        """Poll status for every practice and source (or one practice)."""

    def status_counts(self) -> dict[str, dict[str, int]]:
        """``{practice_id: {status: count}}`` over all items."""

    def count_open_reviews(self) -> dict[str, int]:
        """``{practice_id: open review count}``."""


class LeaseStore(Protocol):
    """Practice leases (several instances on one store; docs/scale.md)."""

    def claim_practices(
        self, owner: str, practice_ids: Sequence[str], ttl: dt.timedelta, limit: int | None = None
    ) -> list[str]:
        """Record ``owner`` as alive and claim free or expired practices up to its fair share.

        The fair share is :func:`fair_share` of ``len(practice_ids)`` over the live instances
        (those whose heartbeat has not expired, ``owner`` included), capped by ``limit``.
        Leases ``owner`` already holds are kept but not extended (see :meth:`renew_leases`).
        Returns every practice ``owner`` holds after the call, sorted.
        """

    def renew_leases(self, owner: str, ttl: dt.timedelta) -> list[str]:
        """Extend ``owner``'s unexpired leases (and heartbeat) by ``ttl`` from now.

        Returns the practices still held, sorted. A lease that already expired is not renewed,
        even if nobody took it: the caller treats it as lost (it may claim it again).
        """

    def release_leases(self, owner: str, practice_ids: Collection[str] | None = None) -> list[str]:
        """Free ``owner``'s leases (all of them, and its heartbeat, when ``practice_ids`` is None).

        Returns the practices released, sorted.
        """

    def lease_holders(self) -> dict[str, list[str]]:
        """``{owner: [practice_id, …]}`` for every live instance, including those holding none."""


class StateStore(
    ItemRecorder, ItemReader, PostingQueue, ReviewQueue, PollLog, LeaseStore, Protocol
):
    """Durable state: every role above, plus the schema and connections.

    Code that needs one role names that role (a source an :class:`ItemRecorder`, the lease
    keeper a :class:`LeaseStore`); implementations provide them all.
    """

    def migrate(self) -> int:
        """Bring the schema to the newest version; return that version."""

    def close(self) -> None:
        """Release connections."""


def fair_share(practices: int, instances: int, limit: int | None = None) -> int:
    """How many of ``practices`` one of ``instances`` live instances should hold at most."""
    share = math.ceil(practices / max(1, instances))
    return share if limit is None else min(share, limit)


TERMINAL = frozenset({ItemStatus.POSTED, ItemStatus.DEAD, ItemStatus.IGNORED})
