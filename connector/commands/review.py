"""``connector review``: what waits for a person, why, and closing it once handled.

* ``connector review [--practice P] [--reason R] [--state open|resolved|retried|all]``
* ``connector review show ID`` — the item, its history and the reason in plain words
* ``connector review resolve ID --note TEXT`` — staff handled it by hand
* ``connector review dismiss ITEM_ID --note TEXT`` — staff entered a dead item by hand

Dead items (given up on a permanent error or after ``posting.max_attempts`` failures) wait for a
person too, so the list shows them after the reviews (state ``open`` or ``all``) with their error
code as the reason and what to do (:mod:`connector.posting.dead`).

``connector retry ID`` (re-plan after fixing the cause) lives in :mod:`connector.commands.retry`.
Only ids, codes and amounts are shown: nothing here carries patient names.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from connector import jsonutil
from connector.commands.common import runtime
from connector.domain import ItemStatus
from connector.errors import PermanentError
from connector.posting import hand_entry
from connector.posting.dead import DeadEntry, dead_entries
from connector.posting.hand import LINKED
from connector.posting.reasons import describe
from connector.store import Review, StateStore

STATES = ("open", "resolved", "retried", "all")


def say(text: str = "") -> None:
    """One line to standard output."""
    sys.stdout.write(text + "\n")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``review`` command and its ``show`` / ``resolve`` sub-commands."""
    parser = sub.add_parser("review", help="list what waits for a person, show or resolve one")
    parser.add_argument("--practice", help="only this practice id")
    parser.add_argument("--reason", help="only this reason code (see docs/review-reasons.md)")
    parser.add_argument("--state", choices=STATES, default="open", help="default: open")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=handle_list)
    actions = parser.add_subparsers(dest="review_command", metavar="ACTION")
    show = actions.add_parser("show", help="one review with its item and history")
    show.add_argument("review_id", type=int, metavar="ID")
    # SUPPRESS keeps `review --json show ID` working: the sub-parser must not reset the flag
    show.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    show.set_defaults(handler=handle_show)
    resolve = actions.add_parser("resolve", help="close a review that staff handled by hand")
    resolve.add_argument("review_id", type=int, metavar="ID")
    resolve.add_argument("--note", required=True, help="what was done (no patient names)")
    resolve.set_defaults(handler=handle_resolve)
    dismiss = actions.add_parser(
        "dismiss", help="close a dead item that staff entered by hand (it becomes ignored)"
    )
    dismiss.add_argument("item_id", type=int, metavar="ITEM_ID")
    dismiss.add_argument("--note", required=True, help="what was done (no patient names)")
    dismiss.set_defaults(handler=handle_dismiss)
    link = actions.add_parser(
        "link", help="possible_hand_entry: the PMS payment found is this payment (write nothing)"
    )
    link.add_argument("review_id", type=int, metavar="ID")
    link.add_argument("--note", help="what staff checked (no patient names)")
    link.set_defaults(handler=handle_link)


def _review(store: StateStore, review_id: int) -> Review:
    found = store.get_review(review_id)
    if found is None:
        raise PermanentError(f"no review with id {review_id}", code="review_not_found")
    return found


def handle_list(args: argparse.Namespace) -> int:
    """List reviews, newest first, then the dead items (for ``open`` and ``all``)."""
    rt = runtime(args, resolve_secrets=False)
    try:
        rows = rt.store.list_reviews(args.practice, args.reason, args.state)
        dead = (
            dead_entries(rt.store, args.practice, args.reason)
            if args.state in ("open", "all")
            else []
        )
    finally:
        rt.store.close()
    if args.json:
        entries = [_as_dict(r) for r in rows] + [_dead_dict(d) for d in dead]
        say(jsonutil.dumps(entries, indent=2))
        return 0
    if not rows and not dead:
        say(f"no {'' if args.state == 'all' else args.state + ' '}reviews")
        return 0
    if rows:
        say(f"{'ID':>5}  {'PRACTICE':<16} {'REASON':<26} {'AMOUNT':>11}  {'STATE':<8} ITEM")
    for r in rows:
        say(
            f"{r.id:>5}  {r.practice_id:<16} {r.reason:<26} {r.amount:>11}  {r.state:<8} "
            f"{r.item_kind} {r.item_key}"
        )
        say(f"{'':>7}{_shorten(r.message, 110)}")
    if dead:
        if rows:
            say()
        say("Dead items (the connector gave up; each needs a person):")
        say(f"{'ITEM':>5}  {'PRACTICE':<16} {'REASON':<26} {'AMOUNT':>11}  {'STATE':<8} ITEM")
    for d in dead:
        say(
            f"{d.item_id:>5}  {d.practice_id:<16} {d.reason:<26} {d.amount:>11}  {'dead':<8} "
            f"{d.item_kind} {d.item_key}"
        )
        say(f"{'':>7}{d.title}: {_shorten(d.message, 100)}")
        say(f"{'':>7}To do: {d.action}")
    return 0


def handle_show(args: argparse.Namespace) -> int:
    """Show one review in plain words."""
    rt = runtime(args, resolve_secrets=False)
    try:
        entry = _review(rt.store, args.review_id)
        item = rt.store.get_item(entry.item_id)
        history = rt.store.history(entry.item_id)
    finally:
        rt.store.close()
    reason = describe(entry.reason)
    if args.json:
        say(jsonutil.dumps({"review": _as_dict(entry), "item": item, "history": history}, indent=2))
        return 0
    say(
        f"Review #{entry.id} ({entry.state}) for practice {entry.practice_id}, "
        f"opened {entry.created_at:%Y-%m-%d %H:%M} UTC"
    )
    say(f"Reason:     {entry.reason} ({reason.title})")
    say(f"What:       {entry.message}")
    say(f"To do:      {reason.action}")
    if not reason.retry_helps:
        say("            (retrying will not post this automatically: handle it, then resolve)")
    if entry.resolution_note:
        say(f"Resolution: {entry.resolution_note}")
    if item is not None:
        say(
            f"Item #{item.id}: {item.kind.value} {item.key}, amount {item.amount}, "
            f"status {item.status.value}, attempts {item.attempts}"
        )
        if item.pms_ids:
            say(f"PMS ids:    {json.dumps(item.pms_ids, sort_keys=True, default=str)}")
    details = {k: v for k, v in entry.details.items() if k != "decision"}
    if details:
        say("Details:")
        for line in _flatten(details):
            say(f"  {line}")
    if isinstance(entry.details.get("decision"), dict):
        say("How it was decided:")
        for line in _flatten(entry.details["decision"]):
            say(f"  {line}")
    say("History:")
    for h in history:
        change = f" {h.from_status or '-'} -> {h.to_status}" if h.to_status else ""
        extra = _brief(h.detail)
        say(f"  {h.at:%Y-%m-%d %H:%M:%S} {h.event}{change}{(' ' + extra) if extra else ''}")
    return 0


def handle_resolve(args: argparse.Namespace) -> int:
    """Close a review as handled by staff."""
    rt = runtime(args, resolve_secrets=False)
    try:
        entry = _review(rt.store, args.review_id)
        rt.store.resolve_review(entry.id, args.note)
    finally:
        rt.store.close()
    say(f"review #{entry.id} resolved ({entry.reason}, {entry.item_kind} {entry.item_key})")
    return 0


def handle_dismiss(args: argparse.Namespace) -> int:
    """Close a dead item that staff entered by hand: it becomes ``ignored``, the note in its
    history. Only dead items are dismissed (reviews are resolved, failed items requeued)."""
    rt = runtime(args, resolve_secrets=False)
    try:
        item = rt.store.get_item(args.item_id)
        if item is None:
            raise PermanentError(f"no item with id {args.item_id}", code="item_not_found")
        if item.status is not ItemStatus.DEAD:
            raise PermanentError(
                f"item #{item.id} is {item.status.value}, not dead; only dead items are "
                "dismissed (`connector review resolve` closes a review)",
                code="item_not_dead",
            )
        rt.store.mark_ignored(item.id, f"dismissed: handled by hand: {args.note}")
    finally:
        rt.store.close()
    say(f"item #{item.id} dismissed ({item.last_error_code}, {item.kind.value} {item.key})")
    return 0


def handle_link(args: argparse.Namespace) -> int:
    """Record a possible hand entry as posted, pointing at the PMS payment staff entered."""
    rt = runtime(args, resolve_secrets=False)
    try:
        entry = _review(rt.store, args.review_id)
        pms_ids = hand_entry.link(rt.store, entry.id, args.note)
    finally:
        rt.store.close()
    say(f"review #{entry.id} closed; item {entry.item_key} recorded as posted by hand (PMS "
        f"payment {pms_ids[LINKED]}); nothing was written to the PMS")  # fmt: skip
    return 0


def _as_dict(entry: Review) -> dict[str, Any]:
    data: dict[str, Any] = jsonutil.loads(jsonutil.dumps(entry))
    reason = describe(entry.reason)
    data["title"] = reason.title
    data["action"] = reason.action
    data["type"] = "review"
    return data


def _dead_dict(entry: DeadEntry) -> dict[str, Any]:
    data: dict[str, Any] = jsonutil.loads(jsonutil.dumps(entry))
    data.update({"type": "dead", "id": None, "state": "dead"})
    return data


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _flatten(value: Any, prefix: str = "") -> list[str]:
    """``key: value`` lines, nested keys joined with dots."""
    if isinstance(value, dict):
        lines: list[str] = []
        for key in sorted(value):
            lines.extend(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return lines
    if isinstance(value, list):
        shown = (
            ", ".join(str(v) for v in value)
            if all(not isinstance(v, dict | list) for v in value)
            else json.dumps(value, default=str)
        )
        return [f"{prefix}: {shown}"]
    if value is None or value == "":
        return []
    return [f"{prefix}: {value}"]


def _brief(detail: dict[str, Any]) -> str:
    keys = ("reason", "code", "review_id", "note", "already_existed")
    return " ".join(f"{k}={detail[k]}" for k in keys if k in detail)
