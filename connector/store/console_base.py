"""What the staff console and the alerts need from the state store, on top of ``StateStore``.

Both engines implement :class:`ConsoleStore` through :mod:`connector.store.console_tables`
(one SQL text for both, ``?`` placeholders): console accounts, sessions, sign-in throttling,
generated secrets, the markers that make alerts go out once, and the queue page's query
(filters, sort and pagination done by the database, so 10,000 items cost one page).

Times are passed in by the caller (from its injected :class:`~connector.clock.Clock`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from connector.domain import Item, ItemStatus
from connector.store.base import Review, StateStore

Role = Literal["admin", "staff"]
ROLES: tuple[Role, ...] = ("admin", "staff")
QueryArgs = Sequence[Any]
SORTS = ("created", "amount", "status", "reason")


@dataclass(frozen=True)
class ConsoleUser:
    """A console account. ``practices`` is empty for admins (they see every practice)."""

    id: int
    name: str
    role: Role
    practices: tuple[str, ...]
    password_hash: str
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    def may_see(self, practice_id: str) -> bool:
        """Whether this account may see and act on ``practice_id``."""
        return not self.disabled and (self.role == "admin" or practice_id in self.practices)


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in browser: the stored half of the session cookie."""

    token_hash: str
    user_id: int
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class AlertMarker:
    """An alert recorded as sent (or claimed): its period, when, and what it said."""

    period: str
    sent_at: dt.datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class QueueQuery:
    """One page of the queue: which items, in what order, which slice."""

    statuses: tuple[ItemStatus, ...]
    practice_ids: tuple[str, ...] | None = None  # None: every practice (admins)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    source: str | None = None
    reason: str | None = None
    payer: str | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    group_key: str | None = None
    sort: str = "created"
    descending: bool = True
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class QueueRow:
    """An item on the queue page, with its open review (if any)."""

    item: Item
    review_id: int | None
    reason: str | None
    message: str | None


@dataclass(frozen=True)
class QueuePage:
    """The rows of one page and how many match in all."""

    rows: list[QueueRow]
    total: int
    facets: dict[str, list[str]] = field(default_factory=dict)


class ConsoleStore(StateStore, Protocol):
    """The state store with the console's and the alerts' tables."""

    def create_user(
        self, name: str, role: Role, practices: Sequence[str], password_hash: str, now: dt.datetime
    ) -> ConsoleUser:
        """Add an account. Raises PermanentError(``user_exists``) for a taken name."""

    def get_user(self, name: str) -> ConsoleUser | None:
        """One account by name."""

    def get_user_by_id(self, user_id: int) -> ConsoleUser | None:
        """One account by id."""

    def list_users(self) -> list[ConsoleUser]:
        """Every account, by name."""

    def update_user(
        self,
        name: str,
        now: dt.datetime,
        *,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> ConsoleUser:
        """Change a password or (dis)able an account; a change ends the account's sessions.

        Raises PermanentError(``user_not_found``)."""

    def create_session(
        self, token_hash: str, user_id: int, csrf_token: str, now: dt.datetime
    ) -> None:
        """Remember a new signed-in session."""

    def get_session(self, token_hash: str) -> ConsoleSession | None:
        """A session by its token's hash (ended ones included)."""

    def touch_session(self, token_hash: str, now: dt.datetime) -> None:
        """The session was used now (for the idle timeout)."""

    def end_session(self, token_hash: str, now: dt.datetime) -> None:
        """Sign-out or timeout: the session can never be used again."""

    def add_login_failure(self, account: str, address: str, now: dt.datetime) -> None:
        """Remember a failed sign-in."""

    def login_failures(self, account: str, address: str, since: dt.datetime) -> tuple[int, int]:
        """Failed sign-ins since ``since``: ``(for this account, from this address)``."""

    def clear_login_failures(self, account: str) -> None:
        """Forget an account's failures after it signed in."""

    def console_secret(self, name: str, make: Callable[[], str], now: dt.datetime) -> str:
        """A generated secret kept in the store (made once with ``make``, then reused)."""

    def alert_sent(self, practice_id: str, kind: str, period: str) -> bool:
        """Whether this alert already went out."""

    def mark_alert_sent(
        self, practice_id: str, kind: str, period: str, now: dt.datetime, detail: dict[str, Any]
    ) -> bool:
        """Record an alert as sent; False when it already was (another instance, a restart)."""

    def release_alert(self, practice_id: str, kind: str, period: str) -> None:
        """Forget a marker (a send that failed, or an outage episode that ended)."""

    def alert_markers(self, practice_id: str, kind: str) -> list[tuple[str, dt.datetime]]:
        """Every ``(period, sent_at)`` of one kind for a practice, oldest first."""

    def posted_between(
        self, practice_id: str, since: dt.datetime, until: dt.datetime
    ) -> tuple[int, int]:
        """``(items, cents)`` that became ``posted`` in ``[since, until)``."""

    def last_alert(self, practice_id: str, kind: str) -> AlertMarker | None:
        """The newest marker of one kind of alert for a practice."""

    def queue_page(self, query: QueueQuery) -> QueuePage:
        """One page of items matching ``query`` and the number matching in all."""

    def open_review_for(self, item_id: int) -> Review | None:
        """The item's open review, if any."""

    def latest_review_for(self, item_id: int) -> Review | None:
        """The item's newest review in any state (None: it never went to review)."""

    def new_reviews(self, practice_id: str, after_review_id: int) -> list[Review]:
        """Open reviews of a practice with an id above ``after_review_id``, oldest first."""
