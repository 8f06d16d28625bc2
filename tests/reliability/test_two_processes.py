"""Two ``connector`` processes on one SQLite state (issue #14, item 1): the service plus a
``run --once`` started by hand, or two services, never post one payment twice — each practice
is worked by one process at a time (docs/reliability.md)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.reliability.world import Run, World

pytestmark = [pytest.mark.slow, pytest.mark.external_service]


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def _verdict(world: World, reference: dict[str, Any]) -> None:
    assert world.duplicates() == [], world.duplicates()
    world.settle()
    assert world.duplicates() == [] and world.half_written() == []
    assert world.unbalanced_with_store() == [] and world.differences(reference) == []


def test_run_once_by_hand_next_to_the_service_never_posts_twice(
    world: World, reference: dict[str, Any]
) -> None:
    """While the service posts, two ``run --once`` started by hand (as after a replay) wait
    their turn per practice instead of posting the same payments a second time."""
    proc, _log = world.start()
    runs: list[Run] = []
    try:
        threads = [threading.Thread(target=lambda: runs.append(world.run())) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert _until(lambda: len(world.items()) >= len(reference["items"])
                      and not world.open_items(), 120), world.open_items()  # fmt: skip
    finally:
        _stop(proc)
    assert proc.returncode == 0
    assert [r.returncode for r in runs] == [0, 0], [r.stdout for r in runs]
    _verdict(world, reference)


def test_two_services_on_one_state_never_post_twice(
    world: World, reference: dict[str, Any]
) -> None:
    """Two services started together share the practices one at a time; the second says which
    process holds a practice when it finds it busy."""
    first, _ = world.start()
    second, _ = world.start()
    try:
        assert _until(lambda: len(world.items()) >= len(reference["items"])
                      and not world.open_items(), 120), world.open_items()  # fmt: skip
    finally:
        _stop(first)
        _stop(second)
    assert first.returncode == 0 and second.returncode == 0
    _verdict(world, reference)
