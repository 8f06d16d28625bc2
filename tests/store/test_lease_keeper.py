"""The instance side of leases (LeaseKeeper), on SQLite and PostgreSQL: log each change once,
stop work at the local deadline, drop everything when renewal fails, rebalance when idle."""

from __future__ import annotations

import datetime as dt
import threading

from structlog.testing import capture_logs

from connector.leases import LeaseKeeper
from connector.store import StateStore
from tests.store.conftest import RawExecute

TTL = dt.timedelta(seconds=30)
PRACTICES = ["p1", "p2", "p3", "p4"]


class FakeClock:
    """A monotonic clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _events(logs: list[dict[str, object]], name: str) -> list[tuple[object, object]]:
    return [(e.get("practice_id"), e.get("reason")) for e in logs if e["event"] == name]


def test_acquired_is_logged_once_per_practice_over_many_cycles(store: StateStore) -> None:
    """Three cycles: every practice is acquired (and logged) once, then only renewed."""
    keeper = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="a")
    with capture_logs() as logs:
        first = keeper.cycle()
        keeper.cycle()
        keeper.cycle()
    assert first.acquired == PRACTICES and keeper.held() == PRACTICES
    assert _events(logs, "lease.acquired") == [(p, None) for p in PRACTICES]
    assert not _events(logs, "lease.lost")


def test_work_stops_at_the_local_deadline_before_the_store_expiry(store: StateStore) -> None:
    """Past ttl - ttl/10 without renewal the practice's stop reads set; a renewal re-acquires."""
    clock = FakeClock()
    keeper = LeaseKeeper(store, ["p1"], ttl=TTL, owner="a", clock=clock)
    keeper.cycle()
    stop = keeper.stop_for("p1")
    assert stop is not None and not stop.is_set()
    clock.now += TTL.total_seconds() * 0.89
    assert not stop.is_set()
    clock.now += TTL.total_seconds() * 0.02  # 91 % of the ttl: beyond the local deadline
    assert stop.is_set() and keeper.stop_for("p1") is None and keeper.held() == []
    with capture_logs() as logs:
        changes = keeper.cycle()  # the store's lease has not expired: renewing gets it back
    assert changes.lost == ["p1"] and changes.acquired == ["p1"]
    assert _events(logs, "lease.lost") == [("p1", "expired")]
    fresh = keeper.stop_for("p1")
    assert fresh is not None and fresh is not stop and stop.is_set(), "the old stop stays set"


def test_a_failed_renewal_stops_every_practice_at_once(
    store: StateStore, raw_execute: RawExecute
) -> None:
    """When renewing fails every held practice is dropped; the failure is logged once."""
    keeper = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="a")
    keeper.cycle()
    stops = [keeper.stop_for(p) for p in PRACTICES]
    raw_execute("ALTER TABLE practice_leases RENAME TO practice_leases_away")
    with capture_logs() as logs:
        changes = keeper.cycle()
        keeper.cycle()
    assert changes.lost == PRACTICES and keeper.held() == []
    assert all(s is not None and s.is_set() for s in stops)
    assert _events(logs, "lease.lost") == [(p, "renew_failed") for p in PRACTICES]
    assert len(_events(logs, "lease.store_failed")) == 1
    raw_execute("ALTER TABLE practice_leases_away RENAME TO practice_leases")
    with capture_logs() as logs:
        changes = keeper.cycle()
    assert changes.acquired == PRACTICES
    assert [e["event"] for e in logs].count("lease.store_recovered") == 1


def test_surplus_is_given_back_only_while_the_practice_is_idle(store: StateStore) -> None:
    """When a second instance appears, the first gives back its surplus, skipping busy ones."""
    locks = {p: threading.Lock() for p in PRACTICES}
    a = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="a", locks=locks)
    b = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="b")
    a.cycle()
    assert b.cycle().acquired == []  # everything is held; b is now a live instance
    with locks["p4"], capture_logs() as logs:  # p4's job is running
        released = a.cycle().released
    assert released == ["p3", "p2"] and a.held() == ["p1", "p4"]
    assert _events(logs, "lease.released") == [("p3", "rebalance"), ("p2", "rebalance")]
    assert b.cycle().acquired == ["p2", "p3"]
    assert store.lease_holders() == {"a": ["p1", "p4"], "b": ["p2", "p3"]}


def test_release_all_stops_work_and_frees_every_lease(store: StateStore) -> None:
    """On shutdown every practice's stop is set, the leases are free and each is logged once."""
    keeper = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="a")
    keeper.cycle()
    stops = [keeper.stop_for(p) for p in PRACTICES]
    with capture_logs() as logs:
        assert keeper.release_all() == PRACTICES
    assert all(s is not None and s.is_set() for s in stops)
    assert store.lease_holders() == {}
    assert _events(logs, "lease.released") == [(p, "shutdown") for p in PRACTICES]


def test_the_daemon_stop_event_stops_every_practice(store: StateStore) -> None:
    """Setting the daemon's stop event makes every practice's stop read as set."""
    stop = threading.Event()
    keeper = LeaseKeeper(store, PRACTICES, ttl=TTL, owner="a", stop=stop)
    keeper.cycle()
    practice_stop = keeper.stop_for("p1")
    assert practice_stop is not None and not practice_stop.is_set()
    stop.set()
    assert practice_stop.is_set() and practice_stop.wait(0.01)
