"""A real daemon whose one job works slowly through items; used by the SIGTERM test.

Usage: python -m tests.support.slow_daemon CONFIG OUTFILE
Each item writes ``start N`` then ``end N`` to OUTFILE; the job checks the stop event only
between items, as real sources and the poster do.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from connector.config import PracticeSettings, load_config
from connector.daemon import Daemon
from connector.jobs import PollContext
from connector.logging import configure_logging
from connector.redaction import Redactor
from connector.store import open_store


class SlowJob:
    """Processes 50 items, 0.2 s each, stopping between items when asked."""

    name = "slow"

    def __init__(self, out: Path) -> None:
        self.out = out

    def poll(self, ctx: PollContext) -> dict[str, int]:
        done = 0
        for n in range(50):
            if ctx.stop.is_set():
                break
            with self.out.open("a") as fh:
                fh.write(f"start {n}\n")
                fh.flush()
                time.sleep(0.2)
                fh.write(f"end {n}\n")
            done += 1
        return {"done": done}


def main() -> int:
    """Run the daemon forever until a signal arrives."""
    config, out = sys.argv[1], Path(sys.argv[2])
    loaded = load_config(config)
    redactor = Redactor()
    configure_logging(redactor=redactor, fmt="json")
    store = open_store(loaded.settings.state.url)

    def factory(_practice: PracticeSettings) -> list[SlowJob]:
        return [SlowJob(out)]

    Daemon(loaded, store, redactor, job_factory=factory).run_forever()  # type: ignore[arg-type]
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
