"""Open Dental adapter: reads the database over ODBC (SELECT-only), writes through the REST API."""

from __future__ import annotations

from typing import Any

from adapters.opendental.adapter import OpenDentalLedger as _Ledger
from adapters.opendental.api import OpenDentalApi
from adapters.opendental.db import ReadOnlyDb
from connector.clock import SYSTEM, Clock
from connector.config.pms import OpenDentalPms
from connector.errors import ConfigError
from connector.redaction import Redactor

__all__ = ["OpenDentalLedger"]


class OpenDentalLedger(_Ledger):
    """The Open Dental :class:`~adapters.base.Ledger`, built from the practice's settings."""

    @classmethod
    def from_settings(
        cls,
        settings: OpenDentalPms,
        *,
        practice_id: str,
        redactor: Redactor,
        clock: Clock = SYSTEM,
        timezone: str = "UTC",
        **kw: Any,
    ) -> OpenDentalLedger:
        """Build the adapter; registers the keys and DB password with ``redactor``.

        ``clock`` and ``timezone`` are accepted like every adapter's and not needed: Open
        Dental's API stamps the rows it creates itself (entry dates, ``SecDateTEntry``), and
        the times the connector sends (a commlog's ``CommDateTime``, dates) come in the plans,
        already practice-local.

        Raises:
            ConfigError: neither an ODBC connection string nor a DSN is configured.
            SecretNotFound: a referenced secret is missing.
        """
        odbc = settings.odbc
        if odbc.connection_string is not None:
            connection_string = odbc.connection_string.get()
        elif odbc.dsn:
            connection_string = f"DSN={odbc.dsn};"
        else:
            raise ConfigError("pms.odbc needs connection_string or dsn", code="config_invalid")
        developer_key = settings.api.developer_key.get()
        customer_key = settings.api.customer_key.get()
        redactor.add_secrets([developer_key, customer_key, *_passwords(connection_string)])
        db = ReadOnlyDb(connection_string, timeout=odbc.timeout.total_seconds())
        api = OpenDentalApi(
            str(settings.api.base_url),
            developer_key,
            customer_key,
            timeout=settings.api.timeout.total_seconds(),
        )
        return cls(db=db, api=api, practice_id=practice_id, **kw)


def _passwords(connection_string: str) -> list[str]:
    """Values of PWD=/PASSWORD= in an ODBC connection string."""
    found = []
    for part in connection_string.split(";"):
        name, _, value = part.partition("=")
        if name.strip().upper() in ("PWD", "PASSWORD") and value:
            found.append(value.strip().strip("{}"))
    return found
