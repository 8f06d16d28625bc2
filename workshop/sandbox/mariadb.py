"""A real MariaDB server on loopback, from its own data directory (demo, tests, benchmarks).

:class:`MariaDBServer` initialises a data directory, starts ``mariadbd`` bound to 127.0.0.1 (a
free port, or a fixed one), and :meth:`MariaDBServer.create_database` makes a database with a
read-write and a SELECT-only user. The server is found on ``PATH`` and in ``/usr/sbin``
(Debian's ``mariadb-server``); :class:`MariaDBUnavailable` says when it is absent. The sandbox
environment (``make demo``) and the tests' ``mariadb_server`` fixture
(``tests/support/mariadb.py``) both use it.

Set ``MARIADB_KEEP=1`` to keep the data directory after :meth:`MariaDBServer.stop` for debugging.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyodbc

START_TIMEOUT = float(os.environ.get("MARIADB_START_TIMEOUT", "120"))
ODBC_DRIVER_FALLBACK = "MariaDB Unicode"


class MariaDBUnavailable(RuntimeError):
    """The MariaDB server binaries or the ODBC driver are not installed."""


def _which(*names: str) -> str | None:
    for name in names:
        for folder in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/usr/bin"):
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def server_installed() -> bool:
    """True when the MariaDB server binaries are on this machine."""
    return bool(_which("mariadbd", "mysqld") and _which("mariadb-install-db", "mysql_install_db"))


def odbc_driver_name() -> str:
    """The MariaDB ODBC driver's name as registered in odbcinst.ini."""
    override = os.environ.get("MARIADB_ODBC_DRIVER")
    if override:
        return override
    for ini in (Path("/etc/odbcinst.ini"), Path("/usr/local/etc/odbcinst.ini")):
        if not ini.is_file():
            continue
        for raw in ini.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if line.startswith("[") and line.endswith("]") and "mariadb" in line.lower():
                return line[1:-1]
    return ODBC_DRIVER_FALLBACK


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class DatabaseUsers:
    """Connection strings of one database: admin (everything), read-write, SELECT-only."""

    name: str
    admin: str
    read_write: str
    read_only: str
    read_write_user: str
    read_only_user: str


class MariaDBServer:
    """One mariadbd process on 127.0.0.1 with its own data directory.

    Args:
        base_dir: where the data directory, socket and log go (default: a new temp folder);
            removed by :meth:`stop`.
        port: the TCP port (0 picks a free one).
    """

    def __init__(self, base_dir: Path | None = None, *, port: int = 0) -> None:
        self.mariadbd = _which("mariadbd", "mysqld")
        self.install_db = _which("mariadb-install-db", "mysql_install_db")
        if not self.mariadbd or not self.install_db:
            raise MariaDBUnavailable("mariadb-server is not installed (mariadbd not found)")
        self.dir = Path(base_dir or tempfile.mkdtemp(prefix="mariadb-test-"))
        self.datadir = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.log = self.dir / "error.log"
        self.port = port or free_port()
        self.root_password = secrets.token_hex(12)
        self.driver = odbc_driver_name()
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Initialise the data directory (first start only), start the server, wait until it
        answers. After ``stop(keep_data=True)`` it starts again on the same data and port."""
        assert self.mariadbd
        user = ["--user=root"] if os.geteuid() == 0 else []
        if not (self.datadir / "mysql").is_dir():
            self._install(user)
        init_file = self.dir / "init.sql"
        init_file.write_text(
            f"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '{self.root_password}';\n"
            f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{self.root_password}';\n"
            "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n"
            f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{self.root_password}';\n"
            "FLUSH PRIVILEGES;\n",
            encoding="utf-8",
        )
        # the binary comes from PATH or /usr/sbin and every argument is built here
        self._proc = subprocess.Popen(  # noqa: S603
            [self.mariadbd, "--no-defaults", f"--datadir={self.datadir}",
             f"--socket={self.socket}", "--bind-address=127.0.0.1", f"--port={self.port}",
             f"--pid-file={self.dir / 'mysqld.pid'}", f"--log-error={self.log}",
             f"--init-file={init_file}", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
             "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin", "--max-connections=200",
             "--character-set-server=utf8mb4",
             "--sql-mode=STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION",
             *user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_ready()

    def _install(self, user: list[str]) -> None:
        """Initialise an empty data directory (``mariadb-install-db``)."""
        assert self.install_db
        self.datadir.mkdir(parents=True, exist_ok=True)
        # the binaries come from PATH or /usr/sbin and every argument is built here
        init = subprocess.run(  # noqa: S603
            [self.install_db, "--no-defaults", f"--datadir={self.datadir}",
             "--auth-root-authentication-method=normal", "--skip-test-db", *user],
            capture_output=True, timeout=START_TIMEOUT, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(
                "mariadb-install-db failed:\n"
                + init.stdout.decode()[-2000:]
                + init.stderr.decode()[-2000:]
            )

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"mariadbd exited with status {self._proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                conn = pyodbc.connect(self.admin_connection_string(), autocommit=True, timeout=5)
                conn.close()
                return
            except (OSError, pyodbc.Error) as exc:
                last = exc
                time.sleep(0.2)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(
            f"mariadbd did not answer on 127.0.0.1:{self.port} within {START_TIMEOUT:.0f}s "
            f"(last error: {last}):\n{tail}"
        )

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s) and remove its directory, unless
        ``keep_data`` (a later :meth:`start` resumes it, like a restarted database server)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if not keep_data and not os.environ.get("MARIADB_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's error log."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- connections ----------------------------------------------------------------------
    def connection_string(self, user: str, password: str, database: str | None = None) -> str:
        """An ODBC connection string for ``user`` over TCP on loopback."""
        parts = [
            f"DRIVER={{{self.driver}}}", "SERVER=127.0.0.1", f"PORT={self.port}",
            f"UID={user}", f"PWD={password}", "CHARSET=utf8mb4",
        ]  # fmt: skip
        if database:
            parts.append(f"DATABASE={database}")
        return ";".join(parts) + ";"

    def admin_connection_string(self, database: str | None = None) -> str:
        """Connection string of the server's root account (tests only)."""
        return self.connection_string("root", self.root_password, database)

    def execute(self, sql: str, params: tuple[Any, ...] = (), database: str | None = None) -> None:
        """Run one statement as root."""
        conn = pyodbc.connect(self.admin_connection_string(database), autocommit=True)
        try:
            conn.cursor().execute(sql, params)
        finally:
            conn.close()

    def create_database(self, name: str) -> DatabaseUsers:
        """Create database ``name`` with a read-write user and a SELECT-only user."""
        rw_user, ro_user = f"{name}_rw"[:32], f"{name}_ro"[:32]
        rw_pw, ro_pw = secrets.token_hex(10), secrets.token_hex(10)
        for sql in (
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
            f"CREATE USER '{rw_user}'@'127.0.0.1' IDENTIFIED BY '{rw_pw}'",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{name}`.* TO '{rw_user}'@'127.0.0.1'",
            f"CREATE USER '{ro_user}'@'127.0.0.1' IDENTIFIED BY '{ro_pw}'",
            f"GRANT SELECT ON `{name}`.* TO '{ro_user}'@'127.0.0.1'",
        ):
            self.execute(sql)
        return DatabaseUsers(
            name=name,
            admin=self.admin_connection_string(name),
            read_write=self.connection_string(rw_user, rw_pw, name),
            read_only=self.connection_string(ro_user, ro_pw, name),
            read_write_user=rw_user,
            read_only_user=ro_user,
        )


@contextlib.contextmanager
def running_server() -> Iterator[MariaDBServer]:
    """Start a server for the duration of the block (benchmarks and scripts)."""
    server = MariaDBServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
