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
from decimal import Decimal

_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_CENT = Decimal("0.01")
_CACHE_LIMIT = 8192

_amounts: dict[str, Decimal] = {}
_quantities: dict[str, Decimal] = {}
_dates: dict[str, dt.date | None] = {}


class ValueProblem(ValueError):
    """An element's text is not a valid value; the caller adds the location."""


def amount(text: str) -> Decimal:
    """Money from an X12 ``R`` element, exactly two decimal places.

    Raises:
        ValueProblem: not a number, or more than two decimal places.
    """
    found = _amounts.get(text)
    if found is not None:
        return found
    if not _NUMBER.fullmatch(text):
        raise ValueProblem(f"not an amount: {text[:20]!r}")
    value = Decimal(text)
    rounded = value.quantize(_CENT)
    if rounded != value:
        raise ValueProblem(f"amount has more than two decimal places: {text[:20]!r}")
    if len(_amounts) >= _CACHE_LIMIT:
        _amounts.clear()
    _amounts[text] = rounded
    return rounded


def quantity(text: str) -> Decimal:
    """A quantity (units, CAS quantity) from an X12 ``R`` element, as sent.

    Raises:
        ValueProblem: not a number.
    """
    found = _quantities.get(text)
    if found is not None:
        return found
    if not _NUMBER.fullmatch(text) or len(text) > 15:
        raise ValueProblem(f"not a quantity: {text[:20]!r}")
    value = Decimal(text)
    if len(_quantities) >= _CACHE_LIMIT:
        _quantities.clear()
    _quantities[text] = value
    return value


def date(text: str) -> dt.date | None:
    """A ``CCYYMMDD`` date, or None when the text is not a real date (the caller warns)."""
    try:
        return _dates[text]
    except KeyError:
        pass
    value: dt.date | None = None
    if len(text) == 8 and text.isascii() and text.isdigit():
        try:
            value = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            value = None
    if len(_dates) >= _CACHE_LIMIT:
        _dates.clear()
    _dates[text] = value
    return value
