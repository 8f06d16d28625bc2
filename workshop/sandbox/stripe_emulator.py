"""The request handling behind the sandbox Stripe server, usable without a socket.

Implements exactly what the Stripe source uses, with Stripe's behaviour where it matters:

* ``GET /v1/payouts`` (``status``, ``created`` and ``arrival_date`` filters with
  ``gt/gte/lt/lte``, ``limit`` 1 to 100, ``starting_after``, ``has_more``), newest first;
* ``GET /v1/balance_transactions`` (``payout`` — automatic payouts only, as at Stripe —
  ``type``, ``source``, ``limit``, ``starting_after``, ``expand[]`` up to four levels);
* ``GET /v1/charges/{id}``, ``/v1/payment_intents/{id}``, ``/v1/customers/{id}``,
  ``/v1/balance``;
* bearer-key authentication (401), ``Stripe-Account`` routing to connected accounts (403 when
  the key's account is not their platform), restricted-key permissions (403), Stripe-shaped
  error bodies, a ``Request-Id`` header on every response;
* fault injection: the next N requests (or a fraction of them, or every Nth) answer 429 / 500 /
  another status (optionally with ``Retry-After``), are delayed, or have their connection
  dropped.

:meth:`StripeEmulator.responses_callback` plugs the same logic into the ``responses`` library.
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from workshop.sandbox.stripe_data import StripeDataset

MAX_EXPAND_DEPTH = 4
_RETRIEVE = re.compile(r"^/v1/(charges|payment_intents|customers)/([A-Za-z0-9_]+)$")
_PERMISSION_OF = {"payouts": "payouts", "balance_transactions": "balance", "balance": "balance",
                  "charges": "charges", "payment_intents": "payment_intents",
                  "customers": "customers"}  # fmt: skip
_OBJECT_OF = {"charges": "charge", "payment_intents": "payment_intent", "customers": "customer"}


class DroppedConnection(Exception):
    """The fault plan says: close the connection without answering."""


@dataclass
class Fault:
    """One fault rule. ``count`` requests, each with probability ``fraction``, or every
    ``every``-th request (1 in N, counted per rule) are hit.

    ``kind``: ``status`` (answer ``status`` with a Stripe error body), ``delay`` (sleep
    ``delay`` seconds, then answer normally) or ``disconnect`` (drop the connection).
    ``path`` limits the rule to request paths starting with it. ``should_retry`` adds the
    ``Stripe-Should-Retry`` header, ``retry_after`` a ``Retry-After`` header (seconds).
    """

    kind: str = "status"
    status: int = 500
    count: int | None = 1
    fraction: float | None = None
    delay: float = 0.0
    path: str | None = None
    should_retry: bool | None = None
    every: int | None = None
    retry_after: int | None = None
    seen: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("status", "delay", "disconnect"):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.every is not None:
            self.count = None if self.fraction is None else self.count
        chosen = [v for v in (self.count, self.fraction, self.every) if v is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of count, fraction or every")
        if self.every is not None and self.every < 1:
            raise ValueError("every must be at least 1")


@dataclass
class Reply:
    """An HTTP answer: status, headers and JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as UTF-8 JSON."""
        return json.dumps(self.body).encode("utf-8")


class StripeError(Exception):
    """An answer in Stripe's error shape (raised inside the emulator only)."""

    def __init__(self, status: int, type_: str, message: str, code: str | None = None,
                 param: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type_, "message": message}}
        if code:
            self.body["error"]["code"] = code
        if param:
            self.body["error"]["param"] = param


class StripeEmulator:
    """Answers Stripe API requests from a :class:`StripeDataset`. Thread-safe.

    Args:
        dataset: accounts, keys and objects to serve.
        seed: for fraction faults (repeatable runs).
    """

    def __init__(self, dataset: StripeDataset, *, seed: int = 7) -> None:
        self.dataset = dataset
        self.faults: list[Fault] = []
        self.stats: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []  # method, path, account, status (no keys)
        self._lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311 - fault sampling, not security

    # -- fault control ---------------------------------------------------------------------
    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a fault rule (``inject(kind="status", status=429, count=2)``)."""
        rule = fault or Fault(**kwargs)
        with self._lock:
            self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        with self._lock:
            self.faults.clear()

    def reset_stats(self) -> None:
        """Forget request counts."""
        with self._lock:
            self.stats.clear()
            self.requests.clear()

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for rule in self.faults:
                if rule.path and not path.startswith(rule.path):
                    continue
                if rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                    return rule
                if rule.fraction is not None and self._rng.random() < rule.fraction:
                    return rule
                if rule.every is not None:
                    rule.seen += 1
                    if rule.seen % rule.every == 0:
                        return rule
        return None

    # -- entry points ----------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Reply:
        """Answer one request (``target`` is the path with its query string).

        Raises:
            DroppedConnection: a ``disconnect`` fault fired.
        """
        parts = urlsplit(target)
        path = parts.path
        request_id = f"req_{uuid.uuid4().hex[:14]}"
        lower = {k.lower(): v for k, v in headers.items()}
        account = lower.get("stripe-account")
        with self._lock:
            self.stats["requests"] += 1
            self.stats[f"{method} {_route_name(path)}"] += 1
        fault = self._fault_for(path)
        extra: dict[str, str] = {}
        if fault is not None and fault.should_retry is not None:
            extra["Stripe-Should-Retry"] = "true" if fault.should_retry else "false"
        if fault is not None and fault.kind == "status" and fault.retry_after is not None:
            extra["Retry-After"] = str(fault.retry_after)
        try:
            if fault is not None and fault.kind == "disconnect":
                self._log(method, path, account, 0)
                raise DroppedConnection(path)
            if fault is not None and fault.kind == "delay":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "status":
                raise _fault_error(fault.status)
            if method != "GET":
                raise StripeError(405, "invalid_request_error",
                                  f"Unrecognized request URL ({method}: {path}).")  # fmt: skip
            body = self._route(path, parse_qsl(parts.query, keep_blank_values=True), lower,
                               account)  # fmt: skip
            reply = Reply(200, body)
        except StripeError as exc:
            reply = Reply(exc.status, exc.body)
        reply.headers.update(
            {
                "Request-Id": request_id,
                "Content-Type": "application/json",
                "Stripe-Version": lower.get("stripe-version", ""),
                **extra,
            }
        )
        self._log(method, path, account, reply.status)
        return reply

    def responses_callback(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        """A ``responses.add_callback`` callback (a dropped connection → ConnectionError)."""
        import requests  # noqa: PLC0415 - only needed with the responses library

        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            reply = self.handle(request.method, target, dict(request.headers))
        except DroppedConnection as exc:
            raise requests.ConnectionError(f"sandbox dropped the connection to {exc}") from exc
        return reply.status, reply.headers, reply.encoded()

    def _log(self, method: str, path: str, account: str | None, status: int) -> None:
        with self._lock:
            self.requests.append({"method": method, "path": path, "account": account,
                                  "status": status})  # fmt: skip

    # -- routing ---------------------------------------------------------------------------
    def _route(self, path: str, query: list[tuple[str, str]], headers: Mapping[str, str],
               account_header: str | None) -> dict[str, Any]:  # fmt: skip
        account_id, permissions = self._authenticate(headers, account_header)
        params = _parse_params(query)
        expand = _expand_list(params)
        resource = path.split("/")[2] if path.count("/") >= 2 else ""
        needed = _PERMISSION_OF.get(resource)
        if needed and needed not in permissions:
            raise _permission_error(resource)
        if any(e.startswith("data.source") for e in expand) and (
            "balance_transaction_sources" not in permissions
        ):
            raise _permission_error("balance_transaction_sources")
        acct = self.dataset.accounts[account_id]
        with self._lock:
            if path == "/v1/payouts":
                items = [p for p in acct.payouts if _payout_matches(p, params)]
                return self._list(path, items, params, expand)
            if path == "/v1/balance_transactions":
                return self._list(path, self._transactions(acct, params), params, expand)
            if path == "/v1/balance":
                return _balance(acct)
            match = _RETRIEVE.match(path)
            if match:
                resource, object_id = match.groups()
                obj = acct.objects.get(object_id)
                if obj is None or obj.get("object") != _OBJECT_OF[resource]:
                    raise StripeError(404, "invalid_request_error",
                                      f"No such {_OBJECT_OF[resource]}: '{object_id}'",
                                      code="resource_missing", param="id")  # fmt: skip
                return self._expanded(obj, expand)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL (GET: {path}).")

    def _authenticate(self, headers: Mapping[str, str],
                      account_header: str | None) -> tuple[str, frozenset[str]]:  # fmt: skip
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        grant = self.dataset.keys.get(key)
        if grant is None:
            masked = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
            raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {masked}")
        if account_header is None or account_header == grant.account:
            return grant.account, grant.permissions
        target = self.dataset.accounts.get(account_header)
        if target is None or target.connected_to != grant.account:
            raise StripeError(
                403, "invalid_request_error",
                f"The provided key does not have access to account '{account_header}' (or that "
                "account does not exist). Application access may have been revoked.",
                code="account_invalid")  # fmt: skip
        return target.id, grant.permissions

    def _transactions(self, acct: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        items = list(acct.transactions)
        payout_id = params.get("payout")
        if payout_id is not None:
            payout = acct.objects.get(payout_id)
            if payout is None or payout.get("object") != "payout":
                raise StripeError(404, "invalid_request_error", f"No such payout: '{payout_id}'",
                                  code="resource_missing", param="payout")  # fmt: skip
            if not payout.get("automatic"):
                raise StripeError(
                    400,
                    "invalid_request_error",
                    "Balance transaction history can only be filtered on "
                    "automatic payouts, not manual payouts.",
                    param="payout",
                )
            items = [t for t in items if acct.payout_of.get(t["id"]) == payout_id]
        for name in ("type", "source", "currency"):
            if name in params:
                items = [t for t in items if t.get(name) == params[name]]
        if "created" in params:
            items = [t for t in items if _range_ok(t.get("created"), params["created"])]
        return items

    def _list(self, path: str, items: list[dict[str, Any]], params: dict[str, Any],
              expand: list[str]) -> dict[str, Any]:  # fmt: skip
        ordered = sorted(items, key=lambda o: (o.get("created", 0), o["id"]), reverse=True)
        limit = _int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise StripeError(400, "invalid_request_error",
                              "Limit must be between 1 and 100.", param="limit")  # fmt: skip
        after = params.get("starting_after")
        if after is not None:
            ids = [o["id"] for o in ordered]
            if after not in ids:
                raise StripeError(400, "invalid_request_error",
                                  f"No such object: '{after}'", param="starting_after")  # fmt: skip
            ordered = ordered[ids.index(after) + 1 :]
        page = ordered[:limit]
        item_paths = []
        for path_ in expand:
            if not path_.startswith("data."):
                raise StripeError(400, "invalid_request_error",
                                  f"This property cannot be expanded ({path_}).")  # fmt: skip
            item_paths.append(path_[5:])
        return {"object": "list", "data": [self._expanded(o, item_paths) for o in page],
                "has_more": len(ordered) > limit, "url": path}  # fmt: skip

    def _expanded(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        result = copy.deepcopy(obj)
        for path in paths:
            parts = path.split(".")
            if len(parts) > MAX_EXPAND_DEPTH:
                raise StripeError(400, "invalid_request_error",
                                  f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a "
                                  f"property. Property: {path}")  # fmt: skip
            self._expand_into(result, parts)
        return result

    def _expand_into(self, obj: dict[str, Any], parts: list[str]) -> None:
        name = parts[0]
        if name not in obj:  # lists mix object types: paths that do not apply are skipped
            return
        value = obj[name]
        if isinstance(value, str):
            found = self.dataset.find(value)
            if found is not None:
                value = copy.deepcopy(found)
                obj[name] = value
        if isinstance(value, dict) and len(parts) > 1:
            self._expand_into(value, parts[1:])


# -- helpers ---------------------------------------------------------------------------------
def _route_name(path: str) -> str:
    match = _RETRIEVE.match(path)
    return f"/v1/{match.group(1)}/:id" if match else path


def _fault_error(status: int) -> StripeError:
    if status == 429:
        return StripeError(
            429,
            "invalid_request_error",
            "Too many requests hit the API too quickly.",
            code="rate_limit",
        )
    if status >= 500:
        return StripeError(status, "api_error", "Something went wrong on Stripe's end.")
    return StripeError(status, "invalid_request_error", f"Injected failure ({status}).")


def _permission_error(resource: str) -> StripeError:
    return StripeError(403, "invalid_request_error",
                       f"The provided key does not have the required permissions for this "
                       f"endpoint (needs read access to {resource}).")  # fmt: skip


def _parse_params(query: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b]=1&expand[0]=x&expand[]=y`` → ``{"a": {"b": "1"}, "expand": ["x", "y"]}``."""
    params: dict[str, Any] = {}
    for key, value in query:
        match = re.fullmatch(r"([a-z_]+)\[([a-z_0-9]*)\]", key)
        if match is None:
            params[key] = value
            continue
        name, sub = match.groups()
        if sub == "" or sub.isdigit():
            params.setdefault(name, [])
            if not isinstance(params[name], list):
                raise StripeError(400, "invalid_request_error", f"Invalid array: {name}")
            params[name].append(value)
        else:
            params.setdefault(name, {})
            if not isinstance(params[name], dict):
                raise StripeError(400, "invalid_request_error", f"Invalid hash: {name}")
            params[name][sub] = value
    return params


def _expand_list(params: dict[str, Any]) -> list[str]:
    value = params.get("expand", [])
    return [value] if isinstance(value, str) else list(value)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(400, "invalid_request_error", f"Invalid integer: {value}",
                          param=name) from None  # fmt: skip


def _range_ok(value: Any, condition: Any) -> bool:
    if value is None:
        return False
    if not isinstance(condition, dict):
        return int(value) == _int(condition, "range")
    checks = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
              "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}  # fmt: skip
    for op, bound in condition.items():
        if op not in checks:
            raise StripeError(400, "invalid_request_error", f"Received unknown parameter: {op}")
        if not checks[op](int(value), _int(bound, op)):
            return False
    return True


def _payout_matches(payout: dict[str, Any], params: dict[str, Any]) -> bool:
    if "status" in params and payout.get("status") != params["status"]:
        return False
    return all(
        _range_ok(payout.get(name), params[name])
        for name in ("created", "arrival_date")
        if name in params
    )


def _balance(acct: Any) -> dict[str, Any]:
    paid_out = {t["id"] for t in acct.transactions if t["id"] in acct.payout_of}
    available = sum(t["net"] for t in acct.transactions if t["id"] not in paid_out)
    return {
        "object": "balance", "livemode": False,
        "available": [
            {"amount": available, "currency": "usd", "source_types": {"card": available}}
        ],
        "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        "connect_reserved": [{"amount": 0, "currency": "usd"}],
    }  # fmt: skip
