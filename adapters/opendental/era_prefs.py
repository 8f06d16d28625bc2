"""The office's own ERA settings, read from Open Dental's preferences (the one place they are read).

Open Dental 24.3 (``OpenDentBusiness/TableTypes/Pref.cs``, ``X12/X835.cs``):

* ``EraChkPaymentType`` / ``EraAchPaymentType`` / ``EraFwtPaymentType`` (added 23.2.9): the
  insurance payment type (definition category 32) for a BPR04 method CHK / ACH / FWT;
  ``EraDefaultPaymentType`` for any other method and as the fallback. When a method's pref is 0,
  Open Dental takes the default, then the type named exactly "Check" / "EFT" / "Wired"
  (``X835.GetInsurancePaymentTypeDefNum``).
* ``EraAutoPostWriteOff`` (23.3.1, default 1): 0 "Primary from ERA" (write-offs only on claims
  the ERA marks primary, CLP02 1/19), 1 "Always", 2 "Primary from Plan" (by the patient's plan
  order; the connector treats it as primary-only by CLP02 too — unverified equivalence).
* ``EraNoAutoProcessCarcCodes`` (24.1.1, default ``97,16,252,242,50,251,B7,226,250``): claims
  with one of these CARCs are not processed automatically.
* ``EraAutomationBehavior`` (21.1.6+) and ``carrier.EraAutomationOverride``: how far Open Dental
  itself processes ERAs (:func:`read_era_automation`).
"""

from __future__ import annotations

from typing import Any

from adapters.base import CarrierEraAutomation, EraAutomation, OfficeEraSettings
from adapters.opendental import mapping, queries
from adapters.opendental.db import ReadOnlyDb

ERA_PREFS = (
    "EraAchPaymentType", "EraChkPaymentType", "EraFwtPaymentType", "EraDefaultPaymentType",
    "EraAutoPostWriteOff", "EraNoAutoProcessCarcCodes",
)  # fmt: skip
METHOD_PREFS = {"ACH": "EraAchPaymentType", "CHK": "EraChkPaymentType", "FWT": "EraFwtPaymentType"}
FALLBACK_NAMES = {"ACH": "EFT", "CHK": "Check", "FWT": "Wired"}
WRITEOFFS = {"0": "primary_only", "1": "always", "2": "primary_only"}
INSURANCE_PAYMENT_TYPES = 32  # definition.Category

ERA_PREFS_SQL = "SELECT PrefName, ValueString FROM preference WHERE PrefName IN (?, ?, ?, ?, ?, ?)"
INSURANCE_TYPES_SQL = (
    "SELECT DefNum, ItemName FROM definition WHERE Category = ? AND IsHidden = 0 ORDER BY ItemOrder"
)


def read_office_era_settings(db: ReadOnlyDb) -> OfficeEraSettings:
    """The office's ERA choices (see the module docstring); prefs an older version lacks are
    simply absent from the result.

    Raises:
        TransientError, AuthError: the database could not be read.
    """
    prefs = {str(r[0]): str(r[1] or "").strip() for r in db.fetchall("era_prefs", ERA_PREFS_SQL,
                                                                    ERA_PREFS)}  # fmt: skip
    types = {
        str(r[1]).strip().lower(): str(int(r[0]))
        for r in db.fetchall("insurance_types", INSURANCE_TYPES_SQL, (INSURANCE_PAYMENT_TYPES,))
    }
    sources: dict[str, str] = {}
    payment_types: dict[str, str] = {}
    default = _def_num(prefs.get("EraDefaultPaymentType"))
    if default:
        payment_types[""] = default
        sources["payment_types."] = "Open Dental preference EraDefaultPaymentType"
    for method, name in METHOD_PREFS.items():
        chosen = _def_num(prefs.get(name))
        if chosen:
            payment_types[method] = chosen
            sources[f"payment_types.{method}"] = f"Open Dental preference {name}"
        elif default:
            payment_types[method] = default
            sources[f"payment_types.{method}"] = (
                f"Open Dental preference EraDefaultPaymentType ({name} is not set)"
            )
        elif FALLBACK_NAMES[method].lower() in types:
            payment_types[method] = types[FALLBACK_NAMES[method].lower()]
            sources[f"payment_types.{method}"] = (
                f"Open Dental's insurance payment type named {FALLBACK_NAMES[method]!r} "
                f"({name} and EraDefaultPaymentType are not set)"
            )
    writeoffs = WRITEOFFS.get(prefs.get("EraAutoPostWriteOff", ""))
    if writeoffs is not None:
        sources["writeoffs"] = (
            f"Open Dental preference EraAutoPostWriteOff={prefs['EraAutoPostWriteOff']}"
        )
    carcs: tuple[str, ...] | None = None
    if "EraNoAutoProcessCarcCodes" in prefs:
        carcs = tuple(c.strip().upper() for c in prefs["EraNoAutoProcessCarcCodes"].split(",")
                      if c.strip())  # fmt: skip
        sources["no_auto_carcs"] = "Open Dental preference EraNoAutoProcessCarcCodes"
    return OfficeEraSettings(payment_types, writeoffs, carcs, sources)


def _def_num(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if text.isdigit() and int(text) > 0 else None


def read_era_automation(db: ReadOnlyDb) -> EraAutomation:
    """``EraAutomationBehavior`` and ``carrier.EraAutomationOverride`` (modes per Open Dental's
    ``EraAutomationMode``: 1 review all, 2 semi-automatic, 3 fully automatic; read from its 24.3
    source)."""
    office = db.fetchall("era_automation_office", queries.ERA_AUTOMATION_OFFICE)
    value = str(office[0][0]).strip() if office else ""
    carriers = db.fetchall("era_automation_carriers", queries.ERA_AUTOMATION_CARRIERS)
    return EraAutomation(
        office_mode=mapping.era_mode(int(value) if value.isdigit() else 1),
        carriers=tuple(
            CarrierEraAutomation(str(name), str(elect).strip() or None, mapping.era_mode(mode))
            for name, elect, mode in carriers
        ),
    )
