"""A console over a real SQLite store, a MemoryLedger PMS and a fixed clock, for tests."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.memory import MemoryLedger
from connector.clock import FixedClock
from connector.config import ConnectorSettings
from connector.console.context import ConsoleContext
from connector.console.passwords import hash_password
from connector.console.server import build_context
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.redaction import Redactor
from connector.store import StateStore, open_store
from tests.posting.helpers import ledger as base_ledger
from tests.posting.helpers import stripe_payload

T0 = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def practice_doc(practice_id: str, inbox: Path) -> dict[str, Any]:
    """A practice whose PMS the tests replace with a MemoryLedger."""
    return {
        "id": practice_id,
        "name": f"{practice_id.title()} Dental",
        "timezone": "America/Chicago",
        "pms": {
            "vendor": "opendental",
            "api": {
                "base_url": "http://127.0.0.1:9/api/v1",
                "developer_key": {"env": "X_D"},
                "customer_key": {"env": "X_C"},
            },
            "odbc": {"dsn": "none"},
        },
        "payments": {"stripe": {"api_key": {"env": "X_S"}}},
        "era": {"inbox": {"folder": {"path": str(inbox)}}},
    }


def settings_for(folder: Path, **console: Any) -> ConnectorSettings:
    """Two practices (smile, other) with ERA inboxes under ``folder``."""
    for pid in ("smile", "other"):
        (folder / pid / "inbox").mkdir(parents=True, exist_ok=True)
    return ConnectorSettings.model_validate(
        {
            "state": {"url": f"sqlite:///{folder / 'state.db'}"},
            "console": console,
            "practices": [practice_doc(p, folder / p / "inbox") for p in ("smile", "other")],
        }
    )


def pms() -> MemoryLedger:
    """The practice's PMS: the posting tests' ledger, with names and birth dates."""
    led = base_ledger()
    for pid, first, last, born in (
        ("1", "Ana", "Smith", "1980-04-02"),
        ("2", "Ben", "Smith", "2012-09-15"),
        ("3", "Cleo", "Jones", "1975-06-11"),
    ):
        row = led.patients[pid]
        row.first_name, row.last_name, row.birth_date = first, last, dt.date.fromisoformat(born)
    return led


@dataclass
class Env:
    """The console under test and what it runs on."""

    settings: ConnectorSettings
    store: StateStore
    clock: FixedClock
    ledger: MemoryLedger
    ctx: ConsoleContext
    folder: Path


def make_env(folder: Path, url: str | None = None, **console: Any) -> Env:
    """A console with accounts ann (admin), sam (staff of smile), olga (staff of other), on
    the store ``url`` names (default: SQLite in ``folder``)."""
    settings = settings_for(folder, **console)
    clock = FixedClock(T0)
    store = open_store(url or f"sqlite:///{folder / 'state.db'}", clock=clock)
    led = pms()
    ctx = build_context(settings, store, Redactor(), clock=clock, ledger_factory=lambda _p: led)
    hashed = hash_password(PASSWORD)
    ctx.store.create_user("ann", "admin", [], hashed, T0)
    ctx.store.create_user("sam", "staff", ["smile"], hashed, T0)
    ctx.store.create_user("olga", "staff", ["other"], hashed, T0)
    return Env(settings, store, clock, led, ctx, folder)


def seed(store: StateStore) -> dict[str, int]:
    """Items in every state; returns ``{name: item id}``."""
    unnamed = NewItem(
        "txn_nopat",
        ItemKind.PATIENT_PAYMENT,
        stripe_payload("txn_nopat", amount="85.00", patient_ref=None),
        Decimal("85.00"),
        status=ItemStatus.REVIEW,
        group_key="po_1",
        review_reason="patient_not_found",
        review_message="the payment names no PMS patient",
    )
    claim = NewItem(
        "era:clm1",
        ItemKind.ERA_CLAIM,
        {"payer_name": "Delta Dental", "trace": "TRC1", "claim_id": "CLM-9"},
        Decimal("120.00"),
        status=ItemStatus.REVIEW,
        group_key="era:rem1",
        review_reason="claim_not_found",
        review_message="no claim matches",
    )
    queued = NewItem(
        "txn_q",
        ItemKind.PATIENT_PAYMENT,
        stripe_payload("txn_q", amount="10.00"),
        Decimal("10.00"),
        group_key="po_1",
    )
    dead = NewItem(
        "txn_dead",
        ItemKind.PATIENT_PAYMENT,
        stripe_payload("txn_dead", amount="20.00"),
        Decimal("20.00"),
    )
    other = NewItem(
        "txn_other",
        ItemKind.PATIENT_PAYMENT,
        stripe_payload("txn_other", amount="55.00", patient_ref=None),
        Decimal("55.00"),
        status=ItemStatus.REVIEW,
        review_reason="patient_not_found",
        review_message="no patient",
    )
    store.record("smile", "stripe", [unnamed, queued, dead])
    store.record("smile", "era", [claim])
    store.record("other", "stripe", [other])
    ids = {}
    for name, practice, key in (
        ("unnamed", "smile", "txn_nopat"),
        ("claim", "smile", "era:clm1"),
        ("queued", "smile", "txn_q"),
        ("dead", "smile", "txn_dead"),
        ("other", "other", "txn_other"),
    ):
        item = store.find_item(practice, key)
        assert item is not None
        ids[name] = item.id
    store.mark_dead(ids["dead"], "pms_refused", "the PMS refused the payment type")
    return ids


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    """Sign in through the form; returns the response after the redirect."""
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})
