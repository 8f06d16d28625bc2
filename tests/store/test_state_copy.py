"""`connector state copy` moves the whole state between engines with ids, history and
timestamps intact, refuses a non-empty target, and leaves the target's ids continuing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connector.cli import main
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.store import StateStore, open_store, url_secrets

pytestmark = pytest.mark.external_service


def _fill(store: StateStore) -> None:
    """Items in every state, reviews (open, retried, resolved), history, a cursor and polls."""
    items = [NewItem(f"txn_{n}", ItemKind.PATIENT_PAYMENT, {"n": n, "amt": Decimal("1.10")},
                     Decimal(f"{n}.25"), group_key="po_1") for n in range(6)]  # fmt: skip
    items.append(NewItem("txn_r", ItemKind.PATIENT_PAYMENT, {}, Decimal("-3.00"),
                         status=ItemStatus.REVIEW, review_reason="patient_not_found",
                         review_message="no patient"))  # fmt: skip
    store.record("p1", "stripe", items, cursor={"after": "po_1", "n": 7})
    ids = {i.key: i.id for i in store.group_items("p1", "po_1")}
    store.mark_posted(ids["txn_0"], {"PayNum": 11}, {"mode": "allocate"})
    store.mark_failed(ids["txn_1"], "transient", "timeout",
                      dt.datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC))  # fmt: skip
    store.mark_dead(ids["txn_2"], "permanent", "bad")
    store.mark_ignored(ids["txn_3"], "fee")
    store.save_progress(ids["txn_4"], {"step": 1})
    retried = store.mark_review(ids["txn_5"], "multiple_plans", "two plans", {"plans": 2})
    store.retry_review(retried)
    [open_review] = store.list_reviews()
    store.resolve_review(open_review.id, "keyed by hand")
    store.add_history(None, "p1", "era.file.quarantined", {"file": "x.835"})
    store.poll_failed("p1", "stripe", "transient", "down")
    store.poll_succeeded("p2", "era", {"files": 2})


def _snapshot(store: StateStore) -> dict[str, object]:
    review_item = store.find_item("p1", "txn_r")
    assert review_item is not None
    items = [*store.group_items("p1", "po_1"), review_item]
    return {
        "items": items,
        "history": {i.id: store.history(i.id) for i in items},
        "reviews": store.list_reviews(state="all"),
        "cursor": store.get_cursor("p1", "stripe"),
        "polls": store.poll_states(),
        "counts": store.status_counts(),
    }


@pytest.mark.parametrize("direction", ["sqlite_to_postgres", "postgres_to_sqlite"])
def test_copy_preserves_everything_between_engines(
    direction: str, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every item, review, history row, cursor and poll arrives equal, with the same ids."""
    lite = f"sqlite:///{tmp_path / 'state.db'}"
    source, target = (lite, postgres_url) if direction == "sqlite_to_postgres" else (
        postgres_url, lite)  # fmt: skip
    store = open_store(source)
    _fill(store)
    before = _snapshot(store)
    store.close()
    assert main(["state", "copy", "--from", source, "--to", target]) == 0
    out = capsys.readouterr()
    assert "items      7" in out.out and "reviews    2" in out.out and "history    16" in out.out
    [password] = url_secrets(postgres_url)
    assert password not in out.err and password not in out.out, "password printed"
    copied = open_store(target)
    try:
        assert _snapshot(copied) == before
        copied.record("p1", "stripe", [NewItem("txn_new", ItemKind.PATIENT_PAYMENT, {},
                                               Decimal("1.00"))])  # fmt: skip
        new = copied.find_item("p1", "txn_new")
        assert new is not None and new.id > max(i.id for i in before["items"])  # type: ignore[attr-defined]
        assert copied.mark_review(new.id, "x", "y") > max(r.id for r in before["reviews"])  # type: ignore[attr-defined]
    finally:
        copied.close()


def test_copy_refuses_a_target_that_already_has_items(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A target holding items is left untouched and the command exits 1."""
    lite = f"sqlite:///{tmp_path / 'state.db'}"
    for url, key in ((lite, "a"), (postgres_url, "b")):
        store = open_store(url)
        store.record("p1", "stripe", [NewItem(key, ItemKind.PATIENT_PAYMENT, {}, Decimal(1))])
        store.close()
    assert main(["state", "copy", "--from", lite, "--to", postgres_url]) == 1
    assert "state_not_empty" in capsys.readouterr().err
    target = open_store(postgres_url)
    assert target.status_counts() == {"p1": {"received": 1}} and target.find_item("p1", "a") is None
    target.close()
