"""Open Dental REST API client: the only way this adapter writes.

Local (``http://localhost:30222/api/v1``), Service (``http://{server}:30223/api/v1``) and Remote
(``https://api.opendental.com/api/v1``) modes differ only in the base URL. Every request sends
``Authorization: ODFHIR {DeveloperKey}/{CustomerKey}``. Amounts go out as strings ("12.50") and
come back parsed as :class:`~decimal.Decimal` (never ``float``).

Retrying is **not** done here: the adapter retries whole idempotent steps once (tenacity) and
looks before re-sending a non-idempotent POST (see ``adapter.py``), so there is one retry layer.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from decimal import Decimal
from typing import Any

import requests

from adapters.opendental.errors import http_errors, raise_for_response

USER_AGENT = "writeback-connector/0.1 (+opendental adapter)"


def money(amount: Decimal) -> str:
    """An amount as Open Dental's API examples send it: ``"129.99"``."""
    return f"{amount:.2f}"


def day(value: dt.date) -> str:
    """A date as ``yyyy-MM-dd``."""
    return value.isoformat()


def moment(value: dt.datetime) -> str:
    """A datetime as ``yyyy-MM-dd HH:mm:ss`` (Open Dental's local time; no zone)."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


class OpenDentalApi:
    """A small synchronous client for the endpoints the connector uses.

    Args:
        base_url: e.g. ``http://od-server:30223/api/v1`` (trailing slash optional).
        developer_key / customer_key: the two ODFHIR keys.
        timeout: seconds for connect and for read.
    """

    def __init__(
        self, base_url: str, developer_key: str, customer_key: str, *, timeout: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"ODFHIR {developer_key}/{customer_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        self._lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None, *, step: str) -> Any:
        """Send one request and return the decoded JSON answer (or None for an empty body).

        Raises:
            AuthError, PermanentError (400), DataError (404), RateLimited, TransientError;
            OutcomeUnknown for a POST sent without an answer (timeout, broken connection, 504).
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        data = json.dumps(body) if body is not None else None
        with self._lock:
            self.requests_sent += 1
        write = method == "POST"  # creates a row: re-sending it is not harmless
        with http_errors(step, write=write):
            response = self._session.request(method, url, data=data, timeout=self.timeout)
        raise_for_response(response, step=step, write=write)
        if not response.content:
            return None
        with http_errors(step):
            return response.json(parse_float=Decimal)

    # -- endpoints ------------------------------------------------------------------------
    def preferences(self, pref_name: str) -> list[dict[str, Any]]:
        """``GET /preferences?PrefName=…`` (21.1+): a read-only request, used as a probe."""
        path = f"preferences?{urllib.parse.urlencode({'PrefName': pref_name})}"
        return list(self.call("GET", path, None, step="preferences_get") or [])

    def create_payment(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /payments`` (21.2+): a patient payment, auto-split by Open Dental."""
        return dict(self.call("POST", "payments", body, step="payments_post"))

    def refund_payment(self, pay_num: int) -> dict[str, Any]:
        """``POST /payments/Refund`` (24.4.28+): a negative copy of a whole payment."""
        body = {"PayNum": pay_num}
        return dict(self.call("POST", "payments/Refund", body, step="payments_refund"))

    def update_payment(self, pay_num: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /payments/{PayNum}`` (23.3.11+): PayType, CheckNum, BankBranch, PayNote."""
        return dict(self.call("PUT", f"payments/{pay_num}", body, step="payments_put"))

    def allocate_payment(self, pay_num: int, amounts: list[tuple[int, Decimal]]) -> dict[str, Any]:
        """``PUT /payments/{PayNum}/Partial`` (25.1.11+): replace the splits by these amounts."""
        body = {"procNumsAndAmounts": [{"ProcNum": p, "Amount": money(a)} for p, a in amounts]}
        return dict(self.call("PUT", f"payments/{pay_num}/Partial", body, step="payments_partial"))

    def create_commlog(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /commlogs`` (21.1+; the commlog is returned since 23.3.7)."""
        return dict(self.call("POST", "commlogs", body, step="commlogs_post") or {})

    def update_claimproc(self, claimproc_num: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /claimprocs/{ClaimProcNum}`` (22.3.33+)."""
        path = f"claimprocs/{claimproc_num}"
        return dict(self.call("PUT", path, body, step="claimprocs_put"))

    def create_supplemental(self, claimproc_num: int, paid: Decimal) -> dict[str, Any]:
        """``POST /claimprocs/Supplemental`` (25.2.7+): a Supplemental copy of a received row."""
        body = {"ClaimProcNum": claimproc_num, "InsPayAmt": money(paid)}
        path = "claimprocs/Supplemental"
        return dict(self.call("POST", path, body, step="claimprocs_supplemental"))

    def update_claim(self, claim_num: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /claims/{ClaimNum}`` (21.4+)."""
        return dict(self.call("PUT", f"claims/{claim_num}", body, step="claims_put"))

    def create_deposit(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /deposits`` (25.4.33+): a deposit slip of payments and insurance checks."""
        return dict(self.call("POST", "deposits", body, step="deposits_post"))

    def create_adjustment(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /adjustments`` (22.2.22+): one account adjustment, optionally on a procedure."""
        return dict(self.call("POST", "adjustments", body, step="adjustments_post"))

    def create_claimpayment(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /claimpayments`` (22.4.8+): finalize one claim's insurance check."""
        return dict(self.call("POST", "claimpayments", body, step="claimpayments_post"))

    def create_claimpayment_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /claimpayments/Batch`` (24.2.18+): one check for ``claimNums``; partial when
        ``CheckAmt`` differs from their received, unattached insurance money."""
        return dict(self.call("POST", "claimpayments/Batch", body, step="claimpayments_batch"))
