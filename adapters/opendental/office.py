"""What the connector reads about the office's Open Dental and keeps for a while.

Definitions (payment, adjustment and commlog types), the version (pref ``DataBaseVersion``),
whether payments are split by hand (pref ``RigorousAccounting``) and the ERA preferences change
rarely, so each is read at most once per :data:`DEFINITIONS_TTL` seconds.
"""

from __future__ import annotations

import time
from typing import Any

from adapters.base import OfficeEraSettings, PmsType
from adapters.opendental import mapping, queries, versions
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.era_prefs import read_office_era_settings
from adapters.opendental.versions import Version
from connector.errors import DataError

DEFINITIONS_TTL = 300.0


class Office:
    """The office's slowly changing settings, each cached for :data:`DEFINITIONS_TTL`."""

    def __init__(self, db: ReadOnlyDb) -> None:
        self.db = db
        self._defs: tuple[float, list[Any]] | None = None
        self._version: tuple[float, Version | None] | None = None
        self._manual: tuple[float, bool] | None = None  # RigorousAccounting = 2, cached
        self._era: tuple[float, OfficeEraSettings] | None = None

    def era_settings(self) -> OfficeEraSettings:
        """The office's ERA preferences (:mod:`adapters.opendental.era_prefs`)."""
        now = time.monotonic()
        if self._era is None or now - self._era[0] > DEFINITIONS_TTL:
            self._era = (now, read_office_era_settings(self.db))
        return self._era[1]

    def version(self) -> Version | None:
        """The office's Open Dental version (pref ``DataBaseVersion``); None when it cannot be
        read as a version."""
        now = time.monotonic()
        if self._version is None or now - self._version[0] > DEFINITIONS_TTL:
            row = self.db.fetchone("server_version", queries.SERVER_VERSION)
            self._version = (now, versions.parse_version(row[1] if row else None))
        return self._version[1]

    def need(self, what: str, *features: str) -> None:
        """Refuse, before writing anything, work the office's Open Dental version cannot do.

        Raises:
            DataError: ``feature_unavailable`` (a review: nothing was written).
        """
        version = self.version()
        lacking = versions.missing(version, *features)
        if lacking and version is not None:
            needs = ", ".join(f"{e.request} (since {versions.show(e.since)})" for e in lacking)
            raise DataError(
                f"{what}: Open Dental {versions.show(version)} at this office has no {needs}; "
                "nothing was written",
                code="feature_unavailable",
                context={"needs": versions.show(max(e.since for e in lacking))},
            )

    def definitions(self) -> list[Any]:
        """Rows of ``queries.DEFINITIONS``."""
        now = time.monotonic()
        if self._defs is None or now - self._defs[0] > DEFINITIONS_TTL:
            self._defs = (now, self.db.fetchall("definitions", queries.DEFINITIONS))
        return self._defs[1]

    def payment_types(self) -> list[PmsType]:
        """Patient payment types (category 10) and insurance payment types (category 32)."""
        defs = self.definitions()
        return mapping.pms_types(defs, 10) + mapping.pms_types(defs, 32)

    def adjustment_types(self) -> list[PmsType]:
        """Adjustment types (category 1) with their sign."""
        return mapping.pms_types(self.definitions(), 1)

    def note_type(self) -> int | None:
        """The commlog type for financial notes (ItemValue FIN), if the office has one."""
        for def_num, cat, _name, value, hidden in self.definitions():
            if int(cat) == 27 and str(value).upper() == "FIN" and not hidden:
                return int(def_num)
        return None

    def splits_by_hand(self) -> bool:
        """Whether the office splits payments by hand (pref ``RigorousAccounting`` = 2 "Manual":
        ``PaymentEdit.AutoSplitForPayment`` then makes no splits, so only an explicit
        allocation gives a payment its splits)."""
        now = time.monotonic()
        if self._manual is None or now - self._manual[0] > DEFINITIONS_TTL:  # cached as defs
            row = self.db.fetchone(
                "rigorous_accounting", queries.PREF_VALUE, ("RigorousAccounting",)
            )
            self._manual = (now, row is not None and str(row[0]).strip() == "2")
        return self._manual[1]
