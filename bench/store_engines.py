"""State-store throughput on SQLite vs PostgreSQL, and lease-cycle latency.

Run: .venv/bin/python bench/store_engines.py   (needs the PostgreSQL server binaries)

Both engines keep their crash-safety defaults (SQLite WAL + synchronous=FULL; PostgreSQL
fsync + synchronous_commit on), on the same disk, PostgreSQL on 127.0.0.1 (TCP + scram).
Results go in docs/scale.md.
"""

from __future__ import annotations

import datetime as dt
import platform
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.domain import ItemKind, NewItem
from connector.store import StateStore, open_store
from tests.support.postgres import start_server

ITEMS, BATCH, POSTS, PRACTICES = 10_000, 100, 2_000, 200


def _items(start: int, count: int) -> list[NewItem]:
    return [
        NewItem(f"txn_{n:08}", ItemKind.PATIENT_PAYMENT, {"txn": n, "amount": "12.34"},
                Decimal("12.34"), group_key=f"po_{n // 50}")
        for n in range(start, start + count)
    ]  # fmt: skip


def bench_record(store: StateStore) -> float:
    """Items recorded per second, in batches of 100 with a cursor (as sources do)."""
    started = time.perf_counter()
    for start in range(0, ITEMS, BATCH):
        store.record("p1", "stripe", _items(start, BATCH), cursor={"after": start})
    return ITEMS / (time.perf_counter() - started)


def bench_post(store: StateStore) -> float:
    """mark_posted per second (status change + history, one transaction each)."""
    due = store.due_items("p1", dt.datetime.now(dt.UTC), POSTS)
    started = time.perf_counter()
    for item in due:
        store.mark_posted(item.id, {"PayNum": item.id}, {"mode": "allocate"})
    return len(due) / (time.perf_counter() - started)


def bench_threads(store: StateStore, threads: int = 4) -> float:
    """mark_posted per second from several threads at once (different practices)."""
    for t in range(threads):
        store.record(f"t{t}", "stripe", _items(0, 500))

    def work(t: int) -> None:
        for item in store.due_items(f"t{t}", dt.datetime.now(dt.UTC), 500):
            store.mark_posted(item.id, {}, {})

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * 500 / (time.perf_counter() - started)


def bench_leases(store: StateStore) -> tuple[float, float]:
    """Median ms of one claim and one renew, 4 instances sharing 200 practices."""
    ids = [f"pr{n:03}" for n in range(PRACTICES)]
    ttl = dt.timedelta(seconds=60)
    claims, renews = [], []
    for round_ in range(10):
        for owner in ("a", "b", "c", "d"):
            started = time.perf_counter()
            store.claim_practices(owner, ids, ttl)
            claims.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.renew_leases(owner, ttl)
            renews.append(time.perf_counter() - started)
        if round_ == 0:
            assert sum(len(v) for v in store.lease_holders().values()) == PRACTICES
    return statistics.median(claims) * 1000, statistics.median(renews) * 1000


def run(name: str, url: str) -> None:
    """Run every measurement on one store and print a table row."""
    store = open_store(url)
    try:
        record = bench_record(store)
        post = bench_post(store)
        threaded = bench_threads(store)
        claim_ms, renew_ms = bench_leases(store)
    finally:
        store.close()
    print(f"| {name} | {record:,.0f} | {post:,.0f} | {threaded:,.0f} | {claim_ms:.2f} |"
          f" {renew_ms:.2f} |")  # fmt: skip


def main() -> None:
    """Benchmark both engines."""
    print(f"python {platform.python_version()}, {platform.platform()}")
    print("| engine | record items/s | mark_posted/s | mark_posted/s (4 threads) |"
          " claim ms (200 practices) | renew ms (50 held) |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite 3 (WAL, synchronous=FULL)", f"sqlite:///{folder}/state.db")
    server = start_server(durable=True)
    try:
        run("PostgreSQL 15 (fsync on, loopback TCP)", server.new_database())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
