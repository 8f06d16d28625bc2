"""The console's store additions, on SQLite and PostgreSQL: accounts, sessions, throttling,
secrets, alert markers and the queue page's query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest

from connector.domain import ItemKind, ItemStatus, NewItem
from connector.errors import PermanentError
from connector.store import StateStore
from connector.store.console_base import ConsoleStore, QueueQuery

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def cstore(store: StateStore) -> ConsoleStore:
    """The store under test, seen through the console protocol."""
    return cast(ConsoleStore, store)


def test_accounts_are_unique_and_changes_end_sessions(cstore: ConsoleStore) -> None:
    """A name is taken once; a password change or disabling ends the account's sessions."""
    user = cstore.create_user("dana", "staff", ["p2", "p1", "p1"], "hash-1", T0)
    assert (user.role, user.practices, user.disabled) == ("staff", ("p1", "p2"), False)
    assert user.may_see("p1") and not user.may_see("p3")
    with pytest.raises(PermanentError) as err:
        cstore.create_user("dana", "admin", [], "hash-2", T0)
    assert err.value.code == "user_exists"
    cstore.create_session("tok-a", user.id, "csrf-a", T0)
    changed = cstore.update_user("dana", T0 + dt.timedelta(minutes=1), password_hash="hash-3")
    assert changed.password_hash == "hash-3"
    session = cstore.get_session("tok-a")
    assert session is not None and session.ended_at == T0 + dt.timedelta(minutes=1)
    disabled = cstore.update_user("dana", T0, disabled=True)
    assert disabled.disabled and not disabled.may_see("p1")
    with pytest.raises(PermanentError):
        cstore.update_user("nobody", T0, disabled=True)
    assert [u.name for u in cstore.list_users()] == ["dana"]


def test_sessions_touch_and_end(cstore: ConsoleStore) -> None:
    """Touching moves the idle timer; an ended session stays ended."""
    user = cstore.create_user("ann", "admin", [], "h", T0)
    cstore.create_session("tok", user.id, "csrf", T0)
    cstore.touch_session("tok", T0 + dt.timedelta(minutes=5))
    session = cstore.get_session("tok")
    assert session is not None and session.last_seen_at == T0 + dt.timedelta(minutes=5)
    cstore.end_session("tok", T0 + dt.timedelta(minutes=6))
    cstore.touch_session("tok", T0 + dt.timedelta(minutes=7))
    session = cstore.get_session("tok")
    assert session is not None and session.ended_at == T0 + dt.timedelta(minutes=6)
    assert session.last_seen_at == T0 + dt.timedelta(minutes=5)
    assert cstore.get_session("other") is None


def test_login_failures_count_per_account_and_address(cstore: ConsoleStore) -> None:
    """Failures are counted in a window, per account and per address; success clears."""
    for minute in range(3):
        cstore.add_login_failure("dana", "10.0.0.5", T0 + dt.timedelta(minutes=minute))
    cstore.add_login_failure("erin", "10.0.0.5", T0 + dt.timedelta(minutes=3))
    assert cstore.login_failures("dana", "10.0.0.5", T0) == (3, 4)
    assert cstore.login_failures("dana", "10.0.0.9", T0 + dt.timedelta(minutes=2)) == (1, 0)
    cstore.clear_login_failures("dana")
    assert cstore.login_failures("dana", "10.0.0.5", T0) == (0, 1)


def test_secrets_are_made_once_and_alerts_marked_once(cstore: ConsoleStore) -> None:
    """A generated secret is reused; an alert marker is inserted once."""
    first = cstore.console_secret("cookie", lambda: "s1", T0)
    assert cstore.console_secret("cookie", lambda: "s2", T0) == first == "s1"
    assert not cstore.alert_sent("p1", "digest", "2026-03-02")
    assert cstore.mark_alert_sent("p1", "digest", "2026-03-02", T0, {"items": 3})
    assert not cstore.mark_alert_sent("p1", "digest", "2026-03-02", T0, {"items": 3})
    assert cstore.alert_sent("p1", "digest", "2026-03-02")
    marker = cstore.last_alert("p1", "digest")
    assert marker is not None and (marker.period, marker.sent_at) == ("2026-03-02", T0)
    assert marker.detail == {"items": 3}
    cstore.release_alert("p1", "digest", "2026-03-02")
    assert not cstore.alert_sent("p1", "digest", "2026-03-02")
    assert cstore.mark_alert_sent("p1", "failing", "era", T0, {})
    assert [m[0] for m in cstore.alert_markers("p1", "failing")] == ["era"]
    assert cstore.last_alert("p2", "digest") is None


def _seed(store: StateStore) -> None:
    items = [
        NewItem(f"txn_{n}", ItemKind.PATIENT_PAYMENT, {"txn": n}, Decimal(f"{n}.00"))
        for n in range(1, 8)
    ]
    review = NewItem("clm_1", ItemKind.ERA_CLAIM, {"payer_name": "Delta Dental of Iowa"},
                     Decimal("80.00"), status=ItemStatus.REVIEW, review_reason="claim_not_found",
                     review_message="no claim")  # fmt: skip
    other = NewItem("clm_2", ItemKind.ERA_CLAIM, {"payer_name": "MetLife"}, Decimal("15.00"),
                    status=ItemStatus.REVIEW, review_reason="denied",
                    review_message="denied")  # fmt: skip
    store.record("p1", "stripe", items)
    store.record("p1", "era", [review, other])
    store.record("p2", "stripe", [NewItem("txn_x", ItemKind.PATIENT_PAYMENT, {}, Decimal("1"))])


def test_queue_page_filters_sorts_and_pages(cstore: ConsoleStore) -> None:
    """Status, practice, source, reason, payer and amount filters; sort; offset and limit."""
    _seed(cstore)
    received = (ItemStatus.RECEIVED,)
    page = cstore.queue_page(QueueQuery(received, ("p1",), sort="amount", descending=False,
                                        offset=2, limit=3))  # fmt: skip
    assert page.total == 7 and [r.item.key for r in page.rows] == ["txn_3", "txn_4", "txn_5"]
    assert cstore.queue_page(QueueQuery(received, None)).total == 8
    assert cstore.queue_page(QueueQuery(received, ())).total == 0
    amount = cstore.queue_page(QueueQuery(received, ("p1",), min_cents=200, max_cents=400))
    assert sorted(r.item.key for r in amount.rows) == ["txn_2", "txn_3", "txn_4"]
    review = (ItemStatus.REVIEW,)
    waiting = cstore.queue_page(QueueQuery(review, ("p1",), source="era"))
    assert waiting.total == 2 and waiting.facets["reason"] == ["claim_not_found", "denied"]
    assert all(r.review_id is not None for r in waiting.rows)
    by_reason = cstore.queue_page(QueueQuery(review, ("p1",), reason="denied"))
    assert [(r.item.key, r.reason) for r in by_reason.rows] == [("clm_2", "denied")]
    by_payer = cstore.queue_page(QueueQuery(review, ("p1",), payer="delta"))
    assert [r.item.key for r in by_payer.rows] == ["clm_1"]
    assert cstore.queue_page(QueueQuery(review, ("p1",), payer="100%")).total == 0
    later = cstore.queue_page(QueueQuery(received, ("p1",), since=T0 + dt.timedelta(days=3650)))
    assert later.total == 0


def test_open_review_for_an_item_and_new_reviews(cstore: ConsoleStore) -> None:
    """The item's open review is found; closed reviews are not."""
    _seed(cstore)
    item = cstore.find_item("p1", "clm_1")
    assert item is not None
    review = cstore.open_review_for(item.id)
    assert review is not None and review.reason == "claim_not_found"
    first = cstore.new_reviews("p1", 0)
    assert [r.item_key for r in first] == ["clm_1", "clm_2"]
    assert [r.item_key for r in cstore.new_reviews("p1", first[0].id)] == ["clm_2"]
    cstore.resolve_review(review.id, "posted by hand")
    assert cstore.open_review_for(item.id) is None
    latest = cstore.latest_review_for(item.id)
    assert latest is not None and (latest.state, latest.resolution_note) == (
        "resolved",
        "posted by hand",
    )
    received = cstore.find_item("p1", "txn_1")
    assert received is not None and cstore.latest_review_for(received.id) is None


def test_posted_between_counts_status_changes_to_posted(cstore: ConsoleStore) -> None:
    """Items that became posted in a window, with their amount."""
    _seed(cstore)
    item = cstore.find_item("p1", "txn_3")
    assert item is not None
    cstore.mark_posted(item.id, {"payment_id": "PAY-1"}, {})
    at = next(h.at for h in cstore.history(item.id) if h.to_status == "posted")
    assert cstore.posted_between("p1", at, at + dt.timedelta(seconds=1)) == (1, 300)
    assert cstore.posted_between("p1", at + dt.timedelta(seconds=1), at + dt.timedelta(days=1)) == (
        0,
        0,
    )
    assert cstore.posted_between("p2", at, at + dt.timedelta(seconds=1)) == (0, 0)


@pytest.mark.external_service
@pytest.mark.parametrize("direction", ["sqlite_to_postgres", "postgres_to_sqlite"])
def test_state_copy_keeps_console_accounts_and_alert_markers(
    direction: str, tmp_path: object, postgres_url: str
) -> None:
    """``connector state copy`` moves accounts (same ids and hashes), the cookie key and the
    alert markers; sessions are not copied; new accounts continue after the copied ids."""
    from pathlib import Path

    from connector.cli import main
    from connector.store import open_store

    lite = f"sqlite:///{Path(str(tmp_path)) / 'state.db'}"
    source_url, target_url = (
        (lite, postgres_url) if direction == "sqlite_to_postgres" else (postgres_url, lite)
    )
    source = cast(ConsoleStore, open_store(source_url))
    _seed(source)
    ann = source.create_user("ann", "admin", [], "hash-a", T0)
    source.create_user("sam", "staff", ["p1"], "hash-s", T0)
    source.create_session("tok", ann.id, "csrf", T0)
    key = source.console_secret("session_cookie_key", lambda: "k-1", T0)
    source.mark_alert_sent("p1", "digest", "2026-03-02", T0, {"last_review_id": 2})
    source.close()
    assert main(["state", "copy", "--from", source_url, "--to", target_url]) == 0
    target = cast(ConsoleStore, open_store(target_url))
    try:
        copied = target.get_user("ann")
        assert copied is not None and (copied.id, copied.password_hash) == (ann.id, "hash-a")
        assert target.console_secret("session_cookie_key", lambda: "other", T0) == key
        marker = target.last_alert("p1", "digest")
        assert marker is not None and marker.detail == {"last_review_id": 2}
        assert target.get_session("tok") is None
        assert target.create_user("zed", "admin", [], "h", T0).id > ann.id + 1
    finally:
        target.close()
