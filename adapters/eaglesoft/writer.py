"""What posting a claim uses of the Eaglesoft ledger, named by its behaviour.

:mod:`adapters.eaglesoft.claims` and :mod:`adapters.eaglesoft.claim_reversal` take a
``LedgerWriter`` instead of importing :mod:`adapters.eaglesoft.adapter` (which imports them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from adapters.base import PatientRecord
from adapters.eaglesoft import mapping as m
from adapters.pmssql.session import Session, Tx


class LedgerWriter(Protocol):
    """What posting a claim uses of :class:`adapters.eaglesoft.adapter.EaglesoftLedger` (named
    by its behaviour, not imported: that module imports this one)."""

    session: Session
    writeoff_type_id: str | None
    clock: Callable[[], dt.datetime]
    """The practice-local "now" (naive, whole seconds) every entry stamp is written with."""

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


def insert_service_detail(
    ledger: LedgerWriter,
    tx: Tx,
    tran: int,
    service: Mapping[str, Any],
    amount: Decimal,
    *,
    practice: int,
    touched: set[int],
) -> None:
    """One ``transactions_detail`` row applying ``amount`` (insurance money to the practice: a
    payment positive, a take-back negative) to the service, as a credit on its patient's ledger;
    the patient joins ``touched`` (balances refreshed after)."""
    member = int(service["patient_id"])
    touched.add(member)
    ledger.insert_detail(
        tx, tran, patient=member, provider=m.ident(service["provider_id"]),
        amount=-amount, applied_to=int(service["tran_num"]), practice=practice,
    )  # fmt: skip
