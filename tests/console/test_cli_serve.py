"""``connector console`` as the admin runs it: serves on loopback, refuses an exposed
``--host`` without TLS or a proxy, and stops cleanly (exit 0) on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.console.browser import free_port
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO

ENV = {"TEST_OD_DEV": "d", "TEST_OD_CUST": "c", "TEST_OD_ODBC": "DSN=x"}
CLI = [sys.executable, "-m", "connector.cli"]


def test_console_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The sign-in page answers on 127.0.0.1; SIGTERM ends the process with status 0."""
    port = free_port()
    config = write_config(tmp_path, [od_practice("smile")], console={"port": port})
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [*CLI, "console", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answered = None
        deadline = time.monotonic() + 60
        while answered is None and time.monotonic() < deadline:
            try:
                answered = httpx2.get(f"http://127.0.0.1:{port}/login", timeout=5)
            except httpx2.TransportError:
                time.sleep(0.1)
        assert answered is not None and answered.status_code == 200
        assert "Sign in" in answered.text
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert f"connector console on http://127.0.0.1:{port}" in out


def test_exposed_host_needs_tls_or_a_proxy(tmp_path: Path) -> None:
    """``--host 0.0.0.0`` without console.tls / behind_proxy: exit 2, nothing served."""
    config = write_config(tmp_path, [od_practice("smile")])
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*CLI, "console", "--config", str(config), "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "needs console.tls or console.behind_proxy" in done.stderr
