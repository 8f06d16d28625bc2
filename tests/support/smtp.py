"""A real SMTP server on loopback for alert tests: aiosmtpd with STARTTLS (a certificate from
a throwaway CA made here) and required login. Nothing is sent anywhere else."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "alerts@example-dental.test", "smtp-pass-123"


def _cert(subject: str, issuer_key: Any, issuer: x509.Name | None, key: Any,
          ca: bool) -> x509.Certificate:  # fmt: skip
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # valid across any test clock
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                         x509.DNSName("localhost")]), critical=False)  # fmt: skip
    return builder.sign(issuer_key, hashes.SHA256())


def make_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the CA file a client must trust."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Test CA", ca_key, None, ca_key, ca=True)
    cert = _cert("127.0.0.1", ca_key, ca.subject, key, ca=False)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "smtp.pem", folder / "smtp.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


@dataclass
class SmtpServer:
    """The running server: where it listens, the CA to trust, what it received."""

    host: str
    port: int
    ca_file: Path
    received: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.server.envelopes.append(envelope)
        self.server.received.append(message_from_bytes(envelope.content))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:  # fmt: skip
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(folder: Path, *, starttls: bool = True) -> Iterator[SmtpServer]:
    """Start the server (STARTTLS required and login required, unless ``starttls=False``)."""
    folder.mkdir(parents=True, exist_ok=True)
    quiet = logging.getLogger("mail.log")  # aiosmtpd's chatter (connections, disconnects)
    quiet.setLevel(logging.WARNING)
    quiet.propagate = False
    context, ca_file = make_tls(folder)
    server = SmtpServer("127.0.0.1", _free_port(), ca_file)
    params: dict[str, Any] = {"authenticator": _authenticate, "auth_required": starttls,
                              "auth_require_tls": True}  # fmt: skip
    if starttls:
        params.update(tls_context=context, require_starttls=True)
    controller = Controller(_Handler(server), hostname=server.host, port=server.port, **params)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
