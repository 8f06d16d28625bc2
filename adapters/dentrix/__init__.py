"""Dentrix G adapter (c-treeACE database, Dentrix Developer Program views).

``DentrixLedger.from_settings(settings, practice_id=…, redactor=…)`` builds it from a
``DentrixPms`` section: ``pms.ddp`` (Windows, ``Dentrix.API.dll``) when given, else
``pms.odbc``. Dentrix Enterprise (SQL Server) is a different product and is not supported.
"""

from __future__ import annotations

from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import build_connector

__all__ = ["DentrixLedger", "build_connector"]
