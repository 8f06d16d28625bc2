"""What staff do from the console, through the same store operations as the commands.

Each action checks the person may act on the item's practice, performs the operation
(``resolve_review``, ``retry_review`` with :func:`connector.commands.retry.set_patient`,
``requeue_item``) with a ``console.<action>`` history row naming the person, written in the
same transaction as the change (:class:`~connector.store.base.Audit`). The history never
carries patient names: a chosen patient is written as its PMS id.
"""

from __future__ import annotations

from typing import Any

import structlog

from connector.commands.retry import set_patient
from connector.config import PracticeSettings
from connector.console import quarantine
from connector.console.auth import Principal
from connector.domain import Item, ItemKind
from connector.errors import PermanentError
from connector.store.base import Audit, Review
from connector.store.console_base import ConsoleStore

NOTE_MAX = 1000
log = structlog.get_logger("connector.console")


class ActionRefused(PermanentError):
    """The action does not apply (wrong state, bad input): ``message`` is for the person."""

    code = "action_refused"


def visible_item(store: ConsoleStore, principal: Principal, item_id: int) -> Item:
    """The item, if it exists and the person may see its practice (else "not found")."""
    item = store.get_item(item_id)
    if item is None or not principal.may_see(item.practice_id):
        raise PermanentError("no such item", code="item_not_found")
    return item


def _audit(principal: Principal, action: str, **detail: Any) -> Audit:
    """The history row that signs the change: who (name, role) and what they chose."""
    return Audit(
        f"console.{action}", {"user": principal.user.name, "role": principal.user.role, **detail}
    )


def _logged(principal: Principal, item: Item, action: str) -> None:
    log.info("console.action", action=action, item_id=item.id, user_id=principal.user.id)


def _open_review(store: ConsoleStore, item: Item) -> Review:
    review = store.open_review_for(item.id)
    if review is None:
        raise ActionRefused("This item is not waiting for a person any more.")
    return review


def clean_note(note: str) -> str:
    """The note as stored; refuses an empty or over-long one."""
    text = " ".join(note.split())
    if not text:
        raise ActionRefused("Write a short note saying what was done.")
    if len(text) > NOTE_MAX:
        raise ActionRefused(f"The note may have at most {NOTE_MAX} characters.")
    return text


def resolve(store: ConsoleStore, principal: Principal, item_id: int, note: str) -> Item:
    """Close the item's review as handled by hand, with the person's note."""
    item = visible_item(store, principal, item_id)
    text = clean_note(note)
    review = _open_review(store, item)
    audit = _audit(principal, "resolved", review_id=review.id, note=text)
    store.resolve_review(review.id, text, audit=audit)
    _logged(principal, item, "resolved")
    return item


def retry(store: ConsoleStore, principal: Principal, item_id: int, patient_id: str | None) -> Item:
    """Close the review and queue the item again, optionally for a chosen PMS patient."""
    item = visible_item(store, principal, item_id)
    review = _open_review(store, item)
    detail: dict[str, Any] = {"review_id": review.id}
    if patient_id:
        if item.kind is not ItemKind.PATIENT_PAYMENT:
            raise ActionRefused("A patient can be chosen only for a patient payment.")
        set_patient(store, item.id, patient_id)
        detail["patient_id"] = patient_id.strip()
    after = store.retry_review(review.id, audit=_audit(principal, "retried", **detail))
    _logged(principal, item, "retried")
    return after


def requeue(store: ConsoleStore, principal: Principal, item_id: int) -> Item:
    """Put a dead (or failed) item back in the posting queue."""
    item = visible_item(store, principal, item_id)
    try:
        audit = _audit(principal, "requeued", previous_status=item.status.value)
        after = store.requeue_item(item.id, audit=audit)
    except PermanentError as exc:
        raise ActionRefused(exc.message) from exc
    _logged(principal, item, "requeued")
    return after


def release_file(
    store: ConsoleStore, principal: Principal, practice: PracticeSettings, name: str
) -> quarantine.QuarantinedFile:
    """Release a quarantined ERA file; the practice's history names the person."""
    if not principal.may_see(practice.id):
        raise PermanentError("no such practice", code="practice_not_found")
    released = quarantine.release(practice, name)
    store.add_history(
        None,
        practice.id,
        "console.file_released",
        {
            "user": principal.user.name,
            "role": principal.user.role,
            "file": released.name,
            "code": released.record.get("code"),
        },
    )
    log.info("console.action", action="file_released", user_id=principal.user.id)
    return released
