"""Strict conversion of X12 element text to amounts, quantities and dates.

An X12 ``R`` value is an optional minus sign, digits and an optional decimal point. Anything
else (``1,250.00``, ``250USD``, ``1e3``, ``NaN``) is refused instead of being read as a wrong
number. Amounts must have at most two decimal places and are returned with exactly two
(``132`` → ``Decimal('132.00')``). Conversions are cached (``functools.lru_cache``, bounded)
because remittances repeat the same few amounts and dates many times; a refused text is not
cached and raises again.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_CENT = Decimal("0.01")
_R_CHARS = "0123456789.-"
CACHE_SIZE = 8192  # distinct texts remembered per conversion


class ValueProblem(ValueError):
    """An element's text is not a valid value; the caller adds the location."""


@functools.lru_cache(maxsize=CACHE_SIZE)
def amount(text: str) -> Decimal:
    """Money from an X12 ``R`` element, exactly two decimal places.

    Raises:
        ValueProblem: not a number, longer than 18 characters, or more than two decimals.
    """
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
        return Decimal(padded)
    except InvalidOperation:
        raise ValueProblem(f"not an amount: {text[:20]!r}") from None


def _amount_more_places(text: str) -> Decimal:
    """An amount written with more than two decimals: accepted only when they are zeros."""
    try:
        value = Decimal(text)
        rounded = value.quantize(_CENT)
    except InvalidOperation:
        raise ValueProblem(f"not an amount: {text[:20]!r}") from None
    if rounded != value:
        raise ValueProblem(f"amount has more than two decimal places: {text[:20]!r}")
    return rounded


@functools.lru_cache(maxsize=CACHE_SIZE)
def quantity(text: str) -> Decimal:
    """A quantity (units, CAS quantity) from an X12 ``R`` element, as sent.

    Raises:
        ValueProblem: not a number.
    """
    if not _NUMBER.fullmatch(text) or len(text) > 15:
        raise ValueProblem(f"not a quantity: {text[:20]!r}")
    return Decimal(text)


@functools.lru_cache(maxsize=CACHE_SIZE)
def date(text: str) -> dt.date | None:
    """A ``CCYYMMDD`` date, or None when the text is not a real date (the caller warns)."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None
