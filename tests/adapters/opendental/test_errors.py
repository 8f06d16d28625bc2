"""Every pyodbc and requests failure becomes exactly one of our error types, chained."""

from __future__ import annotations

import socket

import pyodbc
import pytest
import requests
import responses

from adapters.opendental.api import OpenDentalApi
from adapters.opendental.errors import map_odbc_error, odbc_errors
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from connector.errors import (
    AuthError,
    ConnectorError,
    DataError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)

BASE = "http://od.test/api/v1"


@pytest.mark.parametrize(
    ("state", "message", "expected"),
    [
        ("08S01", "Lost connection to server during query", TransientError),
        ("08001", "Can't connect to server on '127.0.0.1'", TransientError),
        ("HYT00", "Timeout expired", TransientError),
        ("40001", "Deadlock found when trying to get lock", TransientError),
        ("28000", "Access denied for user 'ro'@'127.0.0.1'", AuthError),
        ("42000", "SELECT command denied to user 'ro'@'127.0.0.1' for table 'payment'", AuthError),
        ("42S02", "Table 'opendental.claimproc' doesn't exist", PermanentError),
        ("42S22", "Unknown column 'IsTransfer' in 'field list'", PermanentError),
        ("22003", "Out of range value", PermanentError),
        ("HY000", "MySQL server has gone away", TransientError),
        ("HY000", "something the driver made up", TransientError),
    ],
)
def test_odbc_errors_map_by_sqlstate(state: str, message: str, expected: type) -> None:
    """SQLSTATE classes (and MariaDB's unreachable/denied messages) pick the error type."""
    with pytest.raises(expected) as info, odbc_errors("some_query"):
        raise pyodbc.Error(state, f"[ma-3.1.15][10.11.19-MariaDB]{message} (1234)")
    assert type(info.value) is expected
    assert isinstance(info.value.__cause__, pyodbc.Error)
    assert info.value.context == {"sqlstate": state, "operation": "some_query"}
    assert "[ma-3.1.15]" not in info.value.message


def test_odbc_error_without_sqlstate_is_still_mapped() -> None:
    """A pyodbc error with no SQLSTATE is a transient error, not an escape."""
    assert isinstance(map_odbc_error(pyodbc.Error("boom"), operation="x"), TransientError)


@pytest.mark.parametrize("status", range(400, 600))
@responses.activate
def test_every_http_error_status_is_mapped(status: int) -> None:
    """No HTTP error status escapes as anything but a ConnectorError of the right family."""
    responses.add(responses.POST, f"{BASE}/payments", status=status, body="PayAmt is required.")
    api = OpenDentalApi(BASE, "dev", "cust", timeout=1)
    with pytest.raises(ConnectorError) as info:
        api.create_payment({"PatNum": 1})
    fallback = TransientError if status >= 500 else PermanentError
    known = {401: AuthError, 403: AuthError, 400: PermanentError, 404: DataError, 429: RateLimited,
             504: OutcomeUnknown}  # fmt: skip
    expected = known.get(status, fallback)
    assert type(info.value) is expected
    if status == 400:
        assert "PayAmt is required." in info.value.message


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectTimeout("t"),
        requests.ReadTimeout("t"),
        requests.ConnectionError("c"),
        requests.exceptions.ChunkedEncodingError("x"),
        requests.exceptions.ContentDecodingError("x"),
        requests.exceptions.TooManyRedirects("x"),
        requests.RequestException("x"),
    ],
)
@responses.activate
def test_transport_failures_are_mapped(exc: Exception) -> None:
    """Connection problems and timeouts are transient; nothing from requests leaks out."""
    responses.add(responses.PUT, f"{BASE}/claims/1", body=exc)
    api = OpenDentalApi(BASE, "dev", "cust", timeout=1)
    with pytest.raises(ConnectorError) as info:
        api.update_claim(1, {"ClaimStatus": "R"})
    assert isinstance(info.value, TransientError)
    assert info.value.__cause__ is exc


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (requests.ReadTimeout("t"), True),
        (requests.ConnectionError("connection reset after sending"), True),
        (requests.exceptions.ChunkedEncodingError("x"), False),  # the answer had begun
        (requests.ConnectTimeout("t"), False),
    ],
)
@responses.activate
def test_a_post_without_an_answer_has_an_unknown_outcome(exc: Exception, unknown: bool) -> None:
    """A POST sent without an answer may still be written: OutcomeUnknown (never re-sent at
    once); one that never connected is an ordinary transient failure. A PUT is never unknown."""
    responses.add(responses.POST, f"{BASE}/payments", body=exc)
    api = OpenDentalApi(BASE, "dev", "cust", timeout=1)
    with pytest.raises(TransientError) as info:
        api.create_payment({"PatNum": 1})
    assert isinstance(info.value, OutcomeUnknown) is unknown
    assert info.value.context["step"] == "payments_post"


def test_a_refused_connection_is_not_an_unknown_outcome() -> None:
    """Nothing listens on the port: the POST never left, so it is safe to send again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = OpenDentalApi(f"http://127.0.0.1:{port}/api/v1", "dev", "cust", timeout=2)
    with pytest.raises(TransientError) as info:
        api.create_payment({"PatNum": 1})
    assert not isinstance(info.value, OutcomeUnknown)
    assert info.value.code == "pms_api_unavailable"


@responses.activate
def test_unreadable_answer_is_permanent() -> None:
    """A 2xx answer that is not JSON is a PermanentError (the API is not Open Dental's)."""
    responses.add(responses.POST, f"{BASE}/commlogs", status=201, body="<html>")
    with pytest.raises(PermanentError):
        OpenDentalApi(BASE, "d", "c").create_commlog({"PatNum": 1, "Note": "x"})


@responses.activate
def test_requests_carry_the_odfhir_header_and_decimal_amounts() -> None:
    """The client authenticates with ODFHIR dev/customer and parses amounts as Decimal."""
    responses.add(responses.POST, f"{BASE}/claimpayments", status=201,
                  json={"ClaimPaymentNum": 7, "CheckAmt": 12.5})  # fmt: skip
    answer = OpenDentalApi(BASE + "/", "dev1", "cust2").create_claimpayment({"claimNum": 1})
    assert responses.calls[0].request.headers["Authorization"] == "ODFHIR dev1/cust2"
    assert repr(answer["CheckAmt"]) == "Decimal('12.5')"


def test_idempotent_steps_retry_once_then_raise() -> None:
    """A PUT step is tried twice on transient errors, never on permanent ones."""
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        raise TransientError("down")

    with pytest.raises(TransientError):
        retry_idempotent(flaky, wait=0)
    assert len(calls) == 2

    def refused() -> str:
        calls.append(1)
        raise PermanentError("no")

    calls.clear()
    with pytest.raises(PermanentError):
        retry_idempotent(refused, wait=0)
    assert len(calls) == 1


def test_posts_look_before_sending_again() -> None:
    """A POST that failed transiently is not re-sent when the lookup finds it written."""
    sent: list[int] = []

    def send() -> dict[str, int]:
        sent.append(1)
        raise TransientError("timeout")

    assert once_more_if_absent(send, lambda: {"PayNum": 5}, step="s", wait=0) == {"PayNum": 5}
    assert len(sent) == 1
    with pytest.raises(TransientError):
        once_more_if_absent(send, lambda: None, step="s", wait=0)
    assert len(sent) == 3


def test_a_post_with_an_unknown_outcome_is_never_sent_again_at_once() -> None:
    """After OutcomeUnknown the adapter looks once: found → that row; absent → the error goes
    up (the posting job waits ``outcome_unknown_wait`` before looking and sending again)."""
    sent: list[int] = []

    def send() -> dict[str, int]:
        sent.append(1)
        raise OutcomeUnknown("no answer", context={"step": "payments_post"})

    assert once_more_if_absent(send, lambda: {"PayNum": 5}, step="s", wait=0) == {"PayNum": 5}
    with pytest.raises(OutcomeUnknown):
        once_more_if_absent(send, lambda: None, step="s", wait=0)
    assert len(sent) == 2
