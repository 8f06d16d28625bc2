"""A real OpenSSH ``sshd`` on 127.0.0.1 for SFTP tests, started from a temporary directory.

The fixture generates a temporary host key pair (ed25519 and RSA) and a temporary user key,
writes an ``sshd_config`` with ``Subsystem sftp internal-sftp`` and ``ForceCommand
internal-sftp``, and runs ``/usr/sbin/sshd -D -e -f <config>`` on a free port.

Users:

* As root, when mount namespaces are available (``unshare --mount``), sshd runs in a private
  mount namespace where temporary copies of ``/etc/passwd`` and ``/etc/shadow`` are
  bind-mounted. They add a user ``erasftp`` (uid 0, so the test folders stay readable) with a
  known password; the host's own files are never changed. Key **and** password logins work.
* Otherwise sshd runs as the current user and only that user can log in, with the key
  (``password`` is then ``None`` and password tests skip).

Remote paths are absolute paths inside ``root`` (no chroot: OpenSSH refuses a chroot under
``/tmp``, whose mode is 1777). :meth:`SshdServer.kill_sessions` kills every per-connection
sshd process — a connection dropped mid-transfer — while the listener keeps running.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
TEST_USER = "erasftp"
TEST_PASSWORD = "era-sftp-test-pw"  # a throwaway password for a throwaway server


@dataclass
class SshdServer:
    """A running sshd and everything a client needs to reach it."""

    host: str
    port: int
    username: str
    password: str | None
    client_key: Path
    known_hosts: Path
    host_keys: dict[str, Path]  # key type ("ed25519", "rsa") → public key file
    root: Path
    process: subprocess.Popen[bytes]
    log_file: Path

    def fingerprint(self, key_type: str = "ed25519") -> str:
        """``SHA256:…`` of one host key, as ``ssh-keygen -lf`` prints it."""
        out = subprocess.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", str(self.host_keys[key_type])],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        return out.split()[1]

    def known_hosts_line(self, key_type: str = "ed25519") -> str:
        """A known_hosts line for this server's key of ``key_type``."""
        public = self.host_keys[key_type].read_text().split()
        return f"[{self.host}]:{self.port} {public[0]} {public[1]}\n"

    def folder(self, name: str) -> Path:
        """A fresh remote folder (absolute path on the server) for one test."""
        path = self.root / "remote" / name
        path.mkdir(parents=True, exist_ok=False)
        return path

    def session_pids(self) -> list[int]:
        """Process ids of every sshd process below the listener (one set per connection)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        found: list[int] = []
        todo = list(children.get(self.process.pid, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def kill_sessions(self) -> int:
        """SIGKILL every connection's sshd processes (the listener survives); return how many."""
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)


def _keygen(path: Path, key_type: str) -> None:
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", "era-test", "-f", str(path)]
    if key_type == "rsa":
        args[4:4] = ["-b", "2048"]
    subprocess.run(args, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _namespaces_usable() -> bool:
    needed = ("unshare", "mount", "openssl")
    if os.geteuid() != 0 or any(shutil.which(tool) is None for tool in needed):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, check=False)  # fmt: skip
    return probe.returncode == 0


def _password_hash(password: str) -> str:
    return subprocess.run(
        ["openssl", "passwd", "-6", "-salt", "erasftptest", password],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}: {log_file.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not start listening: {log_file.read_text()}")


def start_sshd(base: Path) -> SshdServer:
    """Generate keys and configuration under ``base`` and start sshd; the caller stops it."""
    base.mkdir(parents=True, exist_ok=True)
    host_keys = {}
    for key_type in ("ed25519", "rsa"):
        _keygen(base / f"ssh_host_{key_type}_key", key_type)
        host_keys[key_type] = base / f"ssh_host_{key_type}_key.pub"
    client_key = base / "client_key"
    _keygen(client_key, "ed25519")
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    (base / "remote").mkdir()
    port = _free_port()
    isolated = _namespaces_usable()
    username = TEST_USER if isolated else getpass.getuser()
    config = base / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {base / 'ssh_host_ed25519_key'}\n"
        f"HostKey {base / 'ssh_host_rsa_key'}\n"
        f"PidFile {base / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\n"
        "StrictModes no\nUsePAM no\nPermitRootLogin yes\n"
        f"PasswordAuthentication {'yes' if isolated else 'no'}\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        f"AllowUsers {username}\n"
        "Subsystem sftp internal-sftp\nForceCommand internal-sftp\n"
        "LogLevel VERBOSE\nMaxStartups 50\n"
    )
    command = [str(SSHD), "-D", "-e", "-f", str(config)]
    if isolated:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        passwd, shadow = base / "passwd", base / "shadow"
        passwd.write_text(
            Path("/etc/passwd").read_text() + f"{TEST_USER}:x:0:0:ERA test:{base}:/bin/sh\n"
        )
        shadow.write_text(
            Path("/etc/shadow").read_text()
            + f"{TEST_USER}:{_password_hash(TEST_PASSWORD)}:19000:0:99999:7:::\n"
        )
        shadow.chmod(0o600)
        script = (
            'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && shift 2 && exec "$@"'
        )
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                   str(passwd), str(shadow), *command]  # fmt: skip
    log_file = base / "sshd.log"
    with log_file.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(proc, port, log_file)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    known_hosts = base / "known_hosts"
    server = SshdServer(
        host="127.0.0.1", port=port, username=username,
        password=TEST_PASSWORD if isolated else None, client_key=client_key,
        known_hosts=known_hosts, host_keys=host_keys, root=base, process=proc, log_file=log_file,
    )  # fmt: skip
    known_hosts.write_text(server.known_hosts_line("ed25519"))
    return server


def stop_sshd(server: SshdServer) -> None:
    """Stop the listener and any session still running."""
    server.kill_sessions()
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    """One real OpenSSH server for the whole session (tests use their own remote folders)."""
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH server not installed (make system-deps installs openssh-server)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        stop_sshd(server)
