"""Crash injection: the real daemon is SIGKILLed at every named kill point, over and over,
then restarted; every ledger must end exactly as after a clean run — each Stripe payment and
each ERA claim posted once, nothing lost, no half-written entry — and its logs hold no PHI.

Each episode starts from the seeded world, runs ``connector run --once`` with
``CONNECTOR_KILL_AT=point:N`` a few times (each run dies at the N-th time it reaches the point,
if it gets there), sometimes SIGKILLs a running ``connector run`` from outside at a random
moment, then runs cleanly until nothing is left to do and compares. ``SOAK=1`` (``make soak``)
adds many random episodes.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from typing import Any

import pytest

from connector.faults import KILL_POINTS
from tests.reliability.conftest import SOAK
from tests.reliability.world import World
from tests.support.logscan import describe, scan_files

pytestmark = [
    pytest.mark.slow,
    pytest.mark.external_service,
    pytest.mark.timeout(3600 if SOAK else 300),
]

Kill = tuple[str, int]

# Hit counts in one run from the seeded world: 6 payouts recorded (3 per practice), 3 ERA
# files parsed, 2 SFTP downloads, ~29 PMS writes, 8 insurance steps (6 Open Dental, 2
# Eaglesoft). A later kill of an episode may find its point already passed: no kill then.
EPISODES: list[list[Kill]] = [
    [("stripe.after_fetch_before_record", 1), ("stripe.after_fetch_before_record", 2),
     ("posting.after_pms_write", 3)],
    [("era.after_parse_before_record", 1), ("era.after_parse_before_record", 2),
     ("era.after_parse_before_record", 1)],
    [("sftp.mid_download", 1), ("sftp.mid_download", 1), ("posting.before_pms_write", 2)],
    [("insurance.step_written", 1), ("insurance.step_written", 1),
     ("insurance.step_written", 2)],
    [("insurance.between_steps", 1), ("insurance.between_steps", 2),
     ("insurance.between_steps", 1)],
    [("posting.after_pms_write", 1), ("posting.after_pms_write", 12),
     ("posting.after_pms_write", 9)],
    [("posting.before_store_update", 2), ("posting.before_store_update", 16),
     ("posting.before_store_update", 5)],
    [("insurance.step_written", 5), ("insurance.step_written", 3),
     ("posting.after_pms_write", 2)],
    [("insurance.step_written", 7), ("insurance.between_steps", 6),
     ("stripe.after_fetch_before_record", 4)],
    [("posting.after_pms_write", 22), ("posting.before_store_update", 1),
     ("insurance.between_steps", 3)],
]  # fmt: skip
OUTSIDE_KILLS = 2  # episodes that also SIGKILL a running `connector run` at a random moment


def _random_episodes(rng: random.Random, count: int) -> list[list[Kill]]:
    limits = {"stripe.after_fetch_before_record": 6, "era.after_parse_before_record": 3,
              "sftp.mid_download": 2, "posting.before_pms_write": 29,
              "posting.after_pms_write": 29, "posting.before_store_update": 29,
              "insurance.step_written": 8, "insurance.between_steps": 8}  # fmt: skip
    points = sorted(limits)
    return [
        [(point, rng.randint(1, limits[point])) for point in rng.choices(points, k=3)]
        for _ in range(count)
    ]


def _kill_from_outside(world: World, rng: random.Random) -> bool:
    """Start `connector run` (forever) and SIGKILL it after a random short time."""
    proc, _log = world.start()
    time.sleep(rng.uniform(0.3, 1.5))
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return alive


def _verdict(world: World, reference: dict[str, Any], episode: list[Kill]) -> None:
    settled = world.settle()
    assert settled[-1].returncode == 0, f"{episode}: last clean run failed:\n{settled[-1].stdout}"
    assert world.open_items() == [], f"{episode}: items left unposted"
    assert world.duplicates() == [], f"{episode}: written twice: {world.duplicates()}"
    assert world.half_written() == [], f"{episode}: half-written: {world.half_written()}"
    assert world.unbalanced_with_store() == [], f"{episode}: {world.unbalanced_with_store()}"
    snapshot = world.snapshot()
    for part, expected in reference.items():
        assert snapshot[part] == expected, f"{episode}: {part} differs from a clean run"


def test_sigkill_at_every_kill_point_never_duplicates_or_loses(
    world: World, reference: dict[str, Any]
) -> None:
    """Over at least 20 SIGKILLs at every kill point (and from outside), with restarts, each
    payment and claim ends posted exactly once or in review as in a clean run, nothing is
    half-written, and the daemon's logs hold no patient data or secrets."""
    rng = random.Random(8)
    episodes = EPISODES + (_random_episodes(rng, 40) if SOAK else [])
    if world.sftp is None:
        episodes = [[k for k in e if k[0] != "sftp.mid_download"] for e in episodes]
    killed: Counter[str] = Counter()
    for number, episode in enumerate(episodes):
        if number:
            world.reset()
        for point, nth in episode:
            run = world.run(kill_at=f"{point}:{nth}")
            assert run.killed or run.returncode in (0, 1), run.log.read_text()[-2000:]
            killed[point] += run.killed
        if number < OUTSIDE_KILLS or SOAK:
            killed["outside"] += _kill_from_outside(world, rng)
        _verdict(world, reference, episode)
    expected_points = set(KILL_POINTS) - ({"sftp.mid_download"} if world.sftp is None else set())
    assert sum(killed.values()) >= 20, killed
    assert {p for p, n in killed.items() if n} >= expected_points, killed
    hits = scan_files(world.log_files(), world.needles())
    assert hits == [], describe(hits)
