"""Hardening: no open redirect after sign-in, CSV cells that cannot run as formulas, the
sign-in page ends a session the browser still had, and HTTPS with a Secure cookie under TLS."""

from __future__ import annotations

import ssl
from decimal import Decimal
from pathlib import Path

import httpx2
from starlette.testclient import TestClient

from connector.console.pages.signin import local_target
from connector.domain import ItemKind, ItemStatus, NewItem
from tests.console.browser import serving
from tests.console.support import PASSWORD, Env, csrf, make_env, sign_in
from tests.support.smtp import make_tls


def test_next_is_only_a_local_path() -> None:
    """Other sites, protocol-relative and backslash tricks fall back to ``/``."""
    assert local_target("/items/4") == "/items/4"
    for bad in ("https://evil.example", "//evil.example", "/\\evil.example", "evil", ""):
        assert local_target(bad) == "/"


def test_csv_cells_do_not_start_formulas(client: TestClient, env: Env) -> None:
    """An external key starting with ``=`` is written as text; negative amounts stay numbers."""
    env.store.record(
        "smile",
        "era",
        [
            NewItem(
                '=HYPERLINK("http://x")',
                ItemKind.ERA_CLAIM,
                {},
                Decimal("-20.00"),
                status=ItemStatus.REVIEW,
                review_reason="denied",
                review_message="m",
            )
        ],
    )
    sign_in(client, "sam")
    text = client.get("/queue?tab=waiting&format=csv").text
    assert "'=HYPERLINK" in text and ",-20.00," in text


def test_the_sign_in_page_ends_the_previous_session(client: TestClient, env: Env) -> None:
    """Opening /login while signed in ends that session in the store (one browser, one person)."""
    sign_in(client, "sam")
    saved = dict(client.cookies)
    client.get("/login")
    client.cookies.clear()
    client.cookies.update(saved)
    assert client.get("/queue").url.path == "/login"


def test_tls_serving_marks_the_cookie_secure(tmp_path: Path) -> None:
    """With console.tls the console answers HTTPS only, and the session cookie is Secure."""
    _context, ca_file = make_tls(tmp_path)
    tls = {"cert_file": str(tmp_path / "smtp.pem"), "key_file": str(tmp_path / "smtp.key")}
    env = make_env(tmp_path / "env", host="127.0.0.1", tls=tls)
    try:
        with serving(env.ctx) as base:
            secure = base.replace("http://", "https://")
            with httpx2.Client(
                base_url=secure, verify=ssl.create_default_context(cafile=str(ca_file)), timeout=30
            ) as http:
                token = csrf(http.get("/login").text)
                done = http.post(
                    "/login", data={"name": "sam", "password": PASSWORD, "csrf_token": token}
                )
                assert done.status_code == 303
                cookie = done.headers["set-cookie"].lower()
                assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        env.store.close()
