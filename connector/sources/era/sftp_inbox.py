"""Download new 835 files from the clearinghouse's SFTP folder into the local inbox.

One sync: connect (host key verified first, see :mod:`.sftp_hostkeys`), authenticate with a
key and/or password from secret references, list the remote folder, and for each file not in
the :class:`~.download_log.DownloadLog`:

1. download it to ``.<name>.<random>.part`` in the local inbox, fsync;
2. check the byte count and that the remote size and mtime did not change meanwhile;
3. rename it to its own name (``-1`` suffix if taken; never overwrite), fsync the folder;
4. note it in the download log; then, if ``archive_path`` is set, move the remote file there.

A dropped connection leaves at most a ``.part`` file, which is removed (it is ours, not the
clearinghouse's); the file is fetched again on the next attempt. A file downloaded before a
crash but not yet logged is fetched again and recognised by name, size and sha256, so no
second local copy is made. Transient failures are retried by tenacity (bounded; the wait is
injectable). paramiko is imported here and in the modules this one imports, never at package
import time.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import os
import secrets
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.wait import wait_base

from connector.clock import SYSTEM, Clock
from connector.config.sources import SftpInbox
from connector.errors import ConnectorError, TransientError
from connector.faults import kill_point
from connector.private_files import open_private, private_dir
from connector.sources.era.download_log import Download, DownloadLog
from connector.sources.era.files import candidate_names, local_io, move_unique, sha256_file
from connector.sources.era.sftp_connect import SftpConnector, remote_folder
from connector.sources.era.sftp_errors import sftp_errors

# One SFTP read request (paramiko's maximum). Reads are sequential on purpose: paramiko's
# prefetch runs a background thread that, when the connection drops, either raises in that
# thread or (with a request limit) spins until the process ends. ERA files are small (KB to a
# few MB), so one round trip per 32 KiB is an acceptable price for a download that fails
# cleanly in the calling thread.
CHUNK = 32768


@dataclass
class SyncResult:
    """What one sync did (``listed`` remote files; the rest count files)."""

    listed: int = 0
    downloaded: int = 0
    already_downloaded: int = 0
    archived: int = 0
    pending: int = 0  # dry run: new remote files that a real run would download


@dataclass(frozen=True)
class _Remote:
    name: str
    size: int
    mtime: int


class SftpDownloader:
    """Fetches new remote files into ``settings.local_dir``.

    Args:
        settings: the ``era.inbox.sftp`` section.
        state_dir: where the download log lives (the ERA work dir).
        attempts: tries per sync for transient failures (1 = no retry).
        wait: tenacity wait strategy between tries (tests pass ``wait_none()``).
        on_chunk: called as ``on_chunk(name, bytes_so_far)`` after each chunk (tests use it
            to drop the connection mid-transfer).
        clock: when downloads are recorded (the job sets its own clock before each sync).
    """

    def __init__(
        self,
        settings: SftpInbox,
        *,
        state_dir: Path,
        attempts: int = 3,
        wait: wait_base | None = None,
        on_chunk: Callable[[str, int], None] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.local_dir = settings.local_dir
        self.connector = SftpConnector(settings)
        self.log_path = state_dir / ".era-sftp-downloads.json"
        self.attempts = attempts
        self.wait = wait if wait is not None else wait_exponential(multiplier=2, min=2, max=60)
        self.on_chunk = on_chunk
        self.where = f"{settings.host}:{settings.port}{remote_folder(settings.path)}"

    # -- public ---------------------------------------------------------------------------
    def check(self) -> str:
        """Connect once, verify the host key, authenticate and list the folder; describe it.

        Raises:
            AuthError, ConfigError, TransientError: as :meth:`sync`.
        """
        with self.connector.session() as (sftp, key):
            files = self._list(sftp)
        return f"sftp {self.where}: {len(files)} file(s) listed, host key {key}"

    def sync(self, log: Any, stop: threading.Event, *, dry_run: bool = False) -> SyncResult:
        """Download every new remote file; retry transient failures up to ``attempts`` times.

        Raises:
            AuthError: login refused or host key unknown/changed (not retried).
            ConfigError: remote folder missing, key file unusable, permission denied.
            TransientError: the network kept failing after the last attempt.
        """
        with local_io("create", self.local_dir):
            private_dir(self.local_dir)
        self._remove_partials(log)
        result = SyncResult()

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            log.warning("era.sftp.retrying", attempt=state.attempt_number, sftp=self.where,
                        error_code=getattr(error, "code", None))  # fmt: skip

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
            before_sleep=before_sleep,
        )
        for attempt in retrying:
            with attempt:
                self._sync_once(log, stop, result, dry_run)
        return result

    # -- one connection -------------------------------------------------------------------
    def _sync_once(self, log: Any, stop: threading.Event, result: SyncResult, dry: bool) -> None:
        downloads = DownloadLog(self.log_path)
        if downloads.damaged:
            log.warning("era.sftp.download_log_damaged", path=str(self.log_path))
        with self.connector.session() as (sftp, _key):
            listing = self._list(sftp)
            result.listed = len(listing)
            if not dry:
                downloads.keep_only({f.name for f in listing})
            for remote in listing:
                if stop.is_set():
                    return
                if downloads.is_known(remote.name, remote.size, remote.mtime):
                    entry = downloads.get(remote.name)
                    if entry is not None and not entry.archived and not dry:
                        self._archive(sftp, remote, downloads, log, result)
                    continue
                if dry:
                    result.pending += 1
                    continue
                self._fetch(sftp, remote, downloads, log, result)

    def _fetch(self, sftp: paramiko.SFTPClient, remote: _Remote, downloads: DownloadLog,
               log: Any, result: SyncResult) -> None:  # fmt: skip
        got = self._download(sftp, remote)
        if got is None:
            log.warning("era.file.remote_changed", file=remote.name, sftp=self.where)
            return
        tmp, digest = got
        previous = downloads.get(remote.name)
        same_name_local = self.local_dir / remote.name
        duplicate = (previous is not None and previous.sha256 == digest) or (
            same_name_local.is_file() and sha256_file(same_name_local) == digest
        )
        if duplicate:
            with local_io("remove partial download", tmp):
                tmp.unlink()
            local_name = previous.local_name if previous is not None else remote.name
            result.already_downloaded += 1
            log.info("era.file.already_downloaded", file=remote.name, sha256=digest)
        else:
            with local_io("rename download", tmp):
                final = move_unique(tmp, self.local_dir, remote.name)
            local_name = final.name
            result.downloaded += 1
            log.info("era.file.downloaded", file=remote.name, local_file=local_name,
                     size=remote.size, sha256=digest, sftp=self.where)  # fmt: skip
        now = self.clock.now().isoformat(timespec="seconds")
        downloads.put(Download(remote.name, remote.size, remote.mtime, digest, local_name, now))
        self._archive(sftp, remote, downloads, log, result)

    def _download(self, sftp: paramiko.SFTPClient, remote: _Remote) -> tuple[Path, str] | None:
        """Fetch into a temporary file; return (temp path, sha256), or None if it changed."""
        remote_path = f"{remote_folder(self.settings.path)}/{remote.name}".replace("//", "/")
        tmp = self.local_dir / f".{remote.name}.{secrets.token_hex(4)}.part"
        digest = hashlib.sha256()
        received = 0
        keep = False
        try:
            with local_io("write", tmp), open_private(tmp, "xb") as out:
                with sftp_errors("download", self.where), sftp.open(remote_path, "rb") as src:
                    while chunk := src.read(CHUNK):
                        with local_io("write", tmp):
                            out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        if self.on_chunk is not None:
                            self.on_chunk(remote.name, received)
                        kill_point("sftp.mid_download")
                    after = src.stat()
                out.flush()
                os.fsync(out.fileno())
            unchanged = after.st_size == remote.size and int(after.st_mtime or 0) == remote.mtime
            if received != remote.size or not unchanged:
                return None
            keep = True
            return tmp, digest.hexdigest()
        finally:
            if not keep and tmp.exists():
                tmp.unlink()  # our own partial download, never the clearinghouse's file

    def _archive(self, sftp: paramiko.SFTPClient, remote: _Remote, downloads: DownloadLog,
                 log: Any, result: SyncResult) -> None:  # fmt: skip
        archive = self.settings.archive_path
        entry = downloads.get(remote.name)
        if archive is None or entry is None:
            return
        source = f"{remote_folder(self.settings.path)}/{remote.name}".replace("//", "/")
        try:
            with sftp_errors(
                "archive", f"{self.settings.host}:{self.settings.port}{remote_folder(archive)}"
            ):
                target = _free_remote_name(sftp, remote_folder(archive), remote.name)
                sftp.rename(source, target)
        except TransientError:
            raise  # the connection is gone: the whole sync is retried
        except ConnectorError as exc:
            # Downloaded and logged already, so nothing is lost; try again next sync.
            log.warning("era.file.archive_failed", file=remote.name, error_code=exc.code,
                        error=exc.message, sftp=self.where)  # fmt: skip
            return
        downloads.put(dataclasses.replace(entry, archived=True))
        result.archived += 1
        log.info("era.file.archived", file=remote.name, archived_as=target, sftp=self.where)

    def _list(self, sftp: paramiko.SFTPClient) -> list[_Remote]:
        with sftp_errors("list", self.where):
            entries = sftp.listdir_attr(self.settings.path)
        patterns = [p.lower() for p in self.settings.patterns]
        found = []
        for attr in entries:
            name = attr.filename
            if name.startswith(".") or attr.st_mode is None or not stat.S_ISREG(attr.st_mode):
                continue
            if not any(fnmatch.fnmatchcase(name.lower(), p) for p in patterns):
                continue
            found.append(_Remote(name, int(attr.st_size or 0), int(attr.st_mtime or 0)))
        return sorted(found, key=lambda r: (r.mtime, r.name))

    def _remove_partials(self, log: Any) -> None:
        """Remove ``.part`` files left by a crash (ours: hidden, random suffix)."""
        if not self.local_dir.is_dir():
            return
        for leftover in self.local_dir.glob(".*.part"):
            with local_io("remove partial download", leftover):
                leftover.unlink()
            log.info("era.file.partial_removed", file=leftover.name)


def _free_remote_name(sftp: paramiko.SFTPClient, folder: str, name: str) -> str:
    for candidate in candidate_names(name):
        target = f"{folder}/{candidate}".replace("//", "/")
        try:
            sftp.stat(target)
        except FileNotFoundError:
            return target
    raise AssertionError("unreachable: candidate_names is infinite")
