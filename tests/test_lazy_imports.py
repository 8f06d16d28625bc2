"""Optional parts load only when a practice needs them (idle footprint, docs/benchmarks.md).

Each check runs a fresh interpreter and reads its ``sys.modules``: the test process itself has
imported everything long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO

# Imported by a fresh interpreter: prints which watched modules are loaded after ``body``.
PROBE = """
import json, sys
WATCHED = {watched!r}
{body}
print(json.dumps(sorted(m for m in WATCHED if m in sys.modules)))
"""

OPTIONAL = [
    "paramiko",  # SFTP inboxes only
    "psycopg",  # PostgreSQL state only
    "psycopg_pool",
    "stripe",  # practices with payments only
    "pyodbc",  # when a practice's ledger is first needed
    "adapters.opendental",
    "adapters.dentrix",
    "adapters.eaglesoft",
    "requests",
    "apscheduler",  # run_forever only
    "workshop.sandbox",  # never at run time
    "connector.health",  # health.enabled only
    "uvicorn",  # the staff console only (connector console)
    "starlette",
    "jinja2",
    "argon2",
]

BUILD_DAEMON = """
from connector.cli import main
from connector.commands.common import runtime
from connector.daemon import Daemon
import argparse
rt = runtime(argparse.Namespace(config={config!r}))
daemon = Daemon(rt.config, rt.store, rt.redactor)
"""


def _loaded(body: str, tmp_path: Path) -> list[str]:
    code = PROBE.format(watched=OPTIONAL, body=body)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TEST_OD_DEV": "d", "TEST_OD_CUST": "c"}
    env["TEST_OD_ODBC"] = "DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=9"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def _folder_practice(tmp_path: Path, practice_id: str) -> dict[str, object]:
    inbox = tmp_path / f"inbox-{practice_id}"
    inbox.mkdir()
    era = {
        "work_dir": str(tmp_path / f"work-{practice_id}"),
        "inbox": {"folder": {"path": str(inbox)}},
    }
    return od_practice(practice_id, era=era)


def test_importing_the_daemon_and_the_cli_loads_no_optional_part(tmp_path: Path) -> None:
    """``import connector.daemon`` and building every command's parser import nothing optional."""
    body = "import connector.daemon\nfrom connector.cli import build_parser\nbuild_parser()"
    assert _loaded(body, tmp_path) == []


def test_run_once_with_folder_inboxes_on_sqlite_loads_no_sftp_postgres_or_stripe(
    tmp_path: Path,
) -> None:
    """A SQLite, folder-ERA configuration with nothing due never loads the optional parts."""
    config = write_config(tmp_path, [_folder_practice(tmp_path, f"p{n}") for n in range(3)])
    body = BUILD_DAEMON.format(config=str(config)) + "outcomes = daemon.run_once()\n"
    body += "assert all(o.ok for o in outcomes), outcomes\n"
    assert _loaded(body, tmp_path) == []


def test_practices_load_only_the_parts_they_configure(tmp_path: Path) -> None:
    """One SFTP practice loads paramiko, one payments practice loads stripe; nothing else."""
    sftp = {
        "work_dir": str(tmp_path / "work-sftp"),
        "inbox": {"sftp": {
            "host": "127.0.0.1", "port": 9, "path": "/out", "username": {"value": "u"},
            "password": {"value": "p"}, "host_key_fingerprint": "SHA256:" + "A" * 43,
            "local_dir": str(tmp_path / "local"),
        }},
    }  # fmt: skip
    payments = {"stripe": {"api_key": {"value": "sk_test_lazy"}, "api_base": "http://127.0.0.1:9"}}
    practices = [
        _folder_practice(tmp_path, "folder"),
        od_practice("sftp", era=sftp),
        od_practice("cards", payments=payments),
    ]
    config = write_config(tmp_path, practices)
    loaded = _loaded(BUILD_DAEMON.format(config=str(config)), tmp_path)
    assert "paramiko" in loaded
    assert "stripe" in loaded
    assert not {"psycopg", "pyodbc", "adapters.opendental", "workshop.sandbox"} & set(loaded)


def test_era_inspect_imports_only_what_it_runs(tmp_path: Path) -> None:
    """``connector era inspect`` loads no configuration model, store, scheduler or other command,
    nor ``dataclasses`` (with the ``inspect`` module it pulls in, a seventh of the start-up)."""
    sample = REPO / "tests" / "sources" / "era" / "files" / "crlf.835"
    watched = ["pydantic", "pydantic_settings", "yaml", "structlog", "connector.config",
               "connector.store", "connector.daemon", "connector.posting",
               "connector.commands.run", "connector.commands.status", "connector.jobs",
               "connector.sources.era.source", "dataclasses", *OPTIONAL]  # fmt: skip
    body = (
        "import contextlib, io\nfrom connector.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['era', 'inspect', {str(sample)!r}]) == 0\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(watched=watched, body=body)], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """With no command named, every command is registered (so ``--help`` lists them all)."""
    from connector.cli import COMMANDS, build_parser, command_word

    assert command_word(["--config", "era", "era", "inspect", "f"]) == "era"
    assert command_word(["--version"]) is None
    with pytest.raises(SystemExit):
        build_parser(None).parse_args(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in COMMANDS)
