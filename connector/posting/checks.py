"""Configuration checks against the PMS itself: every type name the rules will use must exist.

``connector check-config`` calls :func:`type_problems` after reaching the PMS, so a misspelt
payment type fails at set-up time instead of sending every payment to review.
"""

from __future__ import annotations

from adapters.base import Ledger, PmsType
from connector.config import PracticeSettings
from connector.posting import fields
from connector.posting.era_office import office_settings


def type_problems(practice: PracticeSettings, ledger: Ledger) -> list[str]:
    """One line per configured type name the PMS does not offer, with its YAML path.

    Raises:
        TransientError, AuthError: from the ledger reads.
    """
    wanted: list[tuple[str, str, str]] = []  # (yaml path, name, category)
    base = f"practices[{practice.id}]"
    if practice.payments is not None:
        writeback = practice.payments.writeback
        path = f"{base}.payments.writeback"
        wanted.append((f"{path}.payment_type", writeback.payment_type, "payment"))
        if writeback.refund_payment_type:
            wanted.append((f"{path}.refund_payment_type", writeback.refund_payment_type, "payment"))
        if writeback.refund_adjustment_type:
            wanted.append(
                (f"{path}.refund_adjustment_type", writeback.refund_adjustment_type, "adjustment")
            )
    if practice.era is not None:
        auto = practice.era.auto_post
        path = f"{base}.era.auto_post"
        office = office_settings(ledger)
        if "payment_type" in auto.model_fields_set or office is None or not office.payment_types:
            wanted.append((f"{path}.payment_type", auto.payment_type, "insurance_payment"))
        for method, name in sorted(auto.payment_types_by_method.items()):
            wanted.append((f"{path}.payment_types_by_method.{method}", name, "insurance_payment"))
        for key, type_id in sorted((office.payment_types if office else {}).items()):
            source = office.sources.get(f"payment_types.{key}", "the office") if office else ""
            wanted.append((source, type_id, "insurance_payment"))
    if not wanted:
        return []
    types: list[PmsType] = list(ledger.payment_types())
    if any(category == "adjustment" for _, _, category in wanted):
        types += ledger.adjustment_types()
    problems = []
    for path, name, category in wanted:
        if category == "insurance_payment":
            found = fields.find_insurance_type(types, name)
        else:
            found = fields.find_type(types, name, [category])
        if found is None:
            listed = category
            if category == "insurance_payment" and not any(t.category == category for t in types):
                listed = "payment"  # Dentrix, Eaglesoft: one list for both
            offered = sorted(t.name for t in types if t.category == listed and not t.hidden)
            problems.append(
                f"{path}: the PMS has no {category.replace('_', ' ')} type {name!r}"
                f" (it has: {', '.join(offered) or 'none'})"
            )
    return problems
