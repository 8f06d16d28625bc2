"""What the contract suite needs from each adapter besides the Ledger itself.

An adapter joins the suite by providing a :class:`Harness` (a fresh-ledger factory, a
:class:`Scenario` naming its seeded data, and vendor-specific verification reads) through a
factory registered in ``tests/contract/conftest.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from adapters.base import Ledger, StepJournal
from connector.clock import SYSTEM, Clock


@dataclass(frozen=True)
class ChargeView:
    """A charge as the test expects it: kind, PMS id, patient, amount still due."""

    kind: str
    ref: str
    patient_id: str
    amount_due: Decimal


@dataclass(frozen=True)
class SplitView:
    """A written split, read back from the PMS: kind (procedure/adjustment/unearned), ref,
    patient and amount."""

    kind: str
    ref: str | None
    patient_id: str
    amount: Decimal


@dataclass(frozen=True)
class LineView:
    """A claim line's insurance state read back from the PMS."""

    received: bool
    paid: Decimal
    writeoff: Decimal
    deductible: Decimal


@dataclass(frozen=True)
class Scenario:
    """The seeded practice, as the suite needs to know it."""

    family_member: str  # a patient whose family has procedures and adjustments open
    guarantor: str
    family_charges: tuple[ChargeView, ...]  # expected, in order
    no_charges_patient: str
    two_plan_patient: str
    deleted_patient: str | None  # None: the PMS has no deleted status we know of
    unknown_patient: str
    payment_type: str
    hidden_payment_type: str | None  # None: the PMS cannot hide payment types
    unknown_payment_type: str
    insurance_payment_type: str | None  # None: no separate insurance payment types
    open_claim_identifier: str  # sent, not yet received
    open_claim_patient: str
    received_claim_identifier: str
    received_claim_patient: str
    # The payer claim number (CLP07) stored on the open claim; None: the PMS stores none that
    # we know of, so finding claims by it gives [] (written in docs/vendors/<vendor>.md).
    open_claim_payer_control: str | None = None
    today: dt.date = field(default_factory=lambda: dt.date(2026, 1, 5))
    # Vendor differences the suite must allow (defaults describe Open Dental):
    refund_adjustment_type: str | None = None  # refunds are debit adjustments of this type
    adjustment_signs: bool = True  # adjustment types carry a +/- sign
    balance_forward: bool = False  # credits are not tied to charges (Dentrix): an unapplied
    #   payment still lowers the open charges, oldest first
    refund_reopens_charges: bool = True  # False: a refund adds a new debit instead of
    #   reopening the charges the payment paid (Dentrix, Eaglesoft)
    stamps_entries: bool = False  # True: the adapter itself stamps the rows it writes with
    #   "now" (Dentrix createdate, Eaglesoft date_entered); False: the PMS does (Open Dental's
    #   API) or nothing is stamped (memory)


class Harness(Protocol):
    """Per-adapter test support."""

    name: str
    scenario: Scenario

    def ledger(self, *, clock: Clock = SYSTEM, timezone: str = "UTC") -> Ledger:
        """A new ledger instance (new connections), as after a process restart; ``clock`` and
        ``timezone`` as ``adapters.registry.create_ledger`` passes them."""

    def journal(self) -> StepJournal:
        """An empty step journal."""

    def payment_splits(self, pms_ids: dict[str, Any]) -> list[SplitView]:
        """The splits of a written patient payment."""

    def payment_amount(self, pms_ids: dict[str, Any]) -> Decimal:
        """The signed amount of a written payment (negative for a refund)."""

    def rows_with_marker(self, marker: str) -> int:
        """How many payment/check rows carry ``marker``."""

    def note_text(self, ids: dict[str, Any]) -> str:
        """The text of a written note."""

    def note_time(self, ids: dict[str, Any]) -> dt.datetime:
        """The date and time stored on a written note (naive, as the PMS keeps it)."""

    def entry_stamps(self, ids: dict[str, Any]) -> list[dt.datetime]:
        """Every "entered at" time the adapter stamped on the rows of a written posting or note
        (the ``pms_ids`` or note ids), naive as stored; [] where it stamps none."""

    def copy_posting(self, ids: dict[str, Any]) -> None:
        """Write the rows of a written posting (its ``pms_ids``) once more, straight into the
        PMS, marker and all: the key is then written twice, as by a write whose answer never
        came and that the PMS committed later, or by staff copying the entries."""

    def claim_lines(self, claim_id: str) -> dict[str, LineView]:
        """Per procedure ref: the claim line's insurance state."""

    def deductible_met(self, patient_id: str) -> Decimal:
        """The deductible the PMS counts as met on the patient's primary plan, as data (not
        from a note): it rises by the deductible an insurance payment applied."""

    def claim_received(self, claim_id: str) -> bool:
        """True when the PMS shows the claim as received."""

    def claim_checks(self, claim_id: str) -> list[Decimal]:
        """Amounts of the insurance checks attached to the claim."""

    def other_plan_paid(self, claim_id: str) -> Decimal:
        """Insurance money the PMS records for the patient's *other* plan on this claim's
        procedures (a primary payment must not land there)."""

    def add_claim(self, patient_id: str, day: dt.date, fee: Decimal) -> str:
        """Seed one more sent claim for the patient: one new procedure of ``fee`` on ``day``;
        returns its claim id (higher than every seeded one)."""

    def enter_by_hand(self, patient_id: str, day: dt.date, amount: Decimal) -> str:
        """A patient payment of ``amount`` keyed in by staff (scenario payment type, no
        marker, entered by a PMS user where the vendor records one); returns its PMS id."""


HarnessFactory = Callable[[Any], Harness]
