"""The console's Starlette application: routes, middleware and error pages.

Middleware, outermost first: security headers and the access log (method, path without the
query string, status, duration: no PHI, no tokens); then Starlette's ``SessionMiddleware``
(signed cookie: HttpOnly, SameSite=Strict, Secure when served over TLS or behind a proxy).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.console.auth import CsrfRefused, SignInRequired
from connector.console.context import ConsoleContext
from connector.console.pages import files, item, queue, reports, signin, today
from connector.console.web import flash, render, see_other
from connector.errors import PermanentError

COOKIE = "connector_console"
log = structlog.get_logger("connector.console")
_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    ),
]


class Guard:
    """Security headers on every response, and one access-log line per request
    (no query string: filters and searches may name patients)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap ``send`` to add the headers and note the status."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, sending)
        log.info(
            "console.request", method=scope["method"], path=scope["path"], status=status["code"]
        )


async def _sign_in(request: Request, exc: Exception) -> Response:
    request.session.clear()
    message = exc.message if isinstance(exc, SignInRequired) else "Please sign in."
    if message != "Please sign in.":
        flash(request, message, "error")
    target = request.url.path if request.method == "GET" else "/"
    return see_other("/login" + (f"?next={target}" if target not in ("/", "/login") else ""))


async def _csrf(request: Request, exc: Exception) -> Response:
    log.warning("console.csrf_refused", path=request.url.path)
    return render(
        request,
        "error.html",
        None,
        status_code=403,
        title="Refused",
        message="This form was out of date or not sent by the "
        "console. Go back, reload the page and try again.",
    )


async def _permanent(request: Request, exc: Exception) -> Response:
    code = getattr(exc, "code", "")
    if code in ("item_not_found", "practice_not_found"):
        return render(
            request,
            "error.html",
            None,
            status_code=404,
            title="Not found",
            message="There is no such item, or it belongs to a practice you do not work for.",
        )
    raise exc


async def _not_found(request: Request, exc: Exception) -> Response:
    return render(
        request,
        "error.html",
        None,
        status_code=404,
        title="Not found",
        message="There is no such page.",
    )


def create_app(ctx: ConsoleContext) -> Starlette:
    """The console for ``ctx`` (its store, settings, clock and ledgers)."""
    console = ctx.settings.console
    key = ctx.store.console_secret(
        "session_cookie_key", lambda: secrets.token_urlsafe(48), ctx.clock.now()
    )
    static = StaticFiles(directory=str(Path(__file__).parent / "static"))
    app = Starlette(
        routes=[
            *signin.ROUTES,
            *queue.ROUTES,
            *item.ROUTES,
            *files.ROUTES,
            *today.ROUTES,
            *reports.ROUTES,
            Mount("/static", app=static, name="static"),
        ],
        middleware=[
            Middleware(Guard),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie=COOKIE,
                max_age=int(console.session_max_age.total_seconds()),
                same_site="strict",
                https_only=console.secure_cookies,
            ),
        ],
        exception_handlers={
            SignInRequired: _sign_in,
            CsrfRefused: _csrf,
            PermanentError: _permanent,
            404: _not_found,
        },
    )
    app.state.ctx = ctx
    return app
