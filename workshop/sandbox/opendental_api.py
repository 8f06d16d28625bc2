"""A local Open Dental REST API double: the endpoints the connector writes through, over MariaDB.

It runs a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (free port by default), checks
``Authorization: ODFHIR {developer}/{customer}`` (401 otherwise), and applies Open Dental's
documented rules (``opendental_payments`` / ``opendental_claims``) to the same tables the
adapter reads, through its own read-write database user. Errors are Open Dental-style plain
text with 400/404. One request runs at a time, in one database transaction.

The one read endpoint is ``GET /preferences[?PrefName=…]`` (what the adapter's reachability
probe asks); every other GET is a 404.

Fault injection for tests (:class:`Faults`): answer 5xx, drop the connection, or hang, for the
next N matching requests, optionally after letting the write happen first. A fault matches by
method, by path and, with ``body``, by a regular expression searched in the raw request body:
``faults.fail(POISON, status=500, body=r"txn_123")`` makes the double choke on one item's
requests only (the payload Open Dental cannot digest) while answering everything else.

Used by the adapter tests, the contract suite, ``bench/writeback.py`` and the demo.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyodbc

from workshop.sandbox import opendental_adjustments as adjustments
from workshop.sandbox import opendental_checks as checks
from workshop.sandbox import opendental_claims as claims
from workshop.sandbox import opendental_deposits as deposits
from workshop.sandbox import opendental_payments as payments
from workshop.sandbox.opendental_common import ApiFault, get_preferences

Handler = Callable[..., tuple[int, Any]]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"^/preferences$"), get_preferences),
    ("POST", re.compile(r"^/payments/Refund$"), payments.refund_payment),
    ("PUT", re.compile(r"^/payments/(\d+)/Partial$"), payments.allocate_payment),
    ("PUT", re.compile(r"^/payments/(\d+)$"), payments.update_payment),
    ("POST", re.compile(r"^/payments$"), payments.create_payment),
    ("POST", re.compile(r"^/commlogs$"), payments.create_commlog),
    ("POST", re.compile(r"^/claimprocs/Supplemental$"), claims.create_supplemental),
    ("PUT", re.compile(r"^/claimprocs/(\d+)$"), claims.update_claimproc),
    ("PUT", re.compile(r"^/claims/(\d+)$"), claims.update_claim),
    ("POST", re.compile(r"^/claimpayments$"), claims.create_claimpayment),
    ("POST", re.compile(r"^/claimpayments/Batch$"), checks.create_batch),
    ("POST", re.compile(r"^/deposits$"), deposits.create_deposit),
    ("POST", re.compile(r"^/adjustments$"), adjustments.create_adjustment),
]
PREFIX = "/api/v1"
POISON = 1_000_000
"""A fault ``count`` that never runs out in a test: every matching request fails."""


@dataclass
class Fault:
    """One injected failure: ``status`` (answer with an HTTP error), ``drop`` (close without an
    answer) or ``hang`` (wait ``seconds``, then close); ``after_write`` lets the write commit
    first, like a server that fails after doing the work."""

    mode: str = "status"
    status: int = 503
    count: int = 1
    skip: int = 0
    method: str | None = None
    path: str | None = None  # regular expression on the path after /api/v1
    seconds: float = 5.0
    after_write: bool = False
    body: str | None = None  # regular expression searched in the raw request body

    def matches(self, method: str, path: str, body: str = "") -> bool:
        """True when this fault applies to the request."""
        return (
            (self.method is None or self.method == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.body is None or re.search(self.body, body) is not None)
        )


class Faults:
    """Thread-safe list of pending faults; the first matching one is used up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(self, count: int = 1, status: int = 503, **kw: Any) -> Fault:
        """The next ``count`` matching requests get HTTP ``status``."""
        return self.add(Fault(mode="status", status=status, count=count, **kw))

    def drop(self, count: int = 1, **kw: Any) -> Fault:
        """The next ``count`` matching requests get no answer (connection closed)."""
        return self.add(Fault(mode="drop", count=count, **kw))

    def stop_after(self, requests: int, **kw: Any) -> Fault:
        """Answer the next ``requests`` normally, then stop answering (until cleared)."""
        return self.add(Fault(mode="drop", count=1_000_000, skip=requests, **kw))

    def clear(self) -> None:
        """Remove every pending fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, body: str = "") -> Fault | None:
        """The fault for this request (``body``: its raw text), if any (counts it)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, body):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None


@dataclass
class LoggedRequest:
    """One request the double received, and what it answered (None = no answer)."""

    method: str
    path: str
    body: dict[str, Any] | None
    status: int | None


@dataclass
class _State:
    connection_string: str
    authorization: str
    faults: Faults = field(default_factory=Faults)
    log: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    conn: Any = None
    sockets: set[socket.socket] = field(default_factory=set)
    sockets_lock: threading.Lock = field(default_factory=threading.Lock)


class OpenDentalApiDouble:
    """The double's server. Use as a context manager, or call :meth:`start` / :meth:`stop`.

    Args:
        connection_string: ODBC connection string of a read-write database user.
        developer_key / customer_key: the keys clients must send.
        port: 0 picks a free port; :meth:`start` after :meth:`stop` reuses the same port.
    """

    def __init__(
        self,
        connection_string: str,
        *,
        developer_key: str,
        customer_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._state = _State(connection_string, f"ODFHIR {developer_key}/{customer_key}")
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def faults(self) -> Faults:
        """Fault injection."""
        return self._state.faults

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received so far (tests read this)."""
        return self._state.log

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}/api/v1``."""
        return f"http://{self.host}:{self.port}{PREFIX}"

    def start(self) -> OpenDentalApiDouble:
        """Listen and serve in a background thread."""
        state = self._state

        class Handler(_RequestHandler):
            shared = state

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="od-api-double")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections (clients then get "connection
        refused"), like a stopped Open Dental API service; the database stays."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._state.sockets_lock:
            for sock in self._state.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        """Stop and close the database connection."""
        self.stop()
        with self._state.lock:
            if self._state.conn is not None:
                self._state.conn.close()
                self._state.conn = None

    def reset(self) -> None:
        """Forget faults and the request log."""
        self._state.faults.clear()
        self._state.log.clear()

    def __enter__(self) -> OpenDentalApiDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class _RequestHandler(BaseHTTPRequestHandler):
    shared: _State
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is in memory."""

    def setup(self) -> None:
        """Remember the connection so :meth:`OpenDentalApiDouble.stop` can cut it."""
        super().setup()
        # Headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK
        # add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.shared.sockets_lock:
            self.shared.sockets.add(self.connection)

    def finish(self) -> None:
        """Forget the connection."""
        with self.shared.sockets_lock:
            self.shared.sockets.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_POST(self) -> None:
        """Dispatch a POST."""
        self._handle("POST")

    def do_PUT(self) -> None:
        """Dispatch a PUT."""
        self._handle("PUT")

    def do_GET(self) -> None:
        """Dispatch a GET (only ``/preferences``; its query string becomes the body)."""
        self._handle("GET")

    def _handle(self, method: str) -> None:
        state = self.shared
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        path = path[len(PREFIX) :] if path.startswith(PREFIX) else path
        entry = LoggedRequest(method, path, None, None)
        state.log.append(entry)
        if self.headers.get("Authorization") != state.authorization:
            self._send(entry, 401, "Invalid Authorization header.")
            return
        try:
            body = json.loads(raw, parse_float=Decimal) if raw else {}
        except ValueError:
            self._send(entry, 400, "Request body is not valid JSON.")
            return
        if method == "GET" and isinstance(body, dict):
            body.update(urllib.parse.parse_qsl(query))
        entry.body = body if isinstance(body, dict) else None
        fault = state.faults.take(method, path, raw.decode("utf-8", "replace"))
        if fault is not None and not fault.after_write:
            self._fail(entry, fault)
            return
        status, payload = self._run(method, path, entry.body)
        if fault is not None:
            self._fail(entry, fault)
            return
        self._send(entry, status, payload)

    def _run(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if body is None:
            return 400, "Request body must be a JSON object."
        for route_method, pattern, handler in ROUTES:
            match = pattern.match(path)
            if route_method != method or match is None:
                continue
            args = [int(g) for g in match.groups()]
            with self.shared.lock:
                return self._transaction(handler, args, body)
        return 404, "Endpoint not found."

    def _cursor(self) -> Any:
        state = self.shared
        if state.conn is None:
            state.conn = pyodbc.connect(state.connection_string, autocommit=False)
            # UTF-16 parameters longer than 128 characters reach MariaDB's ODBC driver with
            # their bytes swapped (notes stored as mojibake, markers lost): send UTF-8
            state.conn.setencoding(encoding="utf-8")
        return state.conn.cursor()

    def _transaction(
        self, handler: Handler, args: list[int], body: dict[str, Any]
    ) -> tuple[int, Any]:
        state = self.shared
        try:
            result = handler(self._cursor(), *args, body)
            state.conn.commit()
            return result
        except ApiFault as fault:
            state.conn.rollback()
            return fault.status, fault.message
        except pyodbc.Error as exc:
            if state.conn is not None:
                try:
                    state.conn.rollback()
                except pyodbc.Error:
                    state.conn = None
            return 500, f"Database error: {exc.args[0] if exc.args else 'unknown'}"

    def _fail(self, entry: LoggedRequest, fault: Fault) -> None:
        if fault.mode == "status":
            self._send(entry, fault.status, "Internal Server Error")
            return
        if fault.mode == "hang":
            time.sleep(fault.seconds)
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, entry: LoggedRequest, status: int, payload: Any) -> None:
        entry.status = status
        if isinstance(payload, str):
            data, kind = payload.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            data, kind = json.dumps(payload).encode("utf-8"), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
