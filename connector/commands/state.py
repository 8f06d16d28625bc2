"""``connector state copy --from URL --to URL``: move the durable state to another store.

Used once when moving from SQLite to PostgreSQL (docs/scale.md). Stop every instance first:
the copy reads a consistent source only when nothing writes to it.
"""

from __future__ import annotations

import argparse
import sys

from connector.errors import ConfigError
from connector.store import open_store, redact_url
from connector.store.copy import Copyable, copy_state


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``state`` command group."""
    parser = sub.add_parser("state", help="maintain the state store (copy it to another store)")
    actions = parser.add_subparsers(dest="state_command", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "copy",
        help="copy items, cursors, reviews, history and polls into an empty store",
        description="Copy the whole state into an empty store (created and migrated if needed)."
        " Stop the service first. Example: connector state copy --from"
        " sqlite:///var/lib/connector/state.db --to postgresql://connector@db/connector",
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help="source store")
    copy.add_argument("--to", dest="target", required=True, metavar="URL", help="empty target")
    copy.set_defaults(handler=handle_copy)


def handle_copy(args: argparse.Namespace) -> int:
    """Copy, then print one line per table; exit 0, or 1 when the target was not empty."""
    if args.source == args.target:
        raise ConfigError("--from and --to name the same store")
    source = open_store(args.source)
    try:
        target = open_store(args.target)
        try:
            counts = copy_state(_copyable(source), _copyable(target))
        finally:
            target.close()
    finally:
        source.close()
    print(f"copied {redact_url(args.source)} -> {redact_url(args.target)}", file=sys.stderr)
    for table, count in counts.items():
        print(f"{table:<10} {count}")
    return 0


def _copyable(store: object) -> Copyable:
    if not isinstance(store, Copyable):
        raise ConfigError(f"{type(store).__name__} cannot be copied")
    return store
