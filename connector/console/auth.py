"""Sign-in, sessions, CSRF and throttling for the console.

* The session cookie (Starlette's ``SessionMiddleware``: signed with itsdangerous, HttpOnly,
  SameSite=Strict, Secure under TLS) carries only a random token; the store keeps its SHA-256,
  the account, the CSRF token and the times. Sign-out, a password change or disabling the
  account end the stored session, so a copied cookie is worthless afterwards.
* A session ends after ``console.session_idle_timeout`` without a request and after
  ``console.session_max_age`` in all, measured with the injected clock.
* Every POST carries the session's CSRF token (the sign-in form a token kept in the cookie);
  a POST without the right token is refused with 403.
* Sign-in is refused for ``console.login_lockout`` after ``login_max_failures`` failures for
  the account, or four times as many from one address. Names and addresses are not logged
  with passwords, and a wrong name costs the same as a wrong password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import structlog

from connector.clock import Clock
from connector.config.console import ConsoleSettings
from connector.console.passwords import verify_password
from connector.errors import AuthError, ConnectorError
from connector.store.console_base import ConsoleStore, ConsoleUser

SESSION_KEY = "sid"
LOGIN_CSRF_KEY = "login_csrf"
ADDRESS_FACTOR = 4  # an address may fail for a few accounts (a shared front-desk PC)
_TOUCH_EVERY = 30.0  # seconds: fewer writes; the idle timeout is minutes long
log = structlog.get_logger("connector.console")


class SignInRequired(AuthError):
    """No valid session: the browser goes to the sign-in page (``reason`` says why)."""

    code = "sign_in_required"


class CsrfRefused(AuthError):
    """A POST without the session's CSRF token."""

    code = "csrf_refused"


class SignInRefused(ConnectorError):
    """Wrong name or password, disabled account, or throttled: ``message`` is for the person."""

    code = "sign_in_refused"


@dataclass(frozen=True)
class Principal:
    """The signed-in person of one request."""

    user: ConsoleUser
    token_hash: str
    csrf_token: str

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The practices this person may see (None: every practice, for admins)."""
        return None if self.user.role == "admin" else self.user.practices

    def may_see(self, practice_id: str) -> bool:
        """Whether this person may see and act on the practice."""
        return self.user.may_see(practice_id)


def token_hash(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (sessions, CSRF)."""
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens; False when either is missing."""
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


class Authenticator:
    """Signs people in and out and finds the person of each request."""

    def __init__(self, store: ConsoleStore, settings: ConsoleSettings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def sign_in(self, name: str, password: str, address: str) -> tuple[str, ConsoleUser]:
        """Check the password; return a new session token and the account.

        Raises:
            SignInRefused: wrong name/password, disabled account, or too many failures.
        """
        now = self.clock.now()
        name = name.strip()[:100]
        since = now - self.settings.login_lockout
        by_account, by_address = self.store.login_failures(name, address, since)
        limit = self.settings.login_max_failures
        if by_account >= limit or by_address >= limit * ADDRESS_FACTOR:
            minutes = int(self.settings.login_lockout.total_seconds() // 60)
            log.warning("console.sign_in.throttled", by_account=by_account, by_address=by_address)
            raise SignInRefused(
                f"Too many failed sign-ins. Wait {minutes} minutes and try again, or ask your "
                "administrator to reset your password."
            )
        user = self.store.get_user(name) if name else None
        good = verify_password(user.password_hash if user else None, password)
        if user is None or not good or user.disabled:
            self.store.add_login_failure(name, address, now)
            log.info("console.sign_in.refused", known=user is not None)
            raise SignInRefused("The name or password is not right, or the account is disabled.")
        self.store.clear_login_failures(name)
        token = new_token()
        self.store.create_session(token_hash(token), user.id, new_token(), now)
        log.info("console.sign_in", user_id=user.id)
        return token, user

    def principal(self, token: str | None) -> Principal:
        """The person whose session ``token`` names, after the timeouts are checked.

        Raises:
            SignInRequired: no token, unknown or ended session, timed out, account disabled.
        """
        if not token:
            raise SignInRequired("Please sign in.")
        hashed = token_hash(token)
        session = self.store.get_session(hashed)
        if session is None or session.ended_at is not None:
            raise SignInRequired("Please sign in.")
        now = self.clock.now()
        idle = now - session.last_seen_at > self.settings.session_idle_timeout
        too_old = now - session.created_at > self.settings.session_max_age
        user = self.store.get_user_by_id(session.user_id)
        if idle or too_old or user is None or user.disabled:
            self.store.end_session(hashed, now)
            raise SignInRequired(
                "Your session ended after a time without activity. Please sign in again."
                if idle or too_old
                else "Please sign in."
            )
        if (now - session.last_seen_at).total_seconds() >= _TOUCH_EVERY:
            self.store.touch_session(hashed, now)
        return Principal(user, hashed, session.csrf_token)

    def sign_out(self, principal: Principal) -> None:
        """End the session for good."""
        self.store.end_session(principal.token_hash, self.clock.now())
        log.info("console.sign_out", user_id=principal.user.id)
