"""Fixtures: one sandbox world per session (MariaDB, the Open Dental API double, Eaglesoft,
Stripe, sshd), reset for each test; and the reference outcome of a clean run."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.world import PRACTICES, World, eaglesoft_file
from tests.support.sshd import SSHD, SshdServer, start_sshd, stop_sshd
from workshop.sandbox.environment import SandboxEnvironment
from workshop.sandbox.mariadb import MariaDBUnavailable

SOAK = bool(os.environ.get("SOAK"))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxEnvironment, Path]]:
    """The sandbox environment (session) and a copy of its Eaglesoft database as seeded."""
    work = tmp_path_factory.mktemp("reliability-sandbox")
    try:
        env = SandboxEnvironment(work / "env", practices=PRACTICES)
        env.start()
    except MariaDBUnavailable as exc:
        pytest.skip(str(exc))
    seed = work / "eaglesoft-seed.db"
    shutil.copy2(eaglesoft_file(env), seed)
    try:
        yield env, seed
    finally:
        env.stop()


@pytest.fixture(scope="session")
def sftp_server() -> Iterator[SshdServer | None]:
    """A real sshd for riverside's ERAs, or None when OpenSSH is not installed (then the
    ERAs come from a folder and the SFTP kill point is not exercised)."""
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="reliability-sshd-"))
    server = start_sshd(base / "sshd")
    try:
        yield server
    finally:
        stop_sshd(server)
        shutil.rmtree(base, ignore_errors=True)


def ensure_up(env: SandboxEnvironment) -> None:
    """Bring back any component an earlier test stopped."""
    env.start_component("mariadb")
    env.start_component("opendental_api")
    assert env.stripe is not None
    host, port = env.stripe.url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        env.start_component("stripe")


def make_world(sandbox: tuple[SandboxEnvironment, Path], root: Path,
               sftp: SshdServer | None) -> World:  # fmt: skip
    """A world on the shared sandbox with every component up and the data reset."""
    env, seed = sandbox
    ensure_up(env)
    world = World(env, root, seed, sftp=sftp)
    world.reset()
    return world


@pytest.fixture(scope="session")
def reference(
    sandbox: tuple[SandboxEnvironment, Path],
    sftp_server: SshdServer | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """What a clean run leaves in the store and the ledgers (the verdict's yardstick)."""
    world = make_world(sandbox, tmp_path_factory.mktemp("reference"), sftp_server)
    runs = world.settle()
    assert runs[-1].returncode == 0 and not world.open_items(), runs[-1].stdout
    snapshot = world.snapshot()
    assert world.half_written() == [] and world.duplicates() == []
    return snapshot


@pytest.fixture
def world(
    sandbox: tuple[SandboxEnvironment, Path],
    sftp_server: SshdServer | None,
    tmp_path: Path,
) -> World:
    """A freshly reset world for one test."""
    return make_world(sandbox, tmp_path, sftp_server)
