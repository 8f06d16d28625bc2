"""Money is Decimal or integer cents, never float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.money import (
    MoneyError,
    fmt,
    fmt_currency,
    from_cents,
    from_minor_units,
    minor_unit_digits,
    to_cents,
    to_money,
    total,
)


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


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (5000, "usd", "50.00"),
        (5000, "EUR", "50.00"),
        (5000, "jpy", "5000.00"),
        (5000, "krw", "5000.00"),
        (5000, "kwd", "5.00"),
        (-1230, "bhd", "-1.23"),
        (5000, None, "50.00"),
    ],
)
def test_stripe_minor_units_follow_the_currency(amount: int, currency: str, expected: str) -> None:
    """Stripe amounts are in the currency's minor unit: yen have none, dinars three."""
    assert from_minor_units(amount, currency) == Decimal(expected)


def test_minor_units_refuse_what_does_not_fit_two_places() -> None:
    """A three-decimal amount not rounded to tens, or a float, is refused, never rounded."""
    with pytest.raises(MoneyError):
        from_minor_units(5005, "kwd")
    with pytest.raises(MoneyError):
        from_minor_units(50.0, "usd")  # type: ignore[arg-type]


def test_amounts_are_shown_with_their_currency_and_its_decimals() -> None:
    """Five thousand yen read as 5,000 JPY, not 50.00."""
    assert fmt_currency(Decimal("5000"), "jpy") == "5,000 JPY"
    assert fmt_currency(Decimal("50"), "eur") == "50.00 EUR"
    assert minor_unit_digits("JPY") == 0 and minor_unit_digits("usd") == 2
