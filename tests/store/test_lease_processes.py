"""Several real OS processes share practices through PostgreSQL leases: no practice is ever
worked by two of them at once, and a SIGKILLed process's practices move within the lease time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from connector.store.postgres import PostgresStore
from tests.support.paths import REPO

pytestmark = pytest.mark.external_service

TTL = 1.5
PRACTICES = [f"p{n:02}" for n in range(12)]


def _start(
    url: str, owner: str, seconds: float, out: Path, stalls: bool
) -> subprocess.Popen[bytes]:
    practices = ",".join(PRACTICES)
    args = [url, owner, practices, str(TTL), str(seconds), str(out), "1" if stalls else "0"]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.lease_worker", *args],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _tenures(out_dir: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Per practice: (first, last, owner) of every continuous tenure, from the work logs."""
    spans: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for log in out_dir.glob("*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3:  # a SIGKILLed writer may leave half a line
                spans[(parts[0], log.stem, parts[1])].append(float(parts[2]))
    result: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for (practice, owner, _tenure), times in spans.items():
        result[practice].append((min(times), max(times), owner))
    return result


@pytest.mark.timeout(120)
def test_processes_never_work_one_practice_at_once_and_take_over_a_killed_one(
    postgres_url: str, tmp_path: Path
) -> None:
    """Four processes churn leases (stuck renewals, a stuck job, a clean exit, a SIGKILL)."""
    workers = {
        "w0": _start(postgres_url, "w0", 12, tmp_path / "w0.log", stalls=False),
        "w1": _start(postgres_url, "w1", 12, tmp_path / "w1.log", stalls=False),
        "w2": _start(postgres_url, "w2", 12, tmp_path / "w2.log", stalls=True),
        "w3": _start(postgres_url, "w3", 7, tmp_path / "w3.log", stalls=False),
    }
    observer = PostgresStore(postgres_url, max_connections=1)
    try:
        deadline = time.monotonic() + 30
        while len([o for o, held in observer.lease_holders().items() if held]) < 3:
            assert time.monotonic() < deadline, "the workers never shared the practices"
            time.sleep(0.1)
        time.sleep(1)  # then kill w0 well before w2's first stall (at 5 s)
        workers["w0"].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        workers["w0"].wait()
        orphans = set(observer.lease_holders().get("w0", []))
        assert orphans, "the killed worker held nothing; the takeover was not exercised"
        taken_over_at = None
        while time.monotonic() < killed_at + 10 * TTL:
            holders = observer.lease_holders()
            owned = {p for o, held in holders.items() if o != "w0" for p in held}
            if orphans <= owned:
                taken_over_at = time.monotonic()
                break
            time.sleep(0.05)
        for name, proc in workers.items():
            _, stderr = proc.communicate(timeout=60)
            assert name == "w0" or proc.returncode == 0, stderr.decode()
        leftovers = observer.lease_holders()
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                proc.kill()
        observer.close()

    assert taken_over_at is not None, f"{sorted(orphans)} were not taken over"
    # The dead worker's leases expire at most TTL after its last renewal (before the kill);
    # a survivor claims them at its next cycle, at most TTL/3 later (plus 1 s of slack for
    # process scheduling on a loaded CI machine).
    assert taken_over_at - killed_at <= TTL + TTL / 3 + 1.0
    assert leftovers == {}, "every clean exit and expiry leaves no live lease"

    tenures = _tenures(tmp_path)
    assert set(tenures) == set(PRACTICES), "every practice was worked by someone"
    for practice, spans in tenures.items():
        for start, end, owner in spans:
            for other_start, other_end, other in spans:
                if owner != other:
                    assert end < other_start or other_end < start, (
                        f"{practice}: {owner} worked {start:.3f}-{end:.3f}, "
                        f"{other} worked {other_start:.3f}-{other_end:.3f}"
                    )
    stalled = [s for spans in tenures.values() for s in spans if s[2] == "w2"]
    assert len(stalled) > 1, "the stalling worker lost and regained practices"
    moved = [p for p in orphans if any(o != "w0" and s > killed_at for s, _, o in tenures[p])]
    assert sorted(moved) == sorted(orphans), "survivors worked the killed worker's practices"
    assert sum(len(spans) for spans in tenures.values()) > len(PRACTICES), "leases changed hands"
