"""Measure the ERA inbox: files/s and claims/s through EraSource.poll, and SFTP download speed.

Run from the repository root:  .venv/bin/python bench/era_inbox.py [--files 200] [--claims 20]

1. Folder inbox → parse → SQLite store → processed/: a first poll records everything, a second
   poll sees the same content again (all duplicates, dedupe by sha256 without parsing).
2. SFTP: a real local OpenSSH sshd (tests/support/sshd.py), many small files and one large
   file, downloaded with SftpDownloader (sequential 32 KiB reads; localhost, so this shows the
   CPU cost, not a WAN round-trip cost).
Results go in docs/era-inbox.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.config import PracticeSettings
from connector.config.sources import SftpInbox
from connector.jobs import PollContext
from connector.redaction import Redactor
from connector.sources.era import EraSource
from connector.sources.era.folder_inbox import FolderInbox
from connector.sources.era.sftp_inbox import SftpDownloader
from connector.store import SQLiteStore
from tests.support.era_files import Claim, make_835
from tests.support.sshd import start_sshd, stop_sshd


def quiet() -> None:
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())


def folder_bench(root: Path, files: int, claims: int) -> None:
    inbox = root / "in"
    inbox.mkdir(parents=True)
    for n in range(files):
        batch = [Claim(f"P{n}C{c}", "150.00", "100.00", patient="10.00", payer_control=f"N{n}-{c}")
                 for c in range(claims)]  # fmt: skip
        (inbox / f"f{n:05d}.835").write_bytes(make_835(batch, trace=f"TR{n:06d}"))
    size = sum(p.stat().st_size for p in inbox.iterdir())
    store = SQLiteStore(root / "state.db")
    store.migrate()
    practice = PracticeSettings.model_validate(
        {
            "id": "bench",
            "pms": {"vendor": "dentrix"},
            "era": {"inbox": {"folder": {"path": str(inbox)}}},
        }
    )
    ctx = PollContext(
        practice=practice, store=store, redactor=Redactor(), log=structlog.get_logger()
    )
    source = EraSource("bench", FolderInbox(inbox, stable_for=dt.timedelta(0)))
    start = time.perf_counter()
    summary = source.poll(ctx)
    took = time.perf_counter() - start
    rate = summary["claims"] / took
    print(f"folder: {files} files, {size / 1e6:.1f} MB, {summary['claims']} claims recorded in "
          f"{took:.2f} s = {files / took:.0f} files/s, {rate:.0f} claims/s")  # fmt: skip
    for path in (inbox / "processed").iterdir():
        os.link(path, inbox / ("again-" + path.name))
    start = time.perf_counter()
    summary = source.poll(ctx)
    took = time.perf_counter() - start
    print(f"folder, same content again: {summary['duplicate_files']} duplicate files in "
          f"{took:.2f} s = {files / took:.0f} files/s")  # fmt: skip
    store.close()


def sftp_bench(root: Path, small: int, large_mb: int) -> None:
    server = start_sshd(root / "sshd")
    try:
        remote = server.folder("bench")
        for n in range(small):
            (remote / f"s{n:04d}.835").write_bytes(os.urandom(100 * 1024))
        (remote / "large.835").write_bytes(os.urandom(large_mb * 1024 * 1024))
        settings = SftpInbox.model_validate({
            "host": server.host, "port": server.port, "path": str(remote),
            "username": {"value": server.username}, "private_key_file": str(server.client_key),
            "known_hosts": str(server.known_hosts), "local_dir": str(root / "local"),
        })  # fmt: skip
        downloader = SftpDownloader(settings, state_dir=root / "local")
        start = time.perf_counter()
        result = downloader.sync(structlog.get_logger(), threading.Event())
        took = time.perf_counter() - start
        total = small * 100 * 1024 + large_mb * 1024 * 1024
        print(f"sftp: {result.downloaded} files ({total / 1e6:.1f} MB: {small} x 100 KiB + "
              f"{large_mb} MiB) in {took:.2f} s = {total / took / 1e6:.1f} MB/s, "
              f"{result.downloaded / took:.0f} files/s (one connection)")  # fmt: skip
        start = time.perf_counter()
        downloader.sync(structlog.get_logger(), threading.Event())
        print(f"sftp, nothing new: list + compare in {time.perf_counter() - start:.2f} s")
    finally:
        stop_sshd(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large-mb", type=int, default=20)
    parser.add_argument("--skip-sftp", action="store_true")
    args = parser.parse_args()
    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        folder_bench(Path(tmp) / "folder", args.files, args.claims)
        if not args.skip_sftp:
            sftp_bench(Path(tmp) / "sftp", args.small, args.large_mb)


if __name__ == "__main__":
    main()
