"""A real PostgreSQL server for tests: initdb into a temporary folder, loopback only.

The server listens on 127.0.0.1 on a free port with its Unix socket in the same temporary
folder, requires a password over TCP (scram-sha-256) so URLs carry a real secret, and is
stopped and deleted at the end of the session. As root, ``initdb`` and ``pg_ctl`` run as the
``postgres`` system user (PostgreSQL refuses to run as root); otherwise as the current user.

Each test gets its own database, created from a migrated template (fast), so tests never see
each other's rows; the history table's append-only triggers make truncating impossible anyway.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BIN_DIRS = [Path(os.environ.get("CONNECTOR_PG_BIN", "/usr/lib/postgresql/15/bin"))]
BIN_DIRS += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throw-away PostgreSQL cluster."""

    bin_dir: Path
    root: Path
    port: int = field(default_factory=_free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    run_as: str | None = None
    durable: bool = False
    _counter: int = 0

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for the superuser, with the password, over TCP loopback."""
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        self._own(pwfile)
        subprocess.run(
            self._cmd(
                str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                "--pwfile", str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256",
                "-E", "UTF8", "--no-sync", "--locale=C",
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        pwfile.unlink()
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
        options += " -c max_connections=200"
        if not self.durable:  # tests need speed, not crash safety; benchmarks keep the defaults
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            self._cmd(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l",
                str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start",
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        self._wait_ready()

    def _own(self, path: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start; see " + str(self.root / "server.log"))

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        subprocess.run(
            self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "stop"),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser in autocommit mode."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql.encode())

    def new_database(self, template: str = "template0") -> str:
        """Create a fresh database (from ``template``) and return its URL."""
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


def start_server(*, durable: bool = False) -> PostgresServer:
    """Start a server (skipping the calling test when PostgreSQL is not installed).

    ``durable=True`` keeps PostgreSQL's crash-safety defaults (fsync, synchronous commit), as
    benchmarks need; tests turn them off for speed.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' system user to run initdb")
        run_as = SUPERUSER
    root = Path(tempfile.mkdtemp(prefix="connector-pg-"))
    server = PostgresServer(bin_dir=bin_dir, root=root, run_as=run_as, durable=durable)
    server._own(root)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session."""
    server = start_server()
    yield server
    server.stop()


TEMPLATE = "connector_template"


@pytest.fixture(scope="session")
def pg_template(postgres_server: PostgresServer) -> str:
    """A database migrated once by the real store; each test's database is a copy of it."""
    from connector.store import open_store

    postgres_server.execute(f'CREATE DATABASE "{TEMPLATE}" TEMPLATE template0')
    store = open_store(postgres_server.url(TEMPLATE))
    store.close()
    return TEMPLATE


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, pg_template: str) -> str:
    """The URL (with password) of a new, migrated, empty database for this test."""
    return postgres_server.new_database(template=pg_template)
