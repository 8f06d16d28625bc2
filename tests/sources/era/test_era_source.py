"""EraSource end to end: inbox files become store items exactly once (real parser and store)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from connector.config import PracticeSettings
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import AuthError, ParseError, TransientError
from connector.jobs import PollContext
from connector.redaction import REDACTED, Redactor
from connector.sources.era import EraSource
from connector.sources.era.folder_inbox import FolderInbox
from connector.sources.era.parser import parse_stream
from connector.sources.registry import build_sources
from connector.store import RecordResult, SQLiteStore
from tests.support.era_files import Claim, good_claims, make_835
from tests.support.sshd import SshdServer

PRACTICE = "smile-main"


def shared_samples() -> Path | None:
    """The shared sample folder: $CONNECTOR_SHARED_DIR, <repo>/../shared, or /work/shared."""
    env = os.environ.get("CONNECTOR_SHARED_DIR")
    repo = Path(__file__).resolve().parents[3]
    for base in ([Path(env)] if env else []) + [repo.parent / "shared", Path("/work/shared")]:
        if (base / "samples" / "era").is_dir():
            return base / "samples" / "era"
    return None


def practice(era: dict[str, Any]) -> PracticeSettings:
    return PracticeSettings.model_validate({
        "id": PRACTICE,
        "pms": {"vendor": "dentrix"},
        "era": era,
    })  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    yield db
    db.close()


def context(store: Any, **kw: Any) -> PollContext:
    settings = practice({"inbox": {"folder": {"path": "/unused"}}})
    return PollContext(practice=settings, store=store, redactor=kw.pop("redactor", Redactor()),
                       log=structlog.get_logger("test"), **kw)  # fmt: skip


def folder_source(inbox: Path) -> EraSource:
    inbox.mkdir(exist_ok=True)
    return EraSource(PRACTICE, FolderInbox(inbox, stable_for=dt.timedelta(0)))


def counts(store: SQLiteStore) -> dict[str, int]:
    return store.status_counts().get(PRACTICE, {})


def test_records_one_remittance_and_its_claims(store: SQLiteStore, tmp_path: Path) -> None:
    """A good file yields one era_remittance and one era_claim per CLP, and moves to processed/."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "a.835").write_bytes(make_835(good_claims()))
    with capture_logs() as logs:
        summary = source.poll(context(store))
    assert summary["files"] == 1 and summary["remittances"] == 1 and summary["claims"] == 2
    assert summary["quarantined"] == 0 and summary["duplicates"] == 0
    rem_key = "era:1999999999:TRACE0001:270.00"
    remittance = store.find_item(PRACTICE, rem_key)
    assert remittance is not None and remittance.kind is ItemKind.ERA_REMITTANCE
    assert remittance.status is ItemStatus.RECEIVED and str(remittance.amount) == "270.00"
    assert remittance.payload["file_sha256"] and remittance.payload["test"] is False
    group = store.group_items(PRACTICE, rem_key)
    claims = [i for i in group if i.kind is ItemKind.ERA_CLAIM]
    assert sorted(i.key for i in claims) == sorted(remittance.payload["claim_keys"])
    assert {str(i.amount) for i in claims} == {"90.00", "180.00"}
    assert {i.related_key for i in claims} == {"CP1", "CP2"}
    assert (source.inbox.path / "processed" / "a.835").exists()
    assert not (source.inbox.path / "a.835").exists()
    recorded = [e for e in logs if e["event"] == "era.file.recorded"]
    assert recorded and recorded[0]["new_claims"] == 2


def test_payloads_carry_no_names_or_member_ids(store: SQLiteStore, tmp_path: Path) -> None:
    """Stored payloads hold ids and amounts only: the patient names and member ids are absent."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "a.835").write_bytes(make_835(good_claims()))
    source.poll(context(store))
    text = json.dumps([i.payload for i in store.group_items(
        PRACTICE, "era:1999999999:TRACE0001:270.00")])  # fmt: skip
    for secret in ("Testperson", "Alicia", "Examplename", "MBR778899", "MBR112233"):
        assert secret not in text


def test_patient_data_is_registered_with_the_redactor(store: SQLiteStore, tmp_path: Path) -> None:
    """Names and member ids seen in the file are scrubbed from any later log text."""
    redactor = Redactor()
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "a.835").write_bytes(make_835(good_claims()))
    source.poll(context(store, redactor=redactor))
    scrubbed = redactor.scrub_text("claim for Alicia Testperson, member MBR778899")
    assert "Alicia" not in scrubbed and "Testperson" not in scrubbed
    assert "MBR778899" not in scrubbed and REDACTED in scrubbed


def test_resent_file_records_nothing_new(store: SQLiteStore, tmp_path: Path) -> None:
    """The same content under another name, and the same remittance re-enveloped, add no items."""
    source = folder_source(tmp_path / "in")
    data = make_835(good_claims())
    (source.inbox.path / "a.835").write_bytes(data)
    source.poll(context(store))
    before = counts(store)
    (source.inbox.path / "a-resent.835").write_bytes(data)
    again = source.poll(context(store))
    assert again["duplicate_files"] == 1 and again["remittances"] == 0 and again["claims"] == 0
    (source.inbox.path / "b.835").write_bytes(make_835(good_claims(), interchange="000000999"))
    third = source.poll(context(store))
    assert third["duplicates"] == 3 and third["remittances"] == 0 and third["claims"] == 0
    assert counts(store) == before
    assert sorted(p.name for p in (source.inbox.path / "processed").iterdir()) == [
        "a-resent.835", "a.835", "b.835"]  # fmt: skip


def test_test_file_is_recorded_but_ignored(store: SQLiteStore, tmp_path: Path) -> None:
    """ISA15=T: items are stored as ignored (reason test file) under test: keys, never to post."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "t.835").write_bytes(make_835(good_claims(), usage="T"))
    summary = source.poll(context(store))
    assert summary["remittances"] == 1 and summary["claims"] == 2
    assert counts(store) == {"ignored": 3}
    assert store.due_items(PRACTICE, dt.datetime.max.replace(tzinfo=dt.UTC), 10) == []
    item = store.find_item(PRACTICE, "test:era:1999999999:TRACE0001:270.00")
    assert item is not None and item.payload["test"] is True
    # the production copy of the same remittance is not mistaken for a duplicate
    (source.inbox.path / "p.835").write_bytes(make_835(good_claims(), usage="P"))
    assert source.poll(context(store))["remittances"] == 1
    assert counts(store) == {"ignored": 3, "received": 3}


def test_malformed_file_quarantined_good_file_recorded(store: SQLiteStore, tmp_path: Path) -> None:
    """In one poll a truncated file is quarantined with its reason; the good file is recorded."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "bad.835").write_bytes(make_835(good_claims("B"))[:-60])
    (source.inbox.path / "good.835").write_bytes(make_835(good_claims(), trace="GOOD1"))
    with capture_logs() as logs:
        summary = source.poll(context(store))
    assert summary["quarantined"] == 1 and summary["remittances"] == 1
    quarantine = source.inbox.path / "quarantine"
    assert sorted(p.name for p in quarantine.iterdir()) == ["bad.835", "bad.835.error.json"]
    record = json.loads((quarantine / "bad.835.error.json").read_text())
    assert record["code"] == "x12_invalid" and record["segment_no"] is not None
    assert record["message"].startswith("bad.835 segment ")
    assert (source.inbox.path / "processed" / "good.835").exists()
    event = next(e for e in logs if e["event"] == "era.file.quarantined")
    assert event["file"] == "bad.835" and event["error_code"] == "x12_invalid"
    assert counts(store) == {"received": 3}


def test_garbage_file_is_quarantined(store: SQLiteStore, tmp_path: Path) -> None:
    """A file that is not X12 at all is quarantined, not crashed on."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "junk.835").write_bytes(os.urandom(4096))
    assert source.poll(context(store))["quarantined"] == 1
    assert (source.inbox.path / "quarantine" / "junk.835.error.json").exists()


def test_requeued_file_is_processed_again(store: SQLiteStore, tmp_path: Path) -> None:
    """A quarantined file moved back into the inbox after fixing is parsed and recorded."""
    source = folder_source(tmp_path / "in")
    good = make_835(good_claims())
    (source.inbox.path / "x.835").write_bytes(good[:-60])
    source.poll(context(store))
    fixed = source.inbox.path / "quarantine" / "x.835"
    fixed.write_bytes(good)  # the admin repairs it (or gets a new copy) ...
    shutil.move(str(fixed), source.inbox.path / "x.835")  # ... and moves it back
    summary = source.poll(context(store))
    assert summary["remittances"] == 1 and summary["quarantined"] == 0


def test_parser_crash_quarantines_and_continues(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception from the parser quarantines that file; the next file is recorded."""
    import connector.sources.era.source as source_module

    real = source_module.stream_claims

    def flaky(stream: Any, name: str, **kw: Any) -> Any:
        if name == "crash.835":
            raise RuntimeError("parser bug")
        return real(stream, name, **kw)

    monkeypatch.setattr(source_module, "stream_claims", flaky)
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "crash.835").write_bytes(make_835(good_claims("X"), trace="X"))
    (source.inbox.path / "fine.835").write_bytes(make_835(good_claims(), trace="FINE"))
    with capture_logs() as logs:
        summary = source.poll(context(store))
    assert summary["quarantined"] == 1 and summary["remittances"] == 1
    record = json.loads((source.inbox.path / "quarantine" / "crash.835.error.json").read_text())
    assert record["code"] == "unexpected" and record["message"] == "RuntimeError"
    assert any(e["event"] == "era.file.parser_crashed" for e in logs)


class FailingStore(SQLiteStore):
    """A real SQLite store whose record() fails on chosen calls, as a lost database would."""

    def __init__(self, path: Path, fail_on: set[int]) -> None:
        super().__init__(path)
        self.calls = 0
        self.fail_on = fail_on

    def record(self, practice_id: str, source: str, items: Sequence[NewItem],
               cursor: dict[str, Any] | None = None) -> RecordResult:  # fmt: skip
        self.calls += 1
        if self.calls in self.fail_on:
            raise TransientError("database unavailable", code="store_unavailable")
        return super().record(practice_id, source, items, cursor)


def test_store_failure_leaves_the_file_for_the_next_poll(tmp_path: Path) -> None:
    """If recording file 2 fails, file 1 is complete and file 2 untouched, then retried."""
    db = FailingStore(tmp_path / "state.db", fail_on={2})
    db.migrate()
    source = folder_source(tmp_path / "in")
    first, second = source.inbox.path / "1.835", source.inbox.path / "2.835"
    first.write_bytes(make_835(good_claims("A"), trace="T1"))
    second.write_bytes(make_835(good_claims("B"), trace="T2"))
    back_dated = first.stat().st_mtime - 60
    os.utime(first, (back_dated, back_dated))  # taken first
    with pytest.raises(TransientError):
        source.poll(context(db))
    assert db.calls == 2  # one record() call per file
    assert counts(db) == {"received": 3}  # all of file 1, nothing of file 2
    assert second.exists() and not first.exists()
    summary = source.poll(context(db))
    assert summary["remittances"] == 1 and summary["claims"] == 2
    assert counts(db) == {"received": 6}
    db.close()


def test_crash_after_recording_before_moving(store: SQLiteStore, tmp_path: Path) -> None:
    """A file recorded but not moved (crash) is recorded as duplicates only on the next poll."""
    source = folder_source(tmp_path / "in")
    data = make_835(good_claims())
    (source.inbox.path / "a.835").write_bytes(data)
    source.poll(context(store))
    # put the processed file back and forget the content index: as if we died before moving it
    shutil.move(str(source.inbox.path / "processed" / "a.835"), source.inbox.path / "a.835")
    source.inbox.index_path.unlink()
    fresh = folder_source(source.inbox.path)
    summary = fresh.poll(context(store))
    assert summary["duplicates"] == 3 and summary["remittances"] == 0
    assert counts(store) == {"received": 3}


def test_repeated_claim_keys_in_one_remittance_are_kept_apart(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Two claims with the same CLP01, CLP07 and CLP02 in one remittance become two items."""
    claims = [Claim("SPLIT1", "100.00", "60.00", payer_control="PCN9"),
              Claim("SPLIT1", "50.00", "40.00", payer_control="PCN9")]  # fmt: skip
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "s.835").write_bytes(make_835(claims))
    summary = source.poll(context(store))
    assert summary["claims"] == 2
    rem = store.find_item(PRACTICE, "era:1999999999:TRACE0001:100.00")
    assert rem is not None
    assert rem.payload["claim_keys"][1] == rem.payload["claim_keys"][0] + ":2"


def test_reversal_and_correction_are_distinct(store: SQLiteStore, tmp_path: Path) -> None:
    """A reversal (CLP02=22) and its correction for the same claim are two claim items."""
    claims = [Claim("R1", "100.00", "-80.00", status="22", payer_control="PCN5"),
              Claim("R1", "100.00", "70.00", patient="30.00", payer_control="PCN5")]  # fmt: skip
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "r.835").write_bytes(make_835(claims))
    assert source.poll(context(store))["claims"] == 2


def test_stop_event_is_honoured_between_files(store: SQLiteStore, tmp_path: Path) -> None:
    """With the stop event set, no file is started; files stay in the inbox."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "a.835").write_bytes(make_835(good_claims()))
    stop = threading.Event()
    stop.set()
    summary = source.poll(context(store, stop=stop))
    assert summary["files"] == 0 and (source.inbox.path / "a.835").exists()


def test_dry_run_records_and_moves_nothing(store: SQLiteStore, tmp_path: Path) -> None:
    """A dry run parses and counts but records nothing and leaves every file in place."""
    source = folder_source(tmp_path / "in")
    (source.inbox.path / "a.835").write_bytes(make_835(good_claims()))
    (source.inbox.path / "bad.835").write_bytes(b"ISA*not really")
    summary = source.poll(context(store, dry_run=True))
    assert summary["files"] == 2 and summary["quarantined"] == 1
    assert counts(store) == {}
    assert sorted(p.name for p in source.inbox.path.iterdir()) == ["a.835", "bad.835"]


def test_shared_samples_are_recorded(store: SQLiteStore, tmp_path: Path) -> None:
    """Every public sample file is recorded (or quarantined) and none is lost or duplicated."""
    samples = shared_samples()
    if samples is None:
        pytest.skip("shared/samples/era not found (set CONNECTOR_SHARED_DIR)")
    source = folder_source(tmp_path / "in")
    names = sorted(p.name for p in samples.iterdir() if p.name != "SOURCES.md")
    for name in names:
        shutil.copyfile(samples / name, source.inbox.path / name)
    expected: set[str] = set()
    quarantined = 0
    for name in names:
        try:
            with (samples / name).open("rb") as stream:
                remittances = list(parse_stream(stream, name))
        except ParseError:
            quarantined += 1
            continue
        if any(r.payment_date is None for r in remittances):
            quarantined += 1  # BPR16 missing or not a date: refused (#14)
            continue
        expected |= {r.item_key if not r.test else "test:" + r.item_key for r in remittances}
    summary = source.poll(context(store))
    assert summary["files"] == len(names)
    assert summary["remittances"] == len(expected) and summary["quarantined"] == quarantined
    for key in expected:
        assert store.find_item(PRACTICE, key) is not None
    folders = [source.inbox.path / d for d in ("processed", "quarantine")]
    moved = [p.name for d in folders if d.is_dir() for p in d.iterdir()
             if not p.name.endswith(".error.json")]  # fmt: skip
    assert sorted(moved) == names
    assert source.poll(context(store))["files"] == 0


def test_registry_builds_the_era_source(tmp_path: Path) -> None:
    """The source registry now finds EraSource for a practice with an era section."""
    (tmp_path / "in").mkdir()
    sources = build_sources(practice({"inbox": {"folder": {"path": str(tmp_path / "in")}}}))
    assert [type(s).__name__ for s in sources] == ["EraSource"]


def test_from_settings_and_check_for_a_folder(tmp_path: Path) -> None:
    """from_settings honours work_dir and stable_for; check() describes the folder."""
    (tmp_path / "in").mkdir()
    era = {"inbox": {"folder": {"path": str(tmp_path / "in"), "stable_for": "30s"}},
           "work_dir": str(tmp_path / "work")}  # fmt: skip
    source = EraSource.from_settings(practice(era))
    assert source.inbox.processed_dir == tmp_path / "work" / "processed"
    assert source.inbox.stable_for == 30
    assert source.check(context(None)) == f"folder {tmp_path / 'in'}: 0 file(s) waiting"


def sftp_era(server: SshdServer, remote: Path, local: Path, **over: Any) -> dict[str, Any]:
    sftp = {"host": server.host, "port": server.port, "path": str(remote),
            "username": {"value": server.username}, "private_key_file": str(server.client_key),
            "known_hosts": str(server.known_hosts), "local_dir": str(local), "timeout": "10s",
            **over}  # fmt: skip
    return {"inbox": {"sftp": sftp}}


@pytest.mark.external_service
def test_sftp_poll_downloads_and_records(
    sshd_server: SshdServer, store: SQLiteStore, tmp_path: Path
) -> None:
    """Over SFTP: new remote files are downloaded, recorded once, and archived remotely."""
    remote = sshd_server.folder("source-e2e")
    archive = sshd_server.folder("source-e2e-archive")
    (remote / "one.835").write_bytes(make_835(good_claims("S"), trace="SFTP1"))
    (remote / "bad.835").write_bytes(b"ISA*this is not an 835")
    era = sftp_era(sshd_server, remote, tmp_path / "local", archive_path=str(archive))
    source = EraSource.from_settings(practice(era))
    assert "file(s) listed" in source.check(context(None))
    summary = source.poll(context(store))
    assert summary["downloaded"] == 2 and summary["remittances"] == 1
    assert summary["quarantined"] == 1
    assert sorted(p.name for p in archive.iterdir()) == ["bad.835", "one.835"]
    assert (tmp_path / "local" / "processed" / "one.835").exists()
    assert (tmp_path / "local" / "quarantine" / "bad.835.error.json").exists()
    assert source.poll(context(store))["downloaded"] == 0


@pytest.mark.external_service
def test_sftp_refusal_still_records_local_files(
    sshd_server: SshdServer, store: SQLiteStore, tmp_path: Path
) -> None:
    """If SFTP refuses the host key, files already downloaded are recorded, then it raises."""
    local = tmp_path / "local"
    local.mkdir()
    (local / "earlier.835").write_bytes(make_835(good_claims(), trace="EARLIER"))
    known = tmp_path / "known_hosts"
    known.write_text("")
    era = sftp_era(sshd_server, sshd_server.folder("refused"), local, known_hosts=str(known))
    source = EraSource.from_settings(practice(era))
    with pytest.raises(AuthError):
        source.poll(context(store))
    assert counts(store) == {"received": 3}
