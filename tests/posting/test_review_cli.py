"""`connector review` / `review show` / `review resolve` / `retry` round trip through the CLI,
with the posting job run against the same state store and a MemoryLedger."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.memory import MemoryLedger
from connector.cli import main
from connector.config import load_config
from connector.domain import ItemKind, ItemStatus
from connector.store import SQLiteStore
from tests.posting.helpers import PRACTICE, ledger, new_stripe, record
from tests.posting.runner_support import run
from tests.support.configs import od_practice, write_config


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with one practice, ``smile``; these commands never resolve its secrets."""
    return write_config(tmp_path, [od_practice(PRACTICE)])


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_review_retry_and_resolve_round_trip(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A held payment is listed and shown in words; after the fix, retry re-plans and posts it;
    another is resolved by hand and leaves the open list."""
    settings = load_config(config, resolve_secrets=False).settings.practice(PRACTICE)
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    led: MemoryLedger = ledger()
    held, other = record(
        store,
        new_stripe(ItemKind.PATIENT_PAYMENT, "txn_1", "125.00", patient_ref="404"),
        new_stripe(ItemKind.PATIENT_PAYMENT, "txn_2", "30.00", patient_ref="9", charge="ch_2"),
    )
    assert run(store, led, settings=settings)["review"] == 2

    assert cli(config, "review") == 0
    listed = capsys.readouterr().out
    assert "patient_not_found" in listed and "patient_inactive" in listed and "125.00" in listed
    first = next(r for r in store.list_reviews(PRACTICE) if r.item_id == held.id)

    assert cli(config, "review", "show", str(first.id)) == 0
    shown = capsys.readouterr().out
    assert f"Review #{first.id} (open)" in shown
    assert "names patient 404, who is not in the PMS" in shown
    assert "To do:      Find who paid, then `connector retry ID --patient PMS_ID`" in shown
    assert "item.recorded - -> received" in shown and "item.review received -> review" in shown

    assert cli(config, "review", "--json", "show", str(first.id)) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["review"]["reason"] == "patient_not_found" and doc["item"]["key"] == "txn_1"
    assert [h["event"] for h in doc["history"]] == ["item.recorded", "item.review"]

    assert cli(config, "review", "--reason", "patient_inactive", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["item_key"] for r in rows] == ["txn_2"] and rows[0]["title"] == "patient inactive"

    led.add_patient("404", provider="DOC1")  # the admin fixes the cause in the PMS
    assert cli(config, "retry", str(first.id)) == 0
    assert "will be planned again" in capsys.readouterr().out
    assert run(store, led, settings=settings)["posted"] == 1
    posted = store.get_item(held.id)
    assert posted is not None and posted.status is ItemStatus.POSTED
    assert len(led.payments) == 1

    second = next(r for r in store.list_reviews(PRACTICE) if r.item_id == other.id)
    assert cli(config, "review", "resolve", str(second.id), "--note", "posted by front desk") == 0
    assert "resolved" in capsys.readouterr().out
    assert cli(config, "review") == 0
    assert capsys.readouterr().out.strip() == "no open reviews"
    assert cli(config, "review", "--state", "all") == 0
    everything = capsys.readouterr().out
    assert "resolved" in everything and "retried" in everything
    assert cli(config, "review", "show", str(second.id)) == 0
    assert "Resolution: posted by front desk" in capsys.readouterr().out
    store.close()


def test_retry_and_resolve_refuse_closed_or_unknown_reviews(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Retrying a closed review or showing an unknown one exits 1 with the error code."""
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    record(store, new_stripe(ItemKind.PAYOUT_FAILURE, "po_1:failed", "-10.00", patient_ref=None))
    run(store, ledger())
    [entry] = store.list_reviews(PRACTICE)
    assert cli(config, "retry", str(entry.id)) == 0
    assert "do not post automatically" in capsys.readouterr().out
    assert cli(config, "retry", str(entry.id)) == 1
    assert "review_not_open" in capsys.readouterr().err
    assert cli(config, "review", "show", "999") == 1
    assert "review_not_found" in capsys.readouterr().err
    store.close()


def test_retry_with_patient_posts_a_payment_whose_metadata_named_nobody(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`retry ID --patient P` posts a payment with no patient id to the patient staff name,
    and the choice is kept in the item's history."""
    settings = load_config(config, resolve_secrets=False).settings.practice(PRACTICE)
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    led: MemoryLedger = ledger()
    led.add_patient("77", provider="DOC1")
    [anonymous] = record(
        store, new_stripe(ItemKind.PATIENT_PAYMENT, "txn_9", "40.00", patient_ref=None)
    )
    assert run(store, led, settings=settings)["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "patient_not_found"

    assert cli(config, "retry", str(entry.id), "--patient", "77") == 0
    capsys.readouterr()
    assert run(store, led, settings=settings)["posted"] == 1
    [payment] = led.payments
    assert payment.patient_id == "77" and payment.amount == Decimal("40.00")
    progress = [h for h in store.history(anonymous.id) if h.event == "item.progress"]
    assert progress[0].detail["patient_override"] == "77"


def test_retry_with_patient_refuses_other_kinds(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--patient` on a review that is not a patient payment is refused with a clear error."""
    store = SQLiteStore(tmp_path / "state.db")
    store.migrate()
    [refund] = record(store, new_stripe(ItemKind.REFUND, "txn_r", "-5.00"))
    review_id = store.mark_review(refund.id, "reversal_unmatched", "no original")
    store.close()
    assert cli(config, "retry", str(review_id), "--patient", "77") == 1
    assert "only to patient payments" in capsys.readouterr().err
