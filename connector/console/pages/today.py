"""The Today page: one card per practice the person works for."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.console.auth import Principal
from connector.console.context import ConsoleContext
from connector.console.today import JOB_WORDS, PracticeToday, practice_today
from connector.console.web import context, render, signed_in


def _collect(ctx: ConsoleContext, principal: Principal) -> list[PracticeToday]:
    return [practice_today(ctx.store, p, ctx.clock) for p in ctx.practices_for(principal)]


async def today(request: Request) -> Response:
    """Posted today, what waits, what failed, and any outage, per practice."""
    principal = await signed_in(request)
    cards = await run_in_threadpool(_collect, context(request), principal)
    return render(request, "today.html", principal, cards=cards, job_words=JOB_WORDS)


ROUTES = [Route("/today", today, methods=["GET"])]
