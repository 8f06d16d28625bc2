"""The queue page's tabs and filters: query parameters → a :class:`QueueQuery`, with a plain
message for every value that cannot be used (the filter is then left out, never guessed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from connector.domain import ItemStatus
from connector.money import MoneyError, to_cents
from connector.store.console_base import SORTS, QueueQuery


@dataclass(frozen=True)
class Tab:
    """One tab of the queue: a label and the item statuses it shows."""

    key: str
    label: str
    statuses: tuple[ItemStatus, ...]


TABS = (
    Tab("waiting", "Waiting for a person", (ItemStatus.REVIEW,)),
    Tab("posted", "Posted", (ItemStatus.POSTED,)),
    Tab("failed", "Failed / dead", (ItemStatus.FAILED, ItemStatus.DEAD)),
    Tab("quarantined", "Quarantined files", ()),
    Tab("queued", "Not cleared yet", (ItemStatus.RECEIVED,)),
    Tab("all", "All", tuple(ItemStatus)),
)
TAB_BY_KEY = {tab.key: tab for tab in TABS}
SOURCES = {"card": "stripe", "era": "era"}
FILTER_NAMES = ("practice", "from", "to", "source", "reason", "payer", "min", "max", "group")
CSV_LIMIT = 50_000


@dataclass
class Filters:
    """The parsed filters of one request, the values to show back, and the problems."""

    tab: Tab
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    sort: str = "created"
    descending: bool = True
    page: int = 1

    def link(self, **changes: str | int) -> str:
        """The queue URL with these filters and some values changed."""
        params: dict[str, str | int] = {"tab": self.tab.key, **self.values}
        params.update({"sort": self.sort, "dir": "desc" if self.descending else "asc"})
        params.update(changes)
        return "/queue?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def parse(
    params: Mapping[str, str], scope: tuple[str, ...] | None, zone: ZoneInfo, page_size: int
) -> tuple[Filters, QueueQuery]:
    """Turn query parameters into filters and the store query, within the person's scope."""
    tab = TAB_BY_KEY.get(params.get("tab", ""), TABS[0])
    values = {name: params.get(name, "").strip()[:100] for name in FILTER_NAMES}
    found = Filters(tab, {k: v for k, v in values.items() if v})
    found.sort = params.get("sort", "created") if params.get("sort") in SORTS else "created"
    found.descending = params.get("dir", "desc") != "asc"
    found.page = _page(params.get("page", "1"))
    practices = scope
    if values["practice"]:
        allowed = scope is None or values["practice"] in scope
        practices = (values["practice"],) if allowed else ()
    since = _date(values["from"], "From", zone, found.problems)
    until = _date(values["to"], "To", zone, found.problems)
    if until is not None:
        until += dt.timedelta(days=1)  # the whole "to" day
    source = SOURCES.get(values["source"]) if values["source"] else None
    if values["source"] and source is None:
        found.problems.append("Source must be card or ERA.")
    query = QueueQuery(
        statuses=tab.statuses,
        practice_ids=practices,
        since=since,
        until=until,
        source=source,
        reason=values["reason"] or None,
        payer=values["payer"] or None,
        min_cents=_cents(values["min"], "Minimum amount", found.problems),
        max_cents=_cents(values["max"], "Maximum amount", found.problems),
        group_key=values["group"] or None,
        sort=found.sort,
        descending=found.descending,
        offset=(found.page - 1) * page_size,
        limit=page_size,
    )
    return found, query


def _page(text: str) -> int:
    try:
        return max(1, min(int(text), 100_000))
    except ValueError:
        return 1


def _date(text: str, label: str, zone: ZoneInfo, problems: list[str]) -> dt.datetime | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{label} must be a date like 2026-03-31.")
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _cents(text: str, label: str, problems: list[str]) -> int | None:
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", "").replace("$", ""))
        if not amount.is_finite():
            raise InvalidOperation
        return to_cents(amount.quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError, ArithmeticError, MoneyError):
        problems.append(f"{label} must be an amount like 125.00.")
        return None
