"""``console:``/``alerts:`` validation (check-config) and ``connector console user``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.console.passwords import verify_password
from connector.errors import ConfigError
from connector.store import open_store
from tests.support.configs import od_practice, write_config

ENV = {"TEST_OD_DEV": "d", "TEST_OD_CUST": "c", "TEST_OD_ODBC": "DSN=x"}


def test_console_off_loopback_needs_tls_or_a_proxy(tmp_path: Path) -> None:
    """host 0.0.0.0 without tls/behind_proxy is refused with its path; with either it loads."""
    bad = write_config(tmp_path, [od_practice("a")], console={"host": "0.0.0.0"})
    with pytest.raises(ConfigError) as info:
        load_config(bad, environ=ENV)
    assert any(p.startswith("console") and "behind_proxy" in p for p in info.value.problems)
    proxied = write_config(
        tmp_path, [od_practice("a")], console={"host": "0.0.0.0", "behind_proxy": True}
    )
    assert load_config(proxied, environ=ENV).settings.console.secure_cookies
    tls = {"host": "10.0.0.2", "tls": {"cert_file": "/c.pem", "key_file": "/k.pem"}}
    loaded = load_config(write_config(tmp_path, [od_practice("a")], console=tls), environ=ENV)
    assert loaded.settings.console.base_url() == "https://10.0.0.2:8470"
    local = load_config(write_config(tmp_path, [od_practice("a")]), environ=ENV)
    assert local.settings.console.host == "127.0.0.1" and not local.settings.console.secure_cookies


def test_alerts_are_validated(tmp_path: Path) -> None:
    """Bad addresses, a half login, a password without TLS and a bad time are all reported."""
    alerts = {
        "smtp": {
            "host": "mail",
            "security": "none",
            "sender": "not-an-address",
            "password": {"env": "SMTP_PW"},
        },
        "to": ["billing@example.com", "nobody"],
        "practice_to": {"zzz": ["x@example.com"]},
        "digest": {"at": "7am"},
    }
    path = write_config(tmp_path, [od_practice("a")], alerts=alerts)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={**ENV, "SMTP_PW": "pw"})
    text = "\n".join(info.value.problems)
    for expected in ("alerts.smtp.sender", "alerts.to", "alerts.digest.at"):
        assert expected in text
    half_login = {
        "smtp": {"host": "mail", "sender": "c@example.com", "password": {"env": "SMTP_PW"}},
        "to": ["b@example.com"],
    }
    path = write_config(tmp_path, [od_practice("a")], alerts=half_login)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={**ENV, "SMTP_PW": "pw"})
    assert "username and password" in "\n".join(info.value.problems)
    unknown = {
        "smtp": {"host": "mail", "sender": "c@example.com"},
        "to": ["b@example.com"],
        "practice_to": {"zzz": ["x@example.com"]},
    }
    path = write_config(tmp_path, [od_practice("a")], alerts=unknown)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV)
    assert "unknown practices: ['zzz']" in "\n".join(info.value.problems)


def test_user_add_passwd_disable_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scripts create accounts with the password on stdin; passwd and disable work."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    config = write_config(tmp_path, [od_practice("smile"), od_practice("other")])
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        main(
            [
                "--config",
                str(config),
                "console",
                "user",
                "add",
                "dana",
                "--role",
                "staff",
                "--practice",
                "smile",
            ]
        )
        == 0
    )
    assert "user dana added (staff; smile)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--config", str(config), "console", "user", "add", "eve", "--role", "admin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("x" * 12 + "\n"))
    assert (
        main(
            [
                "--config",
                str(config),
                "console",
                "user",
                "add",
                "fay",
                "--role",
                "staff",
                "--practice",
                "nope",
            ]
        )
        == 2
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("another good password\n"))
    assert main(["--config", str(config), "console", "user", "passwd", "dana"]) == 0
    assert main(["--config", str(config), "console", "user", "disable", "dana"]) == 0
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        user = store.get_user("dana")  # type: ignore[attr-defined]
        assert user.disabled and verify_password(user.password_hash, "another good password")
        assert "a long enough password" not in user.password_hash
    finally:
        store.close()
    assert main(["--config", str(config), "console", "user", "list"]) == 0
    assert "dana" in capsys.readouterr().out
