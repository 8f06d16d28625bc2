"""Eaglesoft adapter (SAP SQL Anywhere; writes need Patterson's partner signature).

``EaglesoftLedger.from_settings(settings, practice_id=…, redactor=…)`` builds it from an
``EaglesoftPms`` section: ``pms.odbc`` (or, on Windows, ``pms.settings_token`` through
Patterson's EaglesoftSettings COM object) and ``pms.authentication`` for writes.
"""

from __future__ import annotations

from adapters.eaglesoft.adapter import EaglesoftLedger
from adapters.eaglesoft.connection import build_connector

__all__ = ["EaglesoftLedger", "build_connector"]
