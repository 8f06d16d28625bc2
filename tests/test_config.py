"""Configuration: every problem reported with its YAML path; secrets by reference only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import iter_secrets, load_config, parse_duration
from connector.errors import ConfigError
from tests.support.configs import od_practice, write_config
from tests.support.paths import REPO

ENV = {"TEST_OD_DEV": "dev-key-123", "TEST_OD_CUST": "cust-key-456", "TEST_OD_ODBC": "DSN=od"}


def test_valid_config_loads_and_resolves_secrets(tmp_path: Path) -> None:
    """A valid file loads; secret references resolve from the given environment."""
    path = write_config(tmp_path, [od_practice("smile-main")])
    loaded = load_config(path, environ=ENV)
    practice = loaded.settings.practice("smile-main")
    assert practice.pms.vendor == "opendental"
    assert sorted(loaded.secret_values()) == sorted(ENV.values())


def test_three_mistakes_are_all_reported_with_paths_and_lines(tmp_path: Path) -> None:
    """A file with three different mistakes lists all three, each with YAML path and line."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "practices:\n"
        "  - id: Main Office\n"  # bad id
        "    pms:\n"
        "      vendor: opendentle\n"  # unknown vendor
        "    payments:\n"
        "      poll_every: soon\n"  # bad duration (and stripe missing)
        "      stripe: {api_key: {env: X}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    problems = info.value.problems
    assert any(p.startswith("practices[0].id (line 2):") for p in problems)
    assert any(p.startswith("practices[0].pms (line 3):") and "opendental" in p for p in problems)
    assert any(p.startswith("practices[0].payments.poll_every (line 6):") for p in problems)
    assert len(problems) == 3


def test_missing_secrets_are_listed_one_per_line(tmp_path: Path) -> None:
    """With no secrets in the environment, each missing secret is named with its YAML path."""
    path = write_config(tmp_path, [od_practice("a"), od_practice("b")])
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    problems = info.value.problems
    assert len(problems) == 6
    assert "practices[0].pms.api.developer_key (line" in problems[0]
    assert "TEST_OD_DEV is not set" in problems[0]


def test_secret_from_file_and_inline_secret_warning(tmp_path: Path) -> None:
    """A {file:} secret is read (trimmed); an inline secret in a readable file warns."""
    secret_file = tmp_path / "odbc.secret"
    secret_file.write_text("DSN=od;PWD=s3cret\n", encoding="utf-8")
    practice = od_practice("a")
    pms = practice["pms"]
    assert isinstance(pms, dict)
    pms["odbc"] = {"connection_string": {"file": str(secret_file)}}
    pms["api"]["developer_key"] = {"value": "inline-dev-key"}
    path = write_config(tmp_path, [practice])
    path.chmod(0o644)
    loaded = load_config(path, environ=ENV)
    values = dict((p, r.get()) for p, r in iter_secrets(loaded.settings))
    assert values["practices[0].pms.odbc.connection_string"] == "DSN=od;PWD=s3cret"
    assert any("developer_key" in w and "other users can read" in w for w in loaded.warnings)


def test_plain_string_secret_is_rejected(tmp_path: Path) -> None:
    """A secret written as plain text is refused with a hint to use env or file."""
    practice = od_practice("a")
    practice["pms"]["api"]["developer_key"] = "abc"  # type: ignore[index]
    path = write_config(tmp_path, [practice])
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV)
    assert "practices[0].pms.api.developer_key" in info.value.problems[0]
    assert "{env: VARIABLE}" in info.value.problems[0]


def test_secret_repr_never_shows_the_value(tmp_path: Path) -> None:
    """Printing the settings never reveals a resolved secret."""
    loaded = load_config(write_config(tmp_path, [od_practice("a")]), environ=ENV)
    assert "dev-key-123" not in repr(loaded.settings)
    assert "dev-key-123" not in loaded.settings.model_dump_json()


def test_environment_overrides_scalar_settings(tmp_path: Path) -> None:
    """CONNECTOR_LOGGING__LEVEL overrides the YAML's logging level."""
    path = write_config(tmp_path, [od_practice("a")], logging={"level": "info"})
    loaded = load_config(path, environ={**ENV, "CONNECTOR_LOGGING__LEVEL": "debug"})
    assert loaded.settings.logging.level == "debug"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("3d", 259200), (45, 45)]
)
def test_durations(text: object, seconds: int) -> None:
    """Durations accept s/m/h/d suffixes and plain seconds."""
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


def test_duplicate_practice_ids_rejected(tmp_path: Path) -> None:
    """Two practices with the same id are one problem."""
    path = write_config(tmp_path, [od_practice("a"), od_practice("a")])
    with pytest.raises(ConfigError, match="1 problem"):
        load_config(path, environ=ENV)


def test_example_config_is_valid_and_documents_every_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """config/example.yaml validates, and every field of the schema appears in it."""
    example = REPO / "config" / "example.yaml"
    loaded = load_config(example, resolve_secrets=False)
    assert loaded.settings.practices
    text = example.read_text(encoding="utf-8")
    schema = json.dumps(main_schema())
    for name in _field_names(main_schema()):
        assert f"{name}:" in text, f"config/example.yaml does not document {name!r}"
    assert schema


def main_schema() -> dict[str, object]:
    """The JSON schema as printed by the CLI."""
    from connector.config import json_schema

    return json_schema()


def _field_names(schema: dict[str, object]) -> set[str]:
    names: set[str] = set()
    defs = schema.get("$defs", {})
    assert isinstance(defs, dict)
    for model in [schema, *defs.values()]:
        props = model.get("properties", {}) if isinstance(model, dict) else {}
        names.update(props)
    return names


def test_config_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`connector config-schema` prints a JSON Schema naming the practices list."""
    assert main(["config-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "practices" in schema["properties"]


def test_check_config_example_without_secrets_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """check-config on the example with no secrets set: one line per secret, exit status 2."""
    loaded = load_config(REPO / "config" / "example.yaml", resolve_secrets=False)
    refs = [(p, r) for p, r in iter_secrets(loaded.settings) if r.env]
    for _, ref in refs:
        monkeypatch.delenv(str(ref.env), raising=False)
    assert main(["check-config", str(REPO / "config" / "example.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    missing = [line for line in err if "is not set" in line]
    assert len(missing) == len(refs)
    assert all(line.strip().startswith("practices[") for line in missing)


def test_paid_percent_outside_0_to_100_is_an_error_with_its_path(tmp_path: Path) -> None:
    """Both the practice's threshold and a payer's twin must be a percentage (0–100)."""
    era = {
        "inbox": {"folder": {"path": str(tmp_path / "in")}},
        "auto_post": {
            "min_paid_percent_of_expected": 150,
            "per_payer": {"12345": {"min_paid_percent_of_expected": -5}},
        },
    }
    path = write_config(tmp_path, [od_practice("a", era=era)])
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV)
    problems = info.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith("practices[0].era.auto_post.min_paid_percent_of_expected")
    assert "100" in problems[0]
    assert problems[1].startswith(
        "practices[0].era.auto_post.per_payer.12345.min_paid_percent_of_expected"
    )


def test_output_into_a_closed_pipe_exits_quietly() -> None:
    """`connector config-schema | head -1`: when the reader has gone, no BrokenPipe traceback.

    The reader's end is closed before the command writes, so the broken pipe is certain (with
    a real `head` it depends on who is faster).
    """
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    script = "import sys; from connector.cli import main; sys.exit(main(['config-schema']))"
    try:
        proc = subprocess.run([sys.executable, "-c", script], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=60,
                              check=False)  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.stderr == "", proc.stderr
    assert proc.returncode == 0
