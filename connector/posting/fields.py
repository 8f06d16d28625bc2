"""Read item payload fields (docs/payloads.md) and PMS type lists, failing with clear errors.

A payload that lacks a field or carries garbage raises :class:`~connector.errors.DataError`
with code ``payload_invalid`` naming the field (never its value), which sends the item to
review instead of crashing the posting job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from adapters.base import PmsType
from connector.errors import DataError
from connector.money import MoneyError, to_money


def _invalid(name: str, why: str) -> DataError:
    return DataError(f"payload field {name!r} {why}", code="payload_invalid")


def text(payload: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field (numbers are accepted and turned into text); empty counts as absent."""
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise _invalid(name, "is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(name, "is not text")
    return str(value)


def money(payload: Mapping[str, Any], name: str, *, default: Decimal | None = None) -> Decimal:
    """An amount field (``"125.00"``) as a Decimal; ``default`` when absent, if given."""
    value = payload.get(name)
    if value is None or value == "":
        if default is not None:
            return default
        raise _invalid(name, "is missing")
    if isinstance(value, float):
        raise _invalid(name, "is a float; amounts must be text")
    try:
        return to_money(value)
    except MoneyError as exc:
        raise _invalid(name, "is not an amount") from exc


def date(payload: Mapping[str, Any], name: str) -> dt.date | None:
    """An ISO date field, or None when absent."""
    value = text(payload, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise _invalid(name, "is not an ISO date") from exc


def timestamp(payload: Mapping[str, Any], name: str) -> dt.datetime | None:
    """An ISO datetime field with offset, or None when absent."""
    value = text(payload, name)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(name, "is not an ISO date and time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def records(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """A list-of-objects field (empty when absent)."""
    value = payload.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _invalid(name, "is not a list of objects")
    return value


def strings(payload: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-text field (empty when absent)."""
    value = payload.get(name) or []
    if not isinstance(value, list):
        raise _invalid(name, "is not a list")
    return [str(v) for v in value if v not in (None, "")]


def find_type(types: Iterable[PmsType], wanted: str, categories: Iterable[str]) -> PmsType | None:
    """The PMS type named ``wanted`` (its id, or its name ignoring case) in ``categories``.

    Hidden types are not offered: the PMS's own screens do not let staff pick them either.
    """
    allowed = set(categories)
    candidates = [t for t in types if t.category in allowed and not t.hidden]
    for entry in candidates:
        if entry.id == wanted:
            return entry
    folded = wanted.strip().casefold()
    for entry in candidates:
        if entry.name.strip().casefold() == folded:
            return entry
    return None


def find_insurance_type(types: Iterable[PmsType], wanted: str) -> PmsType | None:
    """The insurance payment type named ``wanted``.

    Open Dental keeps insurance payment types in their own list (``insurance_payment``).
    Dentrix G and Eaglesoft have one list of payment types for both, so when the PMS offers no
    insurance list the name is looked up among its payment types — including those hidden from
    the patient payment screen, which is where practices keep types such as "Insurance EFT".
    """
    listed = list(types)
    if any(t.category == "insurance_payment" for t in listed):
        return find_type(listed, wanted, ["insurance_payment"])
    shown = [replace(t, hidden=False) for t in listed if t.category == "payment"]
    return find_type(shown, wanted, ["payment"])
