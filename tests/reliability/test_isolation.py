"""Isolation: one practice's PMS goes down while the daemon runs. The other practice keeps
posting; the outage is logged once and the recovery once (not every poll); ``connector status``
shows the failing job with its error code; once the PMS is back, everything posts once."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.reliability.world import ES, OD, World
from tests.support.logscan import describe, scan_files

pytestmark = [pytest.mark.slow, pytest.mark.external_service]


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def _recorded(items: Any) -> int:
    """How many items the sources record: an ``era_secondary`` item (key ``…:secondary``) only
    follows a primary claim's successful write, and a ``deposit:…`` item only follows a payout or
    EFT whose items are all posted, so neither can exist while that PMS is down."""
    return sum(
        1
        for _practice, key in items
        if not key.endswith(":secondary") and not key.startswith("deposit:")
    )


def _open(world: World, practice: str) -> list[tuple[str, str]]:
    return [k for k in world.open_items() if k[0] == practice]


def _status(world: World) -> dict[str, Any]:
    run = world.run("status", "--json")
    assert run.returncode == 0, run.log.read_text()
    doc: dict[str, Any] = json.loads(run.stdout)
    return doc["practices"]


@pytest.mark.parametrize(
    ("component", "code"),
    [("opendental_api", "pms_api_unavailable"), ("mariadb", "pms_db_unavailable")],
)
def test_one_practice_down_the_other_keeps_posting(
    world: World, reference: dict[str, Any], component: str, code: str
) -> None:
    """With riverside's Open Dental API (or its whole database) down, hilltop posts all its
    items; riverside's posting job is reported failing with the adapter's code, logged once;
    after the PMS returns it recovers (logged once) and ends exactly as a clean run."""
    env = world.env
    env.stop_component(component)
    proc, _log = world.start()
    try:
        assert _until(lambda: _recorded(world.items()) >= _recorded(reference["items"])
                      and not _open(world, ES), 60), _open(world, ES)  # fmt: skip
        assert _open(world, OD), "riverside posted although its PMS is down"
        time.sleep(4)  # several more posting polls fail while the PMS stays down
        practices = _status(world)
        posting = practices[OD]["polls"]["posting"]
        assert posting["last_error_code"] == code and posting["consecutive_failures"] >= 2
        assert all(p["consecutive_failures"] == 0 for p in practices[ES]["polls"].values())
        assert all(practices[OD]["polls"][s]["consecutive_failures"] == 0
                   for s in ("stripe", "era"))  # fmt: skip
        env.start_component(component)
        assert _until(lambda: not world.open_items(), 60), world.open_items()
    finally:
        env.start_component(component)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    events = [e for e in world.log_events() if e.get("source") == "posting"]
    failed = [e for e in events if e["event"] == "poll.failed" and e["practice_id"] == OD]
    recovered = [e for e in events if e["event"] == "poll.recovered" and e["practice_id"] == OD]
    assert len(failed) == 1 and failed[0]["error_code"] == code, failed
    assert len(recovered) == 1 and recovered[0]["previous_error"] == code, recovered
    still = [e for e in events if e["event"] == "poll.still_failing" and e["practice_id"] == OD]
    assert still and all(e["level"] == "debug" for e in still)
    assert not [e for e in world.log_events() if e["event"] == "poll.failed"
                and e.get("practice_id") == ES]  # fmt: skip
    noisy = [e for e in events if e["event"] == "posting.failed" and e["level"] != "debug"]
    assert noisy == [], "an outage must not log a warning per item and poll"
    world.settle()
    assert world.duplicates() == [] and world.half_written() == []
    assert world.unbalanced_with_store() == [] and world.differences(reference) == []
    hits = scan_files(world.log_files(), world.needles())
    assert hits == [], describe(hits)
