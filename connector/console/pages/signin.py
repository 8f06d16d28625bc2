"""Sign-in and sign-out pages."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector.console.auth import (
    LOGIN_CSRF_KEY,
    SESSION_KEY,
    SignInRefused,
    SignInRequired,
    new_token,
)
from connector.console.web import checked_form, context, field, flash, render, see_other, signed_in


async def login_page(request: Request) -> Response:
    """The sign-in form (a fresh CSRF token for it lives in the signed cookie). A session the
    browser still carries is ended first: one browser, one person."""
    if SESSION_KEY in request.session:
        try:
            principal = await signed_in(request)
            await run_in_threadpool(context(request).auth.sign_out, principal)
        except SignInRequired:
            pass
    request.session.pop(SESSION_KEY, None)
    request.session.setdefault(LOGIN_CSRF_KEY, new_token())
    return render(request, "login.html", None)


async def login(request: Request) -> Response:
    """Check the name and password; on success start a session and go to the queue."""
    form = await checked_form(request, None)
    name, password = field(form, "name", 100), field(form, "password", 300)
    address = request.client.host if request.client else "unknown"
    try:
        token, _user = await run_in_threadpool(
            context(request).auth.sign_in, name, password, address
        )
    except SignInRefused as exc:
        return render(request, "login.html", None, status_code=401, error=exc.message, name=name)
    request.session.clear()
    request.session[SESSION_KEY] = token
    return see_other(local_target(request.query_params.get("next", "/")))


def local_target(target: str) -> str:
    """``target`` when it is a path of this site, else ``/`` (no open redirect)."""
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if safe and len(target) < 500 else "/"


async def logout(request: Request) -> Response:
    """End the session for good and go back to the sign-in page."""
    try:
        principal = await signed_in(request)
    except SignInRequired:
        request.session.clear()
        return see_other("/login")
    await checked_form(request, principal)
    await run_in_threadpool(context(request).auth.sign_out, principal)
    request.session.clear()
    flash(request, "You are signed out.")
    return see_other("/login")


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
