"""Money staff already entered by hand: found before writing, sent to review, and resolved by
"link it" (nothing written) or "post anyway".

The posting job runs on a real SQLite store with the memory ledger (an adapter that passes the
contract suite, where ``patient_payments`` is checked on every vendor)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryLedger
from connector.cli import main
from connector.domain import ItemKind, ItemStatus
from connector.errors import PermanentError
from connector.posting import hand_entry
from connector.posting.hand import LINKED
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, new_stripe, practice, record
from tests.posting.runner_support import run
from tests.support.configs import od_practice, write_config

PAID = dt.date(2026, 11, 18)  # the payload's ``created`` day


def payment(store: SQLiteStore, key: str = "txn_hand", amount: str = "85.00") -> int:
    (item,) = record(store, new_stripe(ItemKind.PATIENT_PAYMENT, key, amount, charge=f"ch_{key}"))  # type: ignore[arg-type]
    return item.id


def review_of(store: SQLiteStore, item_id: int) -> Any:
    return next(r for r in store.list_reviews(PRACTICE, state="all") if r.item_id == item_id)


def test_a_payment_staff_keyed_in_is_sent_to_review_not_written_again(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """Same family (the child's account), same amount, a day after: review with the PMS row."""
    hand = led.add_hand_payment("2", PAID + dt.timedelta(days=1), "85.00", entered_by="amy")
    item_id = payment(store)
    counts = run(store, led)
    assert counts["review"] == 1 and counts["posted"] == 0
    assert [p.payment_id for p in led.payments] == [hand.payment_id]  # nothing written
    entry = review_of(store, item_id)
    assert entry.reason == "possible_hand_entry"
    assert entry.details["pms_id"] == hand.payment_id and entry.details["entered_by"] == "amy"
    assert entry.details["pms_date"] == "2026-11-19" and entry.details["pms_type"] == "Check"
    assert hand.payment_id in entry.message and "85.00" in entry.message


@pytest.mark.parametrize(
    ("day", "amount", "writeback"),
    [(PAID - dt.timedelta(days=4), "85.00", {}),  # outside the 3-day window
     (PAID, "85.01", {}),  # another amount
     (PAID, "85.00", {"hand_entry_window": "0d"})],  # the check is off
    ids=["outside-window", "other-amount", "check-off"],
)  # fmt: skip
def test_no_match_posts_as_usual(
    store: SQLiteStore, led: MemoryLedger, day: dt.date, amount: str, writeback: dict[str, Any]
) -> None:
    """Only a payment of the same amount within the window stops the write."""
    led.add_hand_payment("1", day, amount)
    payment(store)
    assert run(store, led, settings=practice(writeback=writeback))["posted"] == 1


def test_link_records_it_as_posted_and_a_later_refund_is_reviewed(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """ "Same payment": posted, pointing at the PMS row; nothing written, ever."""
    hand = led.add_hand_payment("1", PAID, "85.00")
    item_id = payment(store)
    run(store, led)
    pms_ids = hand_entry.link(store, review_of(store, item_id).id, "checked the day sheet")
    item = store.get_item(item_id)
    assert item is not None and item.status is ItemStatus.POSTED
    assert item.pms_ids == pms_ids and pms_ids[LINKED] == hand.payment_id
    assert any(h.event == "item.posted" for h in store.history(item_id))
    assert run(store, led).get("posted", 0) == 0 and len(led.payments) == 1
    record(store, new_stripe(ItemKind.REFUND, "txn_refund", "-85.00", charge="ch_txn_hand"))  # type: ignore[arg-type]
    run(store, led)
    (refund,) = [r for r in store.list_reviews(PRACTICE) if r.item_key == "txn_refund"]
    assert refund.reason == "reversal_of_hand_entry" and len(led.payments) == 1
    with pytest.raises(PermanentError):
        hand_entry.link(store, review_of(store, item_id).id)  # closed: not twice


def test_post_anyway_writes_it_once(store: SQLiteStore, led: MemoryLedger) -> None:
    """ "Another payment": planned again without the check, posted once, even if run twice."""
    led.add_hand_payment("1", PAID, "85.00")
    item_id = payment(store)
    run(store, led)
    hand_entry.post_anyway(store, review_of(store, item_id).id)
    assert run(store, led)["posted"] == 1
    assert run(store, led).get("posted", 0) == 0
    assert len(led.payments) == 2 and store.get_item(item_id).status is ItemStatus.POSTED  # type: ignore[union-attr]


def test_the_commands(
    store: SQLiteStore, led: MemoryLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector review link ID` and `connector retry ID --post-anyway` on the state store."""
    led.add_hand_payment("1", PAID, "85.00")
    first, second = payment(store, "txn_a"), payment(store, "txn_b")
    run(store, led)
    config = write_config(tmp_path, [od_practice(PRACTICE)])  # its state store is ``store``
    assert store.path == tmp_path / "state.db"
    link_id, other_id = review_of(store, first).id, review_of(store, second).id
    assert main(["--config", str(config), "review", "link", str(link_id)]) == 0
    assert "nothing was written" in capsys.readouterr().out
    assert main(["--config", str(config), "retry", str(other_id), "--post-anyway"]) == 0
    assert store.get_item(first).status is ItemStatus.POSTED  # type: ignore[union-attr]
    assert store.get_item(second).status is ItemStatus.RECEIVED  # type: ignore[union-attr]
    assert run(store, led)["posted"] == 1
    capsys.readouterr()
    assert main(["--config", str(config), "review", "--state", "all", "--json"]) == 0
    states = {r["item_key"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert states == {"txn_a": "resolved", "txn_b": "retried"}
