"""One practice's view of Stripe: a configured ``StripeClient`` behind one retry layer.

* The SDK's own retries are off (``max_network_retries=0``); :mod:`tenacity` retries each
  list page or retrieve call (connection errors, 429, 5xx, ``Stripe-Should-Retry: true``)
  with exponential backoff and jitter under the rules of :mod:`.backoff`: other temporary
  errors at most ``max_attempts`` times, 429s within the poll's ``rate_limit_wait`` budget.
  The wait and sleep functions are injectable so tests never sleep for real.
* Every HTTP request first takes a token from the practice's bucket and from the process
  bucket (:mod:`.ratelimit`), and is counted.
* The HTTP client is an explicit ``requests`` client so ``responses`` intercepts it in tests.
* ``Stripe-Account`` is sent per call (not per client) so a Connect destination charge's
  customer can be read on the platform account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import stripe
from stripe._base_address import BaseAddresses
from tenacity import RetryCallState, wait_exponential, wait_random
from tenacity.wait import wait_base

from connector.config import StripeSettings
from connector.sources.stripe.backoff import RetryPolicy
from connector.sources.stripe.errors import stripe_errors
from connector.sources.stripe.ratelimit import TokenBucket, process_bucket

T = TypeVar("T")
PAGE_SIZE = 100

# Four levels is Stripe's expansion limit; ``source_transfer.source_transaction`` is what
# Connect destination charges need to reach the platform charge that holds the metadata.
# ``data.source.charge`` is the charge of a refund or dispute (a platform decides by it whether
# a Connect account owns it). The customer of a charge or of its payment intent is expanded
# too, so a patient id kept only on the customer costs no call; a destination charge's
# platform customer would be a fifth level and is still read with one call (cached per poll).
TRANSACTION_EXPAND = [
    "data.source",
    "data.source.payment_intent",
    "data.source.source_transfer.source_transaction",
    "data.source.charge",
    "data.source.customer",
    "data.source.payment_intent.customer",
]

# 0.5 s, 1 s, 2 s … capped at 30 s, plus up to 1 s of random jitter.
DEFAULT_WAIT: wait_base = wait_exponential(multiplier=0.5, max=30.0) + wait_random(0, 1.0)


class BudgetedRequestsClient(stripe.RequestsClient):
    """stripe-python's ``requests`` transport, drawing from token buckets and counting requests."""

    def __init__(self, *, timeout: float, buckets: Sequence[TokenBucket]) -> None:
        super().__init__(timeout=timeout)
        self._buckets = tuple(buckets)
        self._count_lock = threading.Lock()
        self.requests_made = 0

    # stripe-python's own RequestsClient.request already differs from HTTPClient.request.
    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        """Wait for budget, count, then send."""
        for bucket in self._buckets:
            bucket.acquire()
        with self._count_lock:
            self.requests_made += 1
        return super().request(method, url, headers, post_data)


class StripeApi:
    """The calls the Stripe source makes, each retried as one idempotent unit.

    Args:
        settings: the practice's ``payments.stripe`` section.
        log: structlog logger (request ids of failures are logged here).
        stop: when set, retries stop early and the last error is raised.
        sleep: how to wait between attempts (default: wait on ``stop``, so SIGTERM is prompt).
        wait: tenacity wait strategy (default exponential backoff with jitter, 0.5 s … 30 s).
        buckets: token buckets to draw from (default: the practice's own and the process's).

    Raises (from every method):
        AuthError, TransientError, PermanentError: see :mod:`.errors`.
        SecretNotFound: the API key reference cannot be resolved (at construction).
    """

    def __init__(
        self,
        settings: StripeSettings,
        *,
        log: Any,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] | None = None,
        wait: wait_base | None = None,
        buckets: Sequence[TokenBucket] | None = None,
    ) -> None:
        self.account = settings.account
        self.log = log
        self.stop = stop or threading.Event()
        self._sleep = sleep or self._wait_for_stop
        self._max_attempts = settings.max_attempts
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts, wait=wait or DEFAULT_WAIT, stop=self.stop,
            rate_limit_wait=settings.rate_limit_wait.total_seconds())  # fmt: skip
        chosen = buckets if buckets is not None else (
            TokenBucket(settings.requests_per_second), process_bucket())  # fmt: skip
        self.http = BudgetedRequestsClient(timeout=settings.timeout.total_seconds(), buckets=chosen)
        addresses: BaseAddresses = {}
        if settings.api_base is not None:
            addresses["api"] = str(settings.api_base).rstrip("/")
        self._client = stripe.StripeClient(
            settings.api_key.get(), base_addresses=addresses, max_network_retries=0,
            http_client=self.http,
        )  # fmt: skip

    @property
    def stop(self) -> threading.Event:
        """The poll's stop event (retries end early when it is set)."""
        return self._stop

    @stop.setter
    def stop(self, event: threading.Event) -> None:
        self._stop = event
        if hasattr(self, "policy"):
            self.policy.stop = event

    def _wait_for_stop(self, seconds: float) -> None:
        self.stop.wait(seconds)

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (all attempts)."""
        return self.http.requests_made

    def _options(self, *, platform: bool = False) -> stripe.RequestOptions:
        if platform or self.account is None:
            return {}
        return {"stripe_account": self.account}

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            with stripe_errors(operation, self.account):
                return fn()

        return self.policy.retrying(self._sleep, self._log_retry(operation))(attempt)

    def _log_retry(self, operation: str) -> Callable[[RetryCallState], None]:
        def log(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            context = getattr(exc, "context", {})
            self.log.warning(
                "stripe.request.retrying", operation=operation, attempt=state.attempt_number,
                max_attempts=self._max_attempts, error_code=getattr(exc, "code", None),
                request_id=context.get("request_id"), http_status=context.get("http_status"),
                wait_s=round(state.upcoming_sleep, 3),
            )  # fmt: skip

        return log

    # -- the calls -------------------------------------------------------------------------
    def payouts(self, *, status: str | None, arrival_gte: int) -> Iterator[dict[str, Any]]:
        """Payouts with ``status`` (None: any) expected to arrive at or after ``arrival_gte``
        (all pages)."""
        after: str | None = None
        while True:
            params: stripe.params.PayoutListParams = {
                "arrival_date": {"gte": arrival_gte},
                "limit": PAGE_SIZE,
            }
            if status is not None:
                params["status"] = status
            if after is not None:
                params["starting_after"] = after
            page = self._call("list_payouts", partial(
                self._client.v1.payouts.list, params=params, options=self._options()))  # fmt: skip
            yield from (obj.to_dict() for obj in page.data)
            if not page.has_more or not page.data:
                return
            after = page.data[-1].id

    def payout_transactions(self, payout_id: str) -> Iterator[dict[str, Any]]:
        """Every balance transaction paid out in one automatic payout, sources expanded."""
        after: str | None = None
        while True:
            txns, has_more = self.transaction_page(payout_id, after)
            yield from txns
            if not has_more or not txns:
                return
            after = str(txns[-1]["id"])

    def transaction_page(
        self, payout_id: str, after: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page (newest first) of a payout's balance transactions after ``after``; has_more."""
        params: stripe.params.BalanceTransactionListParams = {
            "payout": payout_id,
            "limit": PAGE_SIZE,
            "expand": list(TRANSACTION_EXPAND),
        }
        if after is not None:
            params["starting_after"] = after
        page = self._call("list_balance_transactions", partial(
            self._client.v1.balance_transactions.list, params=params,
            options=self._options()))  # fmt: skip
        return [obj.to_dict() for obj in page.data], bool(page.has_more and page.data)

    def customer(self, customer_id: str, *, platform: bool = False) -> dict[str, Any]:
        """One customer (``platform=True``: on the Connect platform, not the practice account)."""
        obj = self._call(
            "retrieve_customer",
            lambda: self._client.v1.customers.retrieve(
                customer_id, options=self._options(platform=platform)),
        )  # fmt: skip
        return obj.to_dict()

    def balance(self) -> dict[str, Any]:
        """The account balance (used by ``check-config``: cheap, read-only, needs auth)."""
        obj = self._call(
            "retrieve_balance", lambda: self._client.v1.balance.retrieve(options=self._options())
        )
        return obj.to_dict()
