"""Money as ``Decimal`` (two places) or integer cents — never ``float``.

Every amount that enters the connector goes through :func:`to_money` or :func:`from_cents`,
which refuse floats so that a binary rounding error can never reach a ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that cannot be an amount of money (float, NaN, garbage text)."""


def to_money(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a Decimal rounded half-up to cents.

    Raises:
        MoneyError: for floats, booleans, NaN/infinity or text that is not a number.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"refusing {type(value).__name__} as money; use Decimal, int or str")
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not dec.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return dec.quantize(CENT, rounding=ROUND_HALF_UP)


def from_cents(cents: int) -> Decimal:
    """Convert integer minor units (Stripe's ``amount``) to a Decimal amount."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise MoneyError(f"cents must be an int, got {type(cents).__name__}")
    return (Decimal(cents) / 100).quantize(CENT)


def to_cents(amount: Decimal) -> int:
    """Convert a Decimal amount to integer cents, refusing sub-cent precision."""
    money = to_money(amount)
    if money != amount:
        raise MoneyError(f"amount has more than two decimal places: {amount}")
    return int((money * 100).to_integral_value())


# Stripe's currencies whose amounts are not in hundredths (https://docs.stripe.com/currencies,
# "Zero-decimal currencies" and "Three-decimal currencies"; see also ISO 4217 minor units).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
     "xaf", "xof", "xpf"}
)  # fmt: skip
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def minor_unit_digits(currency: str | None) -> int:
    """How many decimal places a currency's minor unit has (Stripe's ``amount`` scale)."""
    code = currency.lower() if isinstance(currency, str) else ""
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def from_minor_units(amount: int, currency: str | None) -> Decimal:
    """Stripe's integer ``amount`` in ``currency`` as a Decimal: ``5000`` JPY is 5000.00, USD
    50.00, KWD 5.00 (Stripe rounds three-decimal charges to tens, so they fit two places).

    Raises:
        MoneyError: not an int, or a three-decimal amount with a non-zero last digit.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError(f"amount must be an int, got {type(amount).__name__}")
    digits = minor_unit_digits(currency)
    if digits == 2:
        return from_cents(amount)
    value = Decimal(amount).scaleb(-digits)
    money = to_money(value)
    if money != value:
        raise MoneyError(f"{amount} {currency} has more than two decimal places")
    return money


def fmt_currency(amount: Decimal, currency: str | None) -> str:
    """For people, with the currency: ``5,000 JPY``, ``50.00 EUR`` (no decimals where the
    currency has none)."""
    code = currency.upper() if isinstance(currency, str) else ""
    if minor_unit_digits(currency) == 0:
        shown = f"{to_money(amount).to_integral_value():,}"
    else:
        shown = fmt(amount)
    return f"{shown} {code}".strip()


def total(amounts: Iterable[Decimal]) -> Decimal:
    """Sum amounts exactly, starting from 0.00."""
    result = ZERO
    for amount in amounts:
        result += amount
    return result


def fmt(amount: Decimal) -> str:
    """Format for people: ``1234.5`` → ``1,234.50`` (with a leading minus when negative)."""
    return f"{to_money(amount):,.2f}"
