"""Where the Dentrix ODBC connection string comes from, and opening a set-up connection.

Two providers:

* :class:`DdpConnectionProvider` — Windows with the Dentrix Developer Program: load
  ``Dentrix.API.dll`` (stdcall, ANSI strings) [V-code], ``DENTRIXAPI_RegisterUser(keyfile)``
  (G6.2+) then ``DENTRIXAPI_GetConnectionString(user, pwd, buf, 512)`` [V-code]. The library
  object is injectable so the calls are tested without Windows.
* :class:`StaticConnectionProvider` — a plain ODBC connection string or DSN from the config
  (also how the emulated database is reached).

Unverified: the DDP only accepts calls from a code-signed executable registered with Henry
Schein [V-code README]; a plain ``python.exe`` most likely gets return code 8 [I].
"""

from __future__ import annotations

import ctypes
import importlib
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyodbc

from adapters.dentrix.dialect import DentrixDialect, for_connection_string
from adapters.dentrix.errors import translating
from connector.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError
from connector.redaction import Redactor

CONNECTION_STRING_BUFFER = 512  # [V-code] every sample passes a 512-byte buffer
DEFAULT_DLL = Path(r"C:\Program Files (x86)\Dentrix\Dentrix.API.dll")  # [V-code] default dir
_REGISTRY_KEY = r"Software\Dentrix Dental Systems, Inc.\Dentrix\General"  # [V-code]

# DENTRIXAPI_RegisterUser return codes and the DDP's own words for them [V-code].
REGISTER_MESSAGES: dict[int, str] = {
    0: "success",
    1: "user cancelled authorization",
    2: "invalid authorization request",
    3: "invalid authorization file",
    4: "unable to connect to the database",
    5: "local administrator rights could not be secured",
    6: "user insertion failed",
    7: "user access revoked",
    8: "invalid certificate",
    9: "database is in exclusive mode",
    -1: "general failure to load local requirements",
}


class DdpLibrary(Protocol):
    """The two ``Dentrix.API.dll`` functions we call (a ctypes ``WinDLL`` or a test fake)."""

    def DENTRIXAPI_RegisterUser(self, key_file: bytes) -> int:
        """Register the DDP key file; 0 on success, see :data:`REGISTER_MESSAGES`."""

    def DENTRIXAPI_GetConnectionString(
        self, user: bytes, password: bytes, buffer: Any, size: int
    ) -> None:
        """Fill ``buffer`` with the ODBC connection string (empty when refused)."""


def register_error(code: int) -> ConnectorError:
    """The connector error for a non-zero ``DENTRIXAPI_RegisterUser`` return code."""
    ddp = REGISTER_MESSAGES.get(code, "unknown return code")
    said = f"Dentrix API RegisterUser returned {code} ({ddp})"
    context = {"ddp_code": code, "vendor": "dentrix"}
    if code == 9:
        return TransientError(
            f"{said}: someone is running a Dentrix utility in exclusive mode; will retry later",
            code="dentrix_exclusive_mode",
            context=context,
        )
    if code == 7:
        return AuthError(
            f"{said}: Henry Schein revoked this DDP user's access. Ask the DDP for a new key "
            "file and credentials, then update pms.ddp.key_file, user and password",
            code="dentrix_access_revoked",
            context=context,
        )
    if code == 8:
        return AuthError(
            f"{said}: the connector's executable is not signed with a certificate registered "
            "with the Dentrix Developer Program. Run the signed connector build (or the signed "
            "DDP helper) and register its certificate in the DDP portal",
            code="dentrix_invalid_certificate",
            context=context,
        )
    if code == 4:
        return TransientError(
            f"{said}: the Dentrix database server is not reachable; will retry later",
            code="dentrix_unreachable",
            context=context,
        )
    if code in (1, 2, 3, 5, 6, -1):
        fix = {
            1: "approve the connector when Dentrix asks (run it once interactively)",
            2: "check pms.ddp.key_file is this practice's .dtxkey file",
            3: "check pms.ddp.key_file points to an unmodified .dtxkey file",
            5: "run the connector service once as a local administrator",
            6: "check the DDP user name; Dentrix could not add it",
            -1: "install the connector on a workstation with Dentrix G6.2 or later (32-bit)",
        }[code]
        return ConfigError(f"{said}: {fix}", code="dentrix_ddp_config", context=context)
    return PermanentError(f"{said}", code="dentrix_ddp_failed", context=context)


@dataclass
class StaticConnectionProvider:
    """A connection string (or ``DSN=…``) given in the configuration."""

    connection_string: str

    def get(self) -> str:
        """The ODBC connection string."""
        return self.connection_string


class DdpConnectionProvider:
    """Ask ``Dentrix.API.dll`` for the connection string, once per provider.

    Args:
        key_file: the practice's ``.dtxkey`` file.
        user, password: DDP credentials.
        library: the loaded DLL; by default :func:`load_library` on Windows.
        encoding: the DLL takes ANSI strings (the Windows code page) [V-code].
    """

    def __init__(
        self,
        key_file: Path,
        user: str,
        password: str,
        *,
        library: DdpLibrary | None = None,
        dll_path: Path | None = None,
        encoding: str = "cp1252",
    ) -> None:
        self.key_file = key_file
        self._user = user
        self._password = password
        self._library = library
        self._dll_path = dll_path
        self._encoding = encoding
        self._cached: str | None = None

    def get(self) -> str:
        """Register the key file and return the ODBC connection string.

        Raises:
            TransientError: exclusive mode (9) or database unreachable (4).
            AuthError: access revoked (7) or invalid certificate (8).
            ConfigError: other registration failures, or no connection string returned.
        """
        if self._cached is not None:
            return self._cached
        library = self._library or load_library(self._dll_path)
        try:
            code = int(library.DENTRIXAPI_RegisterUser(self._bytes(str(self.key_file))))
        except OSError as exc:  # a DLL crash surfaces as OSError (access violation)
            raise ConfigError(f"Dentrix API RegisterUser crashed: {exc.strerror}") from exc
        if code != 0:
            raise register_error(code)
        buffer = ctypes.create_string_buffer(CONNECTION_STRING_BUFFER)
        try:
            library.DENTRIXAPI_GetConnectionString(
                self._bytes(self._user),
                self._bytes(self._password),
                buffer,
                CONNECTION_STRING_BUFFER,
            )
        except OSError as exc:
            raise ConfigError(f"Dentrix API GetConnectionString crashed: {exc.strerror}") from exc
        text = buffer.value.decode(self._encoding, errors="replace").strip()
        if not text:
            raise AuthError(
                "Dentrix API GetConnectionString returned nothing: the DDP user or password "
                "was refused. Check pms.ddp.user and pms.ddp.password",
                code="dentrix_ddp_credentials",
            )
        self._cached = text
        return text

    def _bytes(self, text: str) -> bytes:
        try:
            return text.encode(self._encoding)
        except UnicodeEncodeError as exc:
            raise ConfigError(
                f"a DDP setting contains characters the Dentrix API cannot take ({self._encoding})"
            ) from exc


def on_windows() -> bool:
    """True on Windows (a function, so type checkers on Linux still check the Windows code)."""
    return sys.platform == "win32"


def default_dll_path() -> Path:
    """``ExePath`` from the Dentrix registry key (HKCU, then HKLM), else the default folder."""
    if not on_windows():
        return DEFAULT_DLL
    winreg: Any = importlib.import_module("winreg")  # Windows only; typed Any for Linux checks

    for hive in (winreg.HKEY_CURRENT_USER, winreg.HKEY_LOCAL_MACHINE):
        try:
            with winreg.OpenKey(
                hive, _REGISTRY_KEY, 0, winreg.KEY_READ | winreg.KEY_WOW64_32KEY
            ) as key:
                exe_path, _ = winreg.QueryValueEx(key, "ExePath")
                return Path(str(exe_path)) / "Dentrix.API.dll"
        except OSError:
            continue
    return DEFAULT_DLL


def load_library(dll_path: Path | None = None) -> DdpLibrary:
    """Load ``Dentrix.API.dll`` with stdcall prototypes (Windows only).

    Raises:
        ConfigError: not on Windows, or the DLL cannot be loaded (wrong bitness, not installed).
    """
    if not on_windows():
        raise ConfigError(
            "pms.ddp needs Windows with Dentrix installed (Dentrix.API.dll); on other systems "
            "give pms.odbc.connection_string instead"
        )
    path = dll_path or default_dll_path()
    loader: Callable[[str], Any] = getattr(ctypes, "WinDLL")  # noqa: B009 (Windows-only name)
    try:
        lib = loader(str(path))
    except OSError as exc:
        raise ConfigError(
            f"cannot load {path}: {exc.strerror}; the Dentrix API is 32-bit, so the connector "
            "must run as a 32-bit process"
        ) from exc
    lib.DENTRIXAPI_RegisterUser.argtypes = [ctypes.c_char_p]
    lib.DENTRIXAPI_RegisterUser.restype = ctypes.c_int
    lib.DENTRIXAPI_GetConnectionString.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_int,
    ]
    lib.DENTRIXAPI_GetConnectionString.restype = None
    library: DdpLibrary = lib
    return library


class ConnectionProvider(Protocol):
    """Anything that yields the ODBC connection string."""

    def get(self) -> str:
        """The ODBC connection string (may raise our errors)."""


class DentrixConnector:
    """Opens set-up connections and knows the dialect and error guard that go with them.

    Args:
        provider: where the connection string comes from.
        connect: ``pyodbc.connect`` (injectable for tests that need a special connection).
        timeout_s: login timeout.
        dialect: force a dialect (tests); by default chosen from the connection string.
    """

    def __init__(
        self,
        provider: ConnectionProvider,
        *,
        connect: Callable[..., Any] | None = None,
        timeout_s: int = 30,
        dialect: DentrixDialect | None = None,
    ) -> None:
        self.provider = provider
        self._connect = connect
        self.timeout_s = timeout_s
        self._dialect = dialect

    @property
    def dialect(self) -> DentrixDialect:
        """The engine's dialect (asks the provider for the connection string once)."""
        if self._dialect is None:
            self._dialect = for_connection_string(self.provider.get())
        return self._dialect

    def guard(self, operation: str) -> AbstractContextManager[None]:
        """The error translator for ``operation``."""
        return translating(self.dialect, operation)

    def open(self) -> Any:
        """A new connection with autocommit off and the dialect's session set-up done."""
        conn_str = self.provider.get()
        dialect = self.dialect
        connect = self._connect or _pyodbc_connect
        with translating(dialect, "connect"):
            conn = connect(conn_str, autocommit=False, timeout=self.timeout_s)
            cursor = conn.cursor()
            for sql, params in dialect.session_setup():
                cursor.execute(sql, *params)
            cursor.close()
            conn.commit()
        return conn


def _pyodbc_connect(conn_str: str, **kwargs: Any) -> Any:
    return pyodbc.connect(conn_str, **kwargs)


def build_connector(settings: Any, *, redactor: Redactor) -> DentrixConnector:
    """The connector for a ``DentrixPms`` section; secrets are registered with ``redactor``.

    Raises:
        ConfigError: neither ``ddp`` nor ``odbc`` is given, or a secret cannot be read.
    """
    provider: ConnectionProvider
    timeout = 30
    if settings.odbc is not None:
        timeout = max(1, int(settings.odbc.timeout.total_seconds()))
    if settings.ddp is not None:
        user, password = settings.ddp.user.get(), settings.ddp.password.get()
        redactor.add_secrets([user, password])
        provider = DdpConnectionProvider(
            settings.ddp.key_file, user, password, dll_path=settings.ddp.dll_path
        )
        return DentrixConnector(_Redacting(provider, redactor), timeout_s=timeout)
    if settings.odbc is None:
        raise ConfigError("pms: Dentrix needs either ddp (Windows) or odbc settings")
    if settings.odbc.connection_string is not None:
        conn_str = settings.odbc.connection_string.get()
    elif settings.odbc.dsn:
        conn_str = f"DSN={settings.odbc.dsn}"
    else:
        raise ConfigError("pms.odbc: give connection_string or dsn")
    redactor.add_secrets([conn_str])
    return DentrixConnector(StaticConnectionProvider(conn_str), timeout_s=timeout)


class _Redacting:
    """Registers the DDP-issued connection string (it holds a password) as a secret."""

    def __init__(self, inner: ConnectionProvider, redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor

    def get(self) -> str:
        """The inner provider's string, registered with the redactor first."""
        text = self._inner.get()
        self._redactor.add_secrets([text, *_password_parts(text)])
        return text


def _password_parts(conn_str: str) -> list[str]:
    parts = [p.split("=", 1) for p in conn_str.split(";") if "=" in p]
    return [v.strip() for k, v in parts if k.strip().lower() in ("pwd", "password")]
