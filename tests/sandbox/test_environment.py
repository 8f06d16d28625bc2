"""SandboxEnvironment: what it starts and writes, and taking a component down and back up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyodbc
import pytest

from tests.e2e.conftest import run_cycle
from tests.e2e.stripe_family import family_dataset
from workshop.sandbox.environment import PracticeSpec, SandboxEnvironment
from workshop.sandbox.mariadb import server_installed

PID = "riverside"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnvironment]:
    """An Open Dental practice with Stripe (no ERA inbox)."""
    if not server_installed():
        pytest.skip("mariadb-server is not installed")
    spec = PracticeSpec(PID, "opendental", "Riverside", era=False)
    work = tmp_path_factory.mktemp("env")
    with SandboxEnvironment(work, practices=[spec], stripe_data=family_dataset) as sandbox:
        yield sandbox


def test_secrets_are_private_files_and_the_config_loads(env: SandboxEnvironment) -> None:
    """Every secret the configuration names is a mode-600 file under the work folder."""
    loaded = env.load_config()
    assert loaded.settings.practices[0].id == PID
    files = sorted(p.name for p in env.secrets_dir.iterdir())
    assert files == [
        f"{PID}-{w}" for w in ("od-customer-key", "od-developer-key", "odbc", "stripe-key")
    ]
    assert all((env.secrets_dir / f).stat().st_mode & 0o077 == 0 for f in files)
    assert env.config_path.stat().st_mode & 0o077 == 0
    assert env.stripe_keys[PID] in loaded.secret_values()


def test_mariadb_restart_keeps_data_and_port(env: SandboxEnvironment) -> None:
    """Stopping MariaDB refuses connections; starting it again serves the same data."""
    assert env.od_db is not None and env.mariadb is not None
    port = env.mariadb.port
    before = env.od_db.rows("SELECT COUNT(*) FROM patient")[0][0]
    env.stop_component("mariadb")
    try:
        assert not env.mariadb.running
        with pytest.raises(pyodbc.Error):
            env.od_db.rows("SELECT 1")
    finally:
        env.start_component("mariadb")
    assert env.mariadb.port == port
    assert env.od_db.rows("SELECT COUNT(*) FROM patient")[0][0] == before


def test_stripe_down_fails_the_job_then_recovers(env: SandboxEnvironment, tmp_path: Path) -> None:
    """With the Stripe server down the stripe job fails as unreachable and records nothing;
    once it is back the next cycle records the payout."""
    config = env.write_config(
        tmp_path / "c.yaml",
        state_url=f"sqlite:///{tmp_path / 's.db'}",
        overrides={PID: {"payments": {"stripe": {"max_attempts": 1}}}},
    )
    env.stop_component("stripe")
    try:
        down = run_cycle(config)
    finally:
        env.start_component("stripe")
    (stripe,) = [o for o in down if o.job == "stripe"]
    assert not stripe.ok and stripe.code
    up = run_cycle(config)
    (stripe,) = [o for o in up if o.job == "stripe"]
    assert stripe.ok and (stripe.summary or {})["items_new"] == 2


def test_opendental_api_down_delays_posting(env: SandboxEnvironment, tmp_path: Path) -> None:
    """With the Open Dental API stopped the payment is not written (a retry is scheduled);
    the API answers again after start_component."""
    assert env.od_db is not None and env.od_api is not None
    env.od_db.reset()
    config = env.write_config(tmp_path / "c.yaml", state_url=f"sqlite:///{tmp_path / 's.db'}")
    before = env.od_db.rows("SELECT COUNT(*) FROM payment")[0][0]
    env.stop_component("opendental_api")
    try:
        outcomes = run_cycle(config)
    finally:
        env.start_component("opendental_api")
    (posting,) = [o for o in outcomes if o.job == "posting"]
    # an unreachable PMS stops the posting run and fails the job with the adapter's code
    assert not posting.ok and posting.code == "pms_api_unavailable"
    assert env.od_db.rows("SELECT COUNT(*) FROM payment")[0][0] == before
    ledger = env.ledger(PID)
    try:
        assert ledger.ping().vendor == "opendental"
    finally:
        ledger.close()
