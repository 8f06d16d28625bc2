"""What posting a claim uses of the Dentrix ledger, named by its behaviour.

:mod:`adapters.dentrix.claims` and :mod:`adapters.dentrix.claim_reversal` take a ``LedgerWriter``
instead of importing :mod:`adapters.dentrix.adapter` (which imports them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from adapters.base import PatientRecord
from adapters.pmssql.session import Tx


class LedgerWriter(Protocol):
    """What posting a claim uses of :class:`adapters.dentrix.adapter.DentrixLedger` (named by
    its behaviour, not imported: that module imports this one)."""

    writeoff_type_id: str | None

    def patient(self, tx: Tx, patient_id: str) -> PatientRecord:
        """The patient and guarantor ids."""

    def insert_row(
        self,
        tx: Tx,
        *,
        patid: int,
        guarid: int,
        date: dt.date,
        klass: int,
        order: int,
        provid: str | None,
        amt: Decimal,
        note: str,
        checknum: str | None = None,
        claimid: int = 0,
    ) -> int:
        """Insert one ledger row and its note; the new procid."""

    def move_aging(self, tx: Tx, guarid: int, change: Decimal) -> None:
        """Move the guarantor's aging by ``change``."""
