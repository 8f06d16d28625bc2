"""A :class:`adapters.base.StepJournal` kept in the item's ``progress`` in the state store.

Each finished step of a multi-step write (an insurance payment's procedures, claim, check; a
patient payment and then its note) is saved durably before the next starts, so a retry after a
crash resumes after the last finished step instead of repeating it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from connector.domain import CheckRecord, InsurancePaymentPlan, Item, ProcedurePayment
from connector.errors import PermanentError
from connector.money import to_money
from connector.store import StateStore


class StoreJournal:
    """Finished steps of one item, stored as ``progress = {"steps": {step: ids}}``."""

    def __init__(self, store: StateStore, item: Item) -> None:
        self._store = store
        self._item_id = item.id
        self._progress: dict[str, Any] = dict(item.progress)
        self._steps: dict[str, Any] = dict(self._progress.get("steps") or {})

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids recorded for ``step`` if it already finished, else None."""
        ids = self._steps.get(step)
        return dict(ids) if isinstance(ids, dict) else None

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Durably mark ``step`` finished with the ids it wrote."""
        self._steps[step] = dict(ids)
        self._progress["steps"] = dict(self._steps)
        self._store.save_progress(self._item_id, self._progress)

    @property
    def steps(self) -> tuple[str, ...]:
        """Names of the finished steps, in the order they finished."""
        return tuple(self._steps)


class MemoryJournal:
    """A journal that keeps steps in memory only (dry runs and tests of adapters)."""

    def __init__(self) -> None:
        self.recorded: dict[str, dict[str, Any]] = {}

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids recorded for ``step``, else None."""
        return self.recorded.get(step)

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Remember ``step`` (not durable)."""
        self.recorded[step] = dict(ids)


def save_plan(
    store: StateStore, item: Item, plan: dict[str, Any], decision: dict[str, Any]
) -> None:
    """Remember the plan being executed, so a retry finishes *this* plan instead of re-planning
    against a PMS that already holds part of it."""
    progress = dict(item.progress)
    progress.update({"plan": plan, "decision": decision})
    progress.setdefault("steps", {})
    store.save_progress(item.id, progress)


def insurance_plan_from(data: dict[str, Any]) -> InsurancePaymentPlan:
    """Rebuild an insurance plan saved by :func:`save_plan` (JSON: amounts and dates as text).

    Raises:
        PermanentError: the saved plan is not readable (it was written by another version).
    """
    try:
        check = data["check"]
        return InsurancePaymentPlan(
            external_ref=data["external_ref"],
            marker=data["marker"],
            claim_id=data["claim_id"],
            patient_id=data["patient_id"],
            lines=tuple(
                ProcedurePayment(
                    proc_ref=line["proc_ref"],
                    paid=to_money(line["paid"]),
                    writeoff=to_money(line["writeoff"]),
                    deductible=to_money(line["deductible"]),
                    remarks=line.get("remarks"),
                    reason_codes=line.get("reason_codes"),
                    allowed=to_money(line["allowed"]) if line.get("allowed") else None,
                )
                for line in data["lines"]
            ),
            date_received=dt.date.fromisoformat(data["date_received"]),
            check=CheckRecord(
                number=check["number"],
                amount=to_money(check["amount"]),
                date=dt.date.fromisoformat(check["date"]),
                payer_name=check["payer_name"],
                payment_type_id=check.get("payment_type_id"),
                method=check.get("method"),
                remittance_key=check.get("remittance_key"),
            ),
            auto_posted=bool(data.get("auto_posted", True)),
            supplemental=bool(data.get("supplemental", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(
            "the saved plan of this item cannot be read", code="saved_plan_invalid"
        ) from exc
