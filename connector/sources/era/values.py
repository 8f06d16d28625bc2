"""Strict conversion of X12 element text to amounts, quantities and dates.

An X12 ``R`` value is an optional minus sign, digits and an optional decimal point. Anything
else (``1,250.00``, ``250USD``, ``1e3``, ``NaN``) is refused instead of being read as a wrong
number. Amounts must have at most two decimal places and are returned with exactly two
(``132`` → ``Decimal('132.00')``). Conversions are cached (bounded) because remittances
repeat the same few amounts and dates many times.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_CENT = Decimal("0.01")
_R_CHARS = "0123456789.-"
_CACHE_LIMIT = 8192

# Caches, read directly by the parser's hot path (a miss falls back to the functions below).
AMOUNTS: dict[str, Decimal] = {}
DATES: dict[str, dt.date | None] = {}
QUANTITIES: dict[str, Decimal] = {}


class ValueProblem(ValueError):
    """An element's text is not a valid value; the caller adds the location."""


def amount(text: str) -> Decimal:
    """Money from an X12 ``R`` element, exactly two decimal places.

    Raises:
        ValueProblem: not a number, longer than 18 characters, or more than two decimals.
    """
    found = AMOUNTS.get(text)
    if found is not None:
        return found
    # Only digits, "." and "-" may appear (and at least one digit); Decimal() then rejects
    # misplaced signs and dots.
    if not text or len(text) > 18 or text.strip(_R_CHARS) or not text.strip("-."):
        raise ValueProblem(f"not an amount: {text[:20]!r}")
    # Pad to exactly two places so Decimal() gives the final value (no quantize): appending
    # zeros never turns text without a digit, or with a misplaced sign or dot, into a number.
    dot = text.find(".")
    places = len(text) - dot - 1 if dot >= 0 else -1
    if places == 2:
        padded = text
    elif places < 0:
        padded = text + ".00"
    elif places < 2:
        padded = text + ("0" if places == 1 else "00")
    else:
        return _amount_more_places(text)
    try:
        value = Decimal(padded)
    except InvalidOperation:
        raise ValueProblem(f"not an amount: {text[:20]!r}") from None
    if len(AMOUNTS) >= _CACHE_LIMIT:
        AMOUNTS.clear()
    AMOUNTS[text] = value
    return value


def _amount_more_places(text: str) -> Decimal:
    """An amount written with more than two decimals: accepted only when they are zeros."""
    try:
        value = Decimal(text)
        rounded = value.quantize(_CENT)
    except InvalidOperation:
        raise ValueProblem(f"not an amount: {text[:20]!r}") from None
    if rounded != value:
        raise ValueProblem(f"amount has more than two decimal places: {text[:20]!r}")
    if len(AMOUNTS) >= _CACHE_LIMIT:
        AMOUNTS.clear()
    AMOUNTS[text] = rounded
    return rounded


def quantity(text: str) -> Decimal:
    """A quantity (units, CAS quantity) from an X12 ``R`` element, as sent.

    Raises:
        ValueProblem: not a number.
    """
    found = QUANTITIES.get(text)
    if found is not None:
        return found
    if not _NUMBER.fullmatch(text) or len(text) > 15:
        raise ValueProblem(f"not a quantity: {text[:20]!r}")
    value = Decimal(text)
    if len(QUANTITIES) >= _CACHE_LIMIT:
        QUANTITIES.clear()
    QUANTITIES[text] = value
    return value


def date(text: str) -> dt.date | None:
    """A ``CCYYMMDD`` date, or None when the text is not a real date (the caller warns)."""
    try:
        return DATES[text]
    except KeyError:
        pass
    value: dt.date | None = None
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            value = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            value = None
    if len(DATES) >= _CACHE_LIMIT:
        DATES.clear()
    DATES[text] = value
    return value
