"""The queue: one tab per state, filters, sort, pages, and a CSV download of the same rows.

The CSV carries ids, amounts, codes and dates only (no patient names: those are read live
for the screen and never leave the console in files)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.console import filters
from connector.console.auth import Principal
from connector.console.context import ConsoleContext
from connector.console.quarantine import list_quarantined
from connector.console.web import context, render, see_other, signed_in
from connector.store.console_base import QueuePage


async def home(request: Request) -> Response:
    """The start page is Today."""
    await signed_in(request)
    return see_other("/today")


def _zone(ctx: ConsoleContext, principal: Principal, practice: str) -> ZoneInfo:
    shown = [p.id for p in ctx.practices_for(principal)]
    return ctx.zone(practice or (shown[0] if len(shown) == 1 else "UTC"))


def _load(ctx: ConsoleContext, principal: Principal, params: dict[str, str]) -> dict[str, Any]:
    zone = _zone(ctx, principal, params.get("practice", ""))
    found, query = filters.parse(params, principal.scope, zone, ctx.settings.console.page_size)
    values: dict[str, Any] = {
        "filters": found,
        "tabs": filters.TABS,
        "tab_counts": _tab_counts(ctx, principal, query.practice_ids),
    }
    if found.tab.key == "quarantined":
        files = [
            (practice, entry)
            for practice in ctx.practices_for(principal)
            if not found.values.get("practice") or practice.id == found.values["practice"]
            for entry in list_quarantined(practice)
        ]
        values.update(files=files, total=len(files), pages=1)
        return values
    page: QueuePage = ctx.store.queue_page(query)
    pages = max(1, math.ceil(page.total / query.limit))
    values.update(page=page, total=page.total, pages=pages)
    if found.tab.key == "queued":
        waiting = {
            state.practice_id: state.last_summary.get("payouts_waiting", 0)
            for state in ctx.store.poll_states()
            if state.source == "stripe" and principal.may_see(state.practice_id)
        }
        values["payouts_waiting"] = {k: v for k, v in waiting.items() if v}
    return values


async def queue(request: Request) -> Response:
    """One page of one tab."""
    principal = await signed_in(request)
    params = dict(request.query_params)
    if params.get("format") == "csv":
        return await run_in_threadpool(_csv, context(request), principal, params)
    values = await run_in_threadpool(_load, context(request), principal, params)
    return render(request, "queue.html", principal, **values)


def _tab_counts(
    ctx: ConsoleContext, principal: Principal, practices: tuple[str, ...] | None
) -> dict[str, int]:
    """How many items (or files) each tab holds for the practices shown, before filters."""
    shown = [p for p in ctx.practices_for(principal) if practices is None or p.id in practices]
    by_status: dict[str, int] = {}
    for practice_id, counts in ctx.store.status_counts().items():
        if any(p.id == practice_id for p in shown):
            for status, n in counts.items():
                by_status[status] = by_status.get(status, 0) + n
    counts = {tab.key: sum(by_status.get(s.value, 0) for s in tab.statuses) for tab in filters.TABS}
    counts["quarantined"] = sum(len(list_quarantined(p)) for p in shown)
    return counts


def _csv(ctx: ConsoleContext, principal: Principal, params: dict[str, str]) -> Response:
    zone = _zone(ctx, principal, params.get("practice", ""))
    found, query = filters.parse(params, principal.scope, zone, filters.CSV_LIMIT)
    page = ctx.store.queue_page(replace(query, offset=0, limit=filters.CSV_LIMIT))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "item_id",
            "practice",
            "recorded_at",
            "source",
            "kind",
            "key",
            "amount",
            "status",
            "reason",
            "group",
            "attempts",
            "last_error_code",
        ]
    )
    for row in page.rows:
        item = row.item
        writer.writerow(
            [
                _cell(value)
                for value in (
                    item.id,
                    item.practice_id,
                    item.created_at.isoformat(),
                    item.source,
                    item.kind.value,
                    item.key,
                    str(item.amount),
                    item.status.value,
                    row.reason or "",
                    item.group_key or "",
                    item.attempts,
                    item.last_error_code or "",
                )
            ]
        )
    name = f"connector-{found.tab.key}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _cell(value: object) -> object:
    """A CSV value a spreadsheet will not run as a formula (keys and codes come from outside)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


ROUTES = [Route("/", home, methods=["GET"]), Route("/queue", queue, methods=["GET"])]
