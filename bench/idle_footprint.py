"""Idle footprint of `connector run`: memory and CPU with 20 practices between polls.

The sandbox fleet (:class:`workshop.sandbox.fleet.OpenDentalFleet`: 20 Open Dental practices
on MariaDB through the API double, each with Stripe payments and the scenario's ERA files)
is started, `connector run` (SQLite store, the production poll intervals: Stripe every 5 min,
ERA every 15 min, posting every minute) posts everything, and then, with nothing left to do,
resident memory (VmRSS, sampled every second) and CPU time (utime + stime from /proc) are read
over a window that contains the routine polls (one Stripe poll and the posting runs of every
practice at the default 300 s). Goal: ≤ 70 MB RSS, ≤ 0.2 % of one CPU.

It also reports what the process imports: ``python -X importtime`` of the same
`connector run --once` (modules, total import time, the largest packages) and the RSS after
imports alone.

Usage: ``.venv/bin/python bench/idle_footprint.py [--practices 20] [--window 300] [--json f]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.sandbox.fleet import OpenDentalFleet  # noqa: E402

PAYMENTS = 20  # per practice
CLAIMS = 3  # claims each practice's scenario ERAs post
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

OPTIONAL = ("paramiko", "cryptography", "psycopg", "psycopg_pool", "workshop.sandbox")

IMPORT_ONLY = """
import connector.cli, connector.commands.run, connector.daemon
for line in open("/proc/self/status"):
    if line.startswith("VmRSS"):
        print(int(line.split()[1]) / 1024)
"""


def _proc_status(pid: int) -> dict[str, str]:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return fields


def _rss_mib(pid: int) -> float:
    return int(_proc_status(pid)["VmRSS"].split()[0]) / 1024


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settled(db: Path, expected: int) -> bool:
    """Every payment and claim posted, nothing left open."""
    if not db.exists():
        return False
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = dict(conn.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall())
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()
    return rows.get("posted", 0) >= expected and not {"received", "failed"} & set(rows)


def _job_runs(log: Path) -> int:
    """Job runs the daemon has logged so far (``poll.summary`` lines)."""
    return log.read_text(encoding="utf-8").count('"poll.summary"')


def idle(fleet: OpenDentalFleet, work: Path, window: float) -> dict[str, Any]:
    """Run the daemon until everything is posted, then sample it over ``window`` seconds."""
    db = work / "state.db"
    config = fleet.write_config(work / "connector.yaml", state_url=f"sqlite:///{db}")
    expected = len(fleet.practices) * (PAYMENTS + CLAIMS)
    log = work / "daemon.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "--config", str(config), "run"],
            cwd=work, env=ENV, stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not _settled(db, expected):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the daemon did not post everything; see {log}")
            time.sleep(0.5)
        time.sleep(5)  # let the last posting runs end
        after_work = _rss_mib(proc.pid)
        samples = []
        runs_before = _job_runs(log)
        cpu0, t0 = _cpu_seconds(proc.pid), time.monotonic()
        while time.monotonic() - t0 < window:
            samples.append(_rss_mib(proc.pid))
            time.sleep(1)
        cpu = _cpu_seconds(proc.pid) - cpu0
        elapsed = time.monotonic() - t0
        runs_in_window = _job_runs(log) - runs_before
        status = _proc_status(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return {
        "practices": len(fleet.practices),
        "jobs": len(fleet.practices) * 3,
        "window_s": round(elapsed),
        "job_runs_in_window": runs_in_window,
        "rss_after_work_mib": round(after_work, 1),
        "rss_idle_median_mib": round(statistics.median(samples), 1),
        "rss_idle_max_mib": round(max(samples), 1),
        "rss_peak_mib": round(int(status["VmHWM"].split()[0]) / 1024, 1),
        "threads": int(status["Threads"]),
        "cpu_s_in_window": round(cpu, 2),
        "cpu_percent": round(100 * cpu / elapsed, 3),
    }


def imports(config: Path, work: Path) -> dict[str, Any]:
    """What `connector run --once` imports (``-X importtime``), and RSS after imports alone."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "connector.cli", "--config", str(config),
         "run", "--once"],
        cwd=work, env=ENV, capture_output=True, text=True, check=False,
    )  # fmt: skip
    per_package: Counter[str] = Counter()
    names = set()
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        per_package[name.strip().split(".")[0]] += int(self_us)
        names.add(name.strip())
    alone = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY], cwd=work, env=ENV, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return {
        "modules_imported": len(names),
        "import_ms_total": round(sum(per_package.values()) / 1000),
        "top_packages_ms": {k: round(v / 1000) for k, v in per_package.most_common(10)},
        "rss_after_imports_mib": round(float(alone.stdout.strip()), 1),
        "optional_not_imported": [name for name in OPTIONAL if name not in names],
    }


def main() -> int:
    """Parse arguments, run, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--window", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        work = Path(tmp)
        with OpenDentalFleet(work / "fleet", practices=args.practices, payments=PAYMENTS,
                             payouts=2, families=30, era=True) as fleet:  # fmt: skip
            result = idle(fleet, work, args.window)
            once = work / "once"
            once.mkdir()
            config = fleet.write_config(once / "c.yaml", state_url=f"sqlite:///{once}/s.db")
            result["imports"] = imports(config, once)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
