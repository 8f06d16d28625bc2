"""Find the PMS types (payment, adjustment, insurance payment) a setting names.

Item payloads are read through their records (:mod:`connector.records`, whose
:mod:`~connector.records.fields` holds the payload field readers that used to live here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from adapters.base import PmsType


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
