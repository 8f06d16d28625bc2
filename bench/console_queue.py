"""The staff console's queue page with 10,000 items, on SQLite and PostgreSQL, and the console
process's idle memory.

For each engine: 10,000 items in one practice (3,000 waiting for a person across 6 reasons and
4 payers, 5,000 posted, 1,500 queued, 500 dead), the console served by uvicorn on 127.0.0.1
(the same app `connector console` serves), a signed-in staff user, and timed GETs over HTTP
(end to end: request, session check, store query, template, response): the first page of each
tab, a deep page, a sort by amount, a payer filter, and the CSV of the waiting tab. Then
`connector console` is started as its own process on the SQLite store, one queue page is
loaded, and its resident memory (VmRSS) is read after 5 s idle. Goal: ≤ 200 ms per page,
≤ 60 MiB idle.

Usage: ``.venv/bin/python bench/console_queue.py [--items 10000] [--rounds 30]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
import yaml  # noqa: E402

from connector.config import ConnectorSettings  # noqa: E402
from connector.console.passwords import hash_password  # noqa: E402
from connector.console.server import build_context  # noqa: E402
from connector.domain import ItemKind, ItemStatus, NewItem  # noqa: E402
from connector.logging import configure_logging  # noqa: E402
from connector.redaction import Redactor  # noqa: E402
from connector.store import StateStore, open_store  # noqa: E402
from connector.store.console_tables import as_console_store  # noqa: E402
from tests.console.browser import free_port, serving  # noqa: E402

PASSWORD = "benchmark password 1"
REASONS = ["patient_not_found", "claim_not_found", "denied", "paid_below_threshold",
           "multiple_plans", "writeoffs_disabled"]  # fmt: skip
PAYERS = ["Delta Dental", "MetLife", "Cigna", "Aetna"]
PAGES = {
    "waiting, page 1": "/queue?tab=waiting",
    "posted, page 1": "/queue?tab=posted",
    "posted, page 60": "/queue?tab=posted&page=60",
    "posted, by amount": "/queue?tab=posted&sort=amount&dir=desc",
    "waiting, payer filter": "/queue?tab=waiting&payer=metlife",
    "failed / dead": "/queue?tab=failed",
    "not cleared yet": "/queue?tab=queued",
    "waiting, CSV (3,000 rows)": "/queue?tab=waiting&format=csv",
}


def _practice(folder: Path) -> dict[str, Any]:
    return {"id": "smile", "timezone": "America/Chicago",
            "pms": {
                "vendor": "opendental",
                "api": {"base_url": "http://127.0.0.1:9/api/v1", "developer_key": {"env": "B_D"},
                        "customer_key": {"env": "B_C"}},
                "odbc": {"dsn": "none"}},
            "era": {"inbox": {"folder": {"path": str(folder / "inbox")}}}}  # fmt: skip


def fill(store: StateStore, items: int) -> None:
    """``items`` items in the mix described above."""
    batch: list[NewItem] = []
    waiting, posted = items * 3 // 10, items // 2
    for n in range(items):
        if n < waiting:
            kind = ItemKind.ERA_CLAIM if n % 2 else ItemKind.PATIENT_PAYMENT
            batch.append(NewItem(f"k{n:06}", kind, {"payer_name": PAYERS[n % 4], "n": n},
                                 Decimal(n % 500) + Decimal("0.25"), status=ItemStatus.REVIEW,
                                 review_reason=REASONS[n % 6], review_message="bench",
                                 group_key=f"g{n // 40}"))  # fmt: skip
        else:
            batch.append(
                NewItem(
                    f"k{n:06}",
                    ItemKind.PATIENT_PAYMENT,
                    {"n": n},
                    Decimal(n % 700) + Decimal("0.50"),
                    group_key=f"g{n // 40}",
                )
            )
        if len(batch) == 500:
            store.record("smile", "stripe", batch)
            batch = []
    if batch:
        store.record("smile", "stripe", batch)
    _raw(store, "UPDATE items SET status = 'posted' WHERE status = 'received' AND key <= ?",
         f"k{waiting + posted - 1:06}")  # fmt: skip
    _raw(store, "UPDATE items SET status = 'dead' WHERE status = 'received' AND key >= ?",
         f"k{items - items // 20:06}")  # fmt: skip


def _raw(store: Any, sql: str, arg: str) -> None:
    """Bulk status changes behind the store's back (setup only: no history needed here)."""
    with store._ctx_write() as run:
        run(sql, (arg,))


def _login(http: httpx2.Client) -> None:
    page = http.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    done = http.post("/login", data={"name": "staff", "password": PASSWORD,
                                     "csrf_token": token.group(1)})  # fmt: skip
    assert done.status_code == 200, done.status_code


def time_pages(url: str, folder: Path, rounds: int) -> dict[str, tuple[float, float, int]]:
    """Per page: median and p95 ms over ``rounds`` requests, and the response size."""
    settings = ConnectorSettings.model_validate(
        {"state": {"url": url}, "practices": [_practice(folder)]}
    )
    store = open_store(url)
    try:
        console = as_console_store(store)
        if console.get_user("staff") is None:
            console.create_user("staff", "staff", ["smile"], hash_password(PASSWORD), _now())
        ctx = build_context(settings, store, Redactor())
        results = {}
        with serving(ctx) as base, httpx2.Client(base_url=base, follow_redirects=True,
                                                  timeout=60) as http:  # fmt: skip
            _login(http)
            for label, path in PAGES.items():
                http.get(path)  # warm: templates compiled, connections open
                samples, size = [], 0
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = http.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                    size = len(response.content)
                samples.sort()
                p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
                results[label] = (statistics.median(samples), p95, size)
        return results
    finally:
        store.close()


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def idle_rss(folder: Path, url: str) -> float:
    """VmRSS (MiB) of `connector console` 5 s after serving one queue page."""
    port = free_port()
    (folder / "inbox").mkdir(exist_ok=True)
    config = folder / "console.yaml"
    config.write_text(yaml.safe_dump({"state": {"url": url}, "console": {"port": port},
                                      "logging": {"format": "json"},
                                      "practices": [_practice(folder)]}))  # fmt: skip
    env = {**os.environ, "B_D": "d", "B_C": "c", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "connector.cli", "console", "--config",
                             str(config)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True,
                           timeout=60) as http:  # fmt: skip
            for _ in range(300):
                try:
                    http.get("/login")
                    break
                except httpx2.TransportError:
                    time.sleep(0.1)
            _login(http)
            http.get("/queue?tab=waiting")
        time.sleep(5)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        kib = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return kib / 1024
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    """Fill both engines, time the pages, read the idle RSS; print one line per result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    configure_logging(redactor=Redactor(), level="warning", fmt="json", stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        folder = Path(tmp)
        (folder / "inbox").mkdir()
        engines = {"sqlite": f"sqlite:///{folder / 'state.db'}"}
        server = None
        try:
            from tests.support.postgres import start_server

            server = start_server(durable=True)
            engines["postgres"] = server.new_database()
        except BaseException as exc:
            print(f"postgres: skipped ({type(exc).__name__}: {exc})")
        try:
            for engine, url in engines.items():
                store = open_store(url)
                fill(store, args.items)
                store.close()
                for label, (p50, p95, size) in time_pages(url, folder, args.rounds).items():
                    print(f"{engine}: {label}: p50={p50:.1f} ms p95={p95:.1f} ms "
                          f"bytes={size}")  # fmt: skip
            rss = idle_rss(folder, engines["sqlite"])
            print(f"idle RSS of connector console (sqlite): {rss:.1f} MiB")
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
