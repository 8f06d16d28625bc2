"""Files that hold patient data or secrets are created owner-only, whatever the umask.

The state database (and SQLite's ``-wal``/``-shm`` files, which SQLite creates with the
database file's permissions), downloaded ERA files, the processed-content index and download
log, quarantine reasons, practice lock files and diagnostics bundles are created ``0600`` in
folders created ``0700``. The mode is set explicitly after creating (``fchmod``/``chmod``), so
a permissive umask (``0002``, ``0022``) never widens it. Files that already exist are tightened
when the connector owns them. On Windows, POSIX modes do not apply: the files inherit the ACL
of their folder (install under a folder only the service account can read, see
docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
_POSIX = sys.platform != "win32"


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) ``0700``; an existing folder is left as it is."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if _POSIX:
        for created in missing:
            with contextlib.suppress(OSError):
                os.chmod(created, DIR_MODE)


def tighten(path: Path) -> None:
    """Make an existing file ``0600`` (best effort: a file another user owns is left alone)."""
    if _POSIX:
        with contextlib.suppress(OSError):
            os.chmod(path, FILE_MODE)


def open_private(path: Path, mode: str, *, encoding: str | None = None) -> IO[Any]:
    """``open(path, mode)`` for ``w``/``a``/``x`` (text or ``b``), the file made ``0600``."""
    flags = os.O_CREAT | getattr(os, "O_BINARY", 0)
    if "x" in mode:
        flags |= os.O_EXCL | os.O_WRONLY
    elif "a" in mode:
        flags |= os.O_APPEND | os.O_WRONLY
    elif "w" in mode:
        flags |= os.O_TRUNC | os.O_WRONLY
    else:
        raise ValueError(f"open_private is for writing, not {mode!r}")
    fd = os.open(path, flags, FILE_MODE)
    try:
        if _POSIX:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, encoding=encoding)
    except BaseException:
        os.close(fd)
        raise


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and ``0600`` if it does not exist (e.g. before SQLite opens it)."""
    if path.exists():
        tighten(path)
        return
    with contextlib.suppress(FileExistsError), open_private(path, "xb"):
        pass
