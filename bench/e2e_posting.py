"""End to end: cleared Stripe payments of many practices posted into Open Dental by `connector run`.

Everything real, on this machine: the sandbox Stripe server serving every practice's own
account (paid automatic payouts of card payments, each naming a generated patient), one
MariaDB server with an Open Dental database per practice, an Open Dental API double per
database (:class:`workshop.sandbox.fleet.OpenDentalFleet`), and the connector itself as a
`connector run` subprocess on a SQLite state store (WAL, synchronous=FULL), as in production.

Each practice's payment table starts with ``--history`` earlier payments (default 20,000: a
few years of a busy practice), so lookups that scan it cost what they would in production.

Reports postings per second (first to last posting), the wall time from the daemon's start,
and the latency of each payment from "recorded" (the item's ``item.recorded`` history entry)
to "posted" (its ``posted`` history entry): p50, p90, p99, max. Checks that every payment is
in its PMS exactly once (rows carrying its marker).

Usage::

    .venv/bin/python bench/e2e_posting.py [--practices 20] [--payments 10000] [--history 20000]
                                          [--json out.json]
    .venv/bin/python bench/e2e_posting.py --profile out.prof   # cProfile of `run --once`

``--profile`` runs the same world through ``connector run --once`` (every job in turn on the
main thread, batch size = all) under cProfile instead of the daemon, and prints the top
functions by cumulative time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.sandbox.fleet import OpenDentalFleet  # noqa: E402


def _posted_count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = conn.execute(
            "SELECT count(*) FROM items WHERE status = 'posted' AND kind = 'patient_payment'"
        ).fetchone()
        return int(row[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        conn.close()


def _latencies(db: Path) -> tuple[list[float], dt.datetime, dt.datetime]:
    """Seconds from recorded to posted per payment; first and last posting time."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(
        """SELECT r.at, p.at FROM items i
           JOIN history r ON r.item_id = i.id AND r.event = 'item.recorded'
           JOIN history p ON p.item_id = i.id AND p.to_status = 'posted'
           WHERE i.kind = 'patient_payment'"""
    ).fetchall()
    conn.close()
    pairs = [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in rows]
    waits = sorted((b - a).total_seconds() for a, b in pairs)
    return waits, min(b for _, b in pairs), max(b for _, b in pairs)


def _percentile(values: list[float], share: float) -> float:
    index = min(len(values) - 1, max(0, round(share * len(values)) - 1))
    return values[index]


def _rss_mib(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of a process (MiB)."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _check_once(fleet: OpenDentalFleet) -> tuple[int, int]:
    """(payments expected, payments found exactly once in the PMS)."""
    expected = once = 0
    for practice in fleet.practices:
        markers = fleet.markers(practice)["payment"]
        expected += len(practice.payment_keys)
        once += sum(1 for key in practice.payment_keys if markers.get(key) == 1)
        assert sum(markers.values()) == len(practice.payment_keys), practice.id
    return expected, once


def _fleet(practices: int, payments: int, history: int, work: Path) -> OpenDentalFleet:
    each = payments // practices
    return OpenDentalFleet(work, practices=practices, payments=each, payouts=5,
                           families=max(50, each // 2 + 10), history=history)  # fmt: skip


def run(
    practices: int, payments: int, history: int, work: Path, *, timeout: float = 3600
) -> dict[str, Any]:
    """Run the daemon over a fresh fleet until every payment is posted; the measurements."""
    each = payments // practices
    with _fleet(practices, payments, history, work) as fleet:
        db = work / "state.db"
        config = fleet.write_config(
            work / "connector.yaml",
            state_url=f"sqlite:///{db}",
            practice={"payments": {"poll_every": "10m"}},
            posting={"poll_every": "1s", "batch_size": 200},
        )
        log = work / "daemon.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with log.open("wb") as out:
            started = time.monotonic()
            started_at = dt.datetime.now(dt.UTC)
            proc = subprocess.Popen(
                [sys.executable, "-m", "connector.cli", "--config", str(config), "run"],
                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=out,
            )  # fmt: skip
        peak = 0.0
        cpu_start = _cpu_seconds(proc.pid)
        try:
            while _posted_count(db) < practices * each:
                if proc.poll() is not None or time.monotonic() - started > timeout:
                    raise RuntimeError(f"daemon stopped or timed out; see {log}")
                peak = max(peak, _rss_mib(proc.pid)[1])
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            cpu = _cpu_seconds(proc.pid) - cpu_start
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        waits, first, last = _latencies(db)
        expected, once = _check_once(fleet)
    span = (last - first).total_seconds()
    return {
        "practices": practices,
        "payments": practices * each,
        "history_payments_per_practice": history,
        "posted_exactly_once": once,
        "expected": expected,
        "wall_s_from_daemon_start": round(elapsed, 1),
        "first_posting_after_s": round((first - started_at).total_seconds(), 1),
        "postings_per_s": round(len(waits) / span, 1) if span else None,
        "latency_p50_s": round(statistics.median(waits), 2),
        "latency_p90_s": round(_percentile(waits, 0.90), 2),
        "latency_p99_s": round(_percentile(waits, 0.99), 2),
        "latency_max_s": round(waits[-1], 2),
        "daemon_cpu_s": round(cpu, 1),
        "daemon_peak_rss_mib": round(peak, 1),
    }


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile(practices: int, payments: int, history: int, work: Path, out: Path) -> dict[str, Any]:
    """``connector run --once`` under cProfile (everything on the main thread)."""
    with _fleet(practices, payments, history, work) as fleet:
        config = fleet.write_config(
            work / "connector.yaml",
            state_url=f"sqlite:///{work / 'state.db'}",
            posting={"batch_size": 10_000},
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        with (work / "once.log").open("wb") as log:
            subprocess.run(
                [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "connector.cli",
                 "--config", str(config), "run", "--once"],
                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=log, check=True,
            )  # fmt: skip
        elapsed = time.monotonic() - started
        expected, once = _check_once(fleet)
    import pstats

    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(45)
    return {"payments": expected, "posted_exactly_once": once, "wall_s": round(elapsed, 1)}


def main() -> int:
    """Parse arguments, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument(
        "--history", type=int, default=20_000, help="earlier payments in each practice's table"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--profile", type=Path, help="cProfile `run --once` into this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        if args.profile:
            result = profile(args.practices, args.payments, args.history, Path(tmp), args.profile)
        else:
            result = run(args.practices, args.payments, args.history, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if result["posted_exactly_once"] == result.get("expected", result["payments"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
