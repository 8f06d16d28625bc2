"""Three ``connector run`` daemons share 30 Open Dental practices through one PostgreSQL store;
one is SIGKILLed mid-run. Everything real: the daemons are OS processes, the PMS is MariaDB
behind the Open Dental API double, Stripe is the sandbox server, ERAs are files in inboxes."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.paths import REPO
from workshop.sandbox.fleet import OpenDentalFleet
from workshop.sandbox.mariadb import MariaDBUnavailable

pytestmark = [pytest.mark.external_service, pytest.mark.slow]

PRACTICES = 30
PAYMENTS = 16  # per practice, over two payouts
TTL = 3.0  # lease time (s): renewals and claims every TTL / 3
# Each practice's scenario ERAs post three claims: an original payment, its reversal and the
# corrected payment (workshop/sandbox/scenario.py).
CLAIMS = 3
# The lease log of one instance and another's are written by different processes: a release
# logged a moment after the database already let the other instance claim the practice must
# not read as an overlap. Work (job) intervals are compared without any allowance.
LOG_SKEW = dt.timedelta(milliseconds=100)
# A survivor claims the dead instance's practices at its first cycle after the leases
# expired (≤ TTL after the last renewal, ≤ TTL / 3 later), plus scheduling slack on a busy
# 2-core machine.
TAKEOVER_BOUND = dt.timedelta(seconds=TTL + TTL / 3 + 2.0)


@dataclass
class Daemon:
    """One ``connector run`` process and its JSON log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    events: list[dict[str, Any]] = field(default_factory=list)

    def owner_prefix(self) -> str:
        """The start of its lease owner id: ``hostname:pid:``."""
        return f":{self.proc.pid}:"

    def read(self) -> list[dict[str, Any]]:
        """Every complete JSON log line it wrote."""
        events = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{") and line.endswith("}"):
                events.append(json.loads(line))
        self.events = events
        return events


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenDentalFleet]:
    """30 Open Dental practices on one MariaDB, each with Stripe payments and ERA files."""
    work = tmp_path_factory.mktemp("fleet")
    try:
        world = OpenDentalFleet(work, practices=PRACTICES, payments=PAYMENTS, payouts=2,
                                families=20, era=True)  # fmt: skip
    except MariaDBUnavailable as exc:
        pytest.skip(str(exc))
    with world:
        yield world


def _start(name: str, config: Path, folder: Path) -> Daemon:
    log = folder / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", "--config", str(config), "run"],
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    return Daemon(name, proc, log)


def _counts(url: str) -> tuple[dict[str, dict[str, int]], dict[str, str]]:
    """Items per practice and status, and which owner holds each practice's lease now."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            # payments and claims by status; any other item (deposits, PLBs, remittances) only
            # while it is still to do, so that "done" waits for it too
            "SELECT practice_id, status, count(*) FROM items"
            " WHERE kind IN ('patient_payment', 'era_claim') OR status IN ('received', 'failed')"
            " GROUP BY practice_id, status"
        ).fetchall()
        leases = conn.execute(
            "SELECT practice_id, owner FROM practice_leases WHERE expires_at > now()"
        ).fetchall()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for practice, status, count in rows:
        counts[practice][status] = count
    return counts, dict(leases)


def _done(counts: dict[str, dict[str, int]], practice_ids: list[str]) -> bool:
    return all(
        counts.get(p, {}).get("posted", 0) == PAYMENTS + CLAIMS
        and not {"received", "failed"} & set(counts.get(p, {}))
        for p in practice_ids
    )


def _ts(event: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))


def _job_intervals(daemon: Daemon) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(practice, start, end) of every job run the daemon finished (with or without error)."""
    spans = []
    for event in daemon.events:
        if event.get("event") in {"poll.summary", "poll.failed", "poll.crashed"}:
            end = _ts(event)
            start = end - dt.timedelta(milliseconds=int(event.get("duration_ms", 0)))
            spans.append((event["practice_id"], start, end))
    return spans


def _lease_intervals(
    daemon: Daemon, end_of_run: dt.datetime
) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(practice, acquired, given up) from the daemon's lease log; open ones end at
    ``end_of_run`` (its kill, or its shutdown)."""
    held: dict[str, dt.datetime] = {}
    spans = []
    for event in daemon.events:
        name, practice = event.get("event"), event.get("practice_id")
        if name == "lease.acquired":
            assert practice not in held, f"{daemon.name} acquired {practice} twice"
            held[practice] = _ts(event)
        elif name in {"lease.lost", "lease.released"} and practice in held:
            spans.append((practice, held.pop(practice), _ts(event)))
    spans += [(practice, start, end_of_run) for practice, start in held.items()]
    return spans


def _overlaps(
    spans: dict[str, list[tuple[str, dt.datetime, dt.datetime]]], allowance: dt.timedelta
) -> list[str]:
    """Descriptions of any two different daemons' spans of one practice that overlap."""
    problems = []
    per_practice: dict[str, list[tuple[dt.datetime, dt.datetime, str]]] = defaultdict(list)
    for name, items in spans.items():
        for practice, start, end in items:
            per_practice[practice].append((start, end, name))
    for practice, items in per_practice.items():
        items.sort()
        for i, (start, end, name) in enumerate(items):
            for other_start, other_end, other in items[i + 1 :]:
                if other != name and other_start + allowance < end and start < other_end:
                    problems.append(f"{practice}: {name} {start}-{end}, {other} {other_start}-"
                                    f"{other_end}")  # fmt: skip
    return problems


@pytest.mark.timeout(240)
def test_three_daemons_post_everything_once_and_take_over_a_killed_one(
    fleet: OpenDentalFleet, postgres_url: str, tmp_path: Path
) -> None:
    """Every payment and claim is posted exactly once, the killed daemon's practices move
    within the lease time, and no practice is ever worked by two daemons at once."""
    config = fleet.write_config(
        tmp_path / "connector.yaml",
        state_url=postgres_url,
        practice={"payments": {"poll_every": "2s"}, "era": {"poll_every": "2s"}},
        posting={"poll_every": "1s", "batch_size": 4, "retry_backoff": "1s"},
        leases={"enabled": True, "ttl": f"{TTL}s"},
    )
    practice_ids = [p.id for p in fleet.practices]
    total = PRACTICES * (PAYMENTS + CLAIMS)
    daemons = [_start(f"d{n}", config, tmp_path) for n in range(3)]
    victim, survivors = daemons[0], daemons[1:]
    killed_at: dt.datetime | None = None
    orphans: set[str] = set()
    try:
        deadline = time.monotonic() + 180
        while True:
            assert time.monotonic() < deadline, f"not done: {_counts(postgres_url)[0]}"
            for daemon in daemons:
                if daemon is not victim or killed_at is None:
                    assert daemon.proc.poll() is None, f"{daemon.name} exited early"
            counts, leases = _counts(postgres_url)
            posted = sum(c.get("posted", 0) for c in counts.values())
            if killed_at is None:
                assert not _done(counts, practice_ids), "all posted before the kill"
                held = {p for p, o in leases.items() if victim.owner_prefix() in o}
                unfinished = {p for p in held if counts.get(p, {}).get("posted", 0) < 10}
                if posted >= total // 4 and unfinished and len(leases) == PRACTICES:
                    victim.proc.send_signal(signal.SIGKILL)
                    # the wall clock on purpose: compared with the timestamps the daemon
                    # processes log, which run on the real clock (not the test's)
                    killed_at = dt.datetime.now(dt.UTC)
                    victim.proc.wait(timeout=10)
                    orphans = held
            elif _done(counts, practice_ids):
                break
            time.sleep(0.2)
        for daemon in survivors:
            daemon.proc.send_signal(signal.SIGTERM)
        for daemon in survivors:
            assert daemon.proc.wait(timeout=60) == 0
    finally:
        for daemon in daemons:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait(timeout=10)
    assert killed_at is not None
    for daemon in daemons:
        daemon.read()
    stopped_at = dt.datetime.now(dt.UTC)  # the processes' clock, as above

    # Exactly once: every cleared payment and every posted claim is in its PMS once.
    with psycopg.connect(postgres_url) as conn:
        posted_era = conn.execute(
            "SELECT practice_id, key, kind FROM items WHERE status = 'posted'"
            " AND kind IN ('era_claim', 'era_plb')"
        ).fetchall()
    claims_of: dict[str, set[str]] = defaultdict(set)
    written_of: dict[str, set[str]] = defaultdict(set)  # claims and PLBs: insurance money
    for practice, key, kind in posted_era:
        written_of[practice].add(key)
        if kind == "era_claim":
            claims_of[practice].add(key)
    for practice in fleet.practices:
        markers = fleet.markers(practice)
        assert dict(markers["payment"]) == dict.fromkeys(practice.payment_keys, 1), practice.id
        assert len(claims_of[practice.id]) == CLAIMS, practice.id
        assert dict(markers["claimpayment"]) == dict.fromkeys(written_of[practice.id], 1)

    # Takeover: each practice the victim held is acquired by a survivor within the bound.
    assert orphans, "the killed daemon held no practice"
    taken: dict[str, dt.datetime] = {}
    for daemon in survivors:
        for event in daemon.events:
            if event.get("event") == "lease.acquired" and _ts(event) > killed_at:
                taken.setdefault(event["practice_id"], _ts(event))
                taken[event["practice_id"]] = min(taken[event["practice_id"]], _ts(event))
    assert orphans <= set(taken), f"never taken over: {sorted(orphans - set(taken))}"
    slowest = max(taken[p] - killed_at for p in orphans)
    assert slowest <= TAKEOVER_BOUND, f"a practice moved only after {slowest}"

    # Never two at once: job runs never overlap; lease tenures only within the log skew.
    jobs = {d.name: _job_intervals(d) for d in daemons}
    assert sum(len(v) for v in jobs.values()) > PRACTICES * 3
    assert _overlaps(jobs, dt.timedelta(0)) == []
    tenures = {d.name: _lease_intervals(d, killed_at if d is victim else stopped_at)
               for d in daemons}  # fmt: skip
    assert _overlaps(tenures, LOG_SKEW) == []
    victim_jobs = {p for p, _, _ in jobs[victim.name]}
    assert victim_jobs & orphans, "the victim worked some of its practices before the kill"
