"""`connector requeue` and the dead items in `connector status`, through the CLI, with the posting
job run against the same state store and a MemoryLedger."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from adapters.memory import MemoryLedger
from connector.cli import main
from connector.config import PracticeSettings, load_config
from connector.domain import Item, ItemKind, ItemStatus
from connector.errors import PermanentError, TransientError
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, ledger, new_stripe, record
from tests.posting.runner_support import NOW, run
from tests.support.configs import od_practice, write_config

OTHER = "downtown"
SECRETS = {"TEST_OD_DEV": "dev-key-123", "TEST_OD_CUST": "cust-key-456", "TEST_OD_ODBC": "DSN=od"}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two practices, ``smile`` and ``downtown``; `status` resolves their secrets from the env."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return write_config(tmp_path, [od_practice(PRACTICE), od_practice(OTHER)])


def settings(config: Path) -> PracticeSettings:
    """The ``smile`` practice as configured."""
    return load_config(config, resolve_secrets=False).settings.practice(PRACTICE)


def cli(config: Path, *args: str) -> int:
    """Run ``connector --config CONFIG ARGS``."""
    return main(["--config", str(config), *args])


def refused_type() -> PermanentError:
    """What Open Dental answers when the payment type was deleted."""
    return PermanentError("payment type 70 was refused (deleted)", code="pms_rejected")


def payment(store: SQLiteStore, txn: str, amount: str = "125.00") -> Item:
    """A recorded patient payment of patient 1 for ``smile``."""
    [item] = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, txn, amount, charge=f"ch_{txn}"))
    return item


def dead_in(store: SQLiteStore, practice: str, key: str) -> Item:
    """A dead item of ``practice`` made through the store (what the CLI sees is the same)."""
    store.record(practice, "stripe", [new_stripe(ItemKind.PATIENT_PAYMENT, key, "10.00")])
    item = store.find_item(practice, key)
    assert item is not None
    store.mark_dead(item.id, "permanent", "refused")
    return item


def status_of(store: SQLiteStore, item: Item) -> ItemStatus:
    """The item's status as stored now."""
    found = store.get_item(item.id)
    assert found is not None
    return found.status


def test_dead_payment_is_shown_in_status_requeued_and_posted(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payment killed by a permanent PMS error is listed by `status` (text and JSON) with its
    id and error; after the fix, `requeue ID` queues it and the next run posts it once."""
    led: MemoryLedger = ledger()
    led.fail("post_patient_payment", refused_type)
    item = payment(store, "txn_1")
    assert run(store, led, settings=settings(config))["dead"] == 1
    capsys.readouterr()  # the posting job's log lines

    assert cli(config, "status", "--json") == 0
    doc = json.loads(capsys.readouterr().out)["practices"]
    [dead] = doc[PRACTICE]["dead_items"]
    assert dead == {
        "item_id": item.id, "practice_id": PRACTICE, "kind": "patient_payment", "key": "txn_1",
        "amount": "125.00", "error_code": "pms_rejected",
        "error": "payment type 70 was refused (deleted)", "attempts": 1,
        "next_attempt_at": None, "updated_at": dead["updated_at"],
    }  # fmt: skip
    assert doc[PRACTICE]["items"]["dead"] == 1 and doc[OTHER]["dead_items"] == []
    assert cli(config, "status") == 0
    text = capsys.readouterr().out
    assert f"#{item.id} patient_payment txn_1 125.00 [pms_rejected] payment type 70" in text
    assert "connector requeue ITEM_ID" in text

    assert cli(config, "requeue", str(item.id)) == 0
    out = capsys.readouterr().out
    assert f"item #{item.id} (patient_payment txn_1, practice {PRACTICE}): was dead" in out
    assert "[pms_rejected], now queued" in out and "next posting run" in out
    assert status_of(store, item) is ItemStatus.RECEIVED

    assert run(store, led, settings=settings(config))["posted"] == 1
    assert len(led.payments) == 1 and status_of(store, item) is ItemStatus.POSTED
    events = [h.event for h in store.history(item.id) if h.event != "item.progress"]
    assert events == ["item.recorded", "item.dead", "item.requeued", "item.posted"]
    assert cli(config, "status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["practices"][PRACTICE]["dead_items"] == []


def test_status_lists_failed_items_with_their_next_attempt(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed item shows in `status` with its next attempt; `requeue ID` makes it due now."""
    item = payment(store, "txn_1")
    later = NOW + dt.timedelta(hours=2)
    store.mark_failed(item.id, "pms_api_unavailable", "Open Dental did not answer", later)
    assert cli(config, "status", "--json") == 0
    [failed] = json.loads(capsys.readouterr().out)["practices"][PRACTICE]["failed_items"]
    assert failed["item_id"] == item.id and failed["error_code"] == "pms_api_unavailable"
    assert failed["next_attempt_at"] == later.isoformat(timespec="seconds")
    assert cli(config, "status") == 0
    assert f"(next attempt {later.isoformat(timespec='seconds')})" in capsys.readouterr().out
    assert cli(config, "requeue", str(item.id)) == 0
    assert "was failed [pms_api_unavailable], now queued" in capsys.readouterr().out
    assert [i.id for i in store.due_items(PRACTICE, NOW, 10)] == [item.id]


def test_each_refusal_says_why(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Posted, review, received, ignored and unknown items are refused with exit 1, their code
    and plain words; the review refusal names the review to retry."""
    posted, review, received, ignored = (payment(store, t) for t in ("p", "r", "q", "i"))
    store.mark_posted(posted.id, {"payment_id": "PAY1"}, {})
    review_id = store.mark_review(review.id, "patient_not_found", "no patient 404")
    store.mark_ignored(ignored.id, "netted")
    expected = {
        posted.id: ("item_posted", "is already in the PMS (posted)"),
        review.id: ("item_in_review", f"waiting in review #{review_id}; use `connector retry "
                                      f"{review_id}` after fixing the cause"),
        received.id: ("item_queued", "already waiting for the posting job; nothing to do"),
        ignored.id: ("item_ignored", "is ignored (recorded for completeness, never posted)"),
        424242: ("item_not_found", "no item with id 424242"),
    }  # fmt: skip
    for item_id, (code, words) in expected.items():
        assert cli(config, "requeue", str(item_id)) == 1
        captured = capsys.readouterr()
        assert f"error [{code}]: " in captured.err and words in captured.err
        assert "now queued" not in captured.out
    assert [status_of(store, i) for i in (posted, review, received, ignored)] == [
        ItemStatus.POSTED, ItemStatus.REVIEW, ItemStatus.RECEIVED, ItemStatus.IGNORED,
    ]  # fmt: skip


def test_a_refusal_does_not_stop_the_other_ids(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """`requeue A B` with B posted requeues A, names B's refusal, and exits 1."""
    dead, posted = dead_in(store, PRACTICE, "d"), payment(store, "p")
    store.mark_posted(posted.id, {"payment_id": "PAY1"}, {})
    assert cli(config, "requeue", str(posted.id), str(dead.id)) == 1
    captured = capsys.readouterr()
    assert "requeued 1 of 2 items" in captured.out and f"item #{dead.id} " in captured.out
    assert "error [item_posted]" in captured.err
    assert status_of(store, dead) is ItemStatus.RECEIVED


def test_requeue_dead_takes_every_dead_item_or_one_practice(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--dead --practice P` requeues only P's dead items; `--dead` the rest of them; failed
    items are left to their backoff; with none left it says so and exits 0."""
    smile = [dead_in(store, PRACTICE, k) for k in ("s1", "s2")]
    downtown = dead_in(store, OTHER, "d1")
    failed = payment(store, "f1")
    store.mark_failed(failed.id, "transient", "timeout", NOW + dt.timedelta(hours=1))

    assert cli(config, "requeue", "--dead", "--practice", OTHER) == 0
    out = capsys.readouterr().out
    assert "requeued 1 of 1 item\n" in out and f"item #{downtown.id} " in out
    assert [status_of(store, i) for i in smile] == [ItemStatus.DEAD, ItemStatus.DEAD]

    assert cli(config, "requeue", "--dead") == 0
    out = capsys.readouterr().out
    assert "requeued 2 of 2 items" in out
    assert all(f"item #{i.id} (patient_payment {i.key}, practice {PRACTICE})" in out for i in smile)
    assert status_of(store, downtown) is ItemStatus.RECEIVED
    assert status_of(store, failed) is ItemStatus.FAILED

    assert cli(config, "requeue", "--dead") == 0
    assert capsys.readouterr().out == "no dead items; nothing to requeue\n"
    assert cli(config, "requeue", "--dead", "--practice", PRACTICE) == 0
    assert f"no dead items for practice {PRACTICE}" in capsys.readouterr().out


def test_argument_mistakes_are_refused(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither ids nor --dead, both, --practice without --dead (exit 1), and an unknown
    practice (exit 2, a configuration mistake) requeue nothing."""
    dead = dead_in(store, PRACTICE, "d")
    for args in ([], [str(dead.id), "--dead"], [str(dead.id), "--practice", PRACTICE]):
        assert cli(config, "requeue", *args) == 1
        assert "error [requeue_invalid]" in capsys.readouterr().err
    assert cli(config, "requeue", "--dead", "--practice", "nowhere") == 2
    assert "no practice 'nowhere'" in capsys.readouterr().err
    assert status_of(store, dead) is ItemStatus.DEAD


def test_requeued_item_gets_the_full_attempt_budget(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """An item that died of too many failures starts counting again after a requeue: the next
    failure schedules a retry instead of killing it at once."""
    led: MemoryLedger = ledger()
    posting = {"max_attempts": 2, "retry_backoff": "1m"}
    led.fail("post_patient_payment", lambda: TransientError("timeout"), times=3)
    item = payment(store, "txn_1")
    assert run(store, led, settings=settings(config), posting=posting)["failed"] == 1
    later = NOW + dt.timedelta(minutes=5)
    assert run(store, led, settings=settings(config), posting=posting, now=later)["dead"] == 1

    assert cli(config, "requeue", str(item.id)) == 0
    capsys.readouterr()
    counts = run(store, led, settings=settings(config), posting=posting, now=later)
    assert counts["failed"] == 1 and counts["dead"] == 0
    again = NOW + dt.timedelta(minutes=10)
    assert run(store, led, settings=settings(config), posting=posting, now=again)["posted"] == 1
    assert len(led.payments) == 1


def test_requeued_item_already_in_the_pms_is_not_posted_twice(
    config: Path, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PMS wrote the payment but answered with a permanent error, so the item died; after a
    requeue the engine finds its marker and only marks it posted."""
    led: MemoryLedger = ledger()
    led.fail("post_patient_payment", refused_type, after_commit=True)
    item = payment(store, "txn_1")
    assert run(store, led, settings=settings(config))["dead"] == 1
    assert len(led.payments) == 1  # the write did land

    assert cli(config, "requeue", "--dead") == 0
    capsys.readouterr()
    counts = run(store, led, settings=settings(config))
    assert counts["already_posted"] == 1 and counts["posted"] == 0
    assert len(led.payments) == 1
    posted = store.get_item(item.id)
    assert posted is not None and posted.status is ItemStatus.POSTED
    assert posted.pms_ids["payment_id"] == led.payments[0].pms_ids["payment_id"]
