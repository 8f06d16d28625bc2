"""Sending one e-mail over SMTP (STARTTLS or implicit TLS, login), with certificate checks.

STARTTLS is required when configured: a server that does not offer it gets nothing (no
fallback to plain text). smtplib and ssl errors are translated here and only here.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

from connector.config.console import SmtpSettings
from connector.errors import AuthError, TransientError


class Mailer(Protocol):
    """Something that sends a finished message."""

    def send(self, message: EmailMessage) -> None:
        """Send it. Raises TransientError (try later) or AuthError (login refused)."""


class SmtpMailer:
    """:class:`Mailer` over SMTP as ``alerts.smtp`` says."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        """Connect, secure, log in, send, quit."""
        self._session(lambda smtp: smtp.send_message(message))

    def check(self) -> str:
        """Connect, secure and log in without sending (``check-config``); what was reached."""
        self._session(lambda smtp: smtp.noop())
        s = self.settings
        login = ", login accepted" if s.username is not None else ""
        return f"{s.host}:{s.port} ({s.security}{login})"

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _session(self, work: Callable[[smtplib.SMTP], object]) -> None:
        """Connect, secure, log in, run ``work``, quit; errors translated."""
        s = self.settings
        timeout = s.timeout.total_seconds()
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=timeout, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if s.security == "starttls":
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if s.username is not None and s.password is not None:
                    smtp.login(s.username.get(), s.password.get())
                work(smtp)
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(
                f"the mail server {s.host} refused the login ({exc.smtp_code})", code="smtp_auth"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise TransientError(
                f"the mail server {s.host} does not offer STARTTLS; nothing was sent",
                code="smtp_no_tls",
            ) from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise TransientError(
                f"mail not sent through {s.host}:{s.port}: {type(exc).__name__}",
                code="smtp_failed",
            ) from exc
