"""YAML the loader refuses (issue #14, item 8): alias expansion bombs (refused before anything
expands them) and keys given twice (PyYAML would silently keep the last)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from connector.config import load_config
from connector.errors import ConfigError
from tests.support.configs import od_practice, write_config

ENV = {"TEST_OD_DEV": "dev-key-123", "TEST_OD_CUST": "cust-key-456", "TEST_OD_ODBC": "DSN=od"}

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["practices: [*i]"]
)


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    """About 1 KB that would expand to 9^9 values: a clear error, nothing expanded."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(path.read_bytes()) < 1500
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ=ENV)
    assert "anchors and aliases" in refused.value.message


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    """Two ``timezone`` keys in one practice: refused, naming the key and both lines."""
    path = write_config(tmp_path, [od_practice("a")])
    text = path.read_text(encoding="utf-8").replace(
        "- id: a\n", "- id: a\n  timezone: UTC\n  timezone: America/Chicago\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ=ENV)
    message = refused.value.message
    assert "'timezone' is given twice" in message and "first at line" in message


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    """An anchor reused by two practices (with a ``<<`` merge) loads as written."""
    practice = od_practice("a")
    doc = {"state": {"url": f"sqlite:///{tmp_path / 'state.db'}"}, "practices": [practice]}
    text = yaml.safe_dump(doc, sort_keys=False).replace("- id: a", "- &base\n  id: a")
    text += "- <<: *base\n  id: b\n"
    path = tmp_path / "connector.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    loaded = load_config(path, environ=ENV)
    assert [p.id for p in loaded.settings.practices] == ["a", "b"]
