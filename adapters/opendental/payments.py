"""Patient payments through ``POST /payments`` (and ``PUT /payments/{PayNum}/Partial``).

Open Dental splits a payment itself (oldest charge first, or the patient's own charges first);
the request is chosen so that Open Dental's split is exactly the plan's. When neither of its
own splits matches, the payment is posted as one prepayment tagged :data:`EXPLICIT_TAG` and
then split explicitly; a plan the API cannot express goes to review with the splits to enter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog

from adapters.base import (
    ChargeKind,
    OpenCharge,
    PatientRecord,
    PatientStatus,
    check_payment_plan,
)
from adapters.opendental import mapping, patients, postings
from adapters.opendental.allocation import predict_auto_split, same_splits
from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.office import Office
from adapters.opendental.postings import EXPLICIT_TAG
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from connector.domain import AllocationMode, PatientPaymentPlan, PostedEntry
from connector.errors import DataError, PermanentError

log = structlog.get_logger("adapters.opendental")

MANUAL_NOTE = " (the office splits payments by hand: RigorousAccounting 2)"
PAY_NOTE_MAX = 2000


class PaymentWriter:
    """Writes (or finishes) one practice's patient payments."""

    def __init__(self, db: ReadOnlyDb, api: OpenDentalApi, office: Office) -> None:
        self.db = db
        self.api = api
        self.office = office

    def check(self, plan: PatientPaymentPlan) -> None:
        """Refuse a plan whose splits do not add up or whose payment type is not active.

        Raises:
            PermanentError: ``plan_invalid``, ``plan_unknown_type``.
        """
        check_payment_plan(plan)
        types = {t.id: t for t in self.office.payment_types() if t.category == "payment"}
        chosen = types.get(plan.payment_type_id)
        if chosen is None or chosen.hidden:
            raise PermanentError(
                f"payment type {plan.payment_type_id} is not an active Open Dental payment "
                "type (definition category 10)",
                code="plan_unknown_type",
            )

    def post(self, plan: PatientPaymentPlan, known: dict[Any, Any]) -> PostedEntry:
        """Write a :meth:`check`-ed plan, or return (finished) the payment carrying its marker.

        ``known``: what ``find_posting`` and planning read for this very item (keys
        ``"absent_for"``, ``("patient", ref)``, ``("charges", guarantor)``), or ``{}``.

        Raises:
            PermanentError: an allocation the API cannot express. DataError: unknown/deleted
                patient, or a split's charge is no longer open for that much. TransientError,
                AuthError.
        """
        patient = self._live_patient(plan.patient_id, known.get(("patient", plan.patient_id)))
        existing = None
        if known.get("absent_for") not in ("all", int(patient.patient_id)):
            existing = postings.marked_payment(
                self.db, plan.marker, patient=int(patient.patient_id)
            )
        if existing is not None:
            return self._resume(plan, existing)
        body: dict[str, Any] = {
            "PayAmt": money(plan.amount),
            "PatNum": int(patient.patient_id),
            "PayType": int(plan.payment_type_id),
            "PayDate": day(plan.date),
            "PayNote": pay_note(plan.marker, plan.note, plan.status_label),
        }
        if plan.merchant_fee is not None:
            body["MerchantFee"] = money(plan.merchant_fee)
        explicit: list[tuple[int, Decimal]] | None = None
        if plan.mode is AllocationMode.POST_ONLY:
            body["isPrepayment"] = "true"
        else:
            charges = known.get(("charges", mapping.key(patient.guarantor_id)))
            explicit = self._choose_allocation(plan, patient, body, charges)
        if explicit is not None:
            self.office.need(
                f"Payment {plan.external_ref} needs its own split", "explicit_allocation"
            )
            body["isPrepayment"] = "true"
            body["PayNote"] = f"{body['PayNote']} {EXPLICIT_TAG}"
        created = once_more_if_absent(
            lambda: self.api.create_payment(body),
            lambda: postings.payment_ids(self.db, plan.marker, patient=int(patient.patient_id)),
            step="payments_post",
        )
        pay_num = int(created["PayNum"])
        if explicit is not None:
            self._allocate_or_explain(plan, pay_num, explicit)
        return self._posted(plan, pay_num)

    def _live_patient(self, patient_ref: str, known: PatientRecord | None = None) -> PatientRecord:
        patient = known if known is not None else patients.find(self.db, patient_ref)
        if patient is None:
            raise DataError(
                f"patient {patient_ref} not found in Open Dental", code="patient_missing"
            )
        if patient.status is PatientStatus.DELETED:
            raise DataError(
                f"patient {patient_ref} is deleted in Open Dental", code="patient_deleted"
            )
        return patient

    def _choose_allocation(
        self,
        plan: PatientPaymentPlan,
        patient: PatientRecord,
        body: dict[str, Any],
        known: list[OpenCharge] | None = None,
    ) -> list[tuple[int, Decimal]] | None:
        """Pick the API form that yields exactly the plan's splits; None = Open Dental's FIFO.

        ``known``: the family's open charges as the plan was made from them (read again when
        not given)."""
        charges = known if known is not None else patients.family_charges(self.db, patient)
        open_by_ref = {(c.kind.value, c.charge_ref): c for c in charges}
        for split in plan.splits:
            if split.charge_ref is None:
                continue
            charge = open_by_ref.get((split.charge_kind or "procedure", split.charge_ref))
            if charge is None or split.amount > charge.amount_due:
                raise DataError(
                    f"payment {plan.external_ref}: {split.charge_kind} {split.charge_ref} is no "
                    f"longer open for {split.amount}",
                    code="charge_changed",
                )
        payer = patient.patient_id
        manual = self.office.splits_by_hand()  # RigorousAccounting 2: Open Dental makes no splits
        if not manual and same_splits(
            plan.splits, predict_auto_split(charges, plan.amount, payer_id=payer)
        ):
            return None
        mine_first = predict_auto_split(charges, plan.amount, payer_id=payer, patient_first=True)
        if not manual and same_splits(plan.splits, mine_first):
            # Open Dental's own patient-preferred auto-split gives exactly the plan (any charge
            # kind, adjustments included): one request, no explicit allocation needed
            body["isPatientPreferred"] = "true"
            return None
        procs = [s.charge_ref for s in plan.splits if s.charge_ref is not None]
        all_procs = all(
            s.charge_ref is not None and (s.charge_kind or "procedure") == ChargeKind.PROCEDURE
            for s in plan.splits
        )
        if all_procs:
            only = predict_auto_split(charges, plan.amount, payer_id=payer, only_procs=procs)
            if not manual and same_splits(plan.splits, only):
                body["procNums"] = [int(p) for p in procs]
                return None
            return [(int(s.charge_ref or 0), s.amount) for s in plan.splits]
        # a person can enter what the API cannot: review, not dead-letter
        raise DataError(
            f"Payment {plan.external_ref}: Open Dental's API can only allocate explicitly to "
            "procedures; this plan (adjustments or unearned money) differs from Open Dental's "
            f"own oldest-first and patient-first splits{MANUAL_NOTE if manual else ''}. "
            "Enter it with these splits: "
            f"{split_words(plan)}",
            code="allocation_not_expressible",
            context={"splits": split_words(plan)},
        )

    def _allocate_or_explain(
        self, plan: PatientPaymentPlan, pay_num: int, amounts: list[tuple[int, Decimal]]
    ) -> None:
        """``PUT …/Partial``; when Open Dental refuses it, the review says what is left behind
        (the payment exists as one prepayment) so staff re-split it instead of posting again.

        Raises:
            DataError: ``allocation_unfinished``. TransientError: retried later (resumes).
        """
        try:
            self._allocate(pay_num, amounts)
        except (DataError, PermanentError) as exc:
            raise DataError(
                f"Payment {plan.external_ref} of {plan.amount} is in Open Dental as prepayment "
                f"PayNum {pay_num} (note {plan.marker}), but Open Dental refused to split it "
                f"({exc.message}). Split that payment by hand — do not enter it again: "
                f"{split_words(plan)}",
                code="allocation_unfinished",
                context={"PayNum": pay_num, "splits": split_words(plan)},
            ) from exc

    def _allocate(self, pay_num: int, amounts: list[tuple[int, Decimal]]) -> None:
        retry_idempotent(lambda: self.api.allocate_payment(pay_num, amounts))

    def _resume(self, plan: PatientPaymentPlan, existing: Any) -> PostedEntry:
        _kind, pay_num, _pat, _amount, note = existing
        if EXPLICIT_TAG in str(note):
            splits = postings.splits_of(self.db, int(pay_num))
            if any(int(s[5]) for s in splits):  # still Open Dental's prepayment split
                self._allocate(
                    int(pay_num), [(int(s.charge_ref or 0), s.amount) for s in plan.splits]
                )
        entry = self._posted(plan, int(pay_num))
        return PostedEntry(entry.external_ref, entry.pms_ids, entry.amount, True, entry.steps_done)

    def _posted(self, plan: PatientPaymentPlan, pay_num: int) -> PostedEntry:
        splits = postings.splits_of(self.db, pay_num)
        entry = postings.payment_entry(plan.external_ref, pay_num, plan.amount, splits, False)
        got = sorted(
            (
                "procedure" if int(s[3]) else "adjustment" if int(s[4]) else "unearned",
                str(int(s[3]) or int(s[4]) or ""),
                f"{Decimal(s[6]):.2f}",
            )
            for s in splits
        )
        want = sorted(
            (
                (s.charge_kind or "procedure") if s.charge_ref else "unearned",
                s.charge_ref or "",
                f"{s.amount:.2f}",
            )
            for s in plan.splits
        )
        if got != want:
            # The money is in Open Dental exactly once; only its split differs (the family's
            # charges changed between planning and posting). Staff can re-split in Open Dental.
            log.warning("payment.splits_differ", pay_num=pay_num, external_ref=plan.external_ref)
            entry.pms_ids["splits_match"] = False
        return entry


def pay_note(marker: str, *parts: str | None) -> str:
    """``PayNote``: the marker, then the non-empty ``parts``, cut to Open Dental's length."""
    return " ".join(p for p in (marker, *parts) if p)[:PAY_NOTE_MAX]


def split_words(plan: PatientPaymentPlan) -> str:
    """The plan's splits as staff enter them: "procedure 12: 40.00; unearned: 10.00"."""
    parts = [
        f"{s.charge_kind or 'procedure'} {s.charge_ref}: {s.amount:.2f}"
        if s.charge_ref
        else f"unearned (prepayment): {s.amount:.2f}"
        for s in plan.splits
    ]
    return "; ".join(parts) or "none"
