"""Durable state: items, cursors, review queue, append-only history, poll status, leases."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from connector.clock import SYSTEM, Clock
from connector.errors import ConfigError
from connector.store.base import (
    HistoryEntry,
    ItemReader,
    ItemRecorder,
    LeaseStore,
    PollLog,
    PollState,
    PostingQueue,
    RecordResult,
    Review,
    ReviewQueue,
    StateStore,
    fair_share,
)
from connector.store.sqlite import SQLiteStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    """True when ``state.url`` names a PostgreSQL database."""
    return url.startswith(POSTGRES_SCHEMES)


def url_secrets(url: str) -> list[str]:
    """The password in a store URL (as written and percent-decoded), for the log redactor.

    Also covers ``password=`` in the query string. Empty when the URL carries no password
    (e.g. it relies on ``PGPASSWORD``, ``~/.pgpass`` or ``passfile=``).
    """
    if not is_postgres(url):
        return []
    found: list[str] = []
    try:
        parts = urlsplit(url)
        raw = parts.netloc.rpartition("@")[0].partition(":")[2] if "@" in parts.netloc else ""
        found += [raw, unquote(raw)]
        for pair in parts.query.split("&"):
            name, _, value = pair.partition("=")
            if name == "password":
                found += [value, unquote(value)]
    except ValueError:
        return []
    return sorted({s for s in found if s})


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and ``status``)."""
    for secret in url_secrets(url):
        url = url.replace(secret, "***")
    return url


def open_store(url: str, *, clock: Clock = SYSTEM) -> StateStore:
    """Open (and migrate) the store named by ``state.url``; its timestamps come from ``clock``.

    Raises:
        ConfigError: the URL's scheme is unknown, or PostgreSQL is configured but psycopg is
            not installed.
        TransientError: the PostgreSQL server cannot be reached (try again later).
    """
    store: StateStore
    if url.startswith("sqlite:///"):
        store = SQLiteStore(url.removeprefix("sqlite:///"), clock=clock)
    elif is_postgres(url):
        try:
            from connector.store.postgres import PostgresStore  # noqa: PLC0415 - optional driver
        except ImportError as exc:
            raise ConfigError(
                "state.url is PostgreSQL but psycopg is not installed: "
                "pip install 'writeback-connector[postgres]'"
            ) from exc
        store = PostgresStore(url, clock=clock)
    else:
        raise ConfigError(f"state.url: unknown store {url.split(':', 1)[0]!r}")
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


__all__ = [
    "HistoryEntry",
    "ItemReader",
    "ItemRecorder",
    "LeaseStore",
    "PollLog",
    "PollState",
    "PostingQueue",
    "RecordResult",
    "Review",
    "ReviewQueue",
    "SQLiteStore",
    "StateStore",
    "fair_share",
    "is_postgres",
    "open_store",
    "redact_url",
    "url_secrets",
]
