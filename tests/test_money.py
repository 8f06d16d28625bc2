"""Money is Decimal or integer cents, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.money import MoneyError, fmt, from_cents, to_cents, to_money, total


def test_float_is_refused() -> None:
    """A float can never become money."""
    with pytest.raises(MoneyError):
        to_money(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
def test_garbage_is_refused(bad: str) -> None:
    """Text that is not a finite number is refused."""
    with pytest.raises(MoneyError):
        to_money(bad)


def test_rounding_is_half_up_to_cents() -> None:
    """Amounts round half-up to two places."""
    assert to_money("1.005") == Decimal("1.01")
    assert to_money(3) == Decimal("3.00")


def test_sub_cent_amount_cannot_become_cents() -> None:
    """Converting an amount with more than two places to cents is an error, not a rounding."""
    with pytest.raises(MoneyError):
        to_cents(Decimal("1.001"))


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_round_trip(cents: int) -> None:
    """Cents → Decimal → cents is exact."""
    assert to_cents(from_cents(cents)) == cents


def test_total_and_format() -> None:
    """Totals are exact and formatting is for people."""
    assert total([Decimal("0.10")] * 3) == Decimal("0.30")
    assert fmt(Decimal("-1234.5")) == "-1,234.50"
