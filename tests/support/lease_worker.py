"""One instance in the multi-process lease test: claims and renews leases through the real
LeaseKeeper on a PostgreSQL store and records when it worked which practice.

Usage: python -m tests.support.lease_worker URL OWNER PRACTICES TTL SECONDS OUTFILE [STALLS]

PRACTICES is comma-separated. As in the daemon, a lease thread runs a cycle every ttl/3 while
the main thread "works" each practice it holds: before each unit of work it reads the monotonic
clock (system-wide on Linux, so comparable across processes), checks the practice's stop event,
and writes ``practice tenure time`` to OUTFILE only if the stop was not set; the tenure is the
stop's ``acquired_at``, new each time the worker (re)acquires a practice. With STALLS=1 the
lease thread hangs for 1.5 ttl at 5 s and at 9 s (as a renewal stuck on the network would) while
work goes on, and the work loop freezes for 1.5 ttl at 7 s (as a stuck job would). Exits after
releasing its leases.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time

from connector.leases import LeaseKeeper
from connector.store.postgres import PostgresStore


def main() -> int:
    """Run the worker; see the module docstring."""
    url, owner, practices, ttl_s, seconds, out = sys.argv[1:7]
    stalls = len(sys.argv) > 7 and sys.argv[7] == "1"
    ttl = dt.timedelta(seconds=float(ttl_s))
    store = PostgresStore(url, max_connections=2)
    keeper = LeaseKeeper(store, practices.split(","), ttl=ttl, owner=owner)
    started = time.monotonic()
    renew_stalls = [started + 5, started + 9] if stalls else []
    work_stalls = [started + 7] if stalls else []
    done = threading.Event()

    def renew_loop() -> None:
        while not done.is_set():
            keeper.cycle()
            if renew_stalls and time.monotonic() >= renew_stalls[0]:
                renew_stalls.pop(0)
                time.sleep(ttl.total_seconds() * 1.5)  # renewals hang; work must stop in time
            done.wait(keeper.interval)

    renewer = threading.Thread(target=renew_loop, daemon=True)
    renewer.start()
    end = started + float(seconds)
    with open(out, "a", buffering=1, encoding="utf-8") as fh:
        while time.monotonic() < end:
            for practice in keeper.held():
                stop = keeper.stop_for(practice)
                at = time.monotonic()
                if stop is not None and not stop.is_set():
                    fh.write(f"{practice} {stop.acquired_at:.6f} {at:.6f}\n")
            if work_stalls and time.monotonic() >= work_stalls[0]:
                work_stalls.pop(0)
                time.sleep(ttl.total_seconds() * 1.5)  # a stuck job
            time.sleep(0.01)
    done.set()
    renewer.join()
    keeper.release_all()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
