"""End-to-end fixtures: the sandbox environment (real MariaDB, API double, Stripe server, ERA
inboxes, emulated Dentrix/Eaglesoft) and running the real daemon against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.config import load_config
from connector.daemon import Daemon, JobOutcome
from connector.redaction import Redactor
from connector.store import SQLiteStore, StateStore, open_store
from workshop.sandbox.mariadb import server_installed


def require_mariadb() -> None:
    """Skip when the MariaDB server is not installed."""
    if not server_installed():
        pytest.skip("mariadb-server is not installed")


def run_cycle(config: Path) -> list[JobOutcome]:
    """One ``Daemon.run_once()`` with the configuration at ``config`` (fresh objects, as a
    new process would build them)."""
    loaded = load_config(config)
    store = open_store(loaded.settings.state.url)
    try:
        return Daemon(loaded, store, Redactor(loaded.secret_values())).run_once()
    finally:
        store.close()


def summary(outcomes: list[JobOutcome], job: str) -> dict[str, Any]:
    """The summary of one job (the environment has one practice per vendor)."""
    (found,) = [o for o in outcomes if o.job == job]
    assert found.ok, found
    return found.summary or {}


def open_state(config: Path) -> StateStore:
    """The state store the configuration names."""
    store = open_store(load_config(config).settings.state.url)
    assert isinstance(store, SQLiteStore)
    return store
