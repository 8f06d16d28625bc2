"""The practice-lease contract, on SQLite and PostgreSQL: claim, fair share, renew, expiry
takeover, release, and never two live owners of one practice."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest

from connector.clock import FixedClock
from connector.store import StateStore

LONG = dt.timedelta(seconds=60)
SHORT = dt.timedelta(seconds=0.5)
PRACTICES = ["p1", "p2", "p3", "p4"]


Wait = Callable[[float], None]


@pytest.fixture
def wait(engine: str, clock: FixedClock) -> Wait:
    """Let ``seconds`` pass for the store's lease clock.

    SQLite leases expire by the injected clock (moved, no sleep); PostgreSQL leases by the
    server's ``now()`` on purpose (instances with skewed clocks still agree), so there the test
    really waits.
    """

    def let_pass(seconds: float) -> None:
        clock.advance(seconds)
        if engine == "postgres":
            time.sleep(seconds)

    return let_pass


def test_a_single_instance_claims_every_practice(store: StateStore) -> None:
    """Alone, an instance's fair share is every practice; the holders view says so."""
    assert store.claim_practices("a", PRACTICES, LONG) == PRACTICES
    assert store.lease_holders() == {"a": PRACTICES}


def test_limit_caps_what_one_instance_takes(store: StateStore) -> None:
    """With a limit of 2 an instance holds 2 practices, even when it is alone."""
    assert store.claim_practices("a", PRACTICES, LONG, limit=2) == ["p1", "p2"]
    assert store.claim_practices("a", PRACTICES, LONG, limit=2) == ["p1", "p2"]


def test_an_instance_takes_its_fair_share_of_live_instances(store: StateStore) -> None:
    """With two live instances each claims half; a live instance holding nothing still counts."""
    store.renew_leases("b", LONG)  # b is alive (heartbeat) but holds nothing yet
    assert store.lease_holders() == {"b": []}
    assert store.claim_practices("a", PRACTICES, LONG) == ["p1", "p2"]
    assert store.claim_practices("b", PRACTICES, LONG) == ["p3", "p4"]
    assert store.lease_holders() == {"a": ["p1", "p2"], "b": ["p3", "p4"]}


def test_a_held_lease_is_never_claimed_by_another_instance(store: StateStore) -> None:
    """While a's lease is live, b's claims never return it, whatever b's share."""
    assert store.claim_practices("a", ["p1"], LONG) == ["p1"]
    for _ in range(3):
        assert store.claim_practices("b", ["p1"], LONG) == []
    assert store.lease_holders() == {"a": ["p1"], "b": []}


def test_renewal_keeps_a_lease_beyond_its_ttl(store: StateStore, wait: Wait) -> None:
    """Renewed every ttl/2, a short lease stays with its owner for several ttls."""
    assert store.claim_practices("a", ["p1"], SHORT) == ["p1"]
    for _ in range(5):
        wait(SHORT.total_seconds() / 2)
        assert store.renew_leases("a", SHORT) == ["p1"]
        assert store.claim_practices("b", ["p1"], SHORT) == []


def test_an_expired_lease_is_taken_over_and_reported_lost(store: StateStore, wait: Wait) -> None:
    """Once a's lease expires, b claims it and a's renewal no longer returns it."""
    assert store.claim_practices("a", ["p1", "p2"], SHORT) == ["p1", "p2"]
    wait(SHORT.total_seconds() + 0.3)
    assert store.claim_practices("b", ["p1", "p2"], LONG) == ["p1", "p2"]
    assert store.renew_leases("a", SHORT) == []
    assert store.lease_holders() == {"a": [], "b": ["p1", "p2"]}


def test_an_expired_lease_is_not_renewed_even_if_nobody_took_it(
    store: StateStore, wait: Wait
) -> None:
    """Renewal does not revive an expired lease; the owner must claim it again."""
    assert store.claim_practices("a", ["p1"], SHORT) == ["p1"]
    wait(SHORT.total_seconds() + 0.3)
    assert store.renew_leases("a", LONG) == []
    assert store.claim_practices("a", ["p1"], LONG) == ["p1"]


def test_release_all_frees_practices_and_forgets_the_instance(store: StateStore) -> None:
    """After release, the instance is gone from the holders and others claim at once."""
    store.claim_practices("a", PRACTICES, LONG)
    assert store.release_leases("a") == PRACTICES
    assert store.lease_holders() == {}
    assert store.claim_practices("b", PRACTICES, LONG) == PRACTICES


def test_release_some_keeps_the_rest(store: StateStore) -> None:
    """Releasing one practice frees only it; the owner keeps the others and stays alive."""
    store.claim_practices("a", PRACTICES, LONG)
    assert store.release_leases("a", ["p2"]) == ["p2"]
    assert store.lease_holders() == {"a": ["p1", "p3", "p4"]}
    assert store.renew_leases("a", LONG) == ["p1", "p3", "p4"]


def test_an_instance_cannot_release_another_instances_lease(store: StateStore) -> None:
    """release_leases only touches the caller's own leases."""
    store.claim_practices("a", ["p1"], LONG)
    assert store.release_leases("b", ["p1"]) == []
    assert store.release_leases("b") == []
    assert store.lease_holders() == {"a": ["p1"]}


def test_concurrent_claims_from_threads_never_share_a_practice(store: StateStore) -> None:
    """Six threads claiming the same twelve practices at once end with disjoint sets."""
    practices = [f"p{i:02}" for i in range(12)]
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        results[owner] = store.claim_practices(owner, practices, LONG)

    threads = [threading.Thread(target=claim, args=(f"o{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [p for held in results.values() for p in held]
    assert len(claimed) == len(set(claimed)), "a practice was claimed twice"
    holders = store.lease_holders()
    assert {o: held for o, held in holders.items() if held} == {
        o: held for o, held in results.items() if held
    }
