"""``connector run``: run forever, or one cycle with ``--once`` (optionally ``--dry-run``).

On a SQLite store a practice is worked by one process at a time: ``run --once`` next to the
running service waits its turn per practice (``--wait``), then refuses what is still held,
naming the other process, and exits 3.
"""

from __future__ import annotations

import argparse
import sys

from connector.commands.common import runtime
from connector.daemon import Daemon

EXIT_HELD = 3
"""``run --once``: a practice was held by another process on the same state the whole time."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command."""
    parser = sub.add_parser("run", help="run the service (forever, or one cycle with --once)")
    parser.add_argument("--once", action="store_true", help="run every job once and exit")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="plan and log what would be posted; write nothing to any PMS",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="with --once on a SQLite store: how long to wait for a practice another "
        "connector process is working before refusing it (default 300)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the daemon; with --once, exit 1 when any practice's job failed, 3 when a practice
    was held by another process the whole time (and nothing failed)."""
    rt = runtime(args)
    try:
        daemon = Daemon(
            rt.config,
            rt.store,
            rt.redactor,
            dry_run=args.dry_run,
            clock=rt.clock,
            lock_wait=max(0.0, args.wait) if args.once else 0.0,
            command="connector run --once" if args.once else "connector run",
        )
        if args.once:
            daemon.install_signal_handlers()
            outcomes = daemon.run_once()
            for outcome in outcomes:
                verdict = "ok" if outcome.ok else f"FAILED ({outcome.code})"
                if outcome.held_by is not None:
                    verdict = f"REFUSED (being worked by {outcome.held_by})"
                elif outcome.skipped:
                    verdict = "skipped (leased by another instance)"
                counts = ", ".join(f"{k}={v}" for k, v in (outcome.summary or {}).items())
                print(f"{outcome.practice_id:<20} {outcome.job:<10} {verdict} {counts}".rstrip())
            held = sorted({o.practice_id for o in outcomes if o.held_by is not None})
            if held:
                print(
                    f"not run: {', '.join(held)} — another connector process on this state file "
                    "is working them and will post their items; run again when it is idle, or "
                    "stop it first",
                    file=sys.stderr,
                )
            if not all(o.ok for o in outcomes):
                return 1
            return EXIT_HELD if held else 0
        daemon.run_forever()
        return 0
    finally:
        rt.store.close()
