"""Quarantined ERA files of a practice (``<work_dir>/quarantine/``) and releasing them.

The ERA source moves a file that does not parse to ``quarantine/`` with ``<name>.error.json``
saying why. Once the clearinghouse sent a corrected file (which the inbox picks up as any
other), staff *release* the quarantined one: it moves, with its record, to
``quarantine/released/`` and leaves the console's list; the release is written to the
practice's history with the person's name. Nothing is deleted.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.config import PracticeSettings
from connector.errors import PermanentError

RELEASED = "released"
_RECORD = ".error.json"


@dataclass(frozen=True)
class QuarantinedFile:
    """One quarantined file and why."""

    name: str
    record: dict[str, Any]

    @property
    def message(self) -> str:
        """Why it was set aside, in the parser's words (no PHI: codes and positions)."""
        return str(self.record.get("message") or self.record.get("code") or "")


def quarantine_dir(practice: PracticeSettings) -> Path | None:
    """Where the practice's ERA source puts quarantined files (None: no ERA source)."""
    era = practice.era
    if era is None:
        return None
    if era.work_dir is not None:
        return Path(era.work_dir) / "quarantine"
    if era.inbox.folder is not None:
        return Path(era.inbox.folder.path) / "quarantine"
    if era.inbox.sftp is not None:
        return Path(era.inbox.sftp.local_dir) / "quarantine"
    return None


def list_quarantined(practice: PracticeSettings) -> list[QuarantinedFile]:
    """The practice's quarantined files, by name."""
    folder = quarantine_dir(practice)
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*" + _RECORD)):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {"message": "the quarantine record cannot be read"}
        found.append(QuarantinedFile(path.name.removesuffix(_RECORD), record))
    return found


def release(practice: PracticeSettings, name: str) -> QuarantinedFile:
    """Move one quarantined file and its record to ``quarantine/released/``.

    Raises:
        PermanentError: no such quarantined file (``quarantine_not_found``).
    """
    folder = quarantine_dir(practice)
    known = {f.name: f for f in list_quarantined(practice)}
    if folder is None or name not in known or "/" in name or "\\" in name:
        raise PermanentError("no such quarantined file", code="quarantine_not_found")
    target = folder / RELEASED
    target.mkdir(exist_ok=True)
    for part in (folder / name, folder / (name + _RECORD)):
        if part.exists():
            shutil.move(str(part), str(_free(target / part.name)))
    return known[name]


def _free(path: Path) -> Path:
    """``path``, or ``path.N`` when a file of that name was released before."""
    candidate, n = path, 1
    while candidate.exists():
        candidate, n = path.with_name(f"{path.name}.{n}"), n + 1
    return candidate
