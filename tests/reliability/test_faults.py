"""Faults: Stripe failing a third of its calls, the PMS connection dropped or locked in the middle
of a transaction, the Open Dental API failing between insurance steps, SFTP cut in the middle of
a file. The real daemon keeps going; once the faults stop, every ledger holds exactly what a
clean run writes (each payment and claim once), and no payout's transactions are skipped.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import eras
from tests.reliability.world import ES, OD, World, kill_connections
from tests.support.logscan import describe, scan_files
from tests.support.tcp_proxy import TcpProxy
from workshop.sandbox.stripe_emulator import Fault

pytestmark = [pytest.mark.slow, pytest.mark.external_service]


def _exactly_once(world: World, reference: dict[str, Any], *, extra_keys: int = 0) -> None:
    """The fault verdict: nothing open, nothing written twice or half, the ledgers agree with
    the store item by item, every item of a clean run is there with the same outcome (or one
    the netting rule explains), and no paid-out Stripe transaction was skipped."""
    assert world.open_items() == [], world.open_items()
    assert world.duplicates() == [], world.duplicates()
    assert world.half_written() == [], world.half_written()
    assert world.unbalanced_with_store() == [], world.unbalanced_with_store()
    assert world.differences(reference) == [], world.differences(reference)
    items = world.items()
    # deposits are compared item by item above (one may be absent where netting left its
    # payout unsettled); the count is of what the sources record
    assert _sourced(items) == _sourced(reference["items"]) + extra_keys
    for practice in (OD, ES):  # cursors never skip: every paid-out transaction is recorded
        for txn in world.env.cleared_transactions(practice):
            assert (practice, txn["id"]) in items, f"{practice} {txn['id']} never recorded"
    hits = scan_files(world.log_files(), world.needles())
    assert hits == [], describe(hits)


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def test_stripe_failing_a_third_of_calls(world: World, reference: dict[str, Any]) -> None:
    """With 429s, 500s and timeouts on over 30 % of Stripe calls, repeated runs record every
    paid-out transaction once and the ledgers end as after a clean run."""
    assert world.env.stripe is not None
    emulator = world.env.stripe.emulator
    world.write_config(stripe={"timeout": "1s", "max_attempts": 3})
    emulator.reset_stats()
    for fault in (Fault("status", 429, count=None, fraction=0.18),
                  Fault("status", 500, count=None, fraction=0.15),
                  Fault("delay", delay=1.5, count=None, fraction=0.12)):  # fmt: skip
        emulator.inject(fault)
    fired: Counter[str] = Counter()
    emulator._rng = random.Random(30)  # the same faults every run, whatever ran before
    pick = emulator._fault_for

    def counted(path: str) -> Fault | None:
        rule = pick(path)
        fired[f"{rule.kind}{rule.status if rule.kind == 'status' else ''}" if rule else "ok"] += 1
        return rule

    emulator._fault_for = counted  # type: ignore[method-assign]
    try:
        failed_polls = 0
        for _ in range(15):
            run = world.run()
            failed_polls += run.stdout.count("stripe     FAILED")
            recorded = world.items()
            wanted = [(p, t["id"]) for p in (OD, ES) for t in world.env.cleared_transactions(p)]
            if all(key in recorded for key in wanted) and not world.open_items():
                break
    finally:
        emulator._fault_for = pick  # type: ignore[method-assign]
        emulator.clear_faults()
    total = sum(fired.values())
    assert (total - fired["ok"]) / total >= 0.30, fired
    assert fired["status429"] and fired["status500"] and fired["delay"], fired
    world.settle()
    _exactly_once(world, reference)


def _sourced(items: Any) -> int:
    """Items the sources record (a ``deposit:…`` item follows only once its payout or EFT is
    all posted, after the faults)."""
    return sum(1 for _practice, key in items if not key.startswith("deposit:"))


def test_pms_connections_dropped_locked_and_api_failing_between_steps(
    world: World, reference: dict[str, Any]
) -> None:
    """While the daemon runs: every Open Dental database connection is killed again and again,
    a row lock makes the API's transactions time out, the API fails between insurance steps and
    after writes, and the Eaglesoft database is locked past the driver's timeout. Afterwards
    every payment and claim is in the ledgers exactly once."""
    env = world.env
    assert env.od_api is not None
    faults = env.od_api.faults
    faults.fail(count=2, status=503, method="PUT", path=r"^/claims/\d+$")
    faults.fail(count=1, status=500, method="POST", path=r"^/claimpayments$", after_write=True)
    faults.fail(count=2, status=502, method="POST", path=r"^/payments$", after_write=True)
    faults.fail(count=1, status=503, method="POST", path=r"^/commlogs$", after_write=True)
    killed = Counter[str]()
    stop = threading.Event()

    def drop_connections() -> None:
        while not stop.is_set():
            killed["connections"] += kill_connections(world)
            time.sleep(0.3)

    def lock_rows() -> None:
        time.sleep(1.0)
        conn = env.od_db.admin() if env.od_db else None
        assert conn is not None
        try:
            conn.autocommit = False
            conn.cursor().execute("SELECT * FROM claimproc FOR UPDATE")
            killed["row_locks"] += 1
            stop.wait(4)
            conn.rollback()
        finally:
            conn.close()

    es_lock = sqlite3.connect(
        world.es_db, timeout=30, isolation_level=None, check_same_thread=False
    )
    es_lock.execute("BEGIN EXCLUSIVE")  # taken before the daemon starts, held 8 s
    killed["eaglesoft_locks"] += 1

    def lock_eaglesoft() -> None:
        try:
            time.sleep(8)  # several times the driver's busy timeout (1 s, see below)
            es_lock.execute("ROLLBACK")
        finally:
            es_lock.close()

    world.write_config(es_busy_ms=1000)
    world.od_execute("SET GLOBAL innodb_lock_wait_timeout = 2")
    threads = [threading.Thread(target=t, daemon=True)
               for t in (drop_connections, lock_rows, lock_eaglesoft)]  # fmt: skip
    proc, _log = world.start()
    try:
        for thread in threads:
            thread.start()
        time.sleep(8)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        faults.clear()
        done = _until(lambda: not world.open_items() and _sourced(world.items()) >= _sourced(
            reference["items"]), 90)  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        world.od_execute("SET GLOBAL innodb_lock_wait_timeout = 50")
    assert done, f"still open after the faults: {world.open_items()}"
    assert killed["connections"] and killed["row_locks"] and killed["eaglesoft_locks"], killed
    assert proc.returncode == 0
    failed = [r for r in env.od_api.requests if r.status is None or r.status >= 500]
    assert failed, "no Open Dental request failed: the faults did not bite"
    errors = {(e.get("practice_id"), e.get("error_code")) for e in world.log_events()
              if e.get("error_code")}  # fmt: skip
    assert (OD, "pms_api_unavailable") in errors and any(p == ES for p, _ in errors), errors
    world.settle()
    _exactly_once(world, reference)


def test_sftp_cut_in_the_middle_of_a_file(world: World, reference: dict[str, Any]) -> None:
    """SFTP downloads cut twice in the middle of a 150 KB file: no partial file is parsed, the
    file is recorded once, and everything else posts as in a clean run."""
    if world.sftp is None:
        pytest.skip("OpenSSH server not installed")
    name, content = eras.bulk_test_file(world.env.today)
    world.extra_od_files = [(name, content)]
    world.reset()
    with TcpProxy(("127.0.0.1", world.sftp.port)) as proxy:
        world.write_config(sftp_port=proxy.port)
        proxy.cut_next(60_000, 110_000)
        runs = [world.run() for _ in range(3)]
        assert proxy.cuts == 2, (proxy.cuts, proxy.connections)
    world.write_config()
    world.settle()
    local = world.env.era_inbox(OD)
    assert not list(local.glob(".*.part")), "a partial download was left behind"
    processed = Path(world.env.work_dir) / "era" / OD / "work" / "processed"
    assert sorted(p.name for p in processed.iterdir()).count(name) == 1
    bulk = [k for (p, k), s in world.items().items() if p == OD and k.startswith("test:")]
    assert len(bulk) == 1001  # the remittance and its 1000 claims, each once
    assert any("FAILED" in r.stdout or "era.sftp.retrying" in r.log.read_text() for r in runs)
    _exactly_once(world, reference, extra_keys=1001)
