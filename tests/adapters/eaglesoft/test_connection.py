"""Where the Eaglesoft connection comes from: config, or Patterson's settings COM object."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.eaglesoft import EaglesoftLedger
from adapters.eaglesoft.connection import (
    PROG_ID,
    EaglesoftConnector,
    SettingsTokenProvider,
)
from connector.config.pms import EaglesoftPms
from connector.errors import AuthError, ConfigError
from connector.redaction import Redactor
from tests.adapters.eaglesoft.conftest import AUTH, DEMO_AUTH, payment


class FakeEaglesoftSettings:
    """Behaves like the EaglesoftSettings.EaglesoftSettings COM object."""

    def __init__(self, valid: bool, conn_str: str) -> None:
        self.valid = valid
        self.conn_str = conn_str
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def SetToken(self, product: str, token: str) -> bool:
        """Accept or refuse the token."""
        self.calls.append(("SetToken", (product, token)))
        return self.valid

    def GetLegacyConnectionString(self, primary: bool) -> str:
        """The connection string for the token's access level."""
        self.calls.append(("GetLegacyConnectionString", (primary,)))
        return self.conn_str


def factory_for(fake: FakeEaglesoftSettings, seen: list[str]):
    def factory(prog_id: str) -> FakeEaglesoftSettings:
        seen.append(prog_id)
        return fake

    return factory


def test_token_flow_sets_the_token_and_asks_for_the_primary_database(eaglesoft_db: str):
    """SetToken(product, token) then GetLegacyConnectionString(True); the string is used to
    connect, and fetched only once."""
    fake, seen = FakeEaglesoftSettings(True, eaglesoft_db), []
    provider = SettingsTokenProvider("tok-123", product="acme-writeback",
                                     com_factory=factory_for(fake, seen))  # fmt: skip
    ledger = EaglesoftLedger(EaglesoftConnector(provider, authentication=AUTH))
    assert ledger.find_patient("101") is not None
    ledger.post_patient_payment(payment("txn_token001", "101", "1.00"))
    assert seen == [PROG_ID]
    assert fake.calls == [("SetToken", ("acme-writeback", "tok-123")),
                          ("GetLegacyConnectionString", (True,))]  # fmt: skip
    ledger.close()


def test_refused_token_is_an_auth_error():
    """SetToken returning false stops the practice with a message about the token."""
    provider = SettingsTokenProvider("bad", com_factory=factory_for(
        FakeEaglesoftSettings(False, "DSN=DENTAL"), []))  # fmt: skip
    with pytest.raises(AuthError, match="refused the token"):
        provider.get()


def test_empty_connection_string_is_an_auth_error():
    """A valid token that yields no connection string is refused too."""
    provider = SettingsTokenProvider("tok", com_factory=factory_for(
        FakeEaglesoftSettings(True, ""), []))  # fmt: skip
    with pytest.raises(AuthError, match="no connection string"):
        provider.get()


def test_com_failure_is_a_config_error():
    """A COM object that raises (not installed, wrong bitness) is a configuration problem."""

    def broken(prog_id: str) -> Any:
        raise RuntimeError("class not registered")

    with pytest.raises(ConfigError, match="COM object failed"):
        SettingsTokenProvider("tok", com_factory=broken).get()


def test_token_flow_off_windows_is_a_config_error():
    """Without an injected COM factory, Linux gets a clear ConfigError."""
    with pytest.raises(ConfigError, match="Windows"):
        SettingsTokenProvider("tok").get()


def test_from_settings_authenticates_and_hides_the_signature(eaglesoft_db: str, monkeypatch):
    """from_settings reads the signature from its secret reference, writes succeed, and the
    signature is registered with the redactor."""
    monkeypatch.setenv("ES_ODBC", eaglesoft_db)
    monkeypatch.setenv("ES_SIGNATURE", DEMO_AUTH[2])
    settings = EaglesoftPms.model_validate({
        "vendor": "eaglesoft", "odbc": {"connection_string": {"env": "ES_ODBC"}},
        "authentication": {"company": DEMO_AUTH[0], "application": DEMO_AUTH[1],
                           "signature": {"env": "ES_SIGNATURE"}}})  # fmt: skip
    redactor = Redactor()
    ledger = EaglesoftLedger.from_settings(settings, practice_id="p1", redactor=redactor)
    assert not ledger.post_patient_payment(payment("txn_settings", "101", "2.00")).already_existed
    assert DEMO_AUTH[2] not in redactor.scrub_text(f"statement failed: {AUTH}")
    ledger.close()


def test_from_settings_without_authentication_is_read_only(eaglesoft_db: str, monkeypatch):
    """Without pms.authentication the adapter reads and reports that writes are not set up."""
    monkeypatch.setenv("ES_ODBC", eaglesoft_db)
    settings = EaglesoftPms.model_validate(
        {"vendor": "eaglesoft", "odbc": {"connection_string": {"env": "ES_ODBC"}}}
    )
    ledger = EaglesoftLedger.from_settings(settings, practice_id="p1", redactor=Redactor())
    assert ledger.ping().detail == {"engine": "sqlite", "write_authentication": False}
    ledger.close()


def test_registry_builds_the_eaglesoft_ledger(eaglesoft_db: str, monkeypatch):
    """The adapter registry finds the Eaglesoft adapter by its vendor name."""
    from adapters.registry import create_ledger

    monkeypatch.setenv("ES_ODBC", eaglesoft_db)
    settings = EaglesoftPms.model_validate(
        {"vendor": "eaglesoft", "odbc": {"connection_string": {"env": "ES_ODBC"}}}
    )
    ledger = create_ledger(settings, practice_id="p1", redactor=Redactor())
    assert isinstance(ledger, EaglesoftLedger)
    ledger.close()
