"""Payouts, Remittances and Denials: the reconciliation reports of :mod:`connector.reports` as
tables, one row each, with a drill-down to their items in the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.console.auth import Principal
from connector.console.context import ConsoleContext, money
from connector.console.web import context, render, signed_in
from connector.posting.codes import carc_words
from connector.reports import denial_report, payout_report, remittance_report

TITLES = {"payouts": "Payouts", "remittances": "Remittances", "denials": "Denials"}


@dataclass(frozen=True)
class Cell:
    """One table cell: text, an optional link, right-aligned for amounts."""

    text: str
    link: str | None = None
    number: bool = False


def _drill(practice_id: str, **params: str) -> str:
    return "/queue?" + urlencode({"tab": "all", "practice": practice_id, **params})


def _window(params: dict[str, str], zone: ZoneInfo, problems: list[str]) -> tuple[Any, Any]:
    found = []
    for name, label in (("from", "From"), ("to", "To")):
        text = params.get(name, "").strip()
        try:
            day = dt.date.fromisoformat(text) if text else None
        except ValueError:
            problems.append(f"{label} must be a date like 2026-03-31.")
            day = None
        found.append(dt.datetime.combine(day, dt.time(), tzinfo=zone) if day else None)
    since, until = found
    return since, (until + dt.timedelta(days=1)) if until else None


def _build(
    ctx: ConsoleContext, principal: Principal, kind: str, params: dict[str, str]
) -> dict[str, Any]:
    shown = [p.id for p in ctx.practices_for(principal)]
    chosen = params.get("practice", "")
    practices = [chosen] if chosen in shown else shown
    zone = ctx.zone(practices[0] if len(practices) == 1 else "UTC")
    problems: list[str] = []
    since, until = _window(params, zone, problems)
    header: list[str]
    rows: list[list[Cell]]
    if kind == "payouts":
        header = [
            "Practice",
            "Payout",
            "Arrives",
            "Items",
            "Gross",
            "Fees",
            "Net",
            "Paid out",
            "Posted",
            "Difference",
        ]
        rows = [
            [
                Cell(r.practice_id),
                Cell(r.payout, _drill(r.practice_id, group=r.payout)),
                Cell(r.arrival_date or ""),
                Cell(str(r.items), number=True),
                *(
                    Cell(money(v), number=True)
                    for v in (r.gross, r.fees, r.net, r.paid_out, r.posted, r.difference)
                ),
            ]
            for r in payout_report(ctx.store, practices, since, until)
        ]
    elif kind == "remittances":
        header = [
            "Practice",
            "Payer",
            "Trace",
            "Claims",
            "Amount",
            "Posted",
            "In review",
            "Other",
            "PLB",
            "Difference",
        ]
        rows = [
            [
                Cell(r.practice_id),
                Cell(r.payer),
                Cell(r.trace, _drill(r.practice_id, group=r.remittance)),
                Cell(str(r.claims), number=True),
                *(
                    Cell(money(v), number=True)
                    for v in (r.amount, r.posted, r.in_review, r.other, r.plb, r.difference)
                ),
            ]
            for r in remittance_report(ctx.store, practices, since, until)
        ]
    else:
        header = ["Practice", "Payer", "Reason code", "What it means", "Claims", "Charges"]
        rows = [
            [
                Cell(r.practice_id),
                Cell(r.payer, _drill(r.practice_id, payer=r.payer, source="era")),
                Cell(r.carc),
                Cell(carc_words(r.carc.rpartition("-")[2])),
                Cell(str(r.claims), number=True),
                Cell(money(r.charges), number=True),
            ]
            for r in denial_report(ctx.store, practices, since, until)
        ]
    return {
        "kind": kind,
        "title": TITLES[kind],
        "header": header,
        "rows": rows,
        "problems": problems,
        "values": params,
    }


async def report(request: Request) -> Response:
    """One report page."""
    principal = await signed_in(request)
    kind = request.path_params["kind"]
    if kind not in TITLES:
        return render(
            request,
            "error.html",
            principal,
            status_code=404,
            title="Not found",
            message="There is no such report.",
        )
    params = {k: v[:100] for k, v in request.query_params.items()}
    values = await run_in_threadpool(_build, context(request), principal, kind, params)
    return render(request, "report.html", principal, titles=TITLES, **values)


ROUTES = [Route("/reports/{kind}", report, methods=["GET"])]
