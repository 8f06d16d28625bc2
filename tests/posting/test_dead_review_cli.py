"""Dead items in `connector review`: listed beside the reviews with their reason and the action
to take, and closed with `connector review dismiss` once staff entered them by hand. Through the
CLI, with the posting job run against the same state store and a MemoryLedger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.memory import MemoryLedger
from connector.cli import main
from connector.config import PracticeSettings, load_config
from connector.domain import Item, ItemKind, ItemStatus
from connector.errors import NotImplementedYet, TransientError
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, ledger, new_stripe, record
from tests.posting.runner_support import run
from tests.support.configs import od_practice, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with one practice, ``smile``; these commands never resolve its secrets."""
    return write_config(tmp_path, [od_practice(PRACTICE)])


def settings(config: Path) -> PracticeSettings:
    """The ``smile`` practice as configured."""
    return load_config(config, resolve_secrets=False).settings.practice(PRACTICE)


def cli(config: Path, *args: str) -> int:
    """Run ``connector --config CONFIG ARGS``."""
    return main(["--config", str(config), *args])


def payment(store: SQLiteStore, txn: str, amount: str = "125.00") -> Item:
    """A recorded patient payment of patient 1 for ``smile``."""
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, txn, amount, charge=f"ch_{txn}"))
    return item


def unsupported() -> NotImplementedYet:
    """What an adapter raises for a write it does not do."""
    return NotImplementedYet("this write is not done on this PMS; post it by hand")


def test_dead_item_is_listed_with_reason_and_action_and_dismissed(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """An item that dies on a permanent error shows in `review` (text and JSON) with its code,
    words and what to do; `review dismiss` closes it as ignored with the note in its history."""
    led: MemoryLedger = ledger()
    led.fail("post_patient_payment", unsupported)
    item = payment(store, "txn_1")
    assert run(store, led, settings=settings(config))["dead"] == 1
    capsys.readouterr()

    assert cli(config, "review") == 0
    text = capsys.readouterr().out
    assert "Dead items (the connector gave up; each needs a person):" in text
    assert f"{item.id:>5}  {PRACTICE:<16} {'not_implemented':<26}" in text
    assert "cannot be written to this PMS: this write is not done on this PMS" in text
    assert f"`connector review dismiss {item.id} --note TEXT`" in text

    assert cli(config, "review", "--json") == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["type"], entry["item_id"], entry["reason"], entry["state"]) == (
        "dead",
        item.id,
        "not_implemented",
        "dead",
    )
    assert entry["amount"] == "125.00" and entry["requeue_helps"] is False
    assert "dismiss" in entry["action"] and entry["title"] == "cannot be written to this PMS"

    assert cli(config, "review", "--reason", "patient_not_found") == 0
    assert capsys.readouterr().out.strip() == "no open reviews"
    assert cli(config, "review", "--state", "resolved") == 0
    assert capsys.readouterr().out.strip() == "no resolved reviews"

    assert cli(config, "review", "dismiss", str(item.id), "--note", "keyed in by front desk") == 0
    assert f"item #{item.id} dismissed (not_implemented" in capsys.readouterr().out
    after = store.get_item(item.id)
    assert after is not None and after.status is ItemStatus.IGNORED
    [last] = [h for h in store.history(item.id) if h.event == "item.ignored"]
    assert last.detail["reason"] == "dismissed: handled by hand: keyed in by front desk"
    assert cli(config, "review") == 0
    assert capsys.readouterr().out.strip() == "no open reviews"


def test_item_dead_after_its_attempts_says_it_kept_failing_and_to_requeue(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A transient failure that used up `posting.max_attempts` is listed as kept failing, with
    `connector requeue ITEM_ID` as the action; reviews and dead items are listed together."""
    led: MemoryLedger = ledger()
    led.fail("post_patient_payment", lambda: TransientError("timed out", code="pms_timeout"))
    dying = payment(store, "txn_1")
    held = payment(store, "txn_2", "30.00")
    store.mark_review(held.id, "patient_not_found", "no patient 404")
    assert run(store, led, settings=settings(config), posting={"max_attempts": 1})["dead"] == 1
    capsys.readouterr()
    assert cli(config, "review") == 0
    text = capsys.readouterr().out
    assert "patient_not_found" in text and "pms_timeout" in text
    assert text.index("patient_not_found") < text.index("Dead items")
    assert "kept failing" in text and f"then `connector requeue {dying.id}`" in text
    assert cli(config, "review", "--reason", "pms_timeout", "--json") == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["item_id"] == dying.id and entry["requeue_helps"] is True


def test_dismiss_refuses_items_that_are_not_dead(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only dead items are dismissed; anything else is refused with its status, exit 1."""
    item = payment(store, "txn_1")
    assert cli(config, "review", "dismiss", str(item.id), "--note", "x") == 1
    err = capsys.readouterr()
    assert "is received, not dead" in err.out + err.err
    found = store.get_item(item.id)
    assert found is not None and found.status is ItemStatus.RECEIVED
