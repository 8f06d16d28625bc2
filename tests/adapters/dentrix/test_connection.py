"""The DDP connection provider (with a fake Dentrix.API.dll) and building from settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.dentrix import DentrixLedger
from adapters.dentrix.connection import (
    REGISTER_MESSAGES,
    DdpConnectionProvider,
    DentrixConnector,
    load_library,
)
from connector.config.pms import DentrixPms
from connector.errors import AuthError, ConfigError, PermanentError, TransientError
from connector.redaction import Redactor


class FakeDdpLibrary:
    """Behaves like the two exports of Dentrix.API.dll, recording what it was given."""

    def __init__(self, register_code: int = 0, connection_string: str = "") -> None:
        self.register_code = register_code
        self.connection_string = connection_string
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def DENTRIXAPI_RegisterUser(self, key_file: bytes) -> int:
        """Return the configured code."""
        self.calls.append(("register", (key_file,)))
        return self.register_code

    def DENTRIXAPI_GetConnectionString(self, user: bytes, password: bytes, buffer: Any,
                                       size: int) -> None:  # fmt: skip
        """Fill the caller's buffer like the DLL does."""
        self.calls.append(("get", (user, password, size)))
        buffer.value = self.connection_string.encode("cp1252")


def provider(lib: FakeDdpLibrary) -> DdpConnectionProvider:
    return DdpConnectionProvider(Path("C:/dtx/practice.dtxkey"), "ddpuser", "pässword", library=lib)


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        (9, TransientError, "exclusive mode"),
        (7, AuthError, "revoked"),
        (8, AuthError, "signed"),
        (4, TransientError, "not reachable"),
        (1, ConfigError, "approve"),
        (2, ConfigError, "dtxkey"),
        (3, ConfigError, "key_file"),
        (5, ConfigError, "administrator"),
        (6, ConfigError, "user name"),
        (-1, ConfigError, "G6.2"),
        (42, PermanentError, "unknown return code"),
    ],
)
def test_register_return_codes_map_to_clear_errors(code, error, words):
    """Each DENTRIXAPI_RegisterUser failure code becomes the right error with what to do."""
    lib = FakeDdpLibrary(register_code=code)
    with pytest.raises(error) as info:
        provider(lib).get()
    assert type(info.value) is error
    assert words in info.value.message
    assert f"returned {code}" in info.value.message
    assert info.value.context["ddp_code"] == code
    assert [name for name, _ in lib.calls] == ["register"]  # never asked for the string


def test_every_documented_code_has_a_message():
    """The DDP's own messages cover 0..9 and -1."""
    assert sorted(REGISTER_MESSAGES) == [-1, *range(10)]


def test_success_registers_the_key_file_and_returns_the_string_once():
    """On success the key file path and ANSI-encoded credentials reach the DLL, a 512-byte
    buffer is passed, and the string is cached for later connections."""
    lib = FakeDdpLibrary(connection_string="DSN=c-treeACE ODBC Driver;Database=DentrixSQL")
    ddp = provider(lib)
    assert ddp.get() == "DSN=c-treeACE ODBC Driver;Database=DentrixSQL"
    assert ddp.get() == "DSN=c-treeACE ODBC Driver;Database=DentrixSQL"
    assert lib.calls == [
        ("register", (str(Path("C:/dtx/practice.dtxkey")).encode(),)),
        ("get", (b"ddpuser", "pässword".encode("cp1252"), 512)),
    ]


def test_empty_connection_string_means_refused_credentials():
    """A registered user whose credentials the DLL refuses gets an AuthError naming the fix."""
    with pytest.raises(AuthError, match=r"pms\.ddp\.user"):
        provider(FakeDdpLibrary(connection_string="")).get()


def test_ddp_string_drives_a_real_connection(dentrix_db: str):
    """The string the (fake) DLL hands out is used to connect; the dialect follows it."""
    ledger = DentrixLedger(DentrixConnector(provider(FakeDdpLibrary(connection_string=dentrix_db))))
    assert ledger.ping().detail == {"engine": "sqlite"}
    ledger.close()


def test_loading_the_dll_off_windows_is_a_config_error():
    """Without Windows there is no Dentrix.API.dll: the admin is told to use odbc instead."""
    with pytest.raises(ConfigError, match=r"pms\.odbc\.connection_string"):
        load_library(None)


def test_from_settings_with_odbc_registers_the_secret(dentrix_db: str, monkeypatch):
    """from_settings builds a working adapter and registers the connection string as secret."""
    monkeypatch.setenv("DTX_ODBC", dentrix_db + ";PWD=hunter2secret")
    settings = DentrixPms.model_validate(
        {"vendor": "dentrix", "odbc": {"connection_string": {"env": "DTX_ODBC"}}}
    )
    redactor = Redactor()
    ledger = DentrixLedger.from_settings(settings, practice_id="p1", redactor=redactor)
    assert ledger.find_patient("1001") is not None
    assert "hunter2secret" not in redactor.scrub_text(f"failed with {dentrix_db};PWD=hunter2secret")
    ledger.close()


def test_from_settings_with_neither_ddp_nor_odbc_is_a_config_error():
    """A Dentrix section needs one way to connect."""
    settings = DentrixPms.model_validate({"vendor": "dentrix"})
    with pytest.raises(ConfigError, match="ddp"):
        DentrixLedger.from_settings(settings, practice_id="p1", redactor=Redactor())


def test_from_settings_with_ddp_off_windows_fails_clearly_on_first_use(monkeypatch):
    """A DDP section on Linux fails at the first connection with a ConfigError, not a crash."""
    monkeypatch.setenv("DDP_USER", "user1")
    monkeypatch.setenv("DDP_PWD", "secret-password")
    settings = DentrixPms.model_validate({"vendor": "dentrix", "ddp": {
        "key_file": "/tmp/x.dtxkey", "user": {"env": "DDP_USER"},
        "password": {"env": "DDP_PWD"}}})  # fmt: skip
    ledger = DentrixLedger.from_settings(settings, practice_id="p1", redactor=Redactor())
    with pytest.raises(ConfigError, match="Windows"):
        ledger.ping()


def test_registry_builds_the_dentrix_ledger(dentrix_db: str, monkeypatch):
    """The adapter registry finds the Dentrix adapter by its vendor name."""
    from adapters.registry import create_ledger

    monkeypatch.setenv("DTX_ODBC", dentrix_db)
    settings = DentrixPms.model_validate(
        {"vendor": "dentrix", "odbc": {"connection_string": {"env": "DTX_ODBC"}}}
    )
    ledger = create_ledger(settings, practice_id="p1", redactor=Redactor())
    assert isinstance(ledger, DentrixLedger)
    ledger.close()
