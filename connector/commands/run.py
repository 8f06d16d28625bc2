"""``connector run``: run forever, or one cycle with ``--once`` (optionally ``--dry-run``)."""

from __future__ import annotations

import argparse

from connector.commands.common import runtime
from connector.daemon import Daemon


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command."""
    parser = sub.add_parser("run", help="run the service (forever, or one cycle with --once)")
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and log what would be posted; write nothing to any PMS",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the daemon; with --once, exit 1 when any practice's job failed."""
    rt = runtime(args)
    try:
        daemon = Daemon(rt.config, rt.store, rt.redactor, dry_run=args.dry_run, clock=rt.clock)
        if args.once:
            daemon.install_signal_handlers()
            outcomes = daemon.run_once()
            for outcome in outcomes:
                verdict = "ok" if outcome.ok else f"FAILED ({outcome.code})"
                if outcome.skipped:
                    verdict = "skipped (leased by another instance)"
                counts = ", ".join(f"{k}={v}" for k, v in (outcome.summary or {}).items())
                print(f"{outcome.practice_id:<20} {outcome.job:<10} {verdict} {counts}".rstrip())
            return 0 if all(o.ok for o in outcomes) else 1
        daemon.run_forever()
        return 0
    finally:
        rt.store.close()
