"""The folder inbox: stability, content dedupe, processed/ and quarantine/, never deleting."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from connector.clock import FixedClock
from connector.errors import ConfigError, ParseError
from connector.sources.era.files import candidate_names, move_unique
from connector.sources.era.folder_inbox import CLOCK_PROBE, FolderInbox

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def Clock() -> FixedClock:
    """The test's clock: fixed, moved only by the test (the file system keeps real time)."""
    return FixedClock(START)


def make_inbox(path: Path, clock: FixedClock, stable_for: float = 10, **kw: object) -> FolderInbox:
    path.mkdir(exist_ok=True)
    return FolderInbox(path, stable_for=dt.timedelta(seconds=stable_for), clock=clock, **kw)  # type: ignore[arg-type]


def wait_out(inbox: FolderInbox, clock: FixedClock) -> None:
    """Let the inbox see its new files, then let a minute pass on the test's clock."""
    inbox.scan()
    clock.advance(60)


def all_contents(root: Path) -> list[bytes]:
    """Every regular file's bytes under root, excluding our own bookkeeping files."""
    return sorted(
        p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
        and not p.name.endswith(".error.json")
        and p.name not in {".era-index.jsonl", CLOCK_PROBE}
    )


def test_fresh_file_waits_until_stable(tmp_path: Path) -> None:
    """A file written just now is not taken until stable_for has passed."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    (inbox.path / "a.835").write_bytes(b"ISA...")
    first = inbox.scan()
    assert first.ready == [] and first.waiting == 1
    clock.advance(11)
    second = inbox.scan()
    assert [f.name for f in second.ready] == ["a.835"] and second.waiting == 0


def test_change_seen_between_polls_restarts_the_wait(tmp_path: Path) -> None:
    """A size change seen between two looks restarts the stable_for wait from that moment."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    target = inbox.path / "growing.835"
    target.write_bytes(b"part one")
    assert inbox.scan().ready == []  # young on the file system's clock: the wait starts now
    clock.advance(1000)
    assert [f.name for f in inbox.scan().ready] == ["growing.835"]
    with target.open("ab") as handle:
        handle.write(b" and part two")
    clock.advance(1)
    assert inbox.scan().ready == []  # the change is seen now
    clock.advance(9)
    assert inbox.scan().ready == []  # 9 s after the change was seen
    clock.advance(2)
    ready = inbox.scan().ready
    assert [f.size for f in ready] == [len(b"part one and part two")]


def test_ignores_hidden_partial_and_unmatched_files(tmp_path: Path) -> None:
    """Hidden, .part/.tmp, .error.json and unmatched files are left alone."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock, patterns=("*.835", "*.txt"))
    for name in (".hidden.835", ".x.835.ab12.part", "y.835.tmp", "z.835.error.json", "notes.pdf"):
        (inbox.path / name).write_bytes(b"x")
    (inbox.path / "REMIT.835").write_bytes(b"upper-case name matches too")
    (inbox.path / "sub").mkdir()
    wait_out(inbox, clock)
    assert [f.name for f in inbox.scan().ready] == ["REMIT.835"]


def test_ready_files_come_oldest_first_with_their_hash(tmp_path: Path) -> None:
    """Ready files are ordered by modification time and carry the sha256 of their content."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    for index, name in enumerate(("b.835", "a.835")):
        path = inbox.path / name
        path.write_bytes(name.encode())
        back_dated = path.stat().st_mtime - 100 + index
        os.utime(path, (back_dated, back_dated))
    wait_out(inbox, clock)
    ready = inbox.scan().ready
    assert [f.name for f in ready] == ["b.835", "a.835"]
    import hashlib

    assert ready[0].sha256 == hashlib.sha256(b"b.835").hexdigest()


def test_processed_content_is_known_across_restarts(tmp_path: Path) -> None:
    """After a file is processed its content hash is remembered, also by a new inbox object."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    (inbox.path / "a.835").write_bytes(b"same content")
    wait_out(inbox, clock)
    (entry,) = inbox.scan().ready
    moved = inbox.processed(entry, outcome="recorded", detail={"remittances": 1})
    assert moved == inbox.path / "processed" / "a.835" and moved.read_bytes() == b"same content"
    assert not (inbox.path / "a.835").exists()
    again = make_inbox(inbox.path, clock)
    (again.path / "a-resent.835").write_bytes(b"same content")
    wait_out(again, clock)
    (resent,) = again.scan().ready
    assert again.is_known(resent.sha256)
    (again.path / "other.835").write_bytes(b"other content")
    wait_out(again, clock)
    assert not again.is_known(next(f for f in again.scan().ready if f.name == "other.835").sha256)


def test_torn_index_line_is_tolerated(tmp_path: Path) -> None:
    """A half-written last index line (crash) is skipped; earlier entries still count."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    (inbox.path / "a.835").write_bytes(b"content a")
    wait_out(inbox, clock)
    (entry,) = inbox.scan().ready
    inbox.processed(entry, outcome="recorded", detail={})
    with inbox.index_path.open("a") as handle:
        handle.write('{"sha256": "abc')
    assert make_inbox(inbox.path, clock).is_known(entry.sha256)


def test_quarantine_writes_error_json_with_location(tmp_path: Path) -> None:
    """A quarantined file keeps its bytes; its .error.json has code, location, time and hash."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    (inbox.path / "bad.835").write_bytes(b"ISA*broken")
    wait_out(inbox, clock)
    (entry,) = inbox.scan().ready
    error = ParseError("CLP04 is not a number", file="bad.835", segment_no=17, segment_id="CLP",
                       element="CLP04")  # fmt: skip
    moved = inbox.quarantine(entry, error)
    assert moved == inbox.path / "quarantine" / "bad.835"
    assert moved.read_bytes() == b"ISA*broken"
    record = json.loads((inbox.path / "quarantine" / "bad.835.error.json").read_text())
    assert record["code"] == "x12_invalid"
    assert record["segment_no"] == 17 and record["segment_id"] == "CLP"
    assert record["element"] == "CLP04"
    assert record["message"] == "bad.835 segment 17 CLP CLP04: CLP04 is not a number"
    assert record["sha256"] == entry.sha256
    assert dt.datetime.fromisoformat(record["quarantined_at"]).tzinfo is not None
    assert not inbox.is_known(entry.sha256)  # a fixed copy may come back


def test_name_collisions_get_a_suffix_and_nothing_is_overwritten(tmp_path: Path) -> None:
    """Three files with one name end up as name, name-1, name-2 in processed/ and quarantine/."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock)
    inputs = []
    for round_no in range(3):
        content = f"round {round_no}".encode()
        inputs.append(content)
        (inbox.path / "ERA.835").write_bytes(content)
        wait_out(inbox, clock)
        (entry,) = inbox.scan().ready
        inbox.processed(entry, outcome="recorded", detail={})
    names = sorted(p.name for p in (inbox.path / "processed").iterdir())
    assert names == ["ERA-1.835", "ERA-2.835", "ERA.835"]
    for round_no in range(2):
        (inbox.path / "ERA.835").write_bytes(b"bad %d" % round_no)
        inputs.append(b"bad %d" % round_no)
        wait_out(inbox, clock)
        (entry,) = inbox.scan().ready
        inbox.quarantine(entry, ParseError("broken"))
    quarantined = sorted(p.name for p in (inbox.path / "quarantine").iterdir())
    assert quarantined == ["ERA-1.835", "ERA-1.835.error.json", "ERA.835", "ERA.835.error.json"]
    assert all_contents(inbox.path) == sorted(inputs)


def test_work_dir_elsewhere(tmp_path: Path) -> None:
    """With a separate work dir, processed/, quarantine/ and the index live there."""
    clock = Clock()
    inbox = make_inbox(tmp_path / "in", clock, work_dir=tmp_path / "work")
    (inbox.path / "a.835").write_bytes(b"a")
    wait_out(inbox, clock)
    (entry,) = inbox.scan().ready
    inbox.processed(entry, outcome="recorded", detail={})
    assert (tmp_path / "work" / "processed" / "a.835").read_bytes() == b"a"
    assert (tmp_path / "work" / ".era-index.jsonl").exists()
    assert list(inbox.path.iterdir()) == []


def test_check_reports_missing_and_waiting(tmp_path: Path) -> None:
    """check() names a missing folder as a configuration problem, and counts waiting files."""
    clock = Clock()
    missing = FolderInbox(tmp_path / "nope", clock=clock)
    with pytest.raises(ConfigError, match="does not exist"):
        missing.check()
    with pytest.raises(ConfigError):
        missing.scan()
    inbox = make_inbox(tmp_path / "in", clock)
    (inbox.path / "a.835").write_bytes(b"a")
    assert inbox.check() == f"folder {inbox.path}: 1 file(s) waiting"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_reports_read_only_folder(tmp_path: Path) -> None:
    """check() refuses a folder the connector cannot move files out of."""
    inbox = make_inbox(tmp_path / "in", Clock())
    inbox.path.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            inbox.check()
    finally:
        inbox.path.chmod(0o700)


def test_move_unique_never_overwrites(tmp_path: Path) -> None:
    """move_unique picks the next free name and leaves the existing file untouched."""
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "x.835").write_bytes(b"old")
    (tmp_path / "x.835").write_bytes(b"new")
    moved = move_unique(tmp_path / "x.835", tmp_path / "dest")
    assert moved.name == "x-1.835"
    assert (tmp_path / "dest" / "x.835").read_bytes() == b"old"
    assert moved.read_bytes() == b"new"
    assert not (tmp_path / "x.835").exists()


def test_candidate_names_keep_the_extension() -> None:
    """Suffixes go before the extension so re-queued files still match the patterns."""
    names = candidate_names("ERA_20261118.835")
    assert [next(names) for _ in range(3)] == ["ERA_20261118.835", "ERA_20261118-1.835",
                                               "ERA_20261118-2.835"]  # fmt: skip
    plain = candidate_names("REMIT")
    assert [next(plain) for _ in range(2)] == ["REMIT", "REMIT-1"]
