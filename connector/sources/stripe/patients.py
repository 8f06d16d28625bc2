"""Find the PMS patient id a payment carries in Stripe metadata.

The id lives under one configurable metadata key (``payments.stripe.patient_id_metadata_key``)
on the charge, the payment intent or the customer, searched in the configured order. The first
place that has a non-empty value decides: a value that does not match
``patient_id_pattern`` is *malformed* and is never used nor stored (it could be a name typed
into the wrong field). For Connect destination charges the practice account only holds a
``py_`` payment; the platform charge it came from (``source_transfer.source_transaction``,
expanded in the same list call) is searched too, and its customer is read on the platform.

The charge's and the payment intent's customers are expanded in the list call, so reading
their metadata costs nothing. A destination charge's platform customer would be a fifth level
(past Stripe's limit of four), so it costs one retrieve call, made only when the charges and
payment intents lack the key, and cached for the rest of the poll.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import PermanentError

CustomerFetcher = Callable[[str, bool], dict[str, Any]]
"""``(customer_id, on_platform) → customer`` (raises connector errors)."""


@dataclass(frozen=True)
class PatientLookup:
    """Where the patient id was found, or why it was not.

    ``problem`` is ``None`` when ``value`` is usable, else ``missing`` or ``malformed``.
    """

    value: str | None
    found_in: str | None
    problem: str | None


def _as_dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) else None


def platform_charge(source: dict[str, Any]) -> dict[str, Any] | None:
    """The platform charge behind a Connect destination payment (``py_``), when expanded."""
    transfer = _as_dict(source.get("source_transfer"))
    return _as_dict(transfer.get("source_transaction")) if transfer else None


class PatientResolver:
    """Looks up patient ids for one poll; remembers customers it has already read.

    Args:
        key: the metadata key.
        order: the places to look, e.g. ``("charge", "payment_intent", "customer")``.
        pattern: a regular expression a usable id must match in full.
        fetch_customer: reads one customer (only called when needed).
    """

    def __init__(
        self, key: str, order: Sequence[str], pattern: str, fetch_customer: CustomerFetcher
    ) -> None:
        self.key = key
        self.order = tuple(order)
        self.pattern = re.compile(pattern)
        self._fetch = fetch_customer
        self._customers: dict[tuple[str, bool], dict[str, Any] | None] = {}
        self.customer_calls = 0

    def resolve(self, source: dict[str, Any], *, allow_fetch: bool = True) -> PatientLookup:
        """Search the source object (charge, refund or dispute) in the configured order."""
        for place in self.order:
            for metadata in self._metadata_at(place, source, allow_fetch):
                value = metadata.get(self.key)
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                text = str(value).strip()
                if isinstance(value, str) and self.pattern.fullmatch(text):
                    return PatientLookup(text, place, None)
                return PatientLookup(None, place, "malformed")
        return PatientLookup(None, None, "missing")

    def _metadata_at(
        self, place: str, source: dict[str, Any], allow_fetch: bool
    ) -> Iterator[dict[str, Any]]:
        upstream = platform_charge(source)
        if place == "charge":
            yield from _metadata(source, upstream)
        elif place == "payment_intent":
            yield from _metadata(
                _as_dict(source.get("payment_intent")),
                _as_dict(upstream.get("payment_intent")) if upstream else None,
            )
        elif place == "customer":
            expanded = _expanded_customer(source)
            if expanded is not None:
                if not expanded.get("deleted"):
                    yield from _metadata(expanded)
                return
            if not allow_fetch:
                return
            for customer_id, on_platform in self._customer_ids(source, upstream):
                customer = self._customer(customer_id, on_platform)
                if customer is not None:
                    yield from _metadata(customer)

    @staticmethod
    def _customer_ids(
        source: dict[str, Any], upstream: dict[str, Any] | None
    ) -> Iterator[tuple[str, bool]]:
        intent = _as_dict(source.get("payment_intent")) or {}
        for candidate in (source.get("customer"), intent.get("customer")):
            found = _id_of(candidate)
            if found:
                yield found, False
                return
        if upstream is not None:
            found = _id_of(upstream.get("customer"))
            if found:
                yield found, True

    def _customer(self, customer_id: str, on_platform: bool) -> dict[str, Any] | None:
        key = (customer_id, on_platform)
        if key not in self._customers:
            self.customer_calls += 1
            try:
                customer: dict[str, Any] | None = self._fetch(customer_id, on_platform)
            except PermanentError as exc:
                # A deleted or unknown customer simply has no patient id.
                if exc.context.get("stripe_code") != "resource_missing":
                    raise
                customer = None
            if customer is not None and customer.get("deleted"):
                customer = None
            self._customers[key] = customer
        return self._customers[key]


def _expanded_customer(source: dict[str, Any]) -> dict[str, Any] | None:
    """The charge's (else its payment intent's) customer when the list call expanded it."""
    intent = _as_dict(source.get("payment_intent")) or {}
    for candidate in (source.get("customer"), intent.get("customer")):
        if isinstance(candidate, dict):
            return candidate
        if isinstance(candidate, str) and candidate:
            return None  # named but not expanded: read it with a call
    return None


def _metadata(*objects: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    for obj in objects:
        if obj is not None:
            metadata = _as_dict(obj.get("metadata"))
            if metadata:
                yield metadata
