"""Shared constants and builders for the Stripe source tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector.config import PracticeSettings

API_BASE = "https://stripe.sandbox.test"
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
NOW_TS = int(NOW.timestamp())
DAY = 86_400


def make_practice(
    practice_id: str = "smile",
    *,
    key: str = "sk_test_practiceKey0001",
    account: str | None = None,
    api_base: str = API_BASE,
    **stripe: Any,
) -> PracticeSettings:
    """A practice with an Eaglesoft PMS (never contacted here) and a Stripe section."""
    section: dict[str, Any] = {"api_key": {"value": key}, "api_base": api_base, **stripe}
    if account is not None:
        section["account"] = account
    return PracticeSettings.model_validate({
        "id": practice_id,
        "pms": {"vendor": "eaglesoft", "odbc": {"dsn": "unused"}},
        "payments": {"stripe": section},
    })  # fmt: skip
