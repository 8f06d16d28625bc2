"""A local folder of 835 files: take each file once it is complete, then file it away.

Life of a file::

    inbox/ERA123.835 ──(stable for stable_for)──► parsed ──► processed/ERA123.835
                                                    └──(ParseError)──► quarantine/ERA123.835
                                                                       quarantine/ERA123.835.error.json

* **Stable.** A file is taken only when nothing has changed it for ``stable_for``. On first
  sight its age is read on the *file system's* clock: the newest of its mtime and ctime
  (POSIX: a copy that back-dates the mtime still moves the ctime) against the mtime of a probe
  file touched in the work folder (the inbox itself by default), so a share whose server clock
  differs from ours cannot make a half-written file look old. A file too young then, or one
  whose size or mtime this process sees change, waits ``stable_for`` on the injected clock's
  monotonic reading from that moment.
  After hashing, size and mtime are checked again; a file that moved meanwhile waits.
* **Dedupe by content.** The sha256 of every processed file is appended to
  ``<work_dir>/.era-index.jsonl``; a file with known content goes straight to ``processed/``
  as a duplicate. (The store dedupes item keys too, so losing the index is harmless.)
* **Never delete, never overwrite.** Files are moved, with a ``-1``, ``-2`` … suffix when the
  name is taken. Hidden files, ``*.part``/``*.tmp`` and ``*.error.json`` are never taken.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.clock import SYSTEM, Clock
from connector.errors import ConfigError, ConnectorError, ParseError
from connector.private_files import private_dir
from connector.sources.era.files import (
    append_line,
    atomic_write_json,
    local_io,
    move_unique,
    sha256_file,
)

PROCESSED = "processed"
QUARANTINE = "quarantine"
INDEX = ".era-index.jsonl"
CLOCK_PROBE = ".connector-clock"  # touched to read the file system's own "now"
_NEVER = ("*.part", "*.tmp", "*.error.json")


@dataclass(frozen=True)
class InboxFile:
    """A complete file in the inbox, hashed and ready to parse."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str

    @property
    def name(self) -> str:
        """The file's name in the inbox."""
        return self.path.name


@dataclass(frozen=True)
class Scan:
    """What one look at the inbox found: files ready to parse, and how many must wait."""

    ready: list[InboxFile]
    waiting: int


class FolderInbox:
    """One inbox folder plus its ``processed/`` and ``quarantine/`` folders.

    Args:
        path: the folder the clearinghouse (or our SFTP download) fills.
        work_dir: where ``processed/``, ``quarantine/`` and the content index live
            (default: inside ``path``).
        stable_for: how long a file must be unchanged before it is taken.
        patterns: file name patterns to take (case-insensitive); ``None`` takes every file.
        clock: the one clock: monotonic seconds for waits, calendar time for records.
    """

    def __init__(
        self,
        path: Path,
        *,
        work_dir: Path | None = None,
        stable_for: dt.timedelta = dt.timedelta(seconds=10),
        patterns: Iterable[str] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.path = path
        self.work_dir = work_dir or path
        self.processed_dir = self.work_dir / PROCESSED
        self.quarantine_dir = self.work_dir / QUARANTINE
        self.index_path = self.work_dir / INDEX
        self.stable_for = stable_for.total_seconds()
        self.patterns = None if patterns is None else tuple(p.lower() for p in patterns)
        self.clock = clock
        self._changes: dict[str, tuple[tuple[int, int], float]] = {}
        self._known: set[str] | None = None

    # -- looking -------------------------------------------------------------------------
    def check(self) -> str:
        """Confirm the inbox exists and we may move files out of it; describe it.

        Raises:
            ConfigError: missing folder, not a folder, or not writable.
        """
        self._require_folder()
        work = self.work_dir
        while not work.exists() and work.parent != work:
            work = work.parent  # created on first use: its nearest existing parent must allow it
        for folder in (self.path, work):
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ConfigError(f"ERA inbox folder {folder} is not writable by the connector")
        waiting = sum(1 for _ in self._candidates())
        return f"folder {self.path}: {waiting} file(s) waiting"

    def scan(self) -> Scan:
        """The files ready to parse (oldest first, hashed) and the number still changing.

        Raises:
            ConfigError: the inbox folder is missing.
            TransientError: the folder cannot be read.
        """
        self._require_folder()
        now = self.clock.monotonic()
        fs_now: list[float] = []  # read once, only when a file is seen for the first time
        ready: list[tuple[int, str, InboxFile]] = []
        waiting = 0
        seen: set[str] = set()
        with local_io("list", self.path):
            candidates = list(self._candidates())
        for path in candidates:
            seen.add(path.name)
            try:
                found = self._ready_file(path, now, fs_now)
            except FileNotFoundError:
                continue  # moved away by someone else since listing
            except PermissionError:
                waiting += 1  # e.g. still locked by its writer on Windows
                continue
            if found is None:
                waiting += 1
            else:
                ready.append((found.mtime_ns, found.name, found))
        for gone in set(self._changes) - seen:
            del self._changes[gone]
        return Scan([entry for _, _, entry in sorted(ready)], waiting)

    def is_known(self, sha256: str) -> bool:
        """True when a file with this content was processed before."""
        return sha256 in self._index()

    # -- filing away ---------------------------------------------------------------------
    def processed(self, entry: InboxFile, *, outcome: str, detail: dict[str, Any]) -> Path:
        """Remember the content, then move the file to ``processed/``; returns its new path."""
        with local_io("index", self.index_path):
            if entry.sha256 not in self._index():
                private_dir(self.work_dir)
                line = {"sha256": entry.sha256, "file": entry.name, "outcome": outcome,
                        "at": self._stamp(), **detail}  # fmt: skip
                append_line(self.index_path, json.dumps(line, sort_keys=True))
                self._index().add(entry.sha256)
        self._changes.pop(entry.name, None)
        with local_io("move to processed/", entry.path):
            return move_unique(entry.path, self.processed_dir)

    def quarantine(self, entry: InboxFile, error: Exception) -> Path:
        """Move the file to ``quarantine/`` and write ``<name>.error.json`` saying why."""
        self._changes.pop(entry.name, None)
        with local_io("move to quarantine/", entry.path):
            target = move_unique(entry.path, self.quarantine_dir)
            atomic_write_json(target.with_name(target.name + ".error.json"),
                              error_record(entry, target, error, self._stamp()))  # fmt: skip
        return target

    # -- internals -----------------------------------------------------------------------
    def _require_folder(self) -> None:
        if not self.path.is_dir():
            raise ConfigError(f"ERA inbox folder {self.path} does not exist or is not a folder")

    def _candidates(self) -> Iterable[Path]:
        for path in self.path.iterdir():
            name = path.name.lower()
            if name.startswith(".") or any(fnmatch.fnmatchcase(name, p) for p in _NEVER):
                continue
            if self.patterns is not None and not any(
                fnmatch.fnmatchcase(name, p) for p in self.patterns
            ):
                continue
            if path.is_file() and not path.is_symlink():
                yield path

    def _ready_file(self, path: Path, now: float, fs_now: list[float]) -> InboxFile | None:
        """``now``: monotonic seconds (our clock); ``fs_now``: the file system's, once read."""
        before = path.stat()
        signature = (before.st_size, before.st_mtime_ns)
        previous = self._changes.get(path.name)
        if previous is None:
            last_change = before.st_mtime
            if os.name == "posix":
                last_change = max(last_change, before.st_ctime)
            if self.stable_for > 0 and not fs_now:
                fs_now.append(self._file_system_now())
            if self.stable_for > 0 and fs_now[0] - last_change < self.stable_for:
                self._changes[path.name] = (signature, now)  # young: wait from this moment
                return None
        elif previous[0] != signature:
            self._changes[path.name] = (signature, now)  # a change we watched happen
            return None
        elif now - previous[1] < self.stable_for:
            return None
        digest = sha256_file(path)
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != signature:
            self._changes[path.name] = ((after.st_size, after.st_mtime_ns), now)
            return None
        return InboxFile(path, before.st_size, before.st_mtime_ns, digest)

    def _file_system_now(self) -> float:
        """The file system's current time: the mtime of a probe file in the work folder.

        Falls back to our clock when the probe cannot be written (the move out of the inbox
        would fail then anyway, with a clear message).
        """
        probe = self.work_dir / CLOCK_PROBE
        try:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            probe.touch()  # on an existing file: sets its times to the file system's now
            return probe.stat().st_mtime
        except OSError:
            return self.clock.now().timestamp()

    def _stamp(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def _index(self) -> set[str]:
        if self._known is None:
            known: set[str] = set()
            if self.index_path.exists():
                with local_io("read", self.index_path):
                    for line in self.index_path.read_text(encoding="utf-8").splitlines():
                        try:
                            known.add(str(json.loads(line)["sha256"]))
                        except (ValueError, KeyError, TypeError):
                            continue  # a torn last line after a crash: that file is re-parsed
            self._known = known
        return self._known


def error_record(entry: InboxFile, target: Path, error: Exception, when: str) -> dict[str, Any]:
    """The content of ``<name>.error.json``: why, where in the file, when, which content."""
    record: dict[str, Any] = {
        "file": entry.name,
        "quarantined_as": target.name,
        "sha256": entry.sha256,
        "size": entry.size,
        "quarantined_at": when,
        "code": getattr(error, "code", "unexpected"),
        "message": str(error) if isinstance(error, ConnectorError) else type(error).__name__,
    }
    if isinstance(error, ParseError):
        record.update(reason=error.reason, segment_no=error.segment_no,
                      segment_id=error.segment_id, element=error.element)  # fmt: skip
    record["requeue"] = (
        "fix the file (or get a corrected one from the clearinghouse), then move it back into "
        "the inbox folder; this .error.json may stay here"
    )
    return record
