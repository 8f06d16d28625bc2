"""Request helpers shared by the pages: the signed-in person, CSRF-checked forms, rendering,
flash messages and error pages. No page handles HTTP by hand: Starlette does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from connector.console.auth import SESSION_KEY, CsrfRefused, Principal, same_token
from connector.console.context import ConsoleContext, local_time, money
from connector.posting.reasons import describe

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["money"] = money
TEMPLATES.env.globals["describe"] = describe
# The review reasons' advice names the commands; on a console page the buttons do the same.
_COMMAND_WORDS = (
    ("`connector retry ID --patient PMS_ID`", "“Retry for a patient from the PMS” below"),
    ("`connector retry`", "“Retry as it is” below"),
)


def console_words(text: str) -> str:
    """A reason's advice with command names replaced by the console's buttons."""
    for command, button in _COMMAND_WORDS:
        text = text.replace(command, button)
    return text


TEMPLATES.env.filters["console_words"] = console_words
FORM_MAX_FIELDS = 50
NO_STORE = {"Cache-Control": "no-store"}


def context(request: Request) -> ConsoleContext:
    """The process's :class:`ConsoleContext`."""
    ctx: ConsoleContext = request.app.state.ctx
    return ctx


async def signed_in(request: Request) -> Principal:
    """The person of this request.

    Raises:
        SignInRequired: (turned into a redirect to the sign-in page).
    """
    token = request.session.get(SESSION_KEY)
    return await run_in_threadpool(context(request).auth.principal, token)


async def checked_form(request: Request, principal: Principal | None) -> FormData:
    """The POSTed form, after its CSRF token was checked against the session's.

    Raises:
        CsrfRefused: missing or wrong token.
    """
    form = await request.form(max_fields=FORM_MAX_FIELDS, max_files=0)
    expected = principal.csrf_token if principal else request.session.get("login_csrf")
    given = form.get("csrf_token")
    if not same_token(expected, given if isinstance(given, str) else None):
        raise CsrfRefused("the form's security token is missing or out of date")
    return form


def field(form: FormData, name: str, limit: int = 200) -> str:
    """A text field of the form, trimmed to ``limit`` characters ('' when absent)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A message shown on the next page (kept in the signed cookie: no PHI in it)."""
    request.session.setdefault("flash", []).append([kind, text])


def see_other(url: str) -> RedirectResponse:
    """Post/redirect/get."""
    return RedirectResponse(url, status_code=303)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **values: Any,
) -> Response:
    """A page with the layout's common values (person, CSRF token, flashes, practices)."""
    ctx = context(request)
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    common = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal else request.session.get("login_csrf"),
        "flashes": flashes,
        "practices": ctx.practices_for(principal) if principal else [],
        "local_time": lambda value, practice_id: local_time(value, ctx.zone(practice_id)),
        "path": request.url.path,
    }
    return TEMPLATES.TemplateResponse(
        request, template, {**common, **values}, status_code=status_code, headers=NO_STORE
    )
