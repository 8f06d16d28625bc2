"""Open a verified, authenticated SFTP session to the clearinghouse.

Order matters: the host key is verified (:mod:`.sftp_hostkeys`) **before** any credential is
sent, so a server we do not trust never sees our password or a signature made with our key.
Authentication uses the private key and/or the password from their secret references; when the
server asks for both (``AuthenticationMethods publickey,password``) both are given, and a
refused key falls back to the password when one is configured.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import paramiko
from paramiko.ssh_exception import IncompatiblePeer

from connector.config.sources import SftpInbox
from connector.errors import AuthError, TransientError
from connector.sources.era.sftp_errors import sftp_errors
from connector.sources.era.sftp_hostkeys import HostKeyPolicy

# host key family → the algorithms that present a key of that family
_KEY_FAMILIES = {
    "ed25519": ("ssh-ed25519",),
    "ecdsa": ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"),
    "rsa": ("rsa-sha2-512", "rsa-sha2-256"),
}


def _family(key_name: str) -> str:
    if key_name == "ssh-rsa":
        return "rsa"
    if key_name.startswith("ecdsa"):
        return "ecdsa"
    return key_name.removeprefix("ssh-")


def remote_folder(path: str) -> str:
    """A remote folder as ``/a/b`` (no trailing slash; ``/`` for the root)."""
    return "/" + path.strip("/") if path.strip("/") else "/"


class SftpConnector:
    """Connects to one configured SFTP server.

    Args:
        settings: the ``era.inbox.sftp`` section.
    """

    def __init__(self, settings: SftpInbox) -> None:
        self.settings = settings
        self.policy = HostKeyPolicy(settings.known_hosts, settings.host_key_fingerprint)
        self.where = f"{settings.host}:{settings.port}{remote_folder(settings.path)}"
        self.timeout = settings.timeout.total_seconds()

    @contextlib.contextmanager
    def session(self) -> Iterator[tuple[paramiko.SFTPClient, str]]:
        """An open SFTP client and the presented host key (``type SHA256:…``); closed after.

        Raises:
            AuthError: host key unknown/changed, or login refused.
            ConfigError: key file unusable, no common algorithm.
            TransientError: network failures.
        """
        key = self._load_key()
        transport, presented = self._connect_verified()
        try:
            self._authenticate(transport, key)
            with sftp_errors("open sftp", self.where):
                sftp = paramiko.SFTPClient.from_transport(transport)
                if sftp is None:
                    raise TransientError(f"SFTP server {self.where} refused the sftp subsystem",
                                         code="sftp_protocol")  # fmt: skip
                channel = sftp.get_channel()
                if channel is not None:
                    channel.settimeout(self.timeout)
            try:
                yield sftp, presented
            finally:
                sftp.close()
        finally:
            transport.close()

    def _connect_verified(self) -> tuple[paramiko.Transport, str]:
        """Connect and verify the host key.

        With only a pinned fingerprint we cannot know which of the server's keys it names, so
        after a mismatch each other key family (ed25519, ECDSA, RSA) is tried once.
        """
        families: list[str | None] = [None]
        if self.settings.known_hosts is None:
            families += list(_KEY_FAMILIES)
        tried: set[str] = set()
        first_error: AuthError | None = None
        for family in families:
            if family is not None and family in tried:
                continue
            transport = self._connect(_KEY_FAMILIES[family] if family else None)
            if transport is None:
                continue  # the server has no host key of this family
            key = transport.get_remote_server_key()
            tried.add(_family(key.get_name()))
            try:
                self.policy.verify(self.settings.host, self.settings.port, key)
            except AuthError as exc:
                transport.close()
                first_error = first_error or exc
                continue
            return transport, f"{key.get_name()} {key.fingerprint}"
        assert first_error is not None
        raise first_error

    def _connect(self, family: tuple[str, ...] | None) -> paramiko.Transport | None:
        host, port = self.settings.host, self.settings.port
        with sftp_errors("connect", f"{host}:{port}"):
            sock = socket.create_connection((host, port), timeout=self.timeout)
            transport = paramiko.Transport(sock)
            try:
                transport.banner_timeout = self.timeout
                transport.handshake_timeout = self.timeout
                transport.auth_timeout = self.timeout
                options = transport.get_security_options()
                offered = list(options.key_types)
                if family is None:
                    options.key_types = self.policy.preferred_key_types(host, port, offered)
                else:
                    only = [t for t in offered if t in family]
                    if not only:
                        transport.close()
                        return None
                    options.key_types = only
                try:
                    transport.start_client(timeout=self.timeout)
                except IncompatiblePeer:
                    if family is None:
                        raise
                    transport.close()
                    return None
            except BaseException:
                transport.close()
                raise
        return transport

    def _load_key(self) -> paramiko.PKey | None:
        path = self.settings.private_key_file
        if path is None:
            return None
        passphrase = self.settings.private_key_passphrase
        # paramiko 5 hands the passphrase straight to cryptography, which wants bytes
        # (its stub says str, and a str fails with TypeError)
        secret = passphrase.get().encode("utf-8") if passphrase else None
        with sftp_errors("load_key", self.where):
            return paramiko.PKey.from_path(path, secret)  # type: ignore[arg-type]

    def _authenticate(self, transport: paramiko.Transport, key: paramiko.PKey | None) -> None:
        username = self.settings.username.get()
        password = self.settings.password.get() if self.settings.password else None
        with sftp_errors("authenticate", self.where):
            if key is not None:
                try:
                    remaining = transport.auth_publickey(username, key)
                except paramiko.AuthenticationException:
                    if password is None:
                        raise
                    remaining = []  # key refused: fall back to the password below
                    transport.auth_password(username, password)
                if remaining and password is not None and "password" in remaining:
                    transport.auth_password(username, password)  # server wants both factors
            elif password is not None:
                transport.auth_password(username, password)
            if not transport.is_authenticated():
                raise paramiko.AuthenticationException("not authenticated")
