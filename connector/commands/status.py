"""``connector status``: per practice, last polls, item counts by status, review queue size, and
the dead and failed items (id, kind, key, error) that ``connector requeue`` takes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import defaultdict
from typing import Any

from connector.clock import Clock
from connector.commands.common import runtime
from connector.config import PracticeSettings
from connector.domain import Item, ItemStatus
from connector.posting_state import posting_state

SHOWN = 20
"""Dead or failed items listed per practice in the text output (``--json`` lists all)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` command."""
    parser = sub.add_parser(
        "status", help="show polls, item counts, review queue and dead or failed items per practice"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=handle)


def collect(rt: Any) -> dict[str, Any]:
    """The status document (also used by diagnostics)."""
    counts = rt.store.status_counts()
    reviews = rt.store.count_open_reviews()
    polls = rt.store.poll_states()
    lease_owner = {p: owner for owner, held in rt.store.lease_holders().items() for p in held}
    stuck = {status: _by_practice(rt.store.items_with_status(status))
             for status in (ItemStatus.DEAD, ItemStatus.FAILED)}  # fmt: skip
    practices = {}
    for practice in rt.config.settings.practices:
        pid = practice.id
        practices[pid] = {
            "enabled": practice.enabled,
            "vendor": practice.pms.vendor,
            "items": {s.value: counts.get(pid, {}).get(s.value, 0) for s in ItemStatus},
            "open_reviews": reviews.get(pid, 0),
            "lease_owner": lease_owner.get(pid),
            "dead_items": [_stuck(i) for i in stuck[ItemStatus.DEAD].get(pid, [])],
            "failed_items": [_stuck(i) for i in stuck[ItemStatus.FAILED].get(pid, [])],
            "posting": posting_state(rt.store, pid, polls, counts.get(pid, {})).to_json(),
            "stripe_window": _stripe_window(rt, practice, rt.clock),
            "polls": {
                p.source: {
                    "last_ok_at": _iso(p.last_ok_at),
                    "last_started_at": _iso(p.last_started_at),
                    "last_error_at": _iso(p.last_error_at),
                    "last_error_code": p.last_error_code,
                    "last_error": p.last_error,
                    "consecutive_failures": p.consecutive_failures,
                    "last_summary": p.last_summary,
                }
                for p in polls
                if p.practice_id == pid
            },
        }
    return {"practices": practices}


def _stripe_window(rt: Any, practice: PracticeSettings, clock: Clock) -> dict[str, Any] | None:
    """The payouts the practice's next Stripe poll reads (None without Stripe)."""
    if practice.payments is None or not practice.payments.enabled:
        return None
    from connector.sources.stripe.window import window_of  # noqa: PLC0415 - Stripe practices only

    window = window_of(practice.payments.stripe, rt.store.get_cursor(practice.id, "stripe"),
                       clock.now())  # fmt: skip
    return {**window.fields(), "words": window.words()}


def _posting_words(doc: dict[str, Any]) -> str:
    """The ``posting`` block of the status document in one line (see connector/posting_state)."""
    if doc["state"] == "ok" and not doc["dead_items"]:
        return f"ok (last successful run {doc['last_ok_at'] or 'never'})"
    parts = []
    if doc["job_failures"]:
        after = doc["last_ok_at"]
        streak = f"since its last success at {after}" if after else "and never succeeded"
        parts.append(f"FAILING: {doc['job_failures']} runs in a row failed {streak}")
    if doc["failing_items"]:
        parts.append(f"{doc['failing_items']} items failing since {doc['failing_since']}, "
                     "retried automatically")  # fmt: skip
    if doc["dead_items"]:
        parts.append(f"{doc['dead_items']} dead items (given up: fix, then `connector requeue`)")
    if doc["last_error_code"] and doc["state"] == "failing":
        parts.append(f"last error [{doc['last_error_code']}] {doc['last_error'] or ''}"
                     f" at {doc['last_error_at']}")  # fmt: skip
    return "; ".join(parts)


def _by_practice(items: list[Item]) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.practice_id].append(item)
    return grouped


def _stuck(item: Item) -> dict[str, Any]:
    """A dead or failed item as support needs it: ids, codes and words, no payload."""
    return {
        "item_id": item.id,
        "practice_id": item.practice_id,
        "kind": item.kind.value,
        "key": item.key,
        "amount": str(item.amount),
        "error_code": item.last_error_code,
        "error": item.last_error,
        "attempts": item.attempts,
        "next_attempt_at": _iso(item.next_attempt_at),
        "updated_at": _iso(item.updated_at),
    }


def handle(args: argparse.Namespace) -> int:
    """Print the status table (or JSON)."""
    rt = runtime(args)
    try:
        doc = collect(rt)
    finally:
        rt.store.close()
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
        return 0
    for pid, info in doc["practices"].items():
        items = info["items"]
        counts = "  ".join(f"{k}={v}" for k, v in items.items() if v)
        print(f"{pid} ({info['vendor']}){'' if info['enabled'] else ' [disabled]'}")
        print(f"  items: {counts or 'none'}   open reviews: {info['open_reviews']}")
        if info["lease_owner"]:
            print(f"  worked by: {info['lease_owner']}")
        posting = info["posting"]
        print(f"  posting: {_posting_words(posting)}")
        if info["stripe_window"]:
            print(f"  stripe window: {info['stripe_window']['words']}")
        if not info["polls"]:
            print("  polls: none yet")
        for source, poll in sorted(info["polls"].items()):
            state = "ok" if not poll["consecutive_failures"] else "FAILING"
            line = f"  {source:<9} {state:<8} last ok {poll['last_ok_at'] or 'never'}"
            if poll["consecutive_failures"]:
                line += (
                    f"; {poll['consecutive_failures']} failures, last"
                    f" [{poll['last_error_code']}] {poll['last_error']}"
                )
            print(line)
        _print_stuck(
            info["dead_items"],
            f"dead items (fix the cause, then `connector requeue ITEM_ID` or "
            f"`connector requeue --dead --practice {pid}`)",
        )
        _print_stuck(
            info["failed_items"],
            "failed items (retried automatically; `connector requeue ITEM_ID` retries now)",
        )
    return 0


def _print_stuck(items: list[dict[str, Any]], title: str) -> None:
    if not items:
        return
    print(f"  {title}:")
    for entry in items[:SHOWN]:
        line = (
            f"    #{entry['item_id']} {entry['kind']} {entry['key']} {entry['amount']}"
            f" [{entry['error_code'] or '-'}] {entry['error'] or ''}"
        ).rstrip()
        if entry["next_attempt_at"]:
            line += f" (next attempt {entry['next_attempt_at']})"
        print(line)
    if len(items) > SHOWN:
        print(f"    … and {len(items) - SHOWN} more (connector status --json lists them all)")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
