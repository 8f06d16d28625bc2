"""The `leases` section and the store URL helpers: validation, defaults, password handling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.store import open_store, redact_url, url_secrets
from tests.support.configs import od_practice, write_config

ENV = {"TEST_OD_DEV": "dev-key-123", "TEST_OD_CUST": "cust-key-456", "TEST_OD_ODBC": "DSN=od"}


def test_lease_defaults_are_auto_sixty_seconds_no_cap(tmp_path: Path) -> None:
    """Without a leases section: auto, 60 s, no per-instance cap; auto is off for SQLite."""
    loaded = load_config(write_config(tmp_path, [od_practice("a")]), environ=ENV)
    leases = loaded.settings.leases
    assert (leases.enabled, leases.ttl, leases.max_practices) == (
        "auto", dt.timedelta(seconds=60), None,
    )  # fmt: skip
    assert not leases.active(loaded.settings.state.url)
    assert leases.active("postgresql://db/connector") and leases.active("postgres://db/c")


@pytest.mark.parametrize(
    ("leases", "path"),
    [
        ({"ttl": "500ms"}, "leases.ttl"),
        ({"ttl": "2h"}, "leases.ttl"),
        ({"max_practices": 0}, "leases.max_practices"),
        ({"enabled": "sometimes"}, "leases.enabled"),
        ({"owner": "x"}, "leases.owner"),
    ],
)
def test_bad_lease_settings_are_reported_with_their_path(
    tmp_path: Path, leases: dict[str, object], path: str
) -> None:
    """A lease setting out of range or unknown is a config problem naming its YAML path."""
    config = write_config(tmp_path, [od_practice("a")], leases=leases)
    with pytest.raises(ConfigError) as info:
        load_config(config, environ=ENV)
    assert any(p.startswith(path) for p in info.value.problems), info.value.problems


def test_url_secrets_finds_the_password_as_written_and_decoded() -> None:
    """A percent-encoded password is returned both ways; a query password=… too."""
    url = "postgresql://conn:p%40ss%3Aword@db.example:5432/state?password=second-one"
    assert url_secrets(url) == sorted({"p%40ss%3Aword", "p@ss:word", "second-one"})
    assert "p%40ss" not in redact_url(url) and "second-one" not in redact_url(url)


def test_urls_without_a_password_have_no_secret() -> None:
    """SQLite URLs and passwordless PostgreSQL URLs (pgpass, PGPASSWORD) yield nothing."""
    assert url_secrets("sqlite:///var/lib/connector/state.db") == []
    assert url_secrets("postgresql://conn@db/state?passfile=/etc/connector/pgpass") == []
    assert url_secrets("postgresql:///state") == []


def test_an_unknown_store_scheme_is_a_config_error() -> None:
    """open_store refuses a URL it does not know, naming the scheme."""
    with pytest.raises(ConfigError, match="mysql"):
        open_store("mysql://db/state")
