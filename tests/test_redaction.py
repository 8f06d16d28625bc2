"""Redaction: secrets, card numbers and patient data never reach log output."""

from __future__ import annotations

import io
import json
import logging

import pytest

from connector.logging import configure_logging, get_logger
from connector.redaction import REDACTED, Redactor, luhn_ok

SECRET = "od-dev-key-7f3a9c"
CARD = "4242 4242 4242 4242"
NAME_FIRST, NAME_LAST = "Marguerite", "Okonkwo"


def _logged(redactor: Redactor, emit: object) -> str:
    buf = io.StringIO()
    configure_logging(redactor=redactor, fmt="json", stream=buf, level="debug")
    assert callable(emit)
    emit()
    return buf.getvalue()


@pytest.fixture
def redactor() -> Redactor:
    """A redactor that knows one secret and one patient's name."""
    r = Redactor(secrets=[SECRET])
    r.register_names(f"{NAME_FIRST} {NAME_LAST}")
    r.register_values("1984-02-29", "W123456789")
    return r


def test_event_fields_are_scrubbed(redactor: Redactor) -> None:
    """A secret, a card number, a patient name and a DOB in an event never appear."""

    def emit() -> None:
        get_logger().info(
            "payment.posted",
            note=f"card {CARD} key {SECRET} for {NAME_FIRST}",
            first_name=NAME_FIRST,
            dob="1984-02-29",
            member="W123456789",
            amount="125.00",
        )

    out = _logged(redactor, emit)
    for leaked in (SECRET, "4242", NAME_FIRST, "1984-02-29", "W123456789"):
        assert leaked not in out
    event = json.loads(out)
    assert event["amount"] == "125.00"
    assert event["first_name"] == REDACTED


def test_exception_text_is_scrubbed(redactor: Redactor) -> None:
    """A secret and a patient name inside an exception message never appear."""

    def emit() -> None:
        try:
            raise RuntimeError(f"patient {NAME_FIRST} {NAME_LAST} rejected key {SECRET} {CARD}")
        except RuntimeError:
            get_logger().exception("poll.crashed")

    out = _logged(redactor, emit)
    assert "RuntimeError" in out
    for leaked in (SECRET, NAME_FIRST, NAME_LAST, "4242 4242"):
        assert leaked not in out


def test_stdlib_loggers_go_through_the_same_redaction(redactor: Redactor) -> None:
    """Third-party libraries logging through the standard library are scrubbed too."""

    def emit() -> None:
        logging.getLogger("urllib3.connectionpool").error("GET /?key=%s for %s", SECRET, NAME_LAST)

    out = _logged(redactor, emit)
    assert SECRET not in out and NAME_LAST not in out
    assert json.loads(out)["logger"] == "urllib3.connectionpool"


def test_stripe_keys_and_auth_headers_are_scrubbed_without_configuration() -> None:
    """Stripe keys and Authorization values are removed even if not configured as secrets."""
    r = Redactor()
    text = r.scrub_text("sk_live_51HabcDEF123 rk_test_zzzzzzzz Authorization: ODFHIR abc123/def456")
    assert "sk_live" not in text and "rk_test" not in text and "abc123" not in text


def test_non_card_numbers_are_kept() -> None:
    """Long numbers that fail the Luhn check (claim ids, amounts) are not redacted."""
    r = Redactor()
    assert r.scrub_text("claim 1234567890123") == "claim 1234567890123"
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424241")


def test_ids_and_amounts_survive(redactor: Redactor) -> None:
    """Redaction keeps what support needs: ids, amounts, codes."""
    text = "txn_1Abc po_9 amount 125.00 code CO-45"
    assert redactor.scrub_text(text) == text


def test_nested_denylisted_fields_are_replaced_whole(redactor: Redactor) -> None:
    """A denylisted key is replaced at any depth of the event."""
    scrubbed = redactor.scrub({"claim": {"subscriber_id": "X1", "lines": [{"dob": "2001-01-01"}]}})
    assert scrubbed == {"claim": {"subscriber_id": REDACTED, "lines": [{"dob": REDACTED}]}}
