"""Releasing a quarantined ERA file (listed on the queue's "Quarantined files" tab)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.console import actions
from connector.console.web import checked_form, context, field, flash, see_other, signed_in
from connector.errors import PermanentError


async def release(request: Request) -> Response:
    """Release one file after the person confirmed a corrected file was received."""
    principal = await signed_in(request)
    form = await checked_form(request, principal)
    back = "/queue?tab=quarantined"
    practice = context(request).practice(request.path_params["practice_id"])
    if practice is None or not principal.may_see(practice.id):
        raise PermanentError("no such practice", code="practice_not_found")
    if field(form, "replaced") != "yes":
        flash(request, "Tick the box once the clearinghouse sent a corrected file.", "error")
        return see_other(back)
    name = field(form, "name", 255)
    try:
        await run_in_threadpool(
            actions.release_file, context(request).store, principal, practice, name
        )
    except PermanentError as exc:
        flash(request, f"Not released: {exc.message}.", "error")
    else:
        flash(request, "Released: the file left the quarantine list (kept under released/).")
    return see_other(back)


ROUTES = [Route("/practices/{practice_id}/quarantine/release", release, methods=["POST"])]
