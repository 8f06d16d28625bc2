"""Sign-in, sessions, idle timeout, CSRF, throttling and practice scoping, over HTTP."""

from __future__ import annotations

import datetime as dt

from starlette.testclient import TestClient

from connector.console.app import COOKIE, create_app
from tests.console.support import PASSWORD, Env, csrf, seed, sign_in


def test_pages_need_a_session(client: TestClient) -> None:
    """Without signing in every page sends the browser to the sign-in form."""
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/items/1", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_strict_http_only_cookie_and_shows_the_queue(client: TestClient) -> None:
    """The session cookie is HttpOnly and SameSite=Strict (not Secure over plain loopback)."""
    token = csrf(client.get("/login").text)
    response = client.post(
        "/login",
        data={"name": "sam", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower() and "secure" not in cookie.lower()
    page = client.get("/queue")
    assert page.status_code == 200 and "Waiting for a person" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_cookie_is_secure_when_behind_a_tls_proxy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``behind_proxy: true`` marks the cookie Secure."""
    from tests.console.support import make_env

    env = make_env(tmp_path, host="0.0.0.0", behind_proxy=True)
    with TestClient(create_app(env.ctx), base_url="https://127.0.0.1") as http:
        response = sign_in(http, "sam")
        assert response.status_code == 200
        assert "secure" in response.history[0].headers["set-cookie"].lower()


def test_wrong_password_and_unknown_name_read_the_same(client: TestClient) -> None:
    """A refused sign-in says the same for a wrong password and an unknown account."""
    wrong = sign_in(client, "sam", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "not right" in wrong.text and "not right" in unknown.text


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    """Even the sign-in form needs its CSRF token."""
    client.get("/login")
    response = client.post("/login", data={"name": "sam", "password": PASSWORD})
    assert response.status_code == 403


def test_throttling_after_repeated_failures_then_after_the_lockout(
    client: TestClient, env: Env
) -> None:
    """Five failures lock the account for the lockout time, even with the right password."""
    for _ in range(5):
        assert sign_in(client, "sam", "bad password!").status_code == 401
    locked = sign_in(client, "sam")
    assert locked.status_code == 401 and "Too many failed sign-ins" in locked.text
    env.clock.advance(dt.timedelta(minutes=16))
    assert sign_in(client, "sam").status_code == 200


def test_idle_timeout_ends_the_session(client: TestClient, env: Env) -> None:
    """After the idle timeout the next request goes to sign-in, saying why."""
    sign_in(client, "sam")
    env.clock.advance(dt.timedelta(minutes=20))
    assert client.get("/queue").status_code == 200
    env.clock.advance(dt.timedelta(minutes=29))
    assert client.get("/queue").status_code == 200  # activity moved the idle timer
    env.clock.advance(dt.timedelta(minutes=31))
    expired = client.get("/queue")
    assert expired.url.path == "/login" and "without activity" in expired.text


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client: TestClient, env: Env) -> None:
    """After sign-out a saved copy of the cookie no longer works."""
    sign_in(client, "sam")
    saved = dict(client.cookies)
    page = client.get("/queue")
    client.post("/logout", data={"csrf_token": csrf(page.text)})
    assert client.get("/queue").url.path == "/login"
    client.cookies.clear()
    client.cookies.update(saved)
    assert client.get("/queue").url.path == "/login"


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, env: Env) -> None:
    """An action without (or with a wrong) CSRF token is refused and changes nothing."""
    ids = seed(env.store)
    sign_in(client, "sam")
    missing = client.post(f"/items/{ids['unnamed']}/resolve", data={"note": "done"})
    wrong = client.post(
        f"/items/{ids['unnamed']}/resolve", data={"note": "done", "csrf_token": "forged"}
    )
    assert missing.status_code == wrong.status_code == 403
    assert env.ctx.store.open_review_for(ids["unnamed"]) is not None


def test_staff_see_only_their_practices(client: TestClient, env: Env) -> None:
    """sam (smile) does not see other's items in the queue nor by URL; ann (admin) does."""
    ids = seed(env.store)
    sign_in(client, "sam")
    queue = client.get("/queue").text
    assert f'href="/items/{ids["unnamed"]}"' in queue and f'href="/items/{ids["claim"]}"' in queue
    assert f'href="/items/{ids["other"]}"' not in queue
    assert client.get(f"/items/{ids['unnamed']}").status_code == 200
    assert client.get(f"/items/{ids['other']}").status_code == 404
    assert client.get("/queue?practice=other").text.count('href="/items/') == 0
    token = csrf(client.get(f"/items/{ids['unnamed']}").text)
    refused = client.post(f"/items/{ids['other']}/resolve", data={"note": "x", "csrf_token": token})
    assert refused.status_code == 404
    assert env.ctx.store.open_review_for(ids["other"]) is not None
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "ann")
    assert client.get(f"/items/{ids['other']}").status_code == 200


def test_disabled_account_is_signed_out(client: TestClient, env: Env) -> None:
    """Disabling an account ends its sessions at once."""
    sign_in(client, "sam")
    env.ctx.store.update_user("sam", env.clock.now(), disabled=True)
    assert client.get("/queue").url.path == "/login"
    assert sign_in(client, "sam").status_code == 401
