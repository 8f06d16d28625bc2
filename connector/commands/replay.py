"""``connector replay --practice P --since DATE [--source stripe|era]``: re-read a window.

Stripe: every paid payout that arrived since DATE is listed and recorded again; ERA: every
file filed in ``processed/`` since DATE is parsed and recorded again. The store records each
money movement once by its key, so a replay only adds what was missed (e.g. after restoring an
old state-store backup) and is always safe to repeat; the stored Stripe cursor is not changed.
New items are posted by the daemon's next posting run (or ``connector run --once``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connector.commands.common import runtime
from connector.commands.progress import Progress
from connector.config import PracticeSettings
from connector.errors import ConfigError
from connector.jobs import PollContext
from connector.logging import bind_run, clear_run, get_logger
from connector.sources.registry import build_sources


class Replayable(Protocol):
    """A source that can re-read a window (the Stripe and ERA sources)."""

    name: str

    def replay(
        self,
        ctx: PollContext,
        since: dt.datetime,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, int]:
        """Record again what the source offers since ``since``; return counts."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``replay`` command."""
    parser = sub.add_parser(
        "replay", help="re-read a practice's sources since a date (never records twice)"
    )
    parser.add_argument("--practice", required=True, help="the practice id")
    parser.add_argument(
        "--since", required=True, type=dt.date.fromisoformat, help="first day (YYYY-MM-DD)"
    )
    parser.add_argument("--source", choices=["stripe", "era"], help="one source (default: both)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Replay the chosen sources of one practice and print what each recorded."""
    rt = runtime(args)
    try:
        practice = _practice(rt.config.settings.practices, args.practice)
        sources = _sources(practice, args.source)
        since = dt.datetime.combine(args.since, dt.time(), tzinfo=ZoneInfo(practice.timezone))
        stop = threading.Event()
        for source in sources:
            bar = Progress(f"replay {practice.id} {source.name}")
            log = get_logger(f"connector.replay.{source.name}")
            ctx = PollContext(practice=practice, store=rt.store, redactor=rt.redactor, log=log,
                              stop=stop, clock=rt.clock)  # fmt: skip
            bind_run(practice.id, f"replay-{source.name}")
            try:
                counts = source.replay(ctx, since, bar.update)
            finally:
                bar.finish()
                clear_run()
            shown = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            print(f"{practice.id:<20} {source.name:<8} since {args.since}: {shown}")
    finally:
        rt.store.close()
    return 0


def _practice(practices: Any, practice_id: str) -> PracticeSettings:
    for practice in practices:
        if practice.id == practice_id:
            found: PracticeSettings = practice
            return found
    known = ", ".join(p.id for p in practices) or "none"
    raise ConfigError(f"no practice {practice_id!r} in the configuration (known: {known})")


def _sources(practice: PracticeSettings, wanted: str | None) -> list[Replayable]:
    chosen: list[Replayable] = []
    for source in build_sources(practice):
        if wanted not in (None, source.name):
            continue
        if not hasattr(source, "replay"):
            raise ConfigError(f"the {source.name} source of {practice.id} cannot replay")
        chosen.append(source)  # type: ignore[arg-type]  # checked just above
    if not chosen:
        what = f"{wanted} source" if wanted else "source"
        raise ConfigError(f"practice {practice.id} has no {what} enabled")
    return chosen
