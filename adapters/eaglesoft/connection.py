"""Eaglesoft connections: where the connection string comes from, and write authentication.

* :class:`StaticConnectionProvider` — ``pms.odbc`` (a connection string, or the DSN ``DENTAL``
  Eaglesoft creates [V-code]).
* :class:`SettingsTokenProvider` — Windows only: Patterson's COM object
  ``EaglesoftSettings.EaglesoftSettings`` → ``SetToken(product, token)`` →
  ``GetLegacyConnectionString(True)`` (True = primary database) [V-code]. The COM factory is
  injectable so the flow is tested without Windows.

Every new connection runs the dialect's session set-up and then, when ``pms.authentication``
is configured, the SQL Anywhere ``connection_authentication`` statement [V-doc SAP].
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import pyodbc

from adapters.eaglesoft.dialect import EaglesoftDialect, authentication_text, for_connection_string
from adapters.eaglesoft.errors import translating
from connector.errors import AuthError, ConfigError, ConnectorError
from connector.redaction import Redactor

PROG_ID = "EaglesoftSettings.EaglesoftSettings"  # [V-code]
DEFAULT_PRODUCT = "writeback-connector"  # [U] the partner product name Patterson registers


class ConnectionProvider(Protocol):
    """Anything that yields the ODBC connection string."""

    def get(self) -> str:
        """The ODBC connection string (may raise our errors)."""


@dataclass
class StaticConnectionProvider:
    """A connection string (or ``DSN=…``) from the configuration."""

    connection_string: str

    def get(self) -> str:
        """The ODBC connection string."""
        return self.connection_string


class SettingsTokenProvider:
    """Ask Patterson's settings COM object for the connection string with our token.

    Args:
        token: the Patterson-issued partner token.
        product: the partner product name the token belongs to.
        com_factory: ``win32com.client.Dispatch`` by default; tests pass a fake.
        primary: True for the primary database, False for the secondary (read) copy [V-code].
    """

    def __init__(
        self,
        token: str,
        *,
        product: str = DEFAULT_PRODUCT,
        com_factory: Callable[[str], Any] | None = None,
        primary: bool = True,
    ) -> None:
        self._token = token
        self.product = product
        self._factory = com_factory
        self.primary = primary
        self._cached: str | None = None

    def get(self) -> str:
        """Set the token and return the legacy ODBC connection string.

        Raises:
            ConfigError: not on Windows / Eaglesoft not installed (COM object missing).
            AuthError: Patterson refused the token, or returned no connection string.
        """
        if self._cached is not None:
            return self._cached
        factory = self._factory or _dispatch
        try:
            settings = factory(PROG_ID)
            valid = settings.SetToken(self.product, self._token)
            conn_str = str(settings.GetLegacyConnectionString(self.primary) or "").strip()
        except ConnectorError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"the Eaglesoft settings COM object failed ({type(exc).__name__})"
            ) from exc
        if not valid:
            raise AuthError(
                "Patterson's EaglesoftSettings refused the token (SetToken returned false); "
                "check pms.settings_token and the product name registered with Patterson",
                code="eaglesoft_token_refused",
            )
        if not conn_str:
            raise AuthError(
                "EaglesoftSettings returned no connection string for this token",
                code="eaglesoft_token_refused",
            )
        self._cached = conn_str
        return conn_str


def _on_windows() -> bool:
    return sys.platform == "win32"


def _dispatch(prog_id: str) -> Any:
    """``win32com.client.Dispatch`` with COM failures turned into ConfigError."""
    if not _on_windows():
        raise ConfigError(
            "pms.settings_token needs Windows with Eaglesoft installed (the "
            "EaglesoftSettings COM object); elsewhere use pms.odbc only"
        )
    try:
        client: Any = importlib.import_module("win32com.client")
    except ImportError as exc:
        raise ConfigError("pms.settings_token needs pywin32: pip install pywin32") from exc
    try:
        return client.Dispatch(prog_id)
    except Exception as exc:
        raise ConfigError(
            f"cannot create {prog_id}: is Eaglesoft installed and is this a 32-bit process?"
        ) from exc


class EaglesoftConnector:
    """Opens set-up, authenticated connections; knows the dialect and the error guard.

    Args:
        provider: where the connection string comes from.
        authentication: the ``Company=…;Application=…;Signature=…`` text, or None (read-only).
        connect: ``pyodbc.connect`` by default (injectable).
        dialect: force a dialect (tests); by default chosen from the connection string.
    """

    def __init__(
        self,
        provider: ConnectionProvider,
        *,
        authentication: str | None = None,
        connect: Callable[..., Any] | None = None,
        timeout_s: int = 30,
        dialect: EaglesoftDialect | None = None,
    ) -> None:
        self.provider = provider
        self.authentication = authentication
        self._connect = connect or pyodbc.connect
        self.timeout_s = timeout_s
        self._dialect = dialect

    @property
    def dialect(self) -> EaglesoftDialect:
        """The engine's dialect."""
        if self._dialect is None:
            self._dialect = for_connection_string(self.provider.get())
        return self._dialect

    def guard(self, operation: str) -> AbstractContextManager[None]:
        """The error translator for ``operation``."""
        return translating(self.dialect, operation, authenticated=self.authentication is not None)

    def open(self) -> Any:
        """A new connection: autocommit off, session set-up, then write authentication."""
        conn_str = self.provider.get()
        with self.guard("connect"):
            conn = self._connect(conn_str, autocommit=False, timeout=self.timeout_s)
            cursor = conn.cursor()
            for statement in self.dialect.session_setup():
                cursor.execute(statement)
            if self.authentication is not None:
                sql, params = self.dialect.authenticate(self.authentication)
                cursor.execute(sql, *params)
            cursor.close()
            conn.commit()
        return conn


def build_connector(settings: Any, *, redactor: Redactor) -> EaglesoftConnector:
    """The connector for an ``EaglesoftPms`` section; secrets are registered with ``redactor``.

    Raises:
        ConfigError: no connection string/DSN, or a secret cannot be read.
    """
    provider: ConnectionProvider
    auth = settings.authentication
    text = None
    if auth is not None:
        signature = auth.signature.get()
        redactor.add_secrets([signature])
        text = authentication_text(auth.company, auth.application, signature)
        redactor.add_secrets([text])
    if settings.settings_token is not None:
        token = settings.settings_token.get()
        redactor.add_secrets([token])
        product = auth.application if auth is not None else DEFAULT_PRODUCT
        provider = _Redacting(SettingsTokenProvider(token, product=product), redactor)
    elif settings.odbc.connection_string is not None:
        conn_str = settings.odbc.connection_string.get()
        redactor.add_secrets([conn_str])
        provider = StaticConnectionProvider(conn_str)
    elif settings.odbc.dsn:
        provider = StaticConnectionProvider(f"DSN={settings.odbc.dsn}")
    else:
        raise ConfigError("pms.odbc: give connection_string or dsn")
    timeout = max(1, int(settings.odbc.timeout.total_seconds()))
    return EaglesoftConnector(provider, authentication=text, timeout_s=timeout)


class _Redacting:
    """Registers a token-issued connection string (it holds a password) as a secret."""

    def __init__(self, inner: ConnectionProvider, redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor

    def get(self) -> str:
        """The inner provider's string, registered with the redactor first."""
        text = self._inner.get()
        parts = [p.split("=", 1) for p in text.split(";") if "=" in p]
        pwd = [v.strip() for k, v in parts if k.strip().lower() in ("pwd", "password")]
        self._redactor.add_secrets([text, *pwd])
        return text
