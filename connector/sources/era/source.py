"""The ERA source: fetch (SFTP) → parse each complete file → record its items → file it away.

For every remittance (ST…SE) in a file, one ``era_remittance`` item and one ``era_claim``
item per CLP loop are recorded, keyed and shaped as in docs/payloads.md — **all items of a
file in one** ``store.record()`` **call**, so a crash between files never half-records one,
and a file re-read after a crash records nothing twice (the store dedupes keys). Then the file
moves to ``processed/``. A file that does not parse moves to ``quarantine/`` with a
``.error.json``; the other files of the poll are still processed. Test files (ISA15 = ``T``)
are recorded with status ``ignored`` (reason ``test_file``) and never post.

Files are read with :func:`stream_claims`: each claim becomes its item as it is read and the
parsed claim is dropped, so memory holds the file's items (which one ``record()`` call
needs), not also its parsed model.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.config import EraSettings, PracticeSettings
from connector.domain import ItemKind
from connector.errors import ConfigError, ConnectorError, DataError, TransientError
from connector.faults import kill_point
from connector.jobs import PollContext
from connector.sources.era.files import local_io
from connector.sources.era.folder_inbox import FolderInbox, InboxFile
from connector.sources.era.items import FileItems, build_file_items, build_items
from connector.sources.era.legacy_keys import adopt_stored_keys
from connector.sources.era.model import ClaimPayment
from connector.sources.era.parser import stream_claims

if TYPE_CHECKING:
    from connector.redaction import Redactor
    from connector.sources.era.sftp_inbox import SftpDownloader

COUNTERS = ("files", "remittances", "claims", "duplicates", "duplicate_files", "quarantined",
            "waiting", "downloaded")  # fmt: skip


class EraSource:
    """Polls one practice's ERA inbox (a folder, or an SFTP folder downloaded into one).

    Args:
        practice_id: the practice the items belong to.
        inbox: the local folder inbox that is parsed.
        downloader: fills ``inbox`` from SFTP first, when the practice uses SFTP.
    """

    name = "era"

    def __init__(
        self, practice_id: str, inbox: FolderInbox, downloader: SftpDownloader | None = None
    ) -> None:
        self.practice_id = practice_id
        self.inbox = inbox
        self.downloader = downloader

    @classmethod
    def from_settings(cls, practice: PracticeSettings) -> EraSource:
        """Build the source from ``practices[].era``.

        Raises:
            ConfigError: the practice has no ERA section.
        """
        era: EraSettings | None = practice.era
        if era is None:
            raise ConfigError(f"practice {practice.id} has no era section")
        folder, sftp = era.inbox.folder, era.inbox.sftp
        if folder is not None:
            inbox = FolderInbox(folder.path, work_dir=era.work_dir, stable_for=folder.stable_for,
                                patterns=folder.patterns)  # fmt: skip
            return cls(practice.id, inbox)
        assert sftp is not None  # EraInbox guarantees exactly one
        # paramiko is imported only by practices that use SFTP
        from connector.sources.era.sftp_inbox import SftpDownloader  # noqa: PLC0415

        work_dir = era.work_dir or sftp.local_dir
        # downloads appear under their final name only when complete: no stability wait
        inbox = FolderInbox(sftp.local_dir, work_dir=work_dir, stable_for=dt.timedelta(0))
        return cls(practice.id, inbox, SftpDownloader(sftp, state_dir=work_dir))

    # -- PollSource ------------------------------------------------------------------------
    def check(self, ctx: PollContext) -> str:
        """Folder: exists and writable. SFTP: also connect, verify the host key, list.

        Raises:
            ConfigError, AuthError, TransientError: what is wrong, in plain words.
        """
        if self.downloader is not None:
            with local_io("create", self.inbox.path):
                self.inbox.path.mkdir(parents=True, exist_ok=True)
            local = self.inbox.check()
            return f"{self.downloader.check()}; local {local}"
        return self.inbox.check()

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Download (SFTP), then parse and record every complete file in the inbox.

        A download failure does not stop the files already downloaded from being recorded; it
        is raised after them so the poll is reported as failed.

        Raises:
            AuthError: SFTP login or host key refused.
            ConfigError: inbox folder missing, remote folder missing, key file unusable.
            TransientError: SFTP unreachable after retries, or the store is unavailable.
        """
        counts: Counter[str] = Counter({name: 0 for name in COUNTERS})
        download_error: ConnectorError | None = None
        self.inbox.clock = ctx.clock  # one clock for the whole job
        if self.downloader is not None:
            self.downloader.clock = ctx.clock
            try:
                synced = self.downloader.sync(ctx.log, ctx.stop, dry_run=ctx.dry_run)
                counts["downloaded"] = synced.downloaded
                if ctx.dry_run:
                    counts["remote_new"] = synced.pending
            except ConnectorError as exc:
                download_error = exc
        if not self.inbox.path.is_dir() and download_error is not None:
            raise download_error
        scan = self.inbox.scan()
        counts["waiting"] = scan.waiting
        for entry in scan.ready:
            if ctx.stop.is_set():
                break
            self._process(entry, ctx, counts)
        if download_error is not None:
            raise download_error
        return dict(counts)

    def replay(
        self,
        ctx: PollContext,
        since: dt.datetime,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, int]:
        """Record again the files filed in ``processed/`` since ``since`` (see
        :mod:`connector.sources.era.replay`); the store keeps only what it did not know."""
        from connector.sources.era.replay import replay_processed  # noqa: PLC0415 - rarely run

        folder = self.inbox.processed_dir
        return replay_processed(folder, self.practice_id, self.name, ctx, since, progress)

    # -- one file --------------------------------------------------------------------------
    def _process(self, entry: InboxFile, ctx: PollContext, counts: Counter[str]) -> None:
        log = ctx.log.bind(file=entry.name, sha256=entry.sha256)
        counts["files"] += 1
        if self.inbox.is_known(entry.sha256):
            counts["duplicate_files"] += 1
            if not ctx.dry_run:
                moved = self.inbox.processed(entry, outcome="duplicate", detail={})
                log.info("era.file.duplicate", moved_to=str(moved))
            return
        try:
            collected = self._parse(entry, ctx.redactor)
        except _FileChanged:
            counts["waiting"] += 1
            log.info("era.file.changed_while_reading")
            return
        except TransientError as exc:
            if exc.code != "era_local_io":
                raise
            counts["waiting"] += 1  # e.g. still locked by its writer: try again next poll
            log.warning("era.file.unreadable", error_code=exc.code, error=exc.message)
            return
        except DataError as exc:
            self._quarantine(entry, exc, ctx, counts, log)
            return
        except Exception as exc:  # a parser bug must not block the whole inbox
            log.exception("era.file.parser_crashed", error_type=type(exc).__name__)
            self._quarantine(entry, exc, ctx, counts, log)
            return
        items = adopt_stored_keys(
            collected.items, collected.legacy_keys, ctx.store, self.practice_id
        )
        if ctx.dry_run:
            log.info("era.file.parsed", remittances=collected.remittances, items=len(items))
            return
        kill_point("era.after_parse_before_record")
        result = ctx.store.record(self.practice_id, self.name, items)
        new = set(result.new_keys)
        new_remittances = sum(
            1 for i in items if i.key in new and i.kind is ItemKind.ERA_REMITTANCE
        )
        new_claims = sum(1 for i in items if i.key in new and i.kind is ItemKind.ERA_CLAIM)
        counts["remittances"] += new_remittances
        counts["claims"] += new_claims
        counts["duplicates"] += result.duplicates
        moved = self.inbox.processed(entry, outcome="recorded",
                                     detail={"remittances": collected.remittances})  # fmt: skip
        log.info(
            "era.file.recorded", moved_to=str(moved), remittances=collected.remittances,
            claims=collected.claims, new_remittances=new_remittances,
            new_claims=new_claims, duplicates=result.duplicates, test=collected.test,
            unbalanced=collected.unbalanced,
        )  # fmt: skip

    def _parse(self, entry: InboxFile, redactor: Redactor) -> FileItems:
        """The file's items; patient names and ids reach the redactor as claims are read."""
        collected = FileItems()
        with local_io("read", entry.path), entry.path.open("rb") as stream:
            for event in stream_claims(stream, entry.name, file_sha256=entry.sha256):
                if isinstance(event, ClaimPayment):
                    redactor.register_names(*event.patient_names())
                    redactor.register_values(*event.sensitive_values())
                collected.event(event)
        with local_io("stat", entry.path):
            after = entry.path.stat()
        if (after.st_size, after.st_mtime_ns) != (entry.size, entry.mtime_ns):
            raise _FileChanged
        return collected

    def _quarantine(self, entry: InboxFile, exc: Exception, ctx: PollContext,
                    counts: Counter[str], log: Any) -> None:  # fmt: skip
        counts["quarantined"] += 1
        if ctx.dry_run:
            log.warning("era.file.would_quarantine", error_code=getattr(exc, "code", "unexpected"))
            return
        moved = self.inbox.quarantine(entry, exc)
        fields: dict[str, Any] = {"error_code": getattr(exc, "code", "unexpected"),
                                  "moved_to": str(moved)}  # fmt: skip
        for attr in ("segment_no", "segment_id", "element", "reason"):
            if getattr(exc, attr, None) is not None:
                fields[attr] = getattr(exc, attr)
        log.warning("era.file.quarantined", **fields)


class _FileChanged(Exception):
    """The file changed while it was parsed; it is taken again once stable."""


__all__ = ["EraSource", "build_file_items", "build_items"]
