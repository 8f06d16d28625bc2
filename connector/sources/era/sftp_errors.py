"""The one place where paramiko and socket exceptions become the connector's own errors.

Every paramiko call of the SFTP inbox runs inside :func:`sftp_errors`. What each failure
means depends on what we were doing (``action``): an ``ENOENT`` while listing the configured
folder is a configuration problem, while the same code while downloading means the file was
removed between listing and download (try again later).

=====================================  ==============================================
paramiko / socket                      ours
=====================================  ==============================================
AuthenticationException & subclasses   AuthError ``sftp_auth_failed``
PasswordRequiredException (key load)   ConfigError ``sftp_key_locked``
BadHostKeyException                    AuthError ``sftp_host_key_changed``
IncompatiblePeer                       ConfigError ``sftp_incompatible``
key file unreadable / unknown type     ConfigError ``sftp_key_invalid``
timeout (socket.timeout, TimeoutError) TransientError ``sftp_timeout``
DNS failure (socket.gaierror)          TransientError ``sftp_unreachable``
refused / unreachable / no route       TransientError ``sftp_unreachable``
EOFError, reset, broken pipe, closed   TransientError ``sftp_connection_dropped``
other SSHException                     TransientError ``sftp_protocol``
remote ENOENT while listing            ConfigError ``sftp_folder_missing``
remote ENOENT while archiving          ConfigError ``sftp_archive_missing``
remote EACCES                          ConfigError ``sftp_permission_denied``
other OSError / SFTPError              TransientError ``sftp_io``
anything else                          TransientError ``sftp_unexpected``
=====================================  ==============================================
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterator

import paramiko
from paramiko.pkey import UnknownKeyType
from paramiko.sftp import SFTPError
from paramiko.ssh_exception import IncompatiblePeer

from connector.errors import AuthError, ConfigError, ConnectorError, TransientError


@contextlib.contextmanager
def sftp_errors(action: str, where: str) -> Iterator[None]:
    """Run a block of paramiko calls; re-raise any failure as a ConnectorError.

    Args:
        action: what the block does (``connect``, ``load_key``, ``list``, ``download`` …).
        where: ``host:port`` or ``host:port/path`` for the message (never credentials).
    """
    try:
        yield
    except ConnectorError:
        raise
    except Exception as exc:  # the boundary: nothing foreign may escape it
        raise translate(exc, action, where) from exc


def translate(exc: BaseException, action: str, where: str) -> ConnectorError:
    """The connector error for a paramiko / socket / OS exception raised during ``action``."""
    context = {"sftp": where, "action": action, "cause": type(exc).__name__}
    kind = type(exc).__name__
    if isinstance(exc, paramiko.PasswordRequiredException) and action == "load_key":
        return ConfigError("the SFTP private key is encrypted: set private_key_passphrase",
                           code="sftp_key_locked", context=context)  # fmt: skip
    if isinstance(exc, paramiko.BadHostKeyException):
        return AuthError(f"SFTP server {where} presented a different host key than expected",
                         code="sftp_host_key_changed", context=context)  # fmt: skip
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthError(
            f"SFTP server {where} refused the login ({kind}): check username, password or "
            "private_key_file, and that the clearinghouse has our public key",
            code="sftp_auth_failed", context=context,
        )  # fmt: skip
    if isinstance(exc, IncompatiblePeer):
        return ConfigError(f"SFTP server {where} offers no algorithm we accept: {exc}",
                           code="sftp_incompatible", context=context)  # fmt: skip
    if action == "load_key" and isinstance(
        exc, OSError | ValueError | TypeError | paramiko.SSHException | UnknownKeyType
    ):
        return ConfigError(
            f"cannot use the SFTP private key file ({kind}): check the path, its permissions, "
            "its format (OpenSSH or PEM) and private_key_passphrase",
            code="sftp_key_invalid", context=context,
        )  # fmt: skip
    if isinstance(exc, socket.timeout | TimeoutError):
        return TransientError(f"SFTP server {where} timed out during {action}",
                              code="sftp_timeout", context=context)  # fmt: skip
    if isinstance(exc, socket.gaierror):
        return TransientError(f"cannot resolve the SFTP host name in {where}",
                              code="sftp_unreachable", context=context)  # fmt: skip
    if isinstance(exc, EOFError | ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return TransientError(f"the connection to SFTP server {where} dropped during {action}",
                              code="sftp_connection_dropped", context=context)  # fmt: skip
    if isinstance(exc, ConnectionRefusedError | paramiko.ssh_exception.NoValidConnectionsError):
        return TransientError(f"SFTP server {where} refused the connection",
                              code="sftp_unreachable", context=context)  # fmt: skip
    if isinstance(exc, paramiko.SSHException):
        dropped = "dropped" in str(exc).lower() or "closed" in str(exc).lower()
        return TransientError(
            f"SSH {'connection dropped' if dropped else 'protocol error'} with {where} during "
            f"{action}: {kind}",
            code="sftp_connection_dropped" if dropped else "sftp_protocol", context=context,
        )  # fmt: skip
    if isinstance(exc, OSError):
        number = exc.errno
        if number in (errno.EACCES, errno.EPERM):
            return ConfigError(f"SFTP server {where}: permission denied during {action}",
                               code="sftp_permission_denied", context=context)  # fmt: skip
        if number == errno.ENOENT and action == "list":
            return ConfigError(f"the remote folder {where} does not exist",
                               code="sftp_folder_missing", context=context)  # fmt: skip
        if number == errno.ENOENT and action == "archive":
            return ConfigError(f"the remote archive_path folder is missing at {where}",
                               code="sftp_archive_missing", context=context)  # fmt: skip
        if number is None and "closed" in str(exc).lower():  # paramiko: "Socket is closed"
            return TransientError(f"the connection to SFTP server {where} dropped during {action}",
                                  code="sftp_connection_dropped", context=context)  # fmt: skip
        if number in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED):
            return TransientError(f"SFTP server {where} is unreachable",
                                  code="sftp_unreachable", context=context)  # fmt: skip
        return TransientError(f"SFTP {action} failed at {where}: {kind} {exc.strerror or ''}",
                              code="sftp_io", context=context)  # fmt: skip
    if isinstance(exc, SFTPError):
        return TransientError(f"SFTP {action} failed at {where}: {kind}",
                              code="sftp_io", context=context)  # fmt: skip
    return TransientError(f"unexpected {kind} during SFTP {action} at {where}",
                          code="sftp_unexpected", context=context)  # fmt: skip
