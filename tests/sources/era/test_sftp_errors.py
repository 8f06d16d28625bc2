"""paramiko / socket exceptions are translated into our error tree in one place, completely."""

from __future__ import annotations

import errno
import inspect
import socket

import paramiko
import paramiko.ssh_exception as ssh_exception
import pytest
from paramiko.auth_strategy import AuthFailure, AuthResult
from paramiko.pkey import UnknownKeyType
from paramiko.sftp import SFTPError

from connector.errors import AuthError, ConfigError, ConnectorError, TransientError
from connector.sources.era.sftp_errors import sftp_errors, translate
from connector.sources.era.sftp_hostkeys import normalise_fingerprint

_KEY = paramiko.RSAKey.generate(1024)

CASES: list[tuple[BaseException, str, type[ConnectorError], str]] = [
    (paramiko.SSHException("kex failed"), "connect", TransientError, "sftp_protocol"),
    (paramiko.SSHException("Server connection dropped: "), "download", TransientError,
     "sftp_connection_dropped"),
    (paramiko.AuthenticationException("no"), "authenticate", AuthError, "sftp_auth_failed"),
    (paramiko.PasswordRequiredException("locked"), "load_key", ConfigError, "sftp_key_locked"),
    (paramiko.PasswordRequiredException("x"), "authenticate", AuthError, "sftp_auth_failed"),
    (paramiko.BadAuthenticationType("no", ["publickey"]), "authenticate", AuthError,
     "sftp_auth_failed"),
    (ssh_exception.PartialAuthentication(["password"]), "authenticate", AuthError,
     "sftp_auth_failed"),
    (ssh_exception.UnableToAuthenticate("no"), "authenticate", AuthError, "sftp_auth_failed"),
    (AuthFailure(AuthResult(None)), "authenticate", AuthError, "sftp_auth_failed"),
    (paramiko.ChannelException(2, "refused"), "open sftp", TransientError, "sftp_protocol"),
    (paramiko.BadHostKeyException("h", _KEY, _KEY), "connect", AuthError,
     "sftp_host_key_changed"),
    (ssh_exception.IncompatiblePeer("no kex"), "connect", ConfigError, "sftp_incompatible"),
    (ssh_exception.ProxyCommandFailure("cmd", "err"), "connect", TransientError,
     "sftp_protocol"),
    (ssh_exception.NoValidConnectionsError({("127.0.0.1", 22): OSError("refused")}), "connect",
     TransientError, "sftp_unreachable"),
    (ssh_exception.CouldNotCanonicalize("x"), "connect", TransientError, "sftp_protocol"),
    (ssh_exception.ConfigParseError("x"), "connect", TransientError, "sftp_protocol"),
    (ssh_exception.MessageOrderError("x"), "connect", TransientError, "sftp_protocol"),
    (SFTPError("bad"), "download", TransientError, "sftp_io"),
    (UnknownKeyType("ssh-dss"), "load_key", ConfigError, "sftp_key_invalid"),
    (FileNotFoundError(errno.ENOENT, "no key"), "load_key", ConfigError, "sftp_key_invalid"),
    (ValueError("bad key data"), "load_key", ConfigError, "sftp_key_invalid"),
    (EOFError(), "download", TransientError, "sftp_connection_dropped"),
    (TimeoutError("timed out"), "connect", TransientError, "sftp_timeout"),
    (TimeoutError(), "list", TransientError, "sftp_timeout"),
    (socket.gaierror(-2, "Name or service not known"), "connect", TransientError,
     "sftp_unreachable"),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connect", TransientError,
     "sftp_unreachable"),
    (ConnectionResetError(errno.ECONNRESET, "reset"), "download", TransientError,
     "sftp_connection_dropped"),
    (BrokenPipeError(errno.EPIPE, "pipe"), "download", TransientError,
     "sftp_connection_dropped"),
    (OSError("Socket is closed"), "download", TransientError, "sftp_connection_dropped"),
    (OSError(errno.EHOSTUNREACH, "no route"), "connect", TransientError, "sftp_unreachable"),
    (PermissionError(errno.EACCES, "denied"), "list", ConfigError, "sftp_permission_denied"),
    (FileNotFoundError(errno.ENOENT, "No such file"), "list", ConfigError,
     "sftp_folder_missing"),
    (FileNotFoundError(errno.ENOENT, "No such file"), "archive", ConfigError,
     "sftp_archive_missing"),
    (FileNotFoundError(errno.ENOENT, "No such file"), "download", TransientError, "sftp_io"),
    (RuntimeError("paramiko bug"), "download", TransientError, "sftp_unexpected"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "action", "kind", "code"), CASES,
                         ids=[f"{type(c[0]).__name__}-{c[1]}" for c in CASES])  # fmt: skip
def test_translation(
    exc: BaseException, action: str, kind: type[ConnectorError], code: str
) -> None:
    """Each foreign exception maps to the error class and code the table promises."""
    mapped = translate(exc, action, "sftp.example:22/outbound")
    assert type(mapped) is kind
    assert mapped.code == code
    assert mapped.context["cause"] == type(exc).__name__


def test_every_paramiko_exception_is_covered() -> None:
    """Every exception class in paramiko.ssh_exception has a case above (new ones fail here)."""
    defined = {
        cls for _, cls in inspect.getmembers(ssh_exception, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == ssh_exception.__name__
    }  # fmt: skip
    covered = {type(exc) for exc, *_ in CASES}
    assert defined - covered == set()


def test_context_manager_chains_and_passes_our_errors() -> None:
    """sftp_errors() chains the original exception and lets our own errors through unchanged."""
    with pytest.raises(TransientError) as caught, sftp_errors("connect", "h:22"):
        raise EOFError
    assert isinstance(caught.value.__cause__, EOFError)
    ours = AuthError("already ours")
    with pytest.raises(AuthError) as again, sftp_errors("connect", "h:22"):
        raise ours
    assert again.value is ours


@pytest.mark.parametrize("text", [" SHA256:" + "A" * 43 + "= ", "sha256:" + "A" * 43])
def test_fingerprint_normalised(text: str) -> None:
    """Pins are accepted with blanks, '=' padding or a lower-case prefix."""
    assert normalise_fingerprint(text) == "SHA256:" + "A" * 43


@pytest.mark.parametrize("text", ["aa:bb:cc:dd", "SHA256:", "SHA256:!!!", "SHA256:QUJD"])
def test_bad_fingerprints_refused(text: str) -> None:
    """MD5 pins, empty, non-base64 and wrong-length pins are configuration errors."""
    with pytest.raises(ConfigError):
        normalise_fingerprint(text)
