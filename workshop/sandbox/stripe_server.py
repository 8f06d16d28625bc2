"""A local Stripe-compatible HTTP server for the demo and end-to-end tests.

Point a practice at it with ``payments.stripe.api_base: http://127.0.0.1:<port>``. It serves
a :class:`~workshop.sandbox.stripe_data.StripeDataset` through
:class:`~workshop.sandbox.stripe_emulator.StripeEmulator` and offers a small admin API (not
Stripe's; never counted as API requests):

* ``POST /_sandbox/faults`` with a JSON body such as ``{"kind": "status", "status": 429,
  "count": 2}`` or ``{"kind": "delay", "delay": 1.5, "fraction": 0.1}``; ``DELETE`` clears;
* ``GET /_sandbox/stats`` → request counts; ``POST /_sandbox/stats/reset``.

Run by hand: ``python -m workshop.sandbox.stripe_server --port 12111`` serves a demo data
set for two practices and prints their keys.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from workshop.sandbox.stripe_data import DemoPractice, StripeDataset, demo_dataset
from workshop.sandbox.stripe_emulator import DroppedConnection, Fault, StripeEmulator

ADMIN_PREFIX = "/_sandbox/"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line."""

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self, method: str) -> None:
        if self.path.startswith(ADMIN_PREFIX):
            self._admin(method)
            return
        try:
            reply = self.server.emulator.handle(method, self.path, dict(self.headers.items()))
        except DroppedConnection:
            self.close_connection = True
            return
        self._send(reply.status, reply.headers, reply.encoded())

    def _admin(self, method: str) -> None:
        emulator = self.server.emulator
        path = self.path[len(ADMIN_PREFIX) :]
        if path == "faults" and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            try:
                fault = emulator.inject(Fault(**json.loads(self.rfile.read(length) or b"{}")))
            except (TypeError, ValueError) as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, {"added": fault.__dict__})
        elif path == "faults" and method == "DELETE":
            emulator.clear_faults()
            self._json(200, {"cleared": True})
        elif path == "stats" and method == "GET":
            self._json(200, {"stats": dict(emulator.stats)})
        elif path == "stats/reset" and method == "POST":
            emulator.reset_stats()
            self._json(200, {"reset": True})
        else:
            self._json(404, {"error": f"unknown admin call {method} {self.path}"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def do_GET(self) -> None:
        """Stripe API reads and admin reads."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Admin calls (Stripe writes are not implemented: 405)."""
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        """Admin calls."""
        self._dispatch("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: StripeEmulator


class StripeSandbox:
    """A running sandbox server (use as a context manager or call :meth:`stop`).

    Args:
        dataset: what to serve.
        host: address to bind (keep the default 127.0.0.1).
        port: 0 picks a free port.
    """

    def __init__(self, dataset: StripeDataset, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = StripeEmulator(dataset)
        self._server = _Server((host, port), _Handler)
        self._server.emulator = self.emulator
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="stripe-sandbox")  # fmt: skip

    @property
    def url(self) -> str:
        """Base URL for ``payments.stripe.api_base``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StripeSandbox:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StripeSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve a demo data set until interrupted."""
    parser = argparse.ArgumentParser(description="local Stripe sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    args = parser.parse_args(argv)
    practices = [
        DemoPractice("demo-direct", "sk_test_sandboxDirect0001", ("1001", "1002", "1003", "1004",
                     "1005")),
        DemoPractice("demo-connect", "sk_test_sandboxPlatform01", ("2001", "2002", "2003", "2004",
                     "2005"), account="acct_1SandboxConnect01"),
    ]  # fmt: skip
    sandbox = StripeSandbox(demo_dataset(practices), host=args.host, port=args.port)
    print(f"Stripe sandbox at {sandbox.url}")
    for practice in practices:
        account = f", account {practice.account}" if practice.account else ""
        print(f"  {practice.practice_id}: key {practice.api_key}{account}")
    try:
        sandbox._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox._server.server_close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
