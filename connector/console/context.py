"""Everything a console request needs, built once per process (``app.state.ctx``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector.clock import Clock
from connector.config import ConnectorSettings, PracticeSettings
from connector.console.auth import Authenticator, Principal
from connector.console.patients import LedgerPool
from connector.store.console_base import ConsoleStore


@dataclass
class ConsoleContext:
    """The settings, store, clock, authenticator and PMS ledgers of the console process."""

    settings: ConnectorSettings
    store: ConsoleStore
    clock: Clock
    auth: Authenticator
    ledgers: LedgerPool

    def practices_for(self, principal: Principal) -> list[PracticeSettings]:
        """The configured practices the person may see, in configuration order."""
        return [p for p in self.settings.practices if principal.may_see(p.id)]

    def practice(self, practice_id: str) -> PracticeSettings | None:
        """A configured practice, or None."""
        for practice in self.settings.practices:
            if practice.id == practice_id:
                return practice
        return None

    def zone(self, practice_id: str) -> ZoneInfo:
        """The practice's time zone (UTC for practices no longer configured)."""
        practice = self.practice(practice_id)
        return ZoneInfo(practice.timezone if practice else "UTC")


def money(value: Decimal | str | int | None) -> str:
    """``$1,234.56`` (negative as ``-$12.00``); empty for None."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def local_time(value: dt.datetime | None, zone: ZoneInfo) -> str:
    """``2026-03-02 09:15`` in the practice's zone; empty for None."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""
