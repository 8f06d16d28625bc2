"""Kill points: inert unless targeted; when targeted, the process dies by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.support.paths import REPO

SCRIPT = (
    "from connector.faults import kill_point\n"
    "for i in range(5):\n"
    "    print(i, flush=True)\n"
    "    kill_point('posting.after_pms_write')\n"
)


def _run(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CONNECTOR_KILL_AT"}
    if env_value:
        env["CONNECTOR_KILL_AT"] = env_value
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_kill_point_is_inert_without_the_variable() -> None:
    """Without CONNECTOR_KILL_AT the loop runs to the end."""
    result = _run(None)
    assert result.returncode == 0 and result.stdout.split() == ["0", "1", "2", "3", "4"]


def test_kill_point_dies_on_the_nth_hit() -> None:
    """`name:3` kills the process by SIGKILL on the third hit."""
    result = _run("posting.after_pms_write:3")
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.split() == ["0", "1", "2"]


def test_other_points_are_not_affected() -> None:
    """A kill point with another name does nothing."""
    assert _run("sftp.mid_download").returncode == 0
