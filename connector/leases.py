"""Practice leases seen from one instance: claim, renew, give up, and stop work in time.

Several instances share one PostgreSQL store; each practice is worked by the one instance that
holds its lease (see docs/scale.md). A :class:`LeaseKeeper` runs one *cycle* every ``ttl / 3``:

1. practices whose local deadline has passed are dropped (``lease.lost``, reason ``expired``);
2. ``renew_leases`` extends the rest; anything the store no longer reports is dropped
   (``taken``); if renewing fails, **every** practice is dropped at once (``renew_failed``);
3. ``claim_practices`` takes free or expired practices up to the fair share
   (``lease.acquired``);
4. an instance holding more than its fair share (another instance has joined) gives the
   surplus back, one practice at a time and only while that practice's jobs are idle
   (``lease.released``, reason ``rebalance``).

The local deadline of a lease is ``(clock before the store call) + ttl - ttl/10``: the store
computes the real expiry from *its* clock at a later moment, so the instance always stops
working a practice before any other instance can claim it. Each held practice has a
:class:`PracticeStop` event that jobs receive as ``ctx.stop``: it reads as set once the
daemon is stopping, the lease was lost or released, or the deadline passed (even if the
renewing thread is stuck), so a job stops between items without waiting for the next cycle.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connector.errors import ConnectorError, error_code
from connector.logging import get_logger
from connector.store import LeaseStore, fair_share

Clock = Callable[[], float]


def instance_id() -> str:
    """A lease owner id unique to this process: ``hostname:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class PracticeStop(threading.Event):
    """A job's stop signal for one practice under one lease.

    Reads as set when it was set (lease lost or released), when the daemon's stop event is
    set, or when the lease's local deadline has passed.
    """

    def __init__(self, parent: threading.Event, deadline: float, clock: Clock) -> None:
        super().__init__()
        self._parent = parent
        self._deadline = deadline
        self._clock = clock
        self.acquired_at = clock()
        """When this instance acquired the lease (monotonic clock): one value per tenure."""

    def is_set(self) -> bool:
        """True once the practice must not be worked any more under this lease."""
        return super().is_set() or self._parent.is_set() or self._clock() >= self._deadline

    def expired(self) -> bool:
        """True once the local deadline has passed."""
        return self._clock() >= self._deadline

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until set or ``timeout`` seconds passed; returns :meth:`is_set`."""
        end = None if timeout is None else self._clock() + timeout
        while not self.is_set():
            left = 0.2 if end is None else min(0.2, end - self._clock())
            if left <= 0:
                break
            super().wait(left)
        return self.is_set()

    def extend(self, deadline: float) -> bool:
        """Move the deadline later, unless it already passed; True when extended."""
        if super().is_set() or self._clock() >= self._deadline:
            return False
        self._deadline = max(self._deadline, deadline)
        return True


@dataclass
class LeaseChanges:
    """What one cycle changed."""

    acquired: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


class LeaseKeeper:
    """Holds this instance's practice leases in one store.

    Args:
        store: the shared state store.
        practice_ids: every practice this instance may work (normally all enabled ones).
        ttl: lease time; renewed every ``ttl / 3``.
        max_practices: hold at most this many (None: the fair share only).
        stop: the daemon's stop event (no claims once set; jobs see it through PracticeStop).
        locks: the per-practice job locks; a practice is given back only while its lock is free.
        owner: the owner id (default: :func:`instance_id`).
        clock: monotonic clock (tests may slow it down).
    """

    def __init__(
        self,
        store: LeaseStore,
        practice_ids: Sequence[str],
        *,
        ttl: dt.timedelta,
        max_practices: int | None = None,
        stop: threading.Event | None = None,
        locks: Mapping[str, threading.Lock] | None = None,
        owner: str | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.store = store
        self.practice_ids = sorted(practice_ids)
        self.ttl = ttl
        self.max_practices = max_practices
        self.stop = stop or threading.Event()
        self.locks = dict(locks or {})
        self.owner = owner or instance_id()
        self.clock = clock
        self.interval = ttl.total_seconds() / 3
        self._margin = ttl.total_seconds() / 10
        self._held: dict[str, PracticeStop] = {}
        self._mutex = threading.Lock()
        self._failing = False
        self.log = get_logger("connector.leases")

    # -- queries from job threads ---------------------------------------------------------
    def stop_for(self, practice_id: str) -> PracticeStop | None:
        """The practice's stop event while this instance holds its lease, else None."""
        with self._mutex:
            stop = self._held.get(practice_id)
        return stop if stop is not None and not stop.is_set() else None

    def held(self) -> list[str]:
        """Practices currently held (and not past their deadline), sorted."""
        with self._mutex:
            return sorted(p for p, s in self._held.items() if not s.is_set())

    # -- the cycle ------------------------------------------------------------------------
    def cycle(self, *, claim: bool = True) -> LeaseChanges:
        """Renew, claim (unless ``claim`` is False or stopping) and rebalance once."""
        changes = LeaseChanges()
        for practice_id in self._expired():
            self._lose(practice_id, "expired", changes)
        started = self.clock()
        try:
            still = set(self.store.renew_leases(self.owner, self.ttl))
        except Exception as exc:  # noqa: BLE001 - whatever failed, we no longer know we hold them
            self._store_failed("renew", exc, changes)
            return changes
        deadline = started + self.ttl.total_seconds() - self._margin
        for practice_id in sorted(set(self._snapshot()) - still):
            self._lose(practice_id, "taken", changes)
        for practice_id in sorted(still):
            self._keep(practice_id, deadline, changes)
        if claim and not self.stop.is_set():
            started = self.clock()
            try:
                now_held = self.store.claim_practices(
                    self.owner, self.practice_ids, self.ttl, self.max_practices
                )
                holders = self.store.lease_holders()
            except Exception as exc:  # noqa: BLE001 - logged once; claimed again next cycle
                self._store_failed("claim", exc, changes)
                return changes
            deadline = started + self.ttl.total_seconds() - self._margin
            renewed = still & set(self._snapshot())
            for practice_id in now_held:
                if practice_id not in renewed:  # a claim does not extend what renew extended
                    self._keep(practice_id, deadline, changes)
            share = fair_share(len(self.practice_ids), len(holders), self.max_practices)
            self._rebalance(share, changes)
        if self._failing:
            self._failing = False
            self.log.info("lease.store_recovered", owner=self.owner)
        return changes

    def release_all(self, reason: str = "shutdown") -> list[str]:
        """Stop every practice and give all leases (and the heartbeat) back."""
        with self._mutex:
            held, self._held = self._held, {}
        for stop in held.values():
            stop.set()
        try:
            released = self.store.release_leases(self.owner)
        except Exception as exc:  # noqa: BLE001 - shutting down: say so, the leases will expire
            self.log.warning(
                "lease.release_failed",
                owner=self.owner,
                error_code=error_code(exc),
                error=str(exc) if isinstance(exc, ConnectorError) else type(exc).__name__,
                hint="the leases expire by themselves after the lease ttl",
            )
            return []
        for practice_id in sorted(set(held) | set(released)):
            self.log.info(
                "lease.released", practice_id=practice_id, owner=self.owner, reason=reason
            )
        return sorted(set(held) | set(released))

    @contextmanager
    def renewing(self) -> Iterator[None]:
        """Renew (without claiming more) in a background thread while the block runs."""
        done = threading.Event()

        def loop() -> None:
            while not done.wait(self.interval):
                self.cycle(claim=False)

        thread = threading.Thread(target=loop, name="lease-renewer", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    # -- helpers --------------------------------------------------------------------------
    def _snapshot(self) -> list[str]:
        with self._mutex:
            return list(self._held)

    def _expired(self) -> list[str]:
        with self._mutex:
            return [p for p, s in self._held.items() if s.expired()]

    def _keep(self, practice_id: str, deadline: float, changes: LeaseChanges) -> None:
        with self._mutex:
            current = self._held.get(practice_id)
            if current is not None and current.extend(deadline):
                return
            self._held[practice_id] = PracticeStop(self.stop, deadline, self.clock)
        if current is not None:  # its deadline passed just now: lost, and ours again at once
            current.set()
            changes.lost.append(practice_id)
            self.log.warning(
                "lease.lost", practice_id=practice_id, owner=self.owner, reason="expired"
            )
        changes.acquired.append(practice_id)
        self.log.info(
            "lease.acquired",
            practice_id=practice_id,
            owner=self.owner,
            ttl_s=self.ttl.total_seconds(),
        )

    def _lose(self, practice_id: str, reason: str, changes: LeaseChanges, **extra: Any) -> None:
        with self._mutex:
            stop = self._held.pop(practice_id, None)
        if stop is None:
            return
        stop.set()
        changes.lost.append(practice_id)
        self.log.warning(
            "lease.lost", practice_id=practice_id, owner=self.owner, reason=reason, **extra
        )

    def _store_failed(self, step: str, exc: Exception, changes: LeaseChanges) -> None:
        # Only a failed renewal leaves us unsure what we hold; after a failed claim or release
        # the leases renewed a moment ago are still ours until their deadline.
        if step == "renew":
            for practice_id in sorted(self._snapshot()):
                self._lose(practice_id, "renew_failed", changes, error_code=error_code(exc))
        if not self._failing:
            self._failing = True
            self.log.error(
                "lease.store_failed",
                owner=self.owner,
                step=step,
                error_code=error_code(exc),
                error=str(exc) if isinstance(exc, ConnectorError) else type(exc).__name__,
            )

    def _rebalance(self, share: int, changes: LeaseChanges) -> None:
        surplus = len(self._snapshot()) - share
        for practice_id in sorted(self._snapshot(), reverse=True):
            if surplus <= 0:
                return
            lock = self.locks.get(practice_id)
            if lock is not None and not lock.acquire(blocking=False):
                continue  # its job is running: try again next cycle
            try:
                with self._mutex:
                    stop = self._held.pop(practice_id)
                stop.set()
                self.store.release_leases(self.owner, [practice_id])
            except Exception as exc:  # noqa: BLE001 - it expires by itself; logged once
                self._store_failed("release", exc, changes)
                return
            finally:
                if lock is not None:
                    lock.release()
            surplus -= 1
            changes.released.append(practice_id)
            self.log.info(
                "lease.released", practice_id=practice_id, owner=self.owner, reason="rebalance"
            )
