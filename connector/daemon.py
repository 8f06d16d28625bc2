"""The long-running service: per practice, poll each source and post what is due.

Scheduling (APScheduler 3.x ``BlockingScheduler``): one job per practice and source plus one
posting job per practice, each with ``max_instances=1`` and ``coalesce=True``; a per-practice
lock keeps one practice's jobs from overlapping each other. A job's exception is caught,
counted in the store and logged once (the recovery too); it never reaches the scheduler, so one
practice cannot stop another. An :class:`~connector.errors.AuthError` pauses that job until the
admin fixes the credentials and restarts. SIGTERM/SIGINT set the stop event: sources and the
poster finish the current item and return, then the scheduler shuts down.

With practice leases (``leases.enabled``; on by default for PostgreSQL) a
:class:`~connector.leases.LeaseKeeper` claims and renews practices every ``ttl / 3`` on its own
executor thread; a job of a practice this instance does not hold is skipped, and a job's
``ctx.stop`` is that practice's :class:`~connector.leases.PracticeStop`, so work stops between
items the moment the lease is lost. Leases are released after the scheduler has shut down.

On a SQLite store every job also takes the practice's OS lock
(:class:`~connector.practice_locks.PracticeLocks`), so a second process on the same state file
(a ``run --once`` started by hand next to the service, or a second service) never works a
practice at the same time: the service skips a practice another process holds (logged once,
naming it) and tries again at the next interval; ``run --once`` waits its turn up to
``lock_wait`` seconds per practice, then refuses it naming the other process.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from connector.alerts.watcher import watcher_for
from connector.clock import SYSTEM, Clock
from connector.config import LoadedConfig, PostingSettings, PracticeSettings
from connector.errors import AuthError, ConnectorError, NotImplementedYet, error_code
from connector.jobs import PollContext, PollSource
from connector.leases import LeaseKeeper
from connector.logging import bind_run, clear_run, get_logger
from connector.metrics import Metrics
from connector.practice_locks import Holder, PracticeLocks
from connector.redaction import Redactor
from connector.store import SQLiteStore, StateStore

Job = PollSource  # anything with a name and poll(ctx) -> counts


@dataclass(frozen=True)
class JobOutcome:
    """How one run of one job ended."""

    practice_id: str
    job: str
    ok: bool
    code: str | None = None
    summary: dict[str, int] | None = None
    skipped: bool = False
    held_by: str | None = None
    """When skipped because another process on the same SQLite state holds the practice."""


@dataclass
class _PracticeJobs:
    practice: PracticeSettings
    jobs: list[Job]
    lock: threading.Lock


JobFactory = Callable[[PracticeSettings], list[Job]]


def default_job_factory(
    store: StateStore,
    redactor: Redactor,
    *,
    dry_run: bool = False,
    posting: PostingSettings | None = None,
) -> JobFactory:
    """Sources of the practice plus its posting job (``posting``: retries and batch size)."""
    from connector.posting.runner import PostingJob  # noqa: PLC0415 - keeps start-up light
    from connector.sources.registry import build_sources  # noqa: PLC0415

    def factory(practice: PracticeSettings) -> list[Job]:
        jobs: list[Job] = list(build_sources(practice))
        jobs.append(
            PostingJob.for_practice(practice, redactor=redactor, dry_run=dry_run, posting=posting)
        )
        return jobs

    return factory


class Daemon:
    """Runs every practice's jobs once (``run_once``) or on their intervals (``run_forever``).

    Args:
        config: the loaded configuration.
        store: the state store.
        redactor: the log redactor (sources register PHI they see with it).
        job_factory: builds a practice's jobs; tests inject their own.
        dry_run: passed to every job: plan and log, write nothing.
        clock: the one source of "now" for every job, lease deadline and health check
            (APScheduler keeps its own wall clock for *when* to run; nothing decides on it).
        lock_wait: on a SQLite store, how long a job waits for a practice another process
            holds before skipping it (the service: 0, it tries again at the next interval).
        command: how this process names itself to other processes in the practice locks.
    """

    def __init__(
        self,
        config: LoadedConfig,
        store: StateStore,
        redactor: Redactor,
        *,
        job_factory: JobFactory | None = None,
        dry_run: bool = False,
        clock: Clock = SYSTEM,
        lock_wait: float = 0.0,
        command: str = "connector run",
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.redactor = redactor
        self.dry_run = dry_run
        self.stop_event = threading.Event()
        self.log = get_logger("connector.daemon")
        self.metrics = Metrics()
        self._failing: dict[tuple[str, str], str] = {}
        self._paused: set[tuple[str, str]] = set()
        self._scheduler: Any = None
        factory = job_factory or default_job_factory(
            store, redactor, dry_run=dry_run, posting=config.settings.posting
        )
        self._practices = [
            _PracticeJobs(practice, self._safe_jobs(factory, practice), threading.Lock())
            for practice in config.settings.practices
            if practice.enabled
        ]
        self.lock_wait = lock_wait
        self.practice_locks: PracticeLocks | None = None
        if isinstance(store, SQLiteStore):  # next to the file actually used
            self.practice_locks = PracticeLocks(store.path, command)
        self._busy: dict[str, str] = {}
        self.leases: LeaseKeeper | None = None
        lease_settings = config.settings.leases
        if lease_settings.active(config.settings.state.url):
            self.leases = LeaseKeeper(
                store,
                [entry.practice.id for entry in self._practices],
                ttl=lease_settings.ttl,
                max_practices=lease_settings.max_practices,
                stop=self.stop_event,
                locks={entry.practice.id: entry.lock for entry in self._practices},
                clock=clock.monotonic,
            )

    def _safe_jobs(self, factory: JobFactory, practice: PracticeSettings) -> list[Job]:
        try:
            return factory(practice)
        except ConnectorError as exc:
            return [_BrokenJob("setup", exc)]

    # -- one job ---------------------------------------------------------------------------
    def run_job(self, practice: PracticeSettings, job: Job, lock: threading.Lock) -> JobOutcome:
        """Run one job for one practice, record the outcome and log one summary line."""
        if self.stop_event.is_set():
            return JobOutcome(practice.id, job.name, ok=True, summary={})
        with lock, self.practice_turn(practice.id) as holder:
            if holder is not None:
                return JobOutcome(
                    practice.id, job.name, ok=True, summary={}, skipped=True, held_by=holder
                )
            return self._run_job(practice, job)

    @contextmanager
    def practice_turn(self, practice_id: str) -> Iterator[str | None]:
        """Hold the practice's cross-process lock (SQLite) for the block; yields None when
        held (or no lock is needed), else a description of the process holding it. Nested
        use keeps the outer hold."""
        locks = self.practice_locks
        if locks is None or locks.holds(practice_id):
            yield None
            return
        holder = locks.acquire(
            practice_id,
            wait=self.lock_wait,
            stop=self.stop_event,
            on_wait=lambda h: self.log.info(
                "practice.waiting_turn", practice_id=practice_id, **_holder_fields(h)
            ),
        )
        if holder is not None:
            described = holder.describe()
            if self._busy.get(practice_id) != described:
                self._busy[practice_id] = described
                self.log.warning(
                    "practice.busy_elsewhere",
                    practice_id=practice_id,
                    hint="another connector process on this state file is working this "
                    "practice; it is skipped here until that process is idle or stopped",
                    **_holder_fields(holder),
                )
            yield described
            return
        if self._busy.pop(practice_id, None) is not None:
            self.log.info("practice.turn_taken", practice_id=practice_id)
        try:
            yield None
        finally:
            locks.release(practice_id)

    def _run_job(self, practice: PracticeSettings, job: Job) -> JobOutcome:
        """:meth:`run_job` once the practice is this process's to work."""
        key = (practice.id, job.name)
        # Checked under the practice lock: a lease is only given back while it is free.
        stop = self.leases.stop_for(practice.id) if self.leases else self.stop_event
        if stop is None:
            return JobOutcome(practice.id, job.name, ok=True, summary={}, skipped=True)
        bind_run(practice.id, job.name)
        started = self.clock.monotonic()
        ctx = PollContext(
            practice=practice,
            store=self.store,
            redactor=self.redactor,
            log=get_logger(f"connector.{job.name}"),
            stop=stop,
            clock=self.clock,
            dry_run=self.dry_run,
        )
        try:
            # the store's own bookkeeping inside the job boundary: a full disk or a read-only
            # state file fails the job like any outage (logged once), it never escapes
            self.store.poll_started(practice.id, job.name)
            summary = job.poll(ctx)
            self.store.poll_succeeded(practice.id, job.name, summary)
        except Exception as exc:  # noqa: BLE001 - one practice's failure must not stop others
            outcome = self._failed(practice.id, job.name, exc, started)
            self.metrics.job_finished(
                practice.id,
                job.name,
                self.clock.monotonic() - started,
                ok=False,
                code=outcome.code,
                summary=None,
            )
            return outcome
        finally:
            clear_run()
        self.metrics.job_finished(
            practice.id,
            job.name,
            self.clock.monotonic() - started,
            ok=True,
            code=None,
            summary=summary,
        )
        duration_ms = int((self.clock.monotonic() - started) * 1000)
        bind_run(practice.id, job.name)
        if key in self._failing:
            self.log.info("poll.recovered", previous_error=self._failing.pop(key))
        self.log.info("poll.summary", duration_ms=duration_ms, **summary)
        clear_run()
        return JobOutcome(practice.id, job.name, ok=True, summary=summary)

    def _failed(self, practice_id: str, job: str, exc: Exception, started: float) -> JobOutcome:
        code = error_code(exc)
        message = str(exc) if isinstance(exc, ConnectorError) else type(exc).__name__
        try:
            failures: int | None = self.store.poll_failed(
                practice_id, job, code, self.redactor.scrub_text(message)
            )
        except ConnectorError:  # the store itself is failing: this failure is the one logged
            failures = None
        bind_run(practice_id, job)
        duration_ms = int((self.clock.monotonic() - started) * 1000)
        key = (practice_id, job)
        if isinstance(exc, AuthError):
            self._paused.add(key)
            self.log.error(
                "practice.auth_failed",
                error_code=code,
                error=message,
                hint="fix the credentials, run `connector check-config`, then restart",
                **_context(exc),
            )
            self._pause(practice_id, job)
        elif key not in self._failing:
            fields: dict[str, Any] = {"error_code": code, "error": message, **_context(exc)}
            if isinstance(exc, ConnectorError):
                self.log.error("poll.failed", duration_ms=duration_ms, **fields)
            else:
                self.log.error("poll.crashed", duration_ms=duration_ms, exc_info=exc, **fields)
        else:
            self.log.debug("poll.still_failing", error_code=code, consecutive_failures=failures)
        self._failing[key] = code
        clear_run()
        return JobOutcome(practice_id, job, ok=False, code=code)

    def _pause(self, practice_id: str, job: str) -> None:
        if self._scheduler is not None:
            job_id = f"{practice_id}:{job}"
            if self._scheduler.get_job(job_id) is not None:
                self._scheduler.pause_job(job_id)

    # -- whole runs ------------------------------------------------------------------------
    def run_once(self) -> list[JobOutcome]:
        """Run every job of every practice once, in order; never raises for a job failure.

        With leases: claim first, run the practices held (renewing meanwhile), release after.
        """
        if self.leases is None:
            outcomes = self._run_all()
        else:
            self.leases.cycle()
            try:
                with self.leases.renewing():
                    outcomes = self._run_all()
            finally:
                self.leases.release_all()
        ok = sum(o.ok for o in outcomes)
        skipped = sum(o.skipped for o in outcomes)
        self.log.info(
            "run.summary", jobs=len(outcomes), ok=ok, failed=len(outcomes) - ok, skipped=skipped
        )
        return outcomes

    def _run_all(self) -> list[JobOutcome]:
        outcomes = []
        for entry in self._practices:
            if self.stop_event.is_set():
                break
            with self.practice_turn(entry.practice.id) as holder:  # one turn for all its jobs
                for job in entry.jobs:
                    if self.stop_event.is_set():
                        break
                    if holder is not None:
                        outcomes.append(
                            JobOutcome(
                                entry.practice.id,
                                job.name,
                                ok=True,
                                summary={},
                                skipped=True,
                                held_by=holder,
                            )
                        )
                    else:
                        outcomes.append(self.run_job(entry.practice, job, entry.lock))
        return outcomes

    def run_leases(self) -> None:
        """One lease cycle (the ``leases`` job); practices just acquired run their jobs now."""
        assert self.leases is not None
        try:
            changes = self.leases.cycle()
        except Exception as exc:  # the lease job must keep running whatever happens
            self.log.error("lease.crashed", exc_info=exc)
            return
        if self._scheduler is None or not changes.acquired:
            return
        for entry in self._practices:
            if entry.practice.id in changes.acquired:
                for job in entry.jobs:
                    scheduled = self._scheduler.get_job(f"{entry.practice.id}:{job.name}")
                    if scheduled is not None and scheduled.next_run_time is not None:
                        scheduled.modify(next_run_time=_now_utc())

    def run_forever(self) -> None:
        """Schedule every job on its interval and block until SIGTERM/SIGINT."""
        from apscheduler.executors.pool import ThreadPoolExecutor  # noqa: PLC0415
        from apscheduler.schedulers.blocking import BlockingScheduler  # noqa: PLC0415

        workers = max(1, min(8, len(self._practices) * 2))
        scheduler = BlockingScheduler(
            # Leases renew on their own thread so busy practice jobs can never starve them.
            executors={"default": ThreadPoolExecutor(workers), "leases": ThreadPoolExecutor(1)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
            timezone="UTC",
        )
        self._scheduler = scheduler
        for entry in self._practices:
            for job in entry.jobs:
                seconds = _interval_seconds(entry.practice, job.name, self.config)
                scheduler.add_job(
                    self.run_job,
                    "interval",
                    seconds=seconds,
                    id=f"{entry.practice.id}:{job.name}",
                    args=(entry.practice, job, entry.lock),
                    next_run_time=_now_utc(),
                )
        if self.leases is not None:
            self.leases.cycle()  # before the first jobs, so they find their leases
            scheduler.add_job(
                self.run_leases,
                "interval",
                seconds=self.leases.interval,
                id="leases",
                executor="leases",
            )
        alerts = watcher_for(self.config.settings, self.store, clock=self.clock)
        if alerts is not None:  # e-mail alerts (connector/alerts): checked every minute
            scheduler.add_job(alerts.tick, "interval", seconds=60, id="alerts",
                              next_run_time=_now_utc())  # fmt: skip
        self.install_signal_handlers()
        health = self._start_health(scheduler)
        self.log.info(
            "daemon.started",
            practices=len(self._practices),
            workers=workers,
            lease_owner=self.leases.owner if self.leases else None,
        )
        try:
            scheduler.start()
        finally:
            if health is not None:
                health.stop()
        if self.leases is not None:
            self._release_when_idle(self.leases)
        self.log.info("daemon.stopped")

    def _release_when_idle(self, leases: LeaseKeeper) -> None:
        """Give every lease back once no practice job is running (each holds its lock)."""
        for entry in self._practices:
            entry.lock.acquire()
        try:
            leases.release_all()
        finally:
            for entry in self._practices:
                entry.lock.release()

    def _start_health(self, scheduler: Any) -> Any:
        settings = self.config.settings.health
        if not settings.enabled:
            return None
        from connector.health import HealthServer  # noqa: PLC0415 - only when enabled

        expected = {
            (entry.practice.id, job.name): dt.timedelta(
                seconds=_interval_seconds(entry.practice, job.name, self.config)
            )
            for entry in self._practices
            for job in entry.jobs
        }
        server = HealthServer(
            settings.host,
            settings.port,
            store=self.store,
            metrics=self.metrics,
            expected=expected,
            alive=lambda: bool(scheduler.running),
            clock=self.clock,
            failing_after=settings.failing_after,
        )
        server.start()
        self.log.info("health.listening", host=settings.host, port=server.port)
        return server

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: finish the current item, then stop."""

        def handle(signum: int, _frame: FrameType | None) -> None:
            self.request_stop(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    def request_stop(self, why: str = "requested") -> None:
        """Ask every job to stop after its current item and the scheduler to shut down."""
        if not self.stop_event.is_set():
            self.log.info("daemon.stopping", reason=why)
        self.stop_event.set()
        if self._scheduler is not None and self._scheduler.running:
            threading.Thread(
                target=self._scheduler.shutdown, kwargs={"wait": True}, daemon=True
            ).start()


def _holder_fields(holder: Holder) -> dict[str, Any]:
    return {"held_by_pid": holder.pid, "held_by_host": holder.host, "held_by": holder.command,
            "held_since": holder.since}  # fmt: skip


class _BrokenJob:
    """A practice whose jobs could not even be built (bad adapter settings, missing driver)."""

    def __init__(self, name: str, exc: ConnectorError) -> None:
        self.name = name
        self.exc = exc

    def poll(self, ctx: PollContext) -> dict[str, int]:
        raise self.exc


def _interval_seconds(practice: PracticeSettings, job: str, config: LoadedConfig) -> float:
    if job == "stripe" and practice.payments is not None:
        return practice.payments.poll_every.total_seconds()
    if job == "era" and practice.era is not None:
        return practice.era.poll_every.total_seconds()
    return config.settings.posting.poll_every.total_seconds()


def _context(exc: Exception) -> dict[str, Any]:
    return dict(exc.context) if isinstance(exc, ConnectorError) else {}


def _now_utc() -> dt.datetime:
    # APScheduler's own notion of "run now" (its triggers compare with the wall clock), not a
    # business decision: the injected clock would make a fixed-clock run misfire.
    return dt.datetime.now(dt.UTC)


__all__ = ["Daemon", "JobOutcome", "NotImplementedYet"]
