"""The one place where :mod:`sqlite3` exceptions become connector errors (the SQLite store).

===============================================  ==================  ========================
SQLite result (``sqlite_errorname``)             code                raised as
===============================================  ==================  ========================
SQLITE_FULL (disk or quota full)                 ``store_disk_full`` TransientError
SQLITE_READONLY* (read-only file or folder)      ``store_read_only`` TransientError
SQLITE_BUSY, SQLITE_LOCKED                       ``store_busy``      TransientError
SQLITE_CANTOPEN, SQLITE_IOERR*                   ``store_unavailable`` TransientError
SQLITE_CORRUPT, SQLITE_NOTADB                    ``store_corrupt``   PermanentError
constraint / misuse (Integrity, Programming)     ``store_error``     PermanentError
anything else                                    ``store_error``     TransientError
===============================================  ==================  ========================

Transient ones are what an admin fixes while the service waits (free the disk, fix the
permissions): jobs fail with the code, the daemon logs it once per outage and once on recovery,
and nothing is lost (every store write is one transaction). Messages name the file, never data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connector.errors import ConnectorError, PermanentError, TransientError

_TRANSIENT = (
    ("SQLITE_FULL", "store_disk_full", "the disk holding the state store is full"),
    ("SQLITE_READONLY", "store_read_only", "the state store cannot be written (read-only)"),
    ("SQLITE_BUSY", "store_busy", "the state store is busy"),
    ("SQLITE_LOCKED", "store_busy", "the state store is locked"),
    ("SQLITE_CANTOPEN", "store_unavailable", "the state store file cannot be opened"),
    ("SQLITE_IOERR", "store_unavailable", "the state store file cannot be read or written"),
)


def classify(exc: sqlite3.Error, path: Path | str) -> ConnectorError:
    """The connector error for one sqlite3 exception (not raised, not chained)."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    detail = f"{path}: {exc}"
    context = {"sqlite_error": name or type(exc).__name__}
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return PermanentError(
            f"the state store is damaged or not an SQLite file ({detail}); restore a backup",
            code="store_corrupt",
            context=context,
        )
    for prefix, code, words in _TRANSIENT:
        if name.startswith(prefix):
            return TransientError(f"{words} ({detail})", code=code, context=context)
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return PermanentError(f"state store error ({detail})", code="store_error", context=context)
    return TransientError(f"state store error ({detail})", code="store_error", context=context)


@contextmanager
def translate(path: Path | str) -> Iterator[None]:
    """Re-raise every sqlite3 error inside the block as a connector error (chained ``from``)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise classify(exc, path) from exc
