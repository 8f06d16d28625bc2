"""One insurance check per remittance, as Open Dental's own ERA finalize makes it.

Open Dental finalizes an ERA into **one** claim payment (insurance check) for the whole 835:
``CheckNum`` = TRN02, ``CheckAmt`` = the remittance's money, every claim of the ERA attached
(``Etranss.TryFinalizeBatchPayment``). The connector posts claim by claim (each claim is its own
item), so it builds that check incrementally:

1. the first claim of a remittance to post creates the check with ``POST /claimpayments/Batch``
   (24.2.18+): ``claimNums`` = that claim, ``CheckAmt`` = the remittance total (BPR02), so Open
   Dental marks it partial while other claims are still missing; its ``Note`` carries
   ``[connector check {remittance key}]``;
2. each later claim attaches its received claimprocs to that check with
   ``PUT /claimprocs/{ClaimProcNum}`` ``ClaimPaymentNum`` (24.3.24+, [3P] unverified) — an
   idempotent PUT, so a crash between two claimprocs or two claims simply resumes.

A claim's own marker goes into its claimprocs' ``Remarks`` (the check's note names only the
remittance), and a claim counts as posted once every claimproc carrying its marker is on the
remittance's check (:func:`posted_claimprocs`). Offices older than 24.3.24 keep one check per
claim (``insurance.py``), and ``check-config`` says so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.base import marker_for
from adapters.opendental import queries
from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from connector.domain import InsurancePaymentPlan
from connector.errors import DataError, PermanentError
from connector.money import ZERO, total

CHECK_TAG = "[connector check "
NOTE_MAX = 255
REMARKS_MAX = 255
CHECKNUM_MAX = 25
RECEIVED = (1, 4)  # claimproc Status Received, Supplemental


def check_marker(remittance_key: str) -> str:
    """The text in a remittance check's note: ``[connector check era:…]``."""
    return f"{CHECK_TAG}{remittance_key}]"


def remarks_with_marker(remarks: str | None, marker: str) -> str:
    """Claimproc ``Remarks``: the ERA's remarks (shortened if need be), then the claim marker."""
    room = REMARKS_MAX - len(marker) - 1
    text = (remarks or "")[: max(room, 0)].strip()
    return f"{text} {marker}" if text else marker


def usable(plan: InsurancePaymentPlan) -> bool:
    """Whether this plan can go on a shared remittance check (else one check per claim)."""
    return (
        plan.check.remittance_key is not None
        and plan.check.amount > ZERO
        and len(plan.marker) < REMARKS_MAX - 20
        and len(check_marker(plan.check.remittance_key)) < NOTE_MAX - 20
    )


def posted_claimprocs(db: ReadOnlyDb, external_ref: str) -> list[Any] | None:
    """The claimprocs of a claim posted onto a remittance check, or None when the claim is not
    (completely) posted that way. Rows: ClaimProcNum, ClaimNum, ClaimPaymentNum, InsPayAmt."""
    marks = (marker_for(external_ref), marker_for(external_ref, auto=True))
    rows = db.fetchall(
        "marked_claimprocs_on_checks", queries.MARKED_CLAIMPROCS_ON_CHECKS, (CHECK_TAG, *marks)
    )
    if not rows:
        return None
    left = db.fetchone("marked_unattached", queries.MARKED_UNATTACHED, (int(rows[0][1]), *marks))
    return None if left and int(left[0]) else list(rows)


class RemittanceCheck:
    """Creates or completes the one check of a remittance (see the module docstring)."""

    def __init__(self, db: ReadOnlyDb, api: OpenDentalApi) -> None:
        self.db = db
        self.api = api

    def find(self, remittance_key: str) -> int | None:
        """The remittance's check (ClaimPaymentNum), if it exists."""
        rows = self.db.fetchall(
            "check_by_note", queries.CHECK_BY_NOTE, (check_marker(remittance_key),)
        )
        return int(rows[0][0]) if rows else None

    def put_on_check(self, plan: InsurancePaymentPlan, cp_nums: list[int]) -> dict[str, Any]:
        """Put this claim's received claimprocs (``cp_nums``) on the remittance's check.

        Raises:
            DataError: the claim changed under us (amounts, or a claimproc on another check).
            PermanentError: Open Dental did not attach them (e.g. its version ignores the field).
        """
        assert plan.check.remittance_key is not None
        rows = {int(r[0]): r for r in self._claimprocs(plan)}
        mine = [rows[n] for n in cp_nums if n in rows]
        paid = total(Decimal(r[8]) for r in mine)
        if len(mine) != len(cp_nums) or paid != plan.paid_total:
            raise DataError(
                f"claim {plan.claim_id}: its received insurance is {paid}, this payment is "
                f"{plan.paid_total}; someone else is posting on this claim",
                code="claim_changed",
            )
        check = self.find(plan.check.remittance_key)
        if check is None:
            return {"ClaimPaymentNum": self._create(plan, rows)}
        foreign = [int(r[0]) for r in mine if int(r[3]) not in (0, check)]
        if foreign:
            raise DataError(
                f"claim {plan.claim_id}: claim procedure(s) {foreign} are already on another "
                "insurance payment",
                code="claim_changed",
            )
        for row in mine:
            if int(row[3]) == 0:
                self._attach(int(row[0]), check)
        after = {int(r[0]): int(r[3]) for r in self._claimprocs(plan)}
        if any(after.get(n) != check for n in cp_nums):
            raise PermanentError(
                f"claim {plan.claim_id}: Open Dental did not attach the claim's procedures to "
                f"insurance payment {check} (PUT /claimprocs ClaimPaymentNum needs 24.3.24)",
                code="attach_ignored",
            )
        return {"ClaimPaymentNum": check}

    def _create(self, plan: InsurancePaymentPlan, rows: dict[int, Any]) -> int:
        """The remittance's first claim: ``POST /claimpayments/Batch`` with CheckAmt = total."""
        assert plan.check.remittance_key is not None
        unattached = total(
            Decimal(r[8]) for r in rows.values() if int(r[2]) in RECEIVED and int(r[3]) == 0
        )
        if unattached != plan.paid_total:
            raise DataError(
                f"claim {plan.claim_id}: received insurance not yet on a check is {unattached}, "
                f"this payment is {plan.paid_total}; someone else is posting on this claim",
                code="claim_changed",
            )
        check = plan.check
        method = f" {check.method}" if check.method else ""
        body: dict[str, Any] = {
            "claimNums": [int(plan.claim_id)],
            "CheckAmt": money(check.amount),
            "CheckNum": check.number[:CHECKNUM_MAX],
            "DateIssued": day(check.date),
            "CarrierName": check.payer_name,
            "Note": f"{check_marker(check.remittance_key or '')} ERA{method} {check.number}"[
                :NOTE_MAX
            ],
        }
        if check.payment_type_id:
            body["PayType"] = int(check.payment_type_id)
        remittance = check.remittance_key or ""

        def landed() -> dict[str, Any] | None:
            found = self.find(remittance)
            return {"ClaimPaymentNum": found} if found is not None else None

        created = once_more_if_absent(
            lambda: self.api.create_claimpayment_batch(body), landed, step="claimpayments_batch"
        )
        return int(created["ClaimPaymentNum"])

    def _attach(self, cp_num: int, check: int) -> None:
        retry_idempotent(lambda: self.api.update_claimproc(cp_num, {"ClaimPaymentNum": check}))

    def _claimprocs(self, plan: InsurancePaymentPlan) -> list[Any]:
        return self.db.fetchall(
            "claimprocs_of_claim", queries.CLAIMPROCS_OF_CLAIM, (int(plan.claim_id),)
        )
