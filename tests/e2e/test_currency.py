"""Currency (issue #14, item 4) through ``connector run --once`` as a process: a EUR 5000 and a
JPY 5000 card payment are never posted (they were each posted as $50.00 before); they go to
review as ``currency_mismatch`` showing their own amounts, while the USD payment posts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.base import marker_for
from connector.store import open_store
from tests.e2e.conftest import require_mariadb
from tests.support.paths import REPO
from workshop.sandbox.environment import PracticeSpec, SandboxEnvironment
from workshop.sandbox.stripe_data import DAY, Builder, DemoPractice, KeyGrant, StripeDataset

PID = "riverside"
CHARGES = (("usd", 8_000), ("eur", 5_000), ("jpy", 5_000))
TXNS: dict[str, str] = {}  # currency -> balance transaction id


def currency_dataset(practices: Sequence[DemoPractice], now: dt.datetime) -> StripeDataset:
    """One paid payout holding a USD, a EUR and a JPY card payment by one patient."""
    data = StripeDataset()
    ts = int(now.timestamp())
    practice = practices[0]
    b = Builder(data, ts, tag="C")
    acct = data.account(practice.account or b.new_id("acct"))
    data.keys[practice.api_key] = KeyGrant(acct.id)
    meta = {"pms_patient_id": practice.patient_ids[0]}
    for currency, amount in CHARGES:
        _, charge = b.payment(acct, amount, created=ts - 4 * DAY, charge_metadata=meta)
        charge["currency"] = currency
        txn = acct.objects[charge["balance_transaction"]]
        txn["currency"] = currency
        TXNS[currency] = txn["id"]
    b.payout(acct, list(acct.transactions), arrival=ts - 2 * DAY)
    return data


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnvironment]:
    """An Open Dental practice (MariaDB + API double) whose Stripe account holds the three."""
    require_mariadb()
    spec = PracticeSpec(PID, "opendental", "Riverside Family Dental")
    work = tmp_path_factory.mktemp("od-currency")
    with SandboxEnvironment(work, practices=[spec], stripe_data=currency_dataset) as sandbox:
        yield sandbox


def test_only_the_practice_currency_posts(env: SandboxEnvironment, tmp_path: Path) -> None:
    """USD posts as 80.00; EUR and JPY are reviewed with ``50.00 EUR`` and ``5,000 JPY``."""
    assert env.od_db is not None
    overrides = {PID: {"era": {"enabled": False}}}
    path = env.write_config(tmp_path / "connector.yaml", overrides=overrides,
                            state_url=f"sqlite:///{tmp_path / 'state.db'}")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "connector.cli", "--config", str(path), "run", "--once"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]

    def posted(currency: str) -> list[Decimal]:
        rows = env.od_db.rows(  # type: ignore[union-attr]
            "SELECT PayAmt FROM payment WHERE LOCATE(?, PayNote) > 0", marker_for(TXNS[currency])
        )
        return [Decimal(str(r[0])) for r in rows]

    assert posted("usd") == [Decimal("80.00")]
    assert posted("eur") == [] and posted("jpy") == []
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        reviews = {r.item_key: r for r in store.list_reviews(PID)}
    finally:
        store.close()
    eur, jpy = reviews[TXNS["eur"]], reviews[TXNS["jpy"]]
    assert eur.reason == jpy.reason == "currency_mismatch"
    assert "50.00 EUR" in eur.message and "(USD)" in eur.message
    assert "5,000 JPY" in jpy.message
