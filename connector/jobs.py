"""What a job is: something the daemon runs per practice (a source polling, the poster posting)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.clock import SYSTEM, Clock
from connector.config import PracticeSettings
from connector.redaction import Redactor
from connector.store import StateStore


@dataclass
class PollContext:
    """Everything one poll of one practice's source may use (injected, never global).

    ``stop`` is set on SIGTERM: a source checks it between pages/files and returns early,
    having recorded only whole units of work (cursor and items in one transaction).
    ``clock`` is the one source of "now" for the job (the daemon's).
    """

    practice: PracticeSettings
    store: StateStore
    redactor: Redactor
    log: Any
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Clock = SYSTEM
    dry_run: bool = False

    def now(self) -> dt.datetime:
        """The job's "now" (UTC), read from :attr:`clock`."""
        return self.clock.now()


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
