"""The console's main flow on a PostgreSQL state store (the other tests use SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from connector.console.app import create_app
from tests.console.support import Env, csrf, make_env, seed, sign_in
from tests.posting.helpers import practice
from tests.posting.runner_support import run

pytestmark = pytest.mark.external_service


@pytest.fixture
def pg_env(tmp_path: Path, postgres_url: str) -> Iterator[Env]:
    """The console environment on a fresh PostgreSQL database."""
    environment = make_env(tmp_path, postgres_url)
    yield environment
    environment.store.close()


def test_queue_item_retry_and_today_on_postgres(pg_env: Env) -> None:
    """Sign in, filter the queue, retry with a patient, post, see it on Today and in CSV."""
    ids = seed(pg_env.store)
    with TestClient(create_app(pg_env.ctx), base_url="http://127.0.0.1") as client:
        sign_in(client, "sam")
        assert client.get("/queue?tab=waiting&payer=delta").text.count('href="/items/') == 2
        assert client.get(f"/items/{ids['other']}").status_code == 404
        token = csrf(client.get(f"/items/{ids['unnamed']}").text)
        found = client.post(
            f"/items/{ids['unnamed']}/patients",
            data={"last_name": "smith", "first_name": "ana", "csrf_token": token},
        )
        assert "Smith, Ana" in found.text
        client.post(f"/items/{ids['unnamed']}/retry", data={"patient_id": "1", "csrf_token": token})
        run(pg_env.store, pg_env.ledger, settings=practice())
        item = pg_env.store.get_item(ids["unnamed"])
        assert item is not None and item.status.value == "posted"
        posted_at = next(h.at for h in pg_env.store.history(item.id) if h.to_status == "posted")
        pg_env.clock.set(posted_at)
        sign_in(client, "sam")
        assert '<b data-testid="posted-count">2</b>' in client.get("/today").text
        csv_lines = client.get("/queue?tab=posted&format=csv").text.strip().splitlines()
        assert len(csv_lines) == 3
