"""A write Open Dental commits after our API timeout (issue #14, item 2): the daemon never sends
it again before ``posting.outcome_unknown_wait``, finds it then, and posts nothing twice
(docs/reliability.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.reliability.world import OD, World

pytestmark = [pytest.mark.slow, pytest.mark.external_service]

API_TIMEOUT, WAIT, LOCK_HELD = "2s", "12s", 5.0


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return check()


def _configure(world: World) -> None:
    """Riverside's API answers within 2 s or not at all; unknown outcomes wait 12 s."""
    world.write_config(posting={"outcome_unknown_wait": WAIT})
    doc = yaml.safe_load(world.config_path.read_text(encoding="utf-8"))
    for practice in doc["practices"]:
        if practice["id"] == OD:
            practice["pms"]["api"]["timeout"] = API_TIMEOUT
    world.config_path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _hold_paysplit_lock(world: World, seconds: float, ready: threading.Event) -> None:
    """As a busy Open Dental server: another session locks every paysplit row and gap, so
    the API's payment INSERTs wait (plain SELECTs, like the adapter's look-ups, do not). The
    lock is held until ``seconds`` after the first payment POST reached the API."""
    assert world.env.od_db is not None and world.env.od_api is not None
    api = world.env.od_api
    conn = world.env.od_db.admin()
    try:

        def posts() -> int:
            return sum(r.method == "POST" and r.path == "/payments" for r in api.requests)

        before = posts()
        cur = conn.cursor()
        cur.execute("START TRANSACTION")
        cur.execute("SELECT SplitNum FROM paysplit FOR UPDATE").fetchall()
        ready.set()
        _until(lambda: posts() > before, 90)
        time.sleep(seconds)
        cur.execute("ROLLBACK")
    finally:
        conn.close()


def _history(world: World, event_like: str) -> list[tuple[str, str]]:
    rows = world.store_rows(
        "SELECT i.key, h.detail FROM history h JOIN items i ON i.id = h.item_id"
        f" WHERE i.practice_id = '{OD}' AND h.detail LIKE '%{event_like}%'"
    )
    return [(k, d) for k, d in rows]


def test_a_payment_committed_after_the_api_timeout_is_posted_once(
    world: World, reference: dict[str, Any]
) -> None:
    """The first payment POST waits on a row lock longer than the API timeout and commits
    after the adapter's look-up: the item is "outcome unknown", is not sent again, and once the
    wait is over it is found in Open Dental and recorded as posted — no duplicate."""
    _configure(world)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_paysplit_lock, args=(world, LOCK_HELD, ready))
    holder.start()
    try:
        assert ready.wait(30)
        first = world.run()
    finally:
        holder.join(timeout=60)
    # the run stops there when the probe finds the PMS still busy, or goes on once it answers
    assert first.returncode in (0, 1), first.stdout
    time.sleep(1)  # the API double works through the waiting requests once the lock is gone
    assert world.duplicates() == [], world.duplicates()
    unknown = [k for k, d in _history(world, "pms_write_outcome_unknown")]
    assert unknown, "no item was marked outcome unknown"
    early = world.run()  # before the wait: the unknown item is neither looked at nor re-sent
    assert world.duplicates() == [], world.duplicates()
    assert early.returncode == 0, early.stdout
    assert all(world.items()[(OD, key)] == "failed" for key in unknown)
    assert _until(lambda: world.run().returncode == 0 and not world.open_items(), 90)
    assert world.duplicates() == [] and world.half_written() == []
    assert world.unbalanced_with_store() == [] and world.differences(reference) == []
    events = world.log_events()
    assert any(e["event"] == "posting.outcome_unknown" for e in events)
    assert any(e["event"] == "posting.already_posted" for e in events)
