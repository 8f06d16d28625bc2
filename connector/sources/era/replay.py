"""Re-read 835 files already filed in ``processed/`` (``connector replay --source era``).

A file in ``processed/`` was recorded whole once (all items of a file go into one
``store.record()`` call), so re-recording it only adds what the store does not know: nothing,
unless the state store was restored from an old backup or items were lost some other way. The
files stay where they are; the content index and the inbox are not touched. Files are chosen
by modification time (the time the clearinghouse or our SFTP download wrote them), oldest first.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from connector.errors import DataError
from connector.jobs import PollContext
from connector.sources.era.files import local_io, sha256_file
from connector.sources.era.items import build_file_items
from connector.sources.era.legacy_keys import adopt_stored_keys
from connector.sources.era.parser import parse_stream

_SKIP = ("*.error.json", "*.part", "*.tmp")


def processed_files(folder: Path, since: dt.datetime) -> list[Path]:
    """Files in ``folder`` modified at or after ``since``, oldest first."""
    if not folder.is_dir():
        return []
    floor = since.timestamp()
    with local_io("list", folder):
        found = [
            (path.stat().st_mtime, path.name, path)
            for path in folder.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and not any(fnmatch.fnmatchcase(path.name.lower(), p) for p in _SKIP)
        ]
    return [path for mtime, _, path in sorted(found) if mtime >= floor]


def replay_processed(
    folder: Path,
    practice_id: str,
    source_name: str,
    ctx: PollContext,
    since: dt.datetime,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Parse and record again every file in ``folder`` (an inbox's ``processed/``) modified since
    ``since``, as items of ``practice_id``'s source ``source_name``.

    Raises:
        TransientError: a file or the folder could not be read, or the store failed.
    """
    counts: Counter[str] = Counter({"files": 0, "items_new": 0, "items_duplicate": 0})
    files = processed_files(folder, since)
    for done, path in enumerate(files, start=1):
        if ctx.stop.is_set():
            break
        log = ctx.log.bind(file=path.name)
        counts["files"] += 1
        try:
            with local_io("read", path):
                digest = sha256_file(path)
                with path.open("rb") as stream:
                    remittances = list(parse_stream(stream, path.name, file_sha256=digest))
            collected = build_file_items(remittances)
        except DataError as exc:
            counts["unreadable"] += 1  # filed as processed by an older, laxer parser
            log.warning("era.replay.unreadable", error_code=exc.code)
        else:
            for remittance in remittances:
                ctx.redactor.register_names(*remittance.patient_names())
                ctx.redactor.register_values(*remittance.sensitive_values())
            items = adopt_stored_keys(
                collected.items, collected.legacy_keys, ctx.store, practice_id
            )
            result = ctx.store.record(practice_id, source_name, items)
            counts["items_new"] += len(result.new_keys)
            counts["items_duplicate"] += result.duplicates
            log.info("era.file.replayed", items=len(items), new=len(result.new_keys),
                     duplicates=result.duplicates)  # fmt: skip
        if progress is not None:
            progress(done, len(files))
    return dict(counts)
