"""Item detail: what came in, what the rules decided and why, what was written to the PMS, the
full history; and the actions (resolve, retry with a patient found in the PMS, requeue)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.patient_search import PatientMatch, PatientQuery
from connector.commands.review import _flatten
from connector.console import actions
from connector.console.auth import Principal
from connector.console.context import ConsoleContext
from connector.console.facts import facts
from connector.console.web import checked_form, context, field, flash, render, see_other, signed_in
from connector.domain import Item, ItemKind
from connector.errors import ConnectorError, PermanentError, TransientError
from connector.posting.planner import PATIENT_OVERRIDE
from connector.records.stripe import readable_transaction

KIND_WORDS = {
    ItemKind.PATIENT_PAYMENT: "Card or bank payment from a patient",
    ItemKind.REFUND: "Refund to a patient",
    ItemKind.DISPUTE: "Card dispute (chargeback)",
    ItemKind.DISPUTE_WON: "Dispute won (money returned)",
    ItemKind.ACH_RETURN: "Returned bank payment",
    ItemKind.PAYOUT_FAILURE: "Payout that failed to arrive",
    ItemKind.PAYOUT_NOTICE: "Payout we cannot break down",
    ItemKind.STRIPE_OTHER: "Other Stripe movement (fees, transfers)",
    ItemKind.ERA_REMITTANCE: "Insurance remittance (check or EFT)",
    ItemKind.ERA_CLAIM: "Insurance claim payment",
    ItemKind.ERA_PLB: "Provider-level adjustment",
}


def patient_ref(item: Item) -> str | None:
    """The PMS patient the item is for: the staff-chosen one, else the payment's metadata."""
    chosen = item.progress.get(PATIENT_OVERRIDE)
    txn = readable_transaction(item)
    ref = chosen or (txn.patient_ref if txn else None) or item.pms_ids.get("patient_id")
    return str(ref) if ref else None


def _detail(ctx: ConsoleContext, principal: Principal, item_id: int) -> dict[str, Any]:
    item = actions.visible_item(ctx.store, principal, item_id)
    review = ctx.store.open_review_for(item.id)
    decision = review or ctx.store.latest_review_for(item.id)
    patient, patient_error = None, None
    ref = patient_ref(item)
    if ref:
        try:
            patient = ctx.ledgers.patient(item.practice_id, ref)
        except ConnectorError as exc:
            patient_error = f"The PMS could not be read just now ({exc.code})."
    payload = [line for line in _flatten(item.payload) if not line.startswith("patient_ref:")]
    return {
        "item": item,
        "kind_words": KIND_WORDS.get(item.kind, item.kind.value),
        "facts": facts(item),
        "review": review,
        "decision": decision,
        "decision_lines": _flatten(decision.details) if decision else [],
        "payload_lines": payload,
        "pms_lines": _flatten(item.pms_ids),
        "history": ctx.store.history(item.id),
        "patient_ref": ref,
        "patient": patient,
        "patient_error": patient_error,
        "can_choose_patient": review is not None and item.kind is ItemKind.PATIENT_PAYMENT,
        "can_requeue": item.status.value in ("dead", "failed"),
    }


async def item_page(request: Request) -> Response:
    """The detail page (404 for an item of a practice the person may not see)."""
    principal = await signed_in(request)
    item_id = request.path_params["item_id"]
    values = await run_in_threadpool(_detail, context(request), principal, item_id)
    return render(request, "item.html", principal, **values)


async def resolve(request: Request) -> Response:
    """Close the review with a note."""
    principal = await signed_in(request)
    form = await checked_form(request, principal)
    item_id = request.path_params["item_id"]
    note = field(form, "note", actions.NOTE_MAX + 1)
    await _act(request, actions.resolve, principal, item_id, note, done="Marked as handled.")
    return see_other(f"/items/{item_id}")


async def retry(request: Request) -> Response:
    """Queue the item again, for the chosen patient when one was picked."""
    principal = await signed_in(request)
    form = await checked_form(request, principal)
    item_id = request.path_params["item_id"]
    patient = field(form, "patient_id", 40) or None
    if patient is not None:
        ok = await run_in_threadpool(_patient_exists, request, principal, item_id, patient)
        if not ok:
            flash(request, "That patient was not found in the PMS; search again.", "error")
            return see_other(f"/items/{item_id}")
    await _act(
        request,
        actions.retry,
        principal,
        item_id,
        patient,
        done="Queued again: it will be posted at the next posting run.",
    )
    return see_other(f"/items/{item_id}")


def _patient_exists(request: Request, principal: Principal, item_id: int, patient: str) -> bool:
    ctx = context(request)
    item = actions.visible_item(ctx.store, principal, item_id)
    found = ctx.ledgers.patient(item.practice_id, patient)
    return found is not None and found.status != "deleted"


async def requeue(request: Request) -> Response:
    """Put a dead or failed item back in the posting queue."""
    principal = await signed_in(request)
    await checked_form(request, principal)
    item_id = request.path_params["item_id"]
    await _act(
        request,
        actions.requeue,
        principal,
        item_id,
        done="Queued again: it will be posted at the next posting run.",
    )
    return see_other(f"/items/{item_id}")


async def search_patients(request: Request) -> Response:
    """Search the item's PMS for patients (POST: names and birth dates stay out of URLs)."""
    principal = await signed_in(request)
    form = await checked_form(request, principal)
    item_id = request.path_params["item_id"]
    last, first, born = field(form, "last_name", 60), field(form, "first_name", 60), None
    error, results = None, None
    try:
        born_text = field(form, "birth_date", 10)
        born = dt.date.fromisoformat(born_text) if born_text else None
        query = PatientQuery(last_name=last, first_name=first, birth_date=born)
        results = await run_in_threadpool(_search, request, principal, item_id, query)
    except ValueError:
        error = "The birth date must be a date like 1980-04-02."
    except PermanentError as exc:
        if exc.code == "item_not_found":
            raise
        error = exc.message
    except TransientError as exc:
        error = f"The PMS could not be searched just now ({exc.code}); try again."
    values = await run_in_threadpool(_detail, context(request), principal, item_id)
    return render(
        request,
        "item.html",
        principal,
        status_code=400 if error else 200,
        search_error=error,
        results=results,
        search={
            "last_name": last,
            "first_name": first,
            "birth_date": born.isoformat() if born else "",
        },
        **values,
    )


def _search(
    request: Request, principal: Principal, item_id: int, query: PatientQuery
) -> list[PatientMatch]:
    ctx = context(request)
    item = actions.visible_item(ctx.store, principal, item_id)
    return ctx.ledgers.search(item.practice_id, query)


async def _act(request: Request, action: Any, *args: Any, done: str) -> None:
    try:
        await run_in_threadpool(action, context(request).store, *args)
    except PermanentError as exc:
        if exc.code in ("item_not_found", "practice_not_found"):
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, done)


ROUTES = [
    Route("/items/{item_id:int}", item_page, methods=["GET"]),
    Route("/items/{item_id:int}/resolve", resolve, methods=["POST"]),
    Route("/items/{item_id:int}/retry", retry, methods=["POST"]),
    Route("/items/{item_id:int}/requeue", requeue, methods=["POST"]),
    Route("/items/{item_id:int}/patients", search_patients, methods=["POST"]),
]
