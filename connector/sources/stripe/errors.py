"""The one place where stripe-python's exceptions become the connector's own.

=====================================  =====================================================
stripe-python                          connector
=====================================  =====================================================
``APIConnectionError``                 :class:`TransientError` ``stripe_unreachable``
``RateLimitError`` (429)               :class:`RateLimited` ``stripe_rate_limited``
``APIError`` (5xx, 409, bad body)      :class:`TransientError` ``stripe_server_error``
``AuthenticationError`` (401)          :class:`AuthError` ``stripe_auth_failed``
``PermissionError`` (403)              :class:`AuthError` ``stripe_permission_denied``
``oauth_error.OAuthError``             :class:`AuthError` ``stripe_oauth_failed``
``InvalidRequestError`` (400/404)      :class:`PermanentError` ``stripe_invalid_request``
anything else Stripe raises            :class:`PermanentError` ``stripe_rejected``
=====================================  =====================================================

A ``Stripe-Should-Retry`` response header overrides the default: ``true`` makes any error
retryable, ``false`` makes a transient error final (for a 429: final for this poll only; the
next poll resumes where it stopped). A 429's ``Retry-After`` (seconds) is kept in the context
as ``retry_after`` so the wait honours it. Every translated error carries the Stripe
request id (``request_id``), the HTTP status and Stripe's error code in its ``context``;
messages are our own words (Stripe's text can echo parts of a key or an object).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from stripe import oauth_error
from stripe._error import StripeErrorWithParamCode

from connector.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)

# Errors of Stripe's v2 API and of write endpoints; a read-only poller never expects them.
_REJECTIONS: tuple[type[stripe.StripeError], ...] = (
    StripeErrorWithParamCode,  # base of CardError and InvalidRequestError
    stripe.CardError,
    stripe.IdempotencyError,
    stripe.SignatureVerificationError,
    stripe.AlreadyCanceledError,
    stripe.BlockedByStripeError,
    stripe.CannotProceedError,
    stripe.CapabilityNotEnabledError,
    stripe.ControlledByAlternateResourceError,
    stripe.FeatureNotEnabledError,
    stripe.FinancialAccountNotOpenError,
    stripe.FxQuoteNeedsRefreshError,
    stripe.InsufficientFundsError,
    stripe.InvalidPaymentMethodError,
    stripe.InvalidPayoutMethodError,
    stripe.InvalidVaultedCredentialError,
    stripe.NotCancelableError,
    stripe.QuotaExceededError,
    stripe.RecipientNotNotifiableError,
    stripe.TemporarySessionExpiredError,
    stripe.VerificationAttemptFailedError,
    stripe.VerificationExpiredError,
    stripe.VerificationNotInitiatedError,
)

MAPPED: tuple[type[stripe.StripeError], ...] = (
    stripe.APIConnectionError,
    stripe.RateLimitError,
    stripe.APIError,
    stripe.AuthenticationError,
    stripe.PermissionError,
    oauth_error.OAuthError,
    stripe.InvalidRequestError,
    *_REJECTIONS,
)
"""Every stripe-python class handled explicitly (a test checks none is left out)."""


def _should_retry_header(exc: stripe.StripeError) -> bool | None:
    headers = exc.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "stripe-should-retry"), None)
    if value is None:
        return None
    return str(value).strip().lower() == "true"


def _retry_after(exc: stripe.StripeError) -> float | None:
    headers = exc.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(str(value).strip()) if value is not None else None
    except ValueError:  # an HTTP date: rare for APIs, and the backoff applies anyway
        return None
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


def translate(exc: stripe.StripeError, *, operation: str, account: str | None) -> ConnectorError:
    """Return the connector error for a stripe-python exception (the caller chains it)."""
    status = exc.http_status
    context: dict[str, Any] = {
        "operation": operation,
        "request_id": exc.request_id,
        "http_status": status,
        "stripe_code": exc.code,
        "stripe_error": type(exc).__name__,
        "account": account,
    }
    header = _should_retry_header(exc)
    err: ConnectorError
    if isinstance(exc, stripe.APIConnectionError):
        context["should_retry"] = exc.should_retry if header is None else header
        err = TransientError(f"cannot reach Stripe ({operation})", code="stripe_unreachable",
                             context=context)  # fmt: skip
    elif isinstance(exc, stripe.RateLimitError):
        context["should_retry"] = True if header is None else header
        context["retry_after"] = _retry_after(exc)
        err = RateLimited(f"Stripe asked us to slow down ({operation}, HTTP {status})",
                          code="stripe_rate_limited", context=context)  # fmt: skip
    elif isinstance(exc, stripe.APIError):
        context["should_retry"] = True if header is None else header
        err = TransientError(f"Stripe had a server problem ({operation}, HTTP {status})",
                             code="stripe_server_error", context=context)  # fmt: skip
    elif isinstance(exc, stripe.AuthenticationError):
        err = AuthError("Stripe refused the API key (HTTP 401); check payments.stripe.api_key",
                        code="stripe_auth_failed", context=context)  # fmt: skip
    elif isinstance(exc, stripe.PermissionError):
        err = AuthError(
            f"the Stripe key may not do this ({operation}, HTTP 403): a restricted key lacks a "
            "read permission, or the key has no access to the connected account",
            code="stripe_permission_denied", context=context,
        )  # fmt: skip
    elif isinstance(exc, oauth_error.OAuthError):
        err = AuthError("Stripe refused the OAuth credentials", code="stripe_oauth_failed",
                        context=context)  # fmt: skip
    elif header:
        context["should_retry"] = True
        err = TransientError(f"Stripe asked us to retry ({operation}, HTTP {status})",
                             code="stripe_retry_requested", context=context)  # fmt: skip
    elif isinstance(exc, stripe.InvalidRequestError):
        err = PermanentError(
            f"Stripe rejected the request ({operation}, HTTP {status}, code {exc.code})",
            code="stripe_invalid_request", context=context,
        )  # fmt: skip
    else:
        err = PermanentError(f"Stripe rejected the request ({operation}, HTTP {status})",
                             code="stripe_rejected", context=context)  # fmt: skip
    return err


def is_retryable(err: BaseException) -> bool:
    """True for transient errors that Stripe did not mark ``Stripe-Should-Retry: false``."""
    return isinstance(err, TransientError) and err.context.get("should_retry", True) is not False


@contextmanager
def stripe_errors(operation: str, account: str | None) -> Iterator[None]:
    """Run a stripe-python call, re-raising its exceptions as connector errors (chained)."""
    try:
        yield
    except stripe.StripeError as exc:
        raise translate(exc, operation=operation, account=account) from exc
