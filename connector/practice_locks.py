"""One process at a time per practice on a SQLite state file: an OS lock per practice.

Two ``connector`` processes on the same SQLite state (the service plus a ``run --once`` started
by hand, or two services) must never work one practice at the same time: each would look in the
PMS, find nothing yet, and post the same payment. PostgreSQL stores share practices through
leases (:mod:`connector.leases`); a SQLite file lives on one host, so the operating system's own
file lock is the simplest correct tool, and it is released by the kernel the moment a process
dies (even by ``kill -9``), so a restart never waits for a lease to expire.

Each practice has a lock file in ``<state file>.locks/`` (folder 0700, files 0600). The holder
writes who it is (host, pid, command, since when) into the file after locking it, so a second
process can say exactly which process holds the practice. POSIX uses ``fcntl.flock``; Windows
uses ``msvcrt.locking`` on one byte far past the holder text so the text stays readable
(the Windows path is unverified: no Windows host in CI).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connector.clock import SYSTEM, Clock
from connector.errors import ConfigError

_WINDOWS_LOCK_OFFSET = 1 << 30  # the byte locked on Windows, far past the holder text


@dataclass(frozen=True)
class Holder:
    """The process that holds a practice, as it described itself (all may be unknown)."""

    pid: int | None
    host: str | None
    command: str | None
    since: str | None

    def describe(self) -> str:
        """``pid 4242 on host srv1 (connector run, since 2026-12-07T10:00:00+00:00)``."""
        if self.pid is None:
            return "another connector process (it has not said which yet)"
        parts = f"pid {self.pid} on host {self.host or '?'}"
        extra = ", ".join(
            x for x in (self.command, f"since {self.since}" if self.since else "") if x
        )
        return f"{parts} ({extra})" if extra else parts


def lock_folder(state_path: Path) -> Path:
    """Where the practice locks of a SQLite state file live."""
    return state_path.with_name(state_path.name + ".locks")


def _file_name(practice_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", practice_id)[:60]
    digest = hashlib.sha256(practice_id.encode("utf-8")).hexdigest()[:10]
    return f"{safe}-{digest}.lock"


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - unverified: no Windows host in CI
        import msvcrt  # noqa: PLC0415

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl  # noqa: PLC0415

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - unverified: no Windows host in CI
        import msvcrt  # noqa: PLC0415

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl  # noqa: PLC0415

    fcntl.flock(fd, fcntl.LOCK_UN)


class PracticeLocks:
    """Cross-process locks, one per practice, for one SQLite state file.

    Args:
        state_path: the SQLite state file.
        command: how this process describes itself to others (e.g. ``connector run --once``).
        clock: the time written as "since".

    Raises:
        ConfigError: the lock folder cannot be created next to the state file.
    """

    def __init__(self, state_path: Path, command: str, *, clock: Clock = SYSTEM) -> None:
        self.folder = lock_folder(state_path)
        self.command = command
        self.clock = clock
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the practice lock folder {self.folder}: {exc.strerror or exc}"
            ) from exc
        self._held: dict[str, int] = {}
        self._mutex = threading.Lock()

    def path(self, practice_id: str) -> Path:
        """The lock file of one practice."""
        return self.folder / _file_name(practice_id)

    def holds(self, practice_id: str) -> bool:
        """Whether this process holds the practice now."""
        with self._mutex:
            return practice_id in self._held

    def try_acquire(self, practice_id: str) -> Holder | None:
        """Lock the practice without waiting: None when this process now holds it, else who does.

        Raises:
            ConfigError: the lock file cannot be opened (permissions).
        """
        with self._mutex:
            if practice_id in self._held:
                return None
            path = self.path(practice_id)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise ConfigError(
                    f"cannot open the practice lock {path}: {exc.strerror or exc}"
                ) from exc
            if not _try_lock(fd):
                os.close(fd)
                return read_holder(path)
            text = json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "command": self.command,
                    "since": self.clock.now().isoformat(timespec="seconds"),
                }
            ).encode("utf-8")
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, text)
            self._held[practice_id] = fd
            return None

    def acquire(
        self,
        practice_id: str,
        *,
        wait: float,
        stop: threading.Event,
        on_wait: Callable[[Holder], None] | None = None,
    ) -> Holder | None:
        """Lock the practice, waiting up to ``wait`` seconds for its turn (stops early when
        ``stop`` is set); None when held by this process now, else the holder at the end.
        ``on_wait`` is called once when the practice is found busy."""
        deadline = self.clock.monotonic() + wait
        holder = self.try_acquire(practice_id)
        if holder is not None and on_wait is not None and wait > 0:
            on_wait(holder)
        while holder is not None and not stop.is_set():
            left = deadline - self.clock.monotonic()
            if left <= 0:
                break
            stop.wait(min(0.5, left))
            holder = self.try_acquire(practice_id)
        return holder

    def release(self, practice_id: str) -> None:
        """Give the practice back (nothing when not held)."""
        with self._mutex:
            fd = self._held.pop(practice_id, None)
            if fd is None:
                return
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # no stale holder text for the next reader
            try:
                _unlock(fd)
            finally:
                os.close(fd)

    def release_all(self) -> None:
        """Give every practice back."""
        for practice_id in list(self._held):
            self.release(practice_id)


def read_holder(path: Path) -> Holder:
    """Who holds a practice lock, from the text its holder wrote (unknown fields as None)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    pid = data.get("pid")
    return Holder(
        pid=pid if isinstance(pid, int) else None,
        host=str(data["host"]) if data.get("host") else None,
        command=str(data["command"]) if data.get("command") else None,
        since=str(data["since"]) if data.get("since") else None,
    )
