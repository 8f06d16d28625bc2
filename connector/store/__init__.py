"""Durable state: items, cursors, review queue, append-only history, poll status."""

from __future__ import annotations

from connector.errors import ConfigError, NotImplementedYet
from connector.store.base import HistoryEntry, PollState, RecordResult, Review, StateStore
from connector.store.sqlite import SQLiteStore, utcnow


def open_store(url: str) -> StateStore:
    """Open (and migrate) the store named by ``state.url``.

    Raises:
        ConfigError: the URL's scheme is unknown.
        NotImplementedYet: PostgreSQL is configured but this build has no PostgreSQL store.
    """
    if url.startswith("sqlite:///"):
        store = SQLiteStore(url.removeprefix("sqlite:///"))
        store.migrate()
        return store
    if url.startswith(("postgresql://", "postgres://")):
        raise NotImplementedYet(
            "the PostgreSQL state store is not implemented in this build; use sqlite:///path"
        )
    raise ConfigError(f"state.url: unknown store {url.split(':', 1)[0]!r}")


__all__ = [
    "HistoryEntry",
    "PollState",
    "RecordResult",
    "Review",
    "SQLiteStore",
    "StateStore",
    "open_store",
    "utcnow",
]
