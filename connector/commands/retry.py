"""``connector retry ID``: close a review and put its item back in the posting queue.

Use it after fixing the cause (the patient reactivated, the type name corrected, auto-posting
turned on). The item is planned again from scratch at the next posting run
(``connector run --once``, or the running service within ``posting.poll_every``).
"""

from __future__ import annotations

import argparse

from connector.commands.common import runtime
from connector.commands.review import say
from connector.domain import ItemKind
from connector.errors import PermanentError
from connector.posting import hand_entry
from connector.posting.planner import PATIENT_OVERRIDE
from connector.posting.reasons import describe
from connector.store import StateStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``retry`` command."""
    parser = sub.add_parser("retry", help="re-plan a review item after fixing its cause")
    parser.add_argument("review_id", type=int, metavar="ID", help="review id (connector review)")
    parser.add_argument(
        "--patient",
        metavar="PMS_ID",
        help="for a patient payment: post it to this PMS patient id (when the payment's "
        "metadata named no patient, or the wrong one)",
    )
    parser.add_argument(
        "--post-anyway",
        action="store_true",
        help="for a possible_hand_entry review: the PMS payment found is another payment; "
        "post this one without that check",
    )
    parser.set_defaults(handler=handle)


def set_patient(store: StateStore, item_id: int, patient_id: str) -> None:
    """Remember the staff-chosen patient on the item (the change is kept in its history)."""
    item = store.get_item(item_id)
    if item is None or item.kind is not ItemKind.PATIENT_PAYMENT:
        raise PermanentError("--patient applies only to patient payments", code="retry_invalid")
    if not patient_id.strip() or len(patient_id) > 40:
        raise PermanentError("--patient needs a PMS patient id", code="retry_invalid")
    store.save_progress(item_id, {**item.progress, PATIENT_OVERRIDE: patient_id.strip()})


def handle(args: argparse.Namespace) -> int:
    """Requeue the review's item."""
    rt = runtime(args, resolve_secrets=False)
    try:
        entry = rt.store.get_review(args.review_id)
        if entry is None:
            raise PermanentError(f"no review with id {args.review_id}", code="review_not_found")
        if args.patient is not None:
            set_patient(rt.store, entry.item_id, args.patient)
        if args.post_anyway:
            item = hand_entry.post_anyway(rt.store, entry.id)
        else:
            item = rt.store.retry_review(entry.id)
    finally:
        rt.store.close()
    say(
        f"review #{entry.id} closed; item #{item.id} ({item.kind.value} {item.key}) will be "
        "planned again at the next posting run"
    )
    if not describe(entry.reason).retry_helps:
        say(f"note: '{entry.reason}' items do not post automatically; expect it back in review")
    return 0
