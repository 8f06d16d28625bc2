"""Read the fields of an item's JSON payload, failing with clear errors.

A payload that lacks a field or carries garbage raises :class:`~connector.errors.DataError`
with code ``payload_invalid`` naming the field (never its value), which sends the item to
review instead of crashing the posting job. Two families: the *lenient* readers
(:func:`text`, :func:`money`, …) count an empty value as absent, as the posting rules always
have; the *exact* readers (:func:`stored_text`, :func:`number`, :func:`flag`) keep what is
stored so a record written back gives the same JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.errors import DataError
from connector.money import MoneyError, to_money


def invalid(name: str, why: str) -> DataError:
    """The error for a missing or malformed field (its name only, never its value)."""
    return DataError(f"payload field {name!r} {why}", code="payload_invalid")


def text(payload: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field (numbers are accepted and turned into text); empty counts as absent."""
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise invalid(name, "is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(name, "is not text")
    return str(value)


def required_text(payload: Mapping[str, Any], name: str) -> str:
    """A string field that must be present and not empty."""
    return text(payload, name, required=True) or ""


def stored_text(payload: Mapping[str, Any], name: str) -> str | None:
    """A string field exactly as stored (``""`` stays ``""``); None when absent or null."""
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(name, "is not text")
    return str(value)


def money(payload: Mapping[str, Any], name: str, *, default: Decimal | None = None) -> Decimal:
    """An amount field (``"125.00"``) as a Decimal; ``default`` when absent, if given."""
    value = payload.get(name)
    if value is None or value == "":
        if default is not None:
            return default
        raise invalid(name, "is missing")
    if isinstance(value, float):
        raise invalid(name, "is a float; amounts must be text")
    try:
        return to_money(value)
    except MoneyError as exc:
        raise invalid(name, "is not an amount") from exc


def optional_money(payload: Mapping[str, Any], name: str) -> Decimal | None:
    """An amount field, or None when absent, null or empty."""
    if payload.get(name) in (None, ""):
        return None
    return money(payload, name)


def number(payload: Mapping[str, Any], name: str) -> Decimal | None:
    """A decimal field (a quantity, ``"1"``) exactly as written, or None when absent."""
    value = payload.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(name, "is not a number written as text")
    try:
        found = Decimal(str(value))
    except InvalidOperation as exc:
        raise invalid(name, "is not a number") from exc
    if not found.is_finite():
        raise invalid(name, "is not a number")
    return found


def flag(payload: Mapping[str, Any], name: str, *, default: bool) -> bool:
    """A true/false field (``default`` when absent); any other value counts by its truth."""
    value = payload.get(name, default)
    return bool(value)


def date(payload: Mapping[str, Any], name: str) -> dt.date | None:
    """An ISO date field, or None when absent."""
    value = text(payload, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise invalid(name, "is not an ISO date") from exc


def timestamp(payload: Mapping[str, Any], name: str) -> dt.datetime | None:
    """An ISO datetime field with offset, or None when absent."""
    value = text(payload, name)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid(name, "is not an ISO date and time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def records(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """A list-of-objects field (empty when absent)."""
    value = payload.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise invalid(name, "is not a list of objects")
    return value


def strings(payload: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-text field (empty when absent), empty entries dropped."""
    value = payload.get(name) or []
    if not isinstance(value, list):
        raise invalid(name, "is not a list")
    return [str(v) for v in value if v not in (None, "")]


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """A date or datetime as ISO text for JSON, None stays None."""
    return None if value is None else value.isoformat()


def amount_text(value: Decimal | None) -> str | None:
    """An amount or quantity as JSON text (``"125.00"``), None stays None."""
    return None if value is None else str(value)


def optional_flag(payload: Mapping[str, Any], name: str) -> bool | None:
    """A true/false field exactly as stored, or None when absent or null."""
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(name, "is not true or false")
    return value


def record(payload: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """An object field, or None when absent or null."""
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise invalid(name, "is not an object")
    return value
