"""``connector replay``: re-reading a window is safe. Twice over a fully posted world it records
and posts nothing; after the state store is lost, it records everything again and the daemon
finds every entry already in the PMS — the ledgers end exactly as before, nothing doubled."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest

from connector.commands.progress import Progress
from tests.reliability.world import ES, OD, World

pytestmark = [pytest.mark.slow, pytest.mark.external_service]

LEDGER_PARTS = ("od_payments", "od_checks", "od_notes", "od_claimprocs", "od_claims",
                "es_headers", "es_bulk", "es_balances", "es_services")  # fmt: skip


def _counts(stdout: str) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        found[parts[1]] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return found


def _replay(world: World, practice: str, since: dt.date) -> dict[str, dict[str, int]]:
    run = world.run("replay", "--practice", practice, "--since", since.isoformat())
    assert run.returncode == 0, run.log.read_text()[-2000:]
    return _counts(run.stdout)


def test_replaying_twice_records_and_posts_nothing(world: World, reference: dict[str, Any]) -> None:
    """After everything is posted, two replays of both sources find only known items, the
    cursor stays where it was, and the next run posts nothing."""
    world.settle()
    before = world.snapshot()
    cursors = world.cursors()
    since = world.env.today - dt.timedelta(days=7)
    for _ in range(2):
        for practice in (OD, ES):
            counts = _replay(world, practice, since)
            assert counts["stripe"]["items_new"] == 0 and counts["stripe"]["items_duplicate"] > 0
            assert counts["era"]["items_new"] == 0 and counts["era"]["files"] >= 1
    after = world.run()
    assert "posted=0" in after.stdout and "already_posted=0" in after.stdout
    assert world.snapshot() == before == reference
    assert world.cursors() == cursors
    progress = world.log_files()[-2].read_text()
    assert re.search(r"replay hilltop era: 1/1", progress), progress[-500:]


def test_replay_after_losing_the_state_store_never_duplicates(
    world: World, reference: dict[str, Any]
) -> None:
    """With the state store deleted after everything was posted, a replay records every
    payment and claim again; the daemon finds each one already in the PMS by its marker, so
    the ledgers are unchanged and every item ends as it did."""
    world.settle()
    before = world.snapshot()
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (Path(world.env.work_dir) / name).unlink(missing_ok=True)
    since = world.env.today - dt.timedelta(days=7)
    recorded = {p: _replay(world, p, since) for p in (OD, ES)}
    assert recorded[OD]["stripe"]["items_new"] > 0 and recorded[OD]["era"]["items_new"] > 0
    runs = world.settle()
    after = world.snapshot()
    assert sum(int(n) for r in runs for n in re.findall(r"already_posted=(\d+)", r.stdout)) > 0
    for part in LEDGER_PARTS:
        assert after[part] == before[part], f"{part} changed after the replay"
    assert world.duplicates() == [] and world.half_written() == []
    assert after["items"] == reference["items"]


def test_progress_bar_on_a_terminal_and_lines_elsewhere() -> None:
    """On a terminal the bar redraws in place; elsewhere a line per tenth and the last."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress("replay p stripe", stream=tty, width=10)
    for done in range(1, 5):
        bar.update(done, 4)
    bar.finish()
    assert tty.getvalue().endswith("\rreplay p stripe [##########] 4/4\n")
    assert tty.getvalue().count("\r") == 4
    plain = io.StringIO()
    lines = Progress("replay p era", stream=plain)
    for done in range(1, 101):
        lines.update(done, 100)
    text = plain.getvalue().splitlines()
    assert text[0] == "replay p era: 1/100" and text[-1] == "replay p era: 100/100"
    assert len(text) == 11
