"""``connector requeue``: put dead (or failed) items back in the posting queue.

* ``connector requeue ITEM_ID [ITEM_ID ...]`` — the ids ``connector status`` lists;
* ``connector requeue --dead [--practice ID]`` — every dead item (of one practice).

Use it after fixing what made the item die (an API key, a deleted payment type, a request the
PMS rejected). A requeued item is planned again from scratch at the next posting run
(``connector run --once``, or the running service within ``posting.poll_every``), with the full
``posting.max_attempts``. It cannot post twice: the posting engine first looks in the PMS for
the item's marker and only marks it posted when it is already there.

Review items are not requeued here: ``connector retry REVIEW_ID`` closes the review as well.
"""

from __future__ import annotations

import argparse
import sys

from connector.commands.common import runtime
from connector.commands.review import say
from connector.config import LoadedConfig
from connector.domain import Item, ItemStatus
from connector.errors import ConfigError, PermanentError
from connector.store import StateStore


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``requeue`` command."""
    parser = sub.add_parser(
        "requeue",
        help="put dead (or failed) items back in the posting queue after fixing the cause",
        description="Put items that were given up (dead), or that wait for a retry (failed), "
        "back in the posting queue. Find their ids with `connector status`. An item already "
        "in the PMS is recognised by its marker and only marked posted.",
    )
    parser.add_argument(
        "item_ids", type=int, nargs="*", metavar="ITEM_ID", help="item ids (connector status)"
    )
    parser.add_argument("--dead", action="store_true", help="every dead item")
    parser.add_argument("--practice", metavar="ID", help="with --dead: only this practice")
    parser.set_defaults(handler=handle)


def _targets(args: argparse.Namespace, store: StateStore, config: LoadedConfig) -> list[int]:
    """The item ids the arguments name."""
    if args.dead == bool(args.item_ids):
        raise PermanentError("name item ids or --dead (one of the two)", code="requeue_invalid")
    if args.practice is not None and not args.dead:
        raise PermanentError("--practice applies only with --dead", code="requeue_invalid")
    if args.practice is not None and args.practice not in _practices(config):
        known = ", ".join(_practices(config)) or "none"
        raise ConfigError(f"no practice {args.practice!r} in the configuration (known: {known})")
    if args.item_ids:
        return list(dict.fromkeys(args.item_ids))
    return [item.id for item in store.items_with_status(ItemStatus.DEAD, args.practice)]


def _practices(config: LoadedConfig) -> dict[str, bool]:
    """``{practice id: enabled}`` from the configuration."""
    return {p.id: p.enabled for p in config.settings.practices}


def _line(before: Item, after: Item) -> str:
    """One requeued item in words."""
    error = f" [{before.last_error_code}]" if before.last_error_code else ""
    return (
        f"item #{after.id} ({after.kind.value} {after.key}, practice {after.practice_id}): "
        f"was {before.status.value}{error}, now queued"
    )


def handle(args: argparse.Namespace) -> int:
    """Requeue each named item; refusals are printed and make the exit status 1."""
    rt = runtime(args, resolve_secrets=False)
    requeued: list[tuple[Item, Item]] = []
    refused = 0
    try:
        targets = _targets(args, rt.store, rt.config)
        for item_id in targets:
            before = rt.store.get_item(item_id)
            try:
                after = rt.store.requeue_item(item_id)
            except PermanentError as exc:
                print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
                refused += 1
                continue
            assert before is not None  # requeue_item refuses unknown ids
            requeued.append((before, after))
    finally:
        rt.store.close()
    if args.dead and not targets:
        where = f" for practice {args.practice}" if args.practice else ""
        say(f"no dead items{where}; nothing to requeue")
        return 0
    if args.dead or len(targets) > 1:
        say(f"requeued {len(requeued)} of {len(targets)} item{'s' if len(targets) > 1 else ''}")
    for before, after in requeued:
        say(_line(before, after))
    practices = _practices(rt.config)
    for pid in sorted({after.practice_id for _, after in requeued}):
        if pid not in practices:
            say(f"note: practice {pid} is not in the configuration; nothing will post its items")
        elif not practices[pid]:
            say(f"note: practice {pid} is disabled; its items post once it is enabled again")
    if requeued:
        say(
            "requeued items are planned again at the next posting run (connector run --once, or "
            "the service within posting.poll_every); one already in the PMS is only marked posted"
        )
    return 1 if refused else 0
