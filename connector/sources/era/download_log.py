"""What the SFTP inbox has already downloaded, so a remote file is fetched once.

Kept as JSON in ``<work_dir>/.era-sftp-downloads.json`` (written atomically after every
download). A remote file is *known* when its name, size and mtime match an entry; when only
the name matches, it is downloaded again and compared by sha256 before a second local copy is
made. Entries for files no longer listed remotely (archived or removed by the clearinghouse)
are dropped at the next successful listing, so the log stays small.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from connector.private_files import private_dir
from connector.sources.era.files import atomic_write_json, local_io

FILE_NAME = ".era-sftp-downloads.json"


@dataclass(frozen=True)
class Download:
    """One remote file we hold a complete local copy of."""

    name: str
    size: int
    mtime: int
    sha256: str
    local_name: str
    downloaded_at: str
    archived: bool = False


class DownloadLog:
    """The set of downloaded remote files, persisted after every change.

    Args:
        path: the JSON file (created on first save).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Download] = {}
        self.damaged = False
        if path.exists():
            with local_io("read", path):
                text = path.read_text(encoding="utf-8")
            try:
                raw: Any = json.loads(text)
                for name, entry in dict(raw.get("files", {})).items():
                    self._entries[name] = Download(**entry)
            except (ValueError, TypeError, AttributeError):
                # Unreadable log: start empty. Files are then fetched again, and the sha256
                # comparison with same-named local files (plus the folder inbox's content
                # index) keeps that from recording anything twice.
                self._entries.clear()
                self.damaged = True

    def get(self, name: str) -> Download | None:
        """The entry for a remote file name, if any."""
        return self._entries.get(name)

    def is_known(self, name: str, size: int, mtime: int) -> bool:
        """True when this exact remote file (name, size, mtime) was downloaded before."""
        entry = self._entries.get(name)
        return entry is not None and entry.size == size and entry.mtime == mtime

    def put(self, entry: Download) -> None:
        """Add or replace an entry and save."""
        self._entries[entry.name] = entry
        self.save()

    def keep_only(self, names: set[str]) -> None:
        """Forget files that are no longer listed remotely (saves only when something changed)."""
        stale = set(self._entries) - names
        for name in stale:
            del self._entries[name]
        if stale:
            self.save()

    def save(self) -> None:
        """Write the log atomically."""
        data = {"version": 1, "files": {k: asdict(v) for k, v in sorted(self._entries.items())}}
        with local_io("write", self.path):
            private_dir(self.path.parent)
            atomic_write_json(self.path, data)

    def __len__(self) -> int:
        return len(self._entries)
