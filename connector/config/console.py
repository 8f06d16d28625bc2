"""``console:`` (the staff console's address, TLS, sessions) and ``alerts:`` (SMTP, schedules).

A console that listens on anything but loopback must either serve TLS itself (``tls:``
certificate and key files) or say it sits behind a TLS-terminating proxy
(``behind_proxy: true``); anything else is refused here, so ``check-config`` reports it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.config.types import Duration, SecretRef

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsSettings(_Strict):
    """The console's own HTTPS: PEM certificate (chain) and private key files."""

    cert_file: Path
    key_file: Path


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConsoleSettings(_Strict):
    """The staff console (``connector console``): where it listens and how sessions behave."""

    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)
    tls: TlsSettings | None = None
    behind_proxy: bool = Field(
        default=False,
        description="a TLS-terminating proxy serves the console: cookies are marked Secure",
    )
    public_url: str | None = Field(
        default=None, description="the console's address as staff reach it (links in e-mails)"
    )
    session_idle_timeout: Duration = Field(default="30m", validate_default=True)
    session_max_age: Duration = Field(default="12h", validate_default=True)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout: Duration = Field(default="15m", validate_default=True)
    page_size: int = Field(default=50, ge=10, le=500)

    @field_validator("session_idle_timeout", "session_max_age", "login_lockout")
    @classmethod
    def _sane_minutes(cls, value: dt.timedelta) -> dt.timedelta:
        if not dt.timedelta(minutes=1) <= value <= dt.timedelta(days=7):
            raise ValueError("expected a duration between 1m and 7d")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// address")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _safe_exposure(self) -> ConsoleSettings:
        if not is_loopback(self.host) and self.tls is None and not self.behind_proxy:
            raise ValueError(
                f"console.host {self.host!r} is not a loopback address: set console.tls "
                "(cert_file, key_file) or behind_proxy: true (a TLS proxy in front)"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Whether staff reach the console over HTTPS (cookies get the Secure flag)."""
        return self.tls is not None or self.behind_proxy

    def base_url(self) -> str:
        """The address for links: ``public_url``, else built from host, port and TLS."""
        if self.public_url:
            return self.public_url
        scheme = "https" if self.secure_cookies else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value


class SmtpSettings(_Strict):
    """The mail server alerts go through: STARTTLS and login by default."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: SecretRef | None = None
    password: SecretRef | None = None
    sender: str = Field(description="From: address")
    ca_file: Path | None = Field(
        default=None, description="extra CA certificate(s) to trust (a private mail relay)"
    )
    timeout: Duration = Field(default="30s", validate_default=True)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _email(value)

    @model_validator(mode="after")
    def _login_pair(self) -> SmtpSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.password is not None and self.security == "none":
            raise ValueError("refusing to send a password without TLS: security starttls or tls")
        return self


class DigestSettings(_Strict):
    """The daily digest: new items waiting for a person, sent once a day at a local time."""

    enabled: bool = True
    at: str = Field(default="07:30", description="practice-local time, HH:MM")

    @field_validator("at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _LOCAL_TIME.match(value):
            raise ValueError("expected a local time as HH:MM (24 hours)")
        return value

    def local_time(self) -> dt.time:
        """``at`` as a time of day."""
        hours, minutes = self.at.split(":")
        return dt.time(int(hours), int(minutes))


class OutageSettings(_Strict):
    """Outage e-mails: a source or the PMS failing longer than ``after``, and its recovery."""

    enabled: bool = True
    after: Duration = Field(default="30m", validate_default=True)


class AlertsSettings(_Strict):
    """E-mail alerts sent by the daemon (``connector run``)."""

    enabled: bool = True
    smtp: SmtpSettings
    to: tuple[str, ...] = Field(min_length=1, description="recipients of every practice")
    practice_to: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="extra recipients per practice id"
    )
    digest: DigestSettings = DigestSettings()
    outage: OutageSettings = OutageSettings()

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_email(v) for v in value)

    @field_validator("practice_to")
    @classmethod
    def _practice_addresses(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {k: tuple(_email(v) for v in vs) for k, vs in value.items()}

    def recipients(self, practice_id: str) -> list[str]:
        """Everyone who gets this practice's alerts, without duplicates."""
        return list(dict.fromkeys([*self.to, *self.practice_to.get(practice_id, ())]))
