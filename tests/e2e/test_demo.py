"""``config/demo.yaml`` and ``python -m workshop demo``: the static file matches the sandbox,
validates
offline, and the demo tells its story; with ``--keep-running`` an admin can run a cycle and
see it in ``status`` from another terminal, and Ctrl-C leaves no server behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import require_mariadb
from tests.support.paths import REPO
from workshop.sandbox.environment import DEMO_PORTS, SandboxEnvironment
from workshop.sandbox.mariadb import free_port

DEMO_YAML = REPO / "config" / "demo.yaml"
CLI = [sys.executable, "-m", "connector.cli"]
WORKSHOP = [sys.executable, "-m", "workshop"]


def test_demo_yaml_is_what_the_sandbox_generates() -> None:
    """The hand-commented config/demo.yaml holds exactly the settings the sandbox generates
    for the demo's fixed ports and the demo-state/ folder."""
    env = SandboxEnvironment(REPO / "demo-state", ports=DEMO_PORTS)
    generated = env.config_document(relative_to=REPO)
    assert yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8")) == generated


def test_demo_yaml_validates_offline_without_the_sandbox(tmp_path: Path) -> None:
    """`check-config --offline` accepts the demo file before any secret exists, noting each."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    done = subprocess.run(
        [*CLI, "check-config", "--offline", "config/demo.yaml"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "configuration is valid (3 practices)" in done.stdout
    assert done.stdout.count("note: ") == 9


def _demo_copy(folder: Path) -> None:
    """config/demo.yaml with the Stripe and Open Dental ports swapped for free ones."""
    text = DEMO_YAML.read_text(encoding="utf-8")
    text = text.replace(f":{DEMO_PORTS.stripe}", f":{free_port()}")
    text = text.replace(f":{DEMO_PORTS.opendental_api}/", f":{free_port()}/")
    (folder / "config").mkdir()
    (folder / "config" / "demo.yaml").write_text(text, encoding="utf-8")


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


def test_demo_tells_the_story_and_keeps_running_for_the_admin(tmp_path: Path) -> None:
    """`python -m workshop demo --keep-running` exits 0 after Ctrl-C; meanwhile `run --once --config
    config/demo.yaml` completes a cycle and `status` shows it."""
    require_mariadb()
    _demo_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    demo = subprocess.Popen(
        [*WORKSHOP, "demo", "--keep-running", "--mariadb-port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops it" in line:
                break
        story = "".join(lines)
        assert "Everything ended where the rules say" in story, story[-4000:]
        for expected in (
            "Claim 4/4 (paid), charge $110.00, paid $88.00: auto-posted",
            "Claim 4/4 (reversal (payer takes back))",
            "(paid_below_threshold)",
            "(denied)",
            "Provider-level adjustment WO -$5.00: posted on the claim it names, by rule",
            "Provider-level adjustment L6 $1.35: posted on the claim it names, by rule",
            "the remittance closes to the cent",
            "04-broken-transfer.835 was set aside (quarantined)",
            "[secondary_claim_ready]",
            "Refund $20.00",
            "Bank debit returned unpaid $90.00",
            "is still on its way to the bank",
            "[manual_payout_account]",
            "Second cycle: 0 new items from Stripe or ERA files, 0 postings",
        ):
            assert expected in story, expected

        run = subprocess.run(
            [*CLI, "run", "--once", "--config", "config/demo.yaml"],
            capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path, env=env,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr[-3000:]
        assert len([ln for ln in run.stdout.splitlines() if " ok" in ln]) == 8
        status = subprocess.run(
            [*CLI, "status", "--json", "--config", "config/demo.yaml"],
            capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path, env=env,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        practices = json.loads(status.stdout)["practices"]
        assert set(practices) == {"riverside", "lakeside", "hilltop"}
        for info in practices.values():
            assert info["polls"]["posting"]["last_ok_at"]
            assert info["polls"]["posting"]["last_summary"]["posted"] == 0  # nothing twice
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            pytest.fail("the demo did not stop on Ctrl-C")
        finally:
            if demo.stdout is not None:
                demo.stdout.close()
    assert demo.returncode == 0
    assert _processes_mentioning(str(tmp_path / "demo-state")) == []


def test_the_demo_runs_in_another_work_folder_from_a_fresh_clone(tmp_path: Path) -> None:
    """`python -m workshop demo --work-dir DIR` (config/demo.yaml names demo-state/) tells the
    same story: the daemon runs with the configuration the sandbox wrote in DIR, and says so."""
    require_mariadb()
    _demo_copy(tmp_path)
    done = subprocess.run(
        [*WORKSHOP, "demo", "--work-dir", "elsewhere/demo", "--mariadb-port", "0"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "cannot read secret file" not in done.stdout + done.stderr
    assert "Everything ended where the rules say" in done.stdout
    assert (tmp_path / "elsewhere" / "demo" / "state.db").is_file()
    assert not (tmp_path / "demo-state").exists()


def test_the_demo_uses_the_given_configuration_in_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """config/demo.yaml in demo-state/ is used as is; in another folder, the sandbox's file."""
    from connector.config import load_config
    from workshop.sandbox.demo import config_in

    config = load_config(DEMO_YAML, resolve_secrets=False)
    monkeypatch.chdir(REPO)  # config/demo.yaml's paths are relative to the repository
    own = SandboxEnvironment(REPO / "demo-state", ports=DEMO_PORTS)
    assert config_in(DEMO_YAML, config, own) == DEMO_YAML
    other = SandboxEnvironment(tmp_path / "demo", ports=DEMO_PORTS)
    assert config_in(DEMO_YAML, config, other) == other.config_path
