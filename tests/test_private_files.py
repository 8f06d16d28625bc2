"""Files holding patient data or secrets are owner-only whatever the umask (issue #14, item 9):
the state database and its WAL, ERA files and their index, quarantine reasons, diagnostics;
and a secret file others can read is warned about."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_config
from connector.domain import ItemKind, NewItem
from connector.store import SQLiteStore
from tests.sources.era.helpers import FILES
from tests.sources.era.test_era_source import context, folder_source
from tests.support.configs import od_practice, write_config
from tests.test_daemon import ENV


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask (group and others may read) for the test, restored after."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_the_state_database_and_its_wal_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    """A new store in a new folder: folder 0700; database, -wal and -shm 0600."""
    store = SQLiteStore(tmp_path / "new" / "state.db")
    try:
        store.migrate()
        store.record("a", "stripe", [NewItem(key="txn_1", kind=ItemKind.PATIENT_PAYMENT,
                                             payload={}, amount=Decimal("1.00"))])  # fmt: skip
        files = [tmp_path / "new" / n for n in ("state.db", "state.db-wal", "state.db-shm")]
        assert all(f.exists() for f in files)
        assert [_mode(f) for f in files] == [0o600] * 3
        assert _mode(tmp_path / "new") == 0o700
    finally:
        store.close()


def test_era_files_their_index_and_quarantine_reasons_are_owner_only(
    tmp_path: Path, open_umask: None, store: SQLiteStore
) -> None:
    """A good file dropped 0644 ends 0600 in processed/; the index, a quarantined file and its
    reason are 0600; the work folders 0700."""
    source = folder_source(tmp_path / "in")
    good = source.inbox.path / "good.835"
    shutil.copyfile(FILES / "plb_multiple.835", good)
    good.chmod(0o644)
    bad = source.inbox.path / "bad.835"
    shutil.copyfile(FILES / "truncated.835", bad)
    bad.chmod(0o644)
    source.poll(context(store))
    written = [p for p in (source.inbox.path).rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"good.835", "bad.835", "bad.835.error.json"}
    assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
    folders = [p for p in source.inbox.path.rglob("*") if p.is_dir()]
    assert folders and all(_mode(d) == 0o700 for d in folders)


def test_a_diagnostics_bundle_is_owner_only(tmp_path: Path, open_umask: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """``connector diagnostics -o FILE`` writes FILE 0600."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config = write_config(tmp_path, [od_practice("a")])
    out = tmp_path / "bundle.json"
    assert main(["--config", str(config), "diagnostics", "-o", str(out)]) == 0
    assert _mode(out) == 0o600


def test_a_secret_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    """check-config's warnings name the secret file and tell to chmod 600 it."""
    secret = tmp_path / "odbc-secret"
    secret.write_text("DSN=od;PWD=hunter2\n", encoding="utf-8")
    secret.chmod(0o644)
    practice = od_practice("a")
    practice["pms"]["odbc"] = {"connection_string": {"file": str(secret)}}  # type: ignore[index]
    loaded = load_config(write_config(tmp_path, [practice]), environ=ENV)
    assert any(str(secret) in w and "chmod 600" in w for w in loaded.warnings), loaded.warnings
    secret.chmod(0o600)
    loaded = load_config(write_config(tmp_path, [practice]), environ=ENV)
    assert not any(str(secret) in w for w in loaded.warnings)
