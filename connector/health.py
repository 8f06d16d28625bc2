"""Opt-in ``/healthz`` and ``/metrics`` HTTP endpoint (bound to 127.0.0.1 by default).

Served by ``prometheus_client``'s threaded WSGI server: ``/metrics`` is its exposition app on
the daemon's registry (text format, or OpenMetrics when the scraper asks), ``/healthz`` ours.

``/healthz`` answers 200 when the scheduler is alive, every enabled source of every practice
has had a successful poll within ``stale_after`` intervals of its schedule (a source that has
never succeeded is given that long from the daemon's start), and no practice's posting has been
failing (the job, or items waiting for a retry; :mod:`connector.posting_state`) for longer than
``health.failing_after``; otherwise 503 with the reasons, as JSON, ids only.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from connector.clock import SYSTEM, Clock
from connector.metrics import Metrics
from connector.posting_state import JOB, posting_state
from connector.store import StateStore
from connector.store.base import PollState


class HealthServer:
    """Serves health and metrics on a background thread.

    Args:
        host, port: where to listen (port 0 picks a free one; see :attr:`port`).
        store: read at request time.
        metrics: the daemon's metrics.
        expected: ``{(practice_id, job): interval}`` of every scheduled job.
        alive: returns True while the scheduler runs.
        stale_after: how many intervals without success make a job unhealthy.
        clock: the daemon's clock ("now" for staleness).
        failing_after: a practice whose posting (the job, or items waiting for a retry) has
            been failing longer than this is unhealthy (None: only staleness counts).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        store: StateStore,
        metrics: Metrics,
        expected: dict[tuple[str, str], dt.timedelta],
        alive: Callable[[], bool],
        stale_after: int = 3,
        clock: Clock = SYSTEM,
        failing_after: dt.timedelta | None = None,
    ) -> None:
        self.clock = clock
        self.failing_after = failing_after
        self.store = store
        self.metrics = metrics
        self.expected = expected
        self.alive = alive
        self.stale_after = stale_after
        self.started_at = clock.now()
        metrics.watch_store(store)
        self._metrics_app = make_wsgi_app(metrics.registry)
        self._server = make_server(host, port, self._app, ThreadingWSGIServer, _QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Start serving in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def health(self) -> tuple[bool, dict[str, Any]]:
        """``(healthy, document)``."""
        now = self.clock.now()
        problems = []
        if not self.alive():
            problems.append("scheduler is not running")
        polls = {(p.practice_id, p.source): p for p in self.store.poll_states()}
        for (practice, job), interval in sorted(self.expected.items()):
            limit = interval * self.stale_after
            state = polls.get((practice, job))
            last_ok = state.last_ok_at if state else None
            if (last_ok or self.started_at) + limit < now:
                problems.append(
                    f"{practice}/{job}: no successful poll since "
                    f"{last_ok.isoformat(timespec='seconds') if last_ok else 'start'}"
                )
        problems += self._posting_problems(now, list(polls.values()))
        return not problems, {"healthy": not problems, "problems": problems}

    def _posting_problems(self, now: dt.datetime, polls: list[PollState]) -> list[str]:
        """Practices whose posting has been failing longer than ``failing_after``."""
        if self.failing_after is None:
            return []
        counts = self.store.status_counts()
        problems = []
        for practice in sorted({p for p, job in self.expected if job == JOB}):
            state = posting_state(self.store, practice, polls, counts.get(practice, {}))
            since = state.failing_since(fallback=self.started_at)
            if since is not None and since + self.failing_after < now:
                problems.append(
                    f"{practice}/posting: failing since {since.isoformat(timespec='seconds')}"
                    f" ({state.job_failures} failed runs, {state.failing_items} items waiting"
                    f" for a retry) [{state.last_error_code or '-'}]"
                )
        return problems

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI application: ``/healthz``, ``/metrics``, 404 for anything else."""
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body: Iterable[bytes] = self._metrics_app(environ, start_response)
            return body
        if path == "/healthz":
            healthy, doc = self.health()
            status, ctype, text = ("200 OK" if healthy else "503 Service Unavailable",
                                   "application/json", json.dumps(doc))  # fmt: skip
        else:
            status, ctype, text = "404 Not Found", "text/plain", "not found\n"
        data = text.encode()
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data)))])
        return [data]


class _QuietHandler(WSGIRequestHandler):
    """No access log: health checks would flood it."""

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing."""
