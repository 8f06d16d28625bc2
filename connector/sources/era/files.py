"""Small, careful file operations shared by the ERA inboxes: hash, fsync, move without overwrite.

Nothing here deletes an input file. Local ``OSError`` is translated here (the filesystem
boundary) into :class:`~connector.errors.TransientError` (code ``era_local_io``): a full disk
or a file locked by its writer usually passes, and the file stays where it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connector.errors import TransientError
from connector.private_files import open_private, private_dir, tighten

CHUNK = 1024 * 1024


@contextlib.contextmanager
def local_io(action: str, path: Path) -> Iterator[None]:
    """Translate a local ``OSError`` during ``action`` on ``path`` into a TransientError."""
    try:
        yield
    except OSError as exc:
        raise TransientError(
            f"cannot {action} {path}: {exc.strerror or type(exc).__name__}",
            code="era_local_io",
            context={"path": str(path)},
        ) from exc


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX); a no-op where directories can't be opened."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def candidate_names(name: str) -> Iterator[str]:
    """``name``, then ``stem-1.ext``, ``stem-2.ext``, … (the extension is kept for patterns)."""
    yield name
    path = Path(name)
    stem, suffix = (path.stem, path.suffix) if path.suffix else (name, "")
    number = 1
    while True:
        yield f"{stem}-{number}{suffix}"
        number += 1


def move_unique(src: Path, dest_dir: Path, name: str | None = None) -> Path:
    """Move ``src`` into ``dest_dir`` under ``name`` (default: its own), never overwriting.

    On a name collision a ``-1``, ``-2`` … suffix is added before the extension. Where hard
    links work the move is ``link`` + ``unlink`` (the link fails if the target exists, so
    there is no race); elsewhere ``rename`` after an existence check. Returns the new path.
    """
    private_dir(dest_dir)
    for candidate in candidate_names(name or src.name):
        target = dest_dir / candidate
        try:
            os.link(src, target)
        except FileExistsError:
            continue
        except OSError:
            if target.exists() or target.is_symlink():
                continue
            os.rename(src, target)  # no hard links here (FAT, some network shares)
        else:
            os.unlink(src)  # the content now lives at target; src was a second name for it
        tighten(target)  # ERA content is patient data: owner-only wherever it came from
        fsync_dir(dest_dir)
        if src.parent != dest_dir:
            fsync_dir(src.parent)
        return target
    raise AssertionError("unreachable: candidate_names is infinite")


def atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON to ``path`` via a temporary sibling, fsync, rename (readers never see half)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open_private(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)


def append_line(path: Path, line: str) -> None:
    """Append one line and fsync (used for the processed-content index)."""
    with open_private(path, "a", encoding="utf-8") as handle:
        handle.write(line.rstrip("\n") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
