"""stripe-python exceptions are translated in one place, completely, keeping request ids."""

from __future__ import annotations

import inspect

import pytest
import stripe
from stripe import oauth_error

from connector.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError
from connector.sources.stripe.errors import MAPPED, is_retryable, stripe_errors, translate


def _all_stripe_errors() -> set[type[stripe.StripeError]]:
    found: set[type[stripe.StripeError]] = set()
    pending = [stripe.StripeError]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__module__.startswith("stripe"):
                found.add(sub)
                pending.append(sub)
    return found


def _instance(cls: type[stripe.StripeError], status: int = 400,
              headers: dict[str, str] | None = None) -> stripe.StripeError:  # fmt: skip
    params = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, object] = {}
    if "http_status" in params:
        kwargs["http_status"] = status
    if "headers" in params:
        kwargs["headers"] = headers or {"request-id": "req_test123"}
    if "sig_header" in params:
        return cls("bad signature", "t=1,v1=x")  # type: ignore[call-arg]
    if "param" in params:
        kwargs["param"] = None
    if "code" in params and params["code"].default is inspect.Parameter.empty:
        kwargs["code"] = "some_code"
    if issubclass(cls, oauth_error.OAuthError):
        kwargs.pop("code", None)
        return cls("invalid_grant", "grant expired", **kwargs)  # type: ignore[arg-type]
    return cls("message from stripe", **kwargs)  # type: ignore[arg-type]


def test_every_stripe_error_class_is_mapped_explicitly() -> None:
    """Each exception class stripe-python defines is covered by the explicit mapping table."""
    classes = _all_stripe_errors()
    assert len(classes) > 20
    unmapped = [c.__name__ for c in classes if not issubclass(c, MAPPED)]
    assert unmapped == []


@pytest.mark.parametrize("cls", sorted(_all_stripe_errors(), key=lambda c: c.__name__))
def test_every_stripe_error_becomes_a_connector_error_with_its_request_id(
    cls: type[stripe.StripeError],
) -> None:
    """Raising any stripe error inside the boundary yields a chained connector error."""
    original = _instance(cls)
    with pytest.raises(ConnectorError) as caught, stripe_errors("list_payouts", "acct_1X"):
        raise original
    assert caught.value.__cause__ is original
    assert caught.value.context["operation"] == "list_payouts"
    assert caught.value.context["account"] == "acct_1X"
    if original.request_id is not None:
        assert caught.value.context["request_id"] == "req_test123"


@pytest.mark.parametrize(
    ("exc", "expected", "code", "retry"),
    [
        (stripe.APIConnectionError("down", should_retry=True), TransientError,
         "stripe_unreachable", True),
        (stripe.APIConnectionError("ssl", should_retry=False), TransientError,
         "stripe_unreachable", False),
        (stripe.RateLimitError("slow down", http_status=429), RateLimited,
         "stripe_rate_limited", True),
        (stripe.APIError("boom", http_status=500), TransientError, "stripe_server_error", True),
        (stripe.APIError("boom", http_status=500, headers={"Stripe-Should-Retry": "false"}),
         TransientError, "stripe_server_error", False),
        (stripe.AuthenticationError("bad key", http_status=401), AuthError,
         "stripe_auth_failed", False),
        (stripe.PermissionError("no", http_status=403), AuthError,
         "stripe_permission_denied", False),
        (stripe.InvalidRequestError("no such", "id", "resource_missing", http_status=404),
         PermanentError, "stripe_invalid_request", False),
        (stripe.InvalidRequestError("locked", None, "lock_timeout", http_status=400,
                                    headers={"Stripe-Should-Retry": "true"}),
         TransientError, "stripe_retry_requested", True),
        (stripe.CardError("declined", None, "card_declined", http_status=402), PermanentError,
         "stripe_rejected", False),
    ],
)  # fmt: skip
def test_mapping_by_kind_and_should_retry_header(
    exc: stripe.StripeError, expected: type[ConnectorError], code: str, retry: bool
) -> None:
    """Each Stripe failure kind maps to the class, code and retry decision in the table."""
    err = translate(exc, operation="op", account=None)
    assert type(err) is expected
    assert err.code == code
    assert is_retryable(err) is retry


def test_messages_do_not_repeat_stripe_text() -> None:
    """Stripe's message (which can echo a masked key) is not copied into our message."""
    exc = stripe.AuthenticationError("Invalid API Key provided: sk_test_****abcd", http_status=401)
    err = translate(exc, operation="list_payouts", account=None)
    assert "sk_test" not in err.message
