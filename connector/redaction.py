"""Scrub secrets and patient information from anything that is about to be logged.

Three layers, applied to every string in every event (including rendered exceptions):

1. **Field names**: values under a denylisted key (``first_name``, ``dob``, ``member_id`` …)
   are replaced whole, at any depth.
2. **Patterns**: Stripe keys (``sk_``/``rk_``/``pk_`` live and test), bearer/``ODFHIR``
   authorisation values, and card numbers (13–19 digits passing the Luhn check).
3. **Known values**: every configured secret, and sensitive values the connector has seen at
   run time (a patient's name read from the PMS, an 835 subscriber id) registered through
   :meth:`Redactor.register`. Matching is by whole word, case-insensitive, so a name embedded
   in an exception message is caught too.

A :class:`Redactor` is an object passed around (never a module global) so tests can build
their own.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

REDACTED = "[REDACTED]"

DEFAULT_DENYLIST = frozenset(
    {
        "patient_name", "first_name", "last_name", "middle_name", "preferred_name", "name_first",
        "name_last", "fname", "lname", "lname_first", "full_name", "patient", "subscriber",
        "guarantor_name", "dob", "birth_date", "birthdate", "date_of_birth", "member_id",
        "subscriber_id", "insured_id", "ssn", "social_sec_num", "address", "address1",
        "address2", "street", "city", "zip", "zipcode", "postal_code", "phone", "email",
        "card_number", "card", "cvc", "exp_month", "exp_year", "password", "passwd", "secret",
        "api_key", "developer_key", "customer_key", "authorization", "signature", "token",
        "connection_string", "billing_details",
    }
)  # fmt: skip

_STRIPE_KEY = re.compile(r"\b(?:sk|rk|pk|whsec)_(?:live|test)_[A-Za-z0-9]{6,}\b")
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic|odfhir)\s+[A-Za-z0-9._~+/=:-]{6,}")
_CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_NAME_WORD = re.compile(r"[^\W\d_]{2,}")
_MAX_KNOWN = 50_000
_MAX_VALUES = 5_000


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum used by card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _scrub_card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


class Redactor:
    """Removes secrets and PHI from log events. Thread-safe.

    Args:
        secrets: exact secret strings (API keys, passwords) to remove wherever they appear.
        extra_fields: field names to add to the built-in denylist.
    """

    def __init__(self, secrets: Iterable[str] = (), extra_fields: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._fields = DEFAULT_DENYLIST | {f.lower() for f in extra_fields}
        self._known: OrderedDict[str, None] = OrderedDict()
        self._values: OrderedDict[str, None] = OrderedDict()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Add secret strings to remove (e.g. after the config is reloaded)."""
        with self._lock:
            merged = set(self._secrets) | {s for s in secrets if s and len(s) >= 4}
            self._secrets = sorted(merged, key=len, reverse=True)

    def register_names(self, *names: str | None) -> None:
        """Remember people's names seen at run time; each word of letters (≥ 2) is removed.

        The most recent 50,000 words are kept.
        """
        with self._lock:
            for name in names:
                for word in _NAME_WORD.findall(name or ""):
                    key = word.lower()
                    self._known[key] = None
                    self._known.move_to_end(key)
            while len(self._known) > _MAX_KNOWN:
                self._known.popitem(last=False)

    def register_values(self, *values: str | None) -> None:
        """Remember exact sensitive strings (member ids, birth dates); length ≥ 4.

        The most recent 5,000 are kept.
        """
        with self._lock:
            for value in values:
                if value and len(value) >= 4:
                    self._values[value] = None
                    self._values.move_to_end(value)
            while len(self._values) > _MAX_VALUES:
                self._values.popitem(last=False)

    def scrub_text(self, text: str) -> str:
        """Return ``text`` with secrets, keys, card numbers and known PHI words removed."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for value in list(self._values):
            if value in text:
                text = text.replace(value, REDACTED)
        text = _STRIPE_KEY.sub(REDACTED, text)
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _CARD_CANDIDATE.sub(_scrub_card, text)
        if self._known:
            known = self._known
            text = _NAME_WORD.sub(
                lambda m: REDACTED if m.group(0).lower() in known else m.group(0), text
            )
        return text

    def scrub(self, value: Any, key: str | None = None) -> Any:
        """Scrub any JSON-like value; denylisted keys are replaced whole."""
        if key is not None and key.lower() in self._fields:
            return REDACTED if value not in (None, "", [], {}) else value
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, Mapping):
            return {k: self.scrub(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.scrub(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.scrub_text(str(value))

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> dict[str, Any]:
        """structlog processor interface."""
        return {k: self.scrub(v, k) if k not in _PASS_KEYS else v for k, v in event_dict.items()}


_PASS_KEYS = frozenset({"level", "timestamp", "logger", "_record", "_from_structlog"})
