"""Live patient reads for the console, through each practice's adapter.

Names and birth dates are read from the PMS when a page needs them and dropped with the
response: never stored, never logged (log lines carry counts and ids only). One ledger per
practice is opened on first use and reused under a lock (adapters are not thread-safe); a
transient failure closes it so the next request reconnects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from adapters.base import Ledger
from adapters.patient_search import PatientMatch, PatientQuery
from adapters.registry import create_ledger
from connector.config import ConnectorSettings, PracticeSettings
from connector.errors import TransientError
from connector.redaction import Redactor

LedgerFactory = Callable[[PracticeSettings], Ledger]
log = structlog.get_logger("connector.console")


class LedgerPool:
    """Per-practice ledgers for the console's patient reads."""

    def __init__(
        self,
        settings: ConnectorSettings,
        redactor: Redactor,
        factory: LedgerFactory | None = None,
    ) -> None:
        self.settings = settings
        self._factory = factory or (
            lambda p: create_ledger(p.pms, practice_id=p.id, redactor=redactor, timezone=p.timezone)
        )
        self._ledgers: dict[str, Ledger] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def search(self, practice_id: str, query: PatientQuery) -> list[PatientMatch]:
        """Patients of the practice's PMS matching ``query``.

        Raises:
            TransientError: the PMS cannot be reached now.
        """
        practice = self.settings.practice(practice_id)
        with self._lock(practice_id):
            ledger = self._ledgers.get(practice_id)
            if ledger is None:
                ledger = self._ledgers[practice_id] = self._factory(practice)
            try:
                found = ledger.search_patients(query)
            except TransientError:
                self._drop(practice_id)
                raise
        log.info("console.patient_search", practice_id=practice_id, found=len(found))
        return found

    def patient(self, practice_id: str, patient_id: str) -> PatientMatch | None:
        """One patient by PMS id (for an item's detail page)."""
        found = self.search(practice_id, PatientQuery(patient_id=patient_id, limit=1))
        return found[0] if found else None

    def close(self) -> None:
        """Close every ledger."""
        with self._guard:
            ledgers, self._ledgers = list(self._ledgers.values()), {}
        for ledger in ledgers:
            ledger.close()

    def _lock(self, practice_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(practice_id, threading.Lock())

    def _drop(self, practice_id: str) -> None:
        ledger = self._ledgers.pop(practice_id, None)
        if ledger is not None:
            ledger.close()
