"""Refunds of patient payments: whole → ``POST /payments/Refund``; part → a negative
prepayment ``POST /payments`` (unverified against a real Open Dental, see docs)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from adapters.base import marker_for
from adapters.opendental import postings, queries
from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.office import Office
from adapters.opendental.payments import pay_note
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from connector.domain import PostedEntry, ReversalPlan
from connector.errors import DataError, PermanentError
from connector.money import ZERO

FindPosting = Callable[[str], "PostedEntry | None"]


def post(
    db: ReadOnlyDb,
    api: OpenDentalApi,
    office: Office,
    plan: ReversalPlan,
    find_posting: FindPosting,
) -> PostedEntry:
    """Refund the original payment (found by ``find_posting`` when the plan has no PayNum).

    Raises:
        PermanentError: amount not positive or larger than the original. DataError: the
            original posting is not in Open Dental. TransientError, AuthError.
    """
    if plan.amount <= ZERO:
        raise PermanentError(
            f"reversal {plan.external_ref}: amount must be positive", code="plan_invalid"
        )
    done = postings.marked_payment(db, plan.marker, sign=-1)
    if done is not None:
        return PostedEntry(plan.external_ref, {"PayNum": int(done[1])}, -plan.amount, True)
    original = _original_payment(db, plan, find_posting)
    orig_num, orig_pat, orig_type, orig_amount, _note = original
    if plan.amount > Decimal(orig_amount):
        raise PermanentError(
            f"reversal {plan.external_ref}: {plan.amount} is more than payment {orig_num}",
            code="plan_invalid",
        )
    note = pay_note(plan.marker, f"refund of {plan.original_external_ref}", plan.note)
    if plan.amount == Decimal(orig_amount):
        office.need(f"Refund {plan.external_ref}", "refunds", "payment_edit")
        original_marker = marker_for(plan.original_external_ref)
        pending = postings.payment_ids(db, original_marker, sign=-1)
        if pending is None:
            pending = once_more_if_absent(
                lambda: api.refund_payment(int(orig_num)),
                lambda: postings.payment_ids(db, original_marker, sign=-1),
                step="payments_refund",
            )
        refund_num = int(pending["PayNum"])
        retry_idempotent(lambda: api.update_payment(refund_num, {"PayNote": note}))
    else:
        body = {
            "PayAmt": money(-plan.amount),
            "PatNum": int(orig_pat),
            "PayType": int(plan.payment_type_id or orig_type),
            "PayDate": day(plan.date),
            "PayNote": note,
            "isPrepayment": "true",
        }
        created = once_more_if_absent(
            lambda: api.create_payment(body),
            lambda: postings.payment_ids(db, plan.marker, sign=-1),
            step="payments_post",
        )
        refund_num = int(created["PayNum"])
    return PostedEntry(
        plan.external_ref,
        {"PayNum": refund_num, "RefundOf": int(orig_num)},
        -plan.amount,
        steps_done=("refund",),
    )


def _original_payment(db: ReadOnlyDb, plan: ReversalPlan, find_posting: FindPosting) -> Any:
    pay_num = plan.original_pms_ids.get("PayNum")
    if pay_num is None:
        entry = find_posting(plan.original_external_ref)
        pay_num = entry.pms_ids.get("PayNum") if entry else None
    row = (
        db.fetchone("payment_by_num", queries.PAYMENT_BY_NUM, (int(pay_num),)) if pay_num else None
    )
    if row is None:
        raise DataError(
            f"reversal {plan.external_ref}: original payment for "
            f"{plan.original_external_ref} is not in Open Dental",
            code="original_missing",
        )
    return row
