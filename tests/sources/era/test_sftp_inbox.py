"""The SFTP inbox against a real OpenSSH server: downloads, host keys, auth, drops, archive."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from tenacity import wait_none

from connector.config.sources import SftpInbox
from connector.errors import AuthError, ConfigError, TransientError
from connector.sources.era.download_log import DownloadLog
from connector.sources.era.sftp_inbox import SftpDownloader
from tests.support.sshd import SshdServer

pytestmark = pytest.mark.external_service


def sftp_settings(server: SshdServer, remote: Path, local: Path, **over: Any) -> SftpInbox:
    data: dict[str, Any] = {
        "host": server.host, "port": server.port, "path": str(remote),
        "username": {"value": server.username}, "private_key_file": str(server.client_key),
        "known_hosts": str(server.known_hosts), "local_dir": str(local), "timeout": "10s",
    }  # fmt: skip
    data.update(over)
    return SftpInbox.model_validate({k: v for k, v in data.items() if v is not None})


def downloader(settings: SftpInbox, **kw: Any) -> SftpDownloader:
    kw.setdefault("wait", wait_none())
    return SftpDownloader(settings, state_dir=settings.local_dir, **kw)


def sync(dl: SftpDownloader, **kw: Any) -> Any:
    return dl.sync(structlog.get_logger("test"), threading.Event(), **kw)


def local_files(local: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in local.iterdir() if p.is_file()
            and not p.name.startswith(".")}  # fmt: skip


def other_public_key(tmp_path: Path) -> str:
    key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return (tmp_path / "stranger.pub").read_text().split()[1]


def test_downloads_new_files_once(sshd_server: SshdServer, tmp_path: Path) -> None:
    """New remote files are downloaded with identical bytes; a second sync downloads nothing."""
    remote = sshd_server.folder("download-once")
    (remote / "a.835").write_bytes(b"ISA*first file~")
    (remote / "b.835").write_bytes(b"ISA*second file~")
    (remote / ".hidden").write_bytes(b"ignored")
    (remote / "subdir").mkdir()
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local"))
    with capture_logs() as logs:
        first = sync(dl)
    assert first.downloaded == 2
    assert local_files(tmp_path / "local") == {"a.835": b"ISA*first file~",
                                               "b.835": b"ISA*second file~"}  # fmt: skip
    assert {e["file"] for e in logs if e["event"] == "era.file.downloaded"} == {"a.835", "b.835"}
    second = sync(dl)
    assert second.downloaded == 0 and second.listed == 2
    assert len(local_files(tmp_path / "local")) == 2
    assert sorted(os.listdir(remote)) == [".hidden", "a.835", "b.835", "subdir"]  # no archive


def test_patterns_filter_remote_names(sshd_server: SshdServer, tmp_path: Path) -> None:
    """Only remote names matching the configured patterns are fetched."""
    remote = sshd_server.folder("patterns")
    (remote / "remit.835").write_bytes(b"x")
    (remote / "report.pdf").write_bytes(b"y")
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local", patterns=["*.835"]))
    assert sync(dl).downloaded == 1
    assert list(local_files(tmp_path / "local")) == ["remit.835"]


def test_password_login(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A password from a secret reference logs in when no key is configured."""
    if sshd_server.password is None:
        pytest.skip("password logins need root and mount namespaces for the test user")
    remote = sshd_server.folder("password")
    (remote / "p.835").write_bytes(b"by password")
    settings = sftp_settings(sshd_server, remote, tmp_path / "local", private_key_file=None,
                             password={"value": sshd_server.password})  # fmt: skip
    assert sync(downloader(settings)).downloaded == 1


def test_wrong_password_is_an_auth_error(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A refused login raises AuthError (not retried) naming what to check."""
    remote = sshd_server.folder("wrong-password")
    settings = sftp_settings(sshd_server, remote, tmp_path / "local", private_key_file=None,
                             password={"value": "not-the-password"})  # fmt: skip
    with pytest.raises(AuthError, match="refused the login") as caught:
        sync(downloader(settings, attempts=3))
    assert caught.value.code == "sftp_auth_failed"
    assert "not-the-password" not in str(caught.value)


def test_unknown_user_key_is_an_auth_error(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A private key the server does not know is refused with AuthError."""
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    settings = sftp_settings(sshd_server, sshd_server.folder("bad-key"), tmp_path / "local",
                             private_key_file=str(stranger))  # fmt: skip
    with pytest.raises(AuthError):
        sync(downloader(settings))


def test_encrypted_key_with_passphrase(sshd_server: SshdServer, tmp_path: Path) -> None:
    """An encrypted private key is unlocked with private_key_passphrase; without it, ConfigError."""
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret-pass", "-f", str(key)],
                   check=True)  # fmt: skip
    authorized = sshd_server.root / "authorized_keys"
    original = authorized.read_text()
    authorized.write_text(original + (tmp_path / "locked.pub").read_text())
    try:
        remote = sshd_server.folder("passphrase")
        (remote / "k.835").write_bytes(b"k")
        locked = sftp_settings(sshd_server, remote, tmp_path / "l1", private_key_file=str(key))
        with pytest.raises(ConfigError) as caught:
            sync(downloader(locked))
        assert caught.value.code in {"sftp_key_locked", "sftp_key_invalid"}
        unlocked = sftp_settings(sshd_server, remote, tmp_path / "l2", private_key_file=str(key),
                                 private_key_passphrase={"value": "s3cret-pass"})  # fmt: skip
        assert sync(downloader(unlocked)).downloaded == 1
    finally:
        authorized.write_text(original)


def test_changed_host_key_is_refused(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A known_hosts entry with a different key for this host refuses the connection."""
    remote = sshd_server.folder("changed-key")
    (remote / "a.835").write_bytes(b"must not arrive")
    known = tmp_path / "known_hosts"
    known.write_text(f"[{sshd_server.host}]:{sshd_server.port} ssh-ed25519 "
                     f"{other_public_key(tmp_path)}\n")  # fmt: skip
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=str(known)))
    with pytest.raises(AuthError, match="CHANGED") as caught:
        sync(dl)
    assert caught.value.code == "sftp_host_key_changed"
    assert sshd_server.fingerprint("ed25519") in str(caught.value)  # says what was presented
    assert local_files(tmp_path / "local") == {}


def test_unknown_host_is_refused(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A known_hosts file without this host refuses the connection (no trust on first use)."""
    remote = sshd_server.folder("unknown-host")
    known = tmp_path / "known_hosts"
    known.write_text(f"other.example ssh-ed25519 {other_public_key(tmp_path)}\n")
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=str(known)))
    with pytest.raises(AuthError, match="unknown") as caught:
        sync(dl)
    assert caught.value.code == "sftp_host_key_unknown"
    assert not known.read_text().count(str(sshd_server.port))  # nothing was added


def test_known_hosts_with_only_the_rsa_key(sshd_server: SshdServer, tmp_path: Path) -> None:
    """known_hosts listing only the server's RSA key is accepted (key type negotiated to match)."""
    remote = sshd_server.folder("rsa-only")
    (remote / "r.835").write_bytes(b"r")
    known = tmp_path / "known_hosts"
    known.write_text(sshd_server.known_hosts_line("rsa"))
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=str(known)))
    assert "ssh-rsa" in dl.check()


def test_hashed_known_hosts_entry(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A known_hosts file hashed with ssh-keygen -H still identifies the server."""
    remote = sshd_server.folder("hashed")
    known = tmp_path / "known_hosts"
    known.write_text(sshd_server.known_hosts_line("ed25519"))
    subprocess.run(["ssh-keygen", "-H", "-f", str(known)], check=True, capture_output=True)
    assert str(sshd_server.port) not in known.read_text()
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=str(known)))
    assert "listed" in dl.check()


@pytest.mark.parametrize("key_type", ["ed25519", "rsa"])
def test_pinned_fingerprint_accepts_the_right_key(
    sshd_server: SshdServer, tmp_path: Path, key_type: str
) -> None:
    """A pinned SHA256 fingerprint of either server key is accepted without known_hosts."""
    remote = sshd_server.folder(f"pinned-{key_type}")
    (remote / "p.835").write_bytes(b"p")
    settings = sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=None,
                             host_key_fingerprint=sshd_server.fingerprint(key_type))  # fmt: skip
    assert sync(downloader(settings)).downloaded == 1


def test_wrong_pinned_fingerprint_is_refused(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A pinned fingerprint that matches none of the server's keys refuses the connection."""
    remote = sshd_server.folder("pinned-wrong")
    (remote / "p.835").write_bytes(b"p")
    wrong = "SHA256:" + "A" * 43
    settings = sftp_settings(sshd_server, remote, tmp_path / "local", known_hosts=None,
                             host_key_fingerprint=wrong)  # fmt: skip
    with pytest.raises(AuthError, match="does not match host_key_fingerprint") as caught:
        sync(downloader(settings))
    assert caught.value.code == "sftp_host_key_changed"
    assert local_files(tmp_path / "local") == {}


def test_malformed_fingerprint_is_a_config_error(sshd_server: SshdServer, tmp_path: Path) -> None:
    """An MD5-style or garbled pin is a configuration error, not a silent pass."""
    settings = sftp_settings(sshd_server, sshd_server.folder("pin-md5"), tmp_path / "local",
                             known_hosts=None, host_key_fingerprint="aa:bb:cc")  # fmt: skip
    with pytest.raises(ConfigError, match="SHA256"):
        sync(downloader(settings))


def test_dropped_connection_mid_download(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A session killed mid-transfer leaves no partial file; the next sync completes it."""
    remote = sshd_server.folder("dropped")
    payload = os.urandom(16 * 1024 * 1024)
    (remote / "small.835").write_bytes(b"small file first")
    os.utime(remote / "small.835", (1_700_000_000, 1_700_000_000))  # listed (oldest) first
    (remote / "big.835").write_bytes(payload)
    killed: list[int] = []

    def drop(name: str, received: int) -> None:
        if name == "big.835" and not killed and received >= 64 * 1024:
            killed.append(sshd_server.kill_sessions())

    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local), attempts=1, on_chunk=drop)
    with pytest.raises(TransientError) as caught:
        sync(dl)
    assert killed and killed[0] > 0
    assert caught.value.code == "sftp_connection_dropped"
    assert sorted(os.listdir(local)) == [".era-sftp-downloads.json", "small.835"]  # no .part
    second = sync(dl)
    assert second.downloaded == 1
    files = local_files(local)
    assert set(files) == {"small.835", "big.835"}
    assert hashlib.sha256(files["big.835"]).digest() == hashlib.sha256(payload).digest()
    assert sync(dl).downloaded == 0


def test_drop_is_retried_within_one_sync(sshd_server: SshdServer, tmp_path: Path) -> None:
    """With retries allowed, a dropped connection is reconnected and the same sync completes."""
    remote = sshd_server.folder("dropped-retried")
    payload = os.urandom(8 * 1024 * 1024)
    (remote / "big.835").write_bytes(payload)
    killed: list[int] = []

    def drop(name: str, received: int) -> None:
        if not killed and received >= 64 * 1024:
            killed.append(sshd_server.kill_sessions())

    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local), attempts=3, on_chunk=drop)
    with capture_logs() as logs:
        result = sync(dl)
    assert killed and result.downloaded == 1
    assert any(e["event"] == "era.sftp.retrying" for e in logs)
    assert local_files(local) == {"big.835": payload}


def test_crash_before_logging_a_download_makes_no_second_copy(
    sshd_server: SshdServer, tmp_path: Path
) -> None:
    """A download not yet logged (crash) is fetched again, recognised by hash, not duplicated."""
    remote = sshd_server.folder("lost-log")
    (remote / "a.835").write_bytes(b"content a")
    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local))
    assert sync(dl).downloaded == 1
    (local / ".era-sftp-downloads.json").unlink()  # as if we crashed before writing the log
    again = sync(dl)
    assert again.downloaded == 0 and again.already_downloaded == 1
    assert local_files(local) == {"a.835": b"content a"}


def test_same_name_new_content_is_downloaded_beside(
    sshd_server: SshdServer, tmp_path: Path
) -> None:
    """A remote file replaced by new content under the same name arrives as a second local file."""
    remote = sshd_server.folder("replaced")
    (remote / "a.835").write_bytes(b"version one")
    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local))
    sync(dl)
    (remote / "a.835").write_bytes(b"version two, longer")
    assert sync(dl).downloaded == 1
    assert local_files(local) == {"a.835": b"version one", "a-1.835": b"version two, longer"}


def test_file_growing_during_download_is_taken_later(
    sshd_server: SshdServer, tmp_path: Path
) -> None:
    """A remote file that changes while we read it is discarded now and downloaded whole later."""
    remote = sshd_server.folder("growing")
    target = remote / "g.835"
    target.write_bytes(os.urandom(512 * 1024))
    grew: list[bool] = []

    def grow(name: str, received: int) -> None:
        if not grew:
            with target.open("ab") as handle:
                handle.write(b"more")
            grew.append(True)

    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local), on_chunk=grow)
    with capture_logs() as logs:
        first = sync(dl)
    assert first.downloaded == 0
    assert any(e["event"] == "era.file.remote_changed" for e in logs)
    assert local_files(local) == {}
    assert sync(dl).downloaded == 1
    assert local_files(local)["g.835"] == target.read_bytes()


def test_archive_moves_remote_files(sshd_server: SshdServer, tmp_path: Path) -> None:
    """With archive_path, each downloaded file moves there; a taken name gets a suffix."""
    remote = sshd_server.folder("archive-src")
    archive = sshd_server.folder("archive-dst")
    (archive / "a.835").write_bytes(b"archived last week")
    (remote / "a.835").write_bytes(b"today")
    local = tmp_path / "local"
    dl = downloader(sftp_settings(sshd_server, remote, local, archive_path=str(archive)))
    with capture_logs() as logs:
        result = sync(dl)
    assert result.downloaded == 1 and result.archived == 1
    assert os.listdir(remote) == []
    assert {p.name: p.read_bytes() for p in archive.iterdir()} == {
        "a.835": b"archived last week", "a-1.835": b"today"}  # fmt: skip
    assert any(e["event"] == "era.file.archived" for e in logs)
    assert local_files(local) == {"a.835": b"today"}


def test_archive_failure_keeps_the_download(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A missing archive folder is logged; the file is downloaded once and not fetched again."""
    remote = sshd_server.folder("archive-missing")
    (remote / "a.835").write_bytes(b"a")
    local = tmp_path / "local"
    missing = sshd_server.root / "remote" / "no-such-folder"
    settings = sftp_settings(sshd_server, remote, local, archive_path=str(missing))
    dl = downloader(settings)
    with capture_logs() as logs:
        first = sync(dl)
    assert first.downloaded == 1 and first.archived == 0
    assert any(e["event"] == "era.file.archive_failed" for e in logs)
    assert sync(dl).downloaded == 0
    entry = DownloadLog(local / ".era-sftp-downloads.json").get("a.835")
    assert entry is not None and not entry.archived


def test_missing_remote_folder_is_a_config_error(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A remote folder that does not exist is a configuration problem, named in the message."""
    settings = sftp_settings(sshd_server, sshd_server.root / "remote" / "absent", tmp_path / "l")
    with pytest.raises(ConfigError, match="does not exist") as caught:
        sync(downloader(settings))
    assert caught.value.code == "sftp_folder_missing"


def test_closed_port_is_transient_and_retried(sshd_server: SshdServer, tmp_path: Path) -> None:
    """Nothing listening is a TransientError after the configured number of attempts."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = sftp_settings(sshd_server, sshd_server.folder("closed"), tmp_path / "l", port=port)
    with capture_logs() as logs, pytest.raises(TransientError) as caught:
        sync(downloader(settings, attempts=2))
    assert caught.value.code == "sftp_unreachable"
    assert [e["attempt"] for e in logs if e["event"] == "era.sftp.retrying"] == [1]


def test_stop_event_stops_between_files(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A set stop event ends the sync before the next file."""
    remote = sshd_server.folder("stop")
    for name in ("a.835", "b.835"):
        (remote / name).write_bytes(name.encode())
    stop = threading.Event()
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local"),
                    on_chunk=lambda _n, _r: stop.set())  # fmt: skip
    result = dl.sync(structlog.get_logger("test"), stop)
    assert result.downloaded == 1


def test_dry_run_downloads_nothing(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A dry run lists and counts new remote files without fetching them."""
    remote = sshd_server.folder("dry")
    (remote / "a.835").write_bytes(b"a")
    dl = downloader(sftp_settings(sshd_server, remote, tmp_path / "local"))
    result = sync(dl, dry_run=True)
    assert result.pending == 1 and result.downloaded == 0
    assert local_files(tmp_path / "local") == {}


def test_check_describes_the_server(sshd_server: SshdServer, tmp_path: Path) -> None:
    """check() connects, verifies the host key and lists the folder, naming the key it saw."""
    remote = sshd_server.folder("check")
    (remote / "a.835").write_bytes(b"a")
    text = downloader(sftp_settings(sshd_server, remote, tmp_path / "local")).check()
    assert "1 file(s) listed" in text and sshd_server.fingerprint("ed25519") in text


def test_leftover_partial_files_are_removed(sshd_server: SshdServer, tmp_path: Path) -> None:
    """A .part file left by a crashed process is removed before the next sync."""
    remote = sshd_server.folder("leftover")
    local = tmp_path / "local"
    local.mkdir()
    (local / ".a.835.1234abcd.part").write_bytes(b"half")
    (local / "keep.835").write_bytes(b"not ours to touch")
    sync(downloader(sftp_settings(sshd_server, remote, local)))
    assert sorted(os.listdir(local)) == ["keep.835"]
