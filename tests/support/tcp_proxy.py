"""A TCP relay on 127.0.0.1 that can cut a connection after a given number of bytes.

Put it between a client and a real server (e.g. the connector and sshd) to drop a transfer in
the middle of a file, deterministically: :meth:`TcpProxy.cut_next` queues byte budgets, and each
new connection takes the next one — once that many bytes went from the server to the client,
both sockets are closed (the client sees the connection reset mid-stream).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque

CHUNK = 16384


class TcpProxy:
    """Relays ``127.0.0.1:<port>`` to ``target``; use as a context manager."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._budgets: deque[int] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.connections = 0
        self.cuts = 0

    def cut_next(self, *budgets: int) -> None:
        """The next connections (one per budget) are cut after that many bytes downstream."""
        with self._lock:
            self._budgets.extend(budgets)

    def __enter__(self) -> TcpProxy:
        thread = threading.Thread(target=self._accept, daemon=True, name="tcp-proxy")
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                budget = self._budgets.popleft() if self._budgets else None
                self.connections += 1
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            pair = _Pair(client, server, budget, self)
            for direction in (pair.upstream, pair.downstream):
                threading.Thread(target=direction, daemon=True).start()


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket, budget: int | None,
                 proxy: TcpProxy) -> None:  # fmt: skip
        self.client, self.server, self.budget, self.proxy = client, server, budget, proxy
        self.sent_down = 0

    def close(self) -> None:
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def upstream(self) -> None:
        self._relay(self.client, self.server, count=False)

    def downstream(self) -> None:
        self._relay(self.server, self.client, count=True)

    def _relay(self, source: socket.socket, sink: socket.socket, *, count: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if count and self.budget is not None:
                    room = self.budget - self.sent_down
                    if len(data) >= room:
                        sink.sendall(data[: max(room, 0)])
                        self.proxy.cuts += 1
                        break
                    self.sent_down += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self.close()
