"""Host key verification for the SFTP inbox: required, never trust-on-first-use.

The server's key must match the configured ``known_hosts`` file (OpenSSH format, hashed
entries too, ``[host]:port`` for ports other than 22) and/or the pinned ``SHA256:…``
fingerprint (as ``ssh-keygen -lf`` prints it). When both are configured, both must match.
An unknown or changed key raises :class:`~connector.errors.AuthError`, which pauses this
practice's ERA polling until the admin has looked: a changed key can mean the clearinghouse
rotated it — or that someone is in the middle.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

import paramiko

from connector.errors import AuthError, ConfigError

_RSA_SIGNATURES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


def normalise_fingerprint(text: str) -> str:
    """``SHA256:<base64 without padding>``; accepts surrounding blanks and ``=`` padding.

    Raises:
        ConfigError: not a SHA256 fingerprint (MD5 ``aa:bb:…`` ones are refused: too weak).
    """
    value = text.strip()
    prefix, _, body = value.partition(":")
    if prefix.upper() != "SHA256" or not body:
        raise ConfigError(
            "host_key_fingerprint must look like SHA256:… (run ssh-keygen -lf on the key; "
            "MD5 fingerprints are not accepted)"
        )
    body = body.rstrip("=")
    try:
        decoded = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("host_key_fingerprint is not valid base64 after SHA256:") from exc
    if len(decoded) != 32:
        raise ConfigError("host_key_fingerprint is not a SHA256 digest (wrong length)")
    return f"SHA256:{body}"


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


@dataclass(frozen=True)
class HostKeyPolicy:
    """What the server's host key must match.

    Args:
        known_hosts: an OpenSSH known_hosts file, or None.
        fingerprint: a pinned ``SHA256:…`` fingerprint, or None.
    """

    known_hosts: Path | None
    fingerprint: str | None

    def __post_init__(self) -> None:
        if self.known_hosts is None and self.fingerprint is None:
            raise ConfigError(
                "host key verification is required: give known_hosts or host_key_fingerprint"
            )

    def _known(self, host: str, port: int) -> paramiko.HostKeys | None:
        if self.known_hosts is None:
            return None
        keys = paramiko.HostKeys()
        try:
            keys.load(str(self.known_hosts))
        except OSError as exc:
            raise ConfigError(
                f"cannot read known_hosts file {self.known_hosts}: {exc.strerror}"
            ) from exc
        return keys

    def preferred_key_types(self, host: str, port: int, offered: list[str]) -> list[str]:
        """``offered`` reordered so key types listed in known_hosts for this host come first.

        Without this the server could present (say) its ed25519 key while known_hosts holds
        only its RSA key, and a correct server would be refused.
        """
        keys = self._known(host, port)
        entry = keys.lookup(known_hosts_name(host, port)) if keys is not None else None
        if not entry:
            return offered
        wanted: list[str] = []
        for key_type in entry:
            wanted.extend(_RSA_SIGNATURES if key_type == "ssh-rsa" else (key_type,))
        first = [t for t in offered if t in wanted]
        return first + [t for t in offered if t not in first]

    def verify(self, host: str, port: int, key: paramiko.PKey) -> None:
        """Accept the server key or raise.

        Raises:
            AuthError: ``sftp_host_key_unknown`` (no entry for this host) or
                ``sftp_host_key_changed`` (entry or pin differs), with what to check.
            ConfigError: the known_hosts file cannot be read.
        """
        name = known_hosts_name(host, port)
        presented = f"{key.get_name()} {key.fingerprint}"
        context = {"host": name, "presented": presented}
        keys = self._known(host, port)
        if keys is not None:
            entry = keys.lookup(name)
            if not entry:
                raise AuthError(
                    f"SFTP host key of {name} is unknown: {self.known_hosts} has no entry for "
                    f"{name}. The server presented {presented}; confirm it with the "
                    "clearinghouse, then add it (ssh-keyscan -p PORT HOST >> known_hosts)",
                    code="sftp_host_key_unknown", context=context,
                )  # fmt: skip
            if not keys.check(name, key):
                raise AuthError(
                    f"SFTP host key of {name} has CHANGED: the server presented {presented}, "
                    f"which is not the key in {self.known_hosts}. Do not connect until the "
                    "clearinghouse confirms the new key; then replace the entry",
                    code="sftp_host_key_changed", context=context,
                )  # fmt: skip
        if self.fingerprint is not None:
            pinned = normalise_fingerprint(self.fingerprint)
            if key.fingerprint != pinned:
                raise AuthError(
                    f"SFTP host key of {name} does not match host_key_fingerprint {pinned}: "
                    f"the server presented {presented}. If the clearinghouse confirms a new "
                    "key, update host_key_fingerprint (ssh-keyscan -p PORT HOST | "
                    "ssh-keygen -lf -)",
                    code="sftp_host_key_changed", context=context,
                )  # fmt: skip
