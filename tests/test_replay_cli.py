"""``connector replay`` refuses plainly what it cannot do (unknown practice, no such source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.cli import EXIT_CONFIG, main
from tests.support.configs import od_practice, write_config


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config with one Open Dental practice that has neither payments nor ERA."""
    for name in ("TEST_OD_DEV", "TEST_OD_CUST", "TEST_OD_ODBC"):
        monkeypatch.setenv(name, "unused-value")
    return write_config(tmp_path, [od_practice("smile")])


def test_unknown_practice_is_a_configuration_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Naming a practice the config does not have exits 2 and lists the known ones."""
    code = main(["--config", str(config), "replay", "--practice", "nope", "--since", "2026-11-01"])
    assert code == EXIT_CONFIG
    assert "no practice 'nope' in the configuration (known: smile)" in capsys.readouterr().err


def test_practice_without_the_source_is_a_configuration_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replaying ERA for a practice without an ERA section says so and exits 2."""
    code = main(["--config", str(config), "replay", "--practice", "smile", "--since",
                 "2026-11-01", "--source", "era"])  # fmt: skip
    assert code == EXIT_CONFIG
    assert "practice smile has no era source enabled" in capsys.readouterr().err
