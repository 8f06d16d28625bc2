"""Small YAML configurations written by tests."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_config(folder: Path, practices: list[dict[str, object]], **top: object) -> Path:
    """Write a config file with the given practices and a state store inside ``folder``."""
    doc: dict[str, object] = {
        "state": {"url": f"sqlite:///{folder / 'state.db'}"},
        "logging": {"format": "json"},
        **top,
        "practices": practices,
    }
    path = folder / "connector.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path


def od_practice(practice_id: str, **extra: object) -> dict[str, object]:
    """A minimal Open Dental practice whose secrets come from the environment."""
    return {
        "id": practice_id,
        "pms": {
            "vendor": "opendental",
            "api": {
                "base_url": "http://127.0.0.1:9/api/v1",
                "developer_key": {"env": "TEST_OD_DEV"},
                "customer_key": {"env": "TEST_OD_CUST"},
            },
            "odbc": {"connection_string": {"env": "TEST_OD_ODBC"}},
        },
        **extra,
    }
