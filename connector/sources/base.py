"""What a source is: something the daemon polls per practice, recording items in the store."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.config import PracticeSettings
from connector.redaction import Redactor
from connector.store import StateStore, utcnow


@dataclass
class PollContext:
    """Everything one poll of one practice's source may use (injected, never global).

    ``stop`` is set on SIGTERM: a source checks it between pages/files and returns early,
    having recorded only whole units of work (cursor and items in one transaction).
    """

    practice: PracticeSettings
    store: StateStore
    redactor: Redactor
    log: Any
    stop: threading.Event = field(default_factory=threading.Event)
    now: Callable[[], dt.datetime] = utcnow
    dry_run: bool = False


class PollSource(Protocol):
    """A per-practice source of items."""

    name: str

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Record whatever is new; return counts for the ``poll.summary`` log line.

        Raises:
            AuthError: credentials refused (polling of this practice stops).
            TransientError: try again at the next interval.
            ConnectorError: anything else, with a stable code.
        """
