"""``connector retry ID``: close a review and put its item back in the posting queue.

Use it after fixing the cause (the patient reactivated, the type name corrected, auto-posting
turned on). The item is planned again from scratch at the next posting run
(``connector run --once``, or the running service within ``posting.poll_every``).
"""

from __future__ import annotations

import argparse

from connector.commands.common import runtime
from connector.commands.review import say
from connector.errors import PermanentError
from connector.posting.reasons import describe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``retry`` command."""
    parser = sub.add_parser("retry", help="re-plan a review item after fixing its cause")
    parser.add_argument("review_id", type=int, metavar="ID", help="review id (connector review)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Requeue the review's item."""
    rt = runtime(args, resolve_secrets=False)
    try:
        entry = rt.store.get_review(args.review_id)
        if entry is None:
            raise PermanentError(f"no review with id {args.review_id}", code="review_not_found")
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
