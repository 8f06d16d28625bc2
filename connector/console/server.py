"""Serving the console with uvicorn (the kept HTTP server; no hand-written HTTP handling).

uvicorn's own access log is off: :class:`connector.console.app.Guard` writes one structured
line per request without the query string. TLS comes from ``console.tls``; behind a proxy,
``X-Forwarded-For``/``-Proto`` are trusted from the proxy on loopback only.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

from connector.clock import SYSTEM, Clock
from connector.config import ConnectorSettings
from connector.console.app import create_app
from connector.console.auth import Authenticator
from connector.console.context import ConsoleContext
from connector.console.patients import LedgerFactory, LedgerPool
from connector.redaction import Redactor
from connector.store import StateStore
from connector.store.console_base import ConsoleStore
from connector.store.console_tables import as_console_store


def console_store(store: StateStore) -> ConsoleStore:
    """The store as a :class:`ConsoleStore` (see :func:`as_console_store`)."""
    return as_console_store(store)


def build_context(
    settings: ConnectorSettings,
    store: StateStore,
    redactor: Redactor,
    *,
    clock: Clock = SYSTEM,
    ledger_factory: LedgerFactory | None = None,
) -> ConsoleContext:
    """Everything the console app needs, from the settings and an open store."""
    cstore = console_store(store)
    return ConsoleContext(
        settings=settings,
        store=cstore,
        clock=clock,
        auth=Authenticator(cstore, settings.console, clock),
        ledgers=LedgerPool(settings, redactor, ledger_factory),
    )


def uvicorn_config(ctx: ConsoleContext, host: str, port: int) -> uvicorn.Config:
    """The uvicorn settings for the console app."""
    console = ctx.settings.console
    return uvicorn.Config(
        create_app(ctx),
        host=host,
        port=port,
        ssl_certfile=str(console.tls.cert_file) if console.tls else None,
        ssl_keyfile=str(console.tls.key_file) if console.tls else None,
        proxy_headers=console.behind_proxy,
        forwarded_allow_ips="127.0.0.1,::1" if console.behind_proxy else None,
        access_log=False,
        server_header=False,
        log_config=None,
        lifespan="off",
    )


def serve(ctx: ConsoleContext, host: str, port: int) -> None:
    """Run the console until interrupted (Ctrl-C or SIGTERM), then close the PMS ledgers.

    uvicorn finishes the requests in flight, then hands the signal back; that interruption is
    the normal way to stop, so it ends here.
    """
    server = uvicorn.Server(uvicorn_config(ctx, host, port))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        ctx.ledgers.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
