"""Fixtures: a console environment and a Starlette test client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from connector.console.app import create_app
from tests.console.support import Env, make_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """The console environment (SQLite store, MemoryLedger, fixed clock)."""
    environment = make_env(tmp_path)
    yield environment
    environment.store.close()


@pytest.fixture
def client(env: Env) -> Iterator[TestClient]:
    """An HTTP client for the console app (in process; cookies kept)."""
    with TestClient(create_app(env.ctx), base_url="http://127.0.0.1") as http:
        yield http
