"""``python -m workshop demo --console``: the demo's story, then the staff console on the demo state
with a one-time password; staff sign in and see the demo's review items with patient names
read live from the sandbox PMS; Ctrl-C stops the console and the sandbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from tests.console.support import csrf
from tests.e2e.conftest import require_mariadb
from tests.e2e.test_demo import WORKSHOP, _demo_copy, _processes_mentioning
from tests.support.paths import REPO
from workshop.sandbox.mariadb import free_port

pytestmark = [pytest.mark.external_service, pytest.mark.slow]


def test_demo_console_serves_the_demo_state(tmp_path: Path) -> None:
    """Sign in with the printed password; the queue shows the demo's waiting items."""
    require_mariadb()
    _demo_copy(tmp_path)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    demo = subprocess.Popen(
        [*WORKSHOP, "demo", "--console", "--console-port", str(port), "--mariadb-port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any("password:" in ln for ln in lines):
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
        story = "".join(lines)
        assert "To see it in the staff console" in story, story[-3000:]
        password = re.search(r"password: (\S+)", story)
        assert password is not None and f"http://127.0.0.1:{port}/" in story
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, follow_redirects=True, timeout=30) as http:
            for _ in range(100):
                try:
                    login = http.get("/login")
                    break
                except httpx2.TransportError:
                    time.sleep(0.1)
            signed = http.post("/login", data={"name": "demo", "password": password.group(1),
                                               "csrf_token": csrf(login.text)})  # fmt: skip
            assert signed.status_code == 200 and "Today" in signed.text
            queue = http.get("/queue?tab=waiting")
            total = re.search(r'data-testid="total">(\d+)<', queue.text)
            assert total is not None and int(total.group(1)) >= 5
            first = re.search(r'href="/items/(\d+)"', queue.text)
            assert first is not None
            assert http.get(f"/items/{first.group(1)}").status_code == 200
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            pytest.fail("the demo console did not stop on Ctrl-C")
        finally:
            if demo.stdout is not None:
                demo.stdout.close()
    assert demo.returncode == 0
    assert _processes_mentioning(str(tmp_path / "demo-state")) == []
