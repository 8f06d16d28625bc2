"""Building the Open Dental adapter from settings."""

from __future__ import annotations

import pytest

from adapters.opendental import OpenDentalLedger
from adapters.registry import create_ledger
from connector.config.pms import OpenDentalPms
from connector.errors import ConfigError
from connector.redaction import REDACTED, Redactor

SETTINGS = {
    "vendor": "opendental",
    "api": {"base_url": "http://127.0.0.1:9/api/v1", "developer_key": {"value": "devKeyAbc123"},
            "customer_key": {"value": "custKeyXyz789"}},
    "odbc": {"connection_string": {"value": "DRIVER={MariaDB Unicode};SERVER=127.0.0.1;"
                                            "UID=ro;PWD=s3cretPw!;"}},
}  # fmt: skip


def test_registry_builds_it_and_secrets_are_redacted() -> None:
    """The registry picks the adapter by vendor name; its keys and DB password get redacted."""
    redactor = Redactor()
    ledger = create_ledger(OpenDentalPms.model_validate(SETTINGS), practice_id="p1",
                           redactor=redactor)  # fmt: skip
    try:
        assert isinstance(ledger, OpenDentalLedger) and ledger.vendor == "opendental"
        text = redactor.scrub_text("dev devKeyAbc123 cust custKeyXyz789 pw s3cretPw!")
        assert "devKeyAbc123" not in text and "custKeyXyz789" not in text
        assert "s3cretPw!" not in text and REDACTED in text
    finally:
        ledger.close()


def test_missing_odbc_target_is_a_config_error() -> None:
    """Without a connection string or DSN the adapter refuses to start."""
    settings = OpenDentalPms.model_validate({**SETTINGS, "odbc": {}})
    with pytest.raises(ConfigError):
        OpenDentalLedger.from_settings(settings, practice_id="p1", redactor=Redactor())
