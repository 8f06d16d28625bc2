"""What posting a claim uses of the Eaglesoft ledger, named by its behaviour.

:mod:`adapters.eaglesoft.claims` and :mod:`adapters.eaglesoft.claim_reversal` take a
``LedgerWriter`` instead of importing :mod:`adapters.eaglesoft.adapter` (which imports them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from adapters.base import PatientRecord
from adapters.pmssql.session import Session, Tx


class LedgerWriter(Protocol):
    """What posting a claim uses of :class:`adapters.eaglesoft.adapter.EaglesoftLedger` (named
    by its behaviour, not imported: that module imports this one)."""

    session: Session
    writeoff_type_id: str | None
    clock: Callable[[], dt.datetime]

    def patient(self, tx: Tx, patient_id: str) -> tuple[PatientRecord, dict[str, Any]]:
        """The patient record and its row."""

    def insert_header(
        self,
        tx: Tx,
        *,
        kind: str,
        date: dt.date,
        resp_party: int,
        amount: Decimal,
        text: str,
        paytype: int | None = None,
        adjustment: int | None = None,
        claim_id: int | None = None,
        bulk: int | None = None,
        practice: int = 1,
    ) -> int:
        """Insert a transaction header; its ``tran_num``."""

    def insert_detail(
        self,
        tx: Tx,
        tran: int,
        *,
        patient: int,
        provider: str | None,
        amount: Decimal,
        applied_to: int | None,
        practice: int = 1,
    ) -> None:
        """Insert one detail line."""

    def refresh_balances(self, tx: Tx, patient_ids: set[int]) -> None:
        """Recompute the patients' balances."""
