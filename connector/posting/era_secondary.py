"""Primary claims of patients with a second plan: when to post them, and the secondary claim
staff send afterwards.

Open Dental's own ERA automation posts a claim the payer processed as primary (CLP02 = 1 or 19)
when it is the patient's primary claim, and staff then send the secondary claim. The connector
does the same on every PMS when ``era.auto_post.primary_with_secondary`` is on:

* :func:`primary_with_secondary` says whether a claim qualifies (processed as primary, the
  PMS claim is a primary claim, the patient has another plan); what does not qualify
  (processed as secondary, or a claim that is not the primary one) stays ``multiple_plans``;
* after the primary payment is in the PMS, one ``era_secondary`` item is recorded for the
  secondary claim (:func:`secondary_item`, keyed ``<claim key>:secondary`` so it is recorded
  once however often the posting is retried); it always goes to review as
  ``secondary_claim_ready`` (:func:`plan_secondary_claim`) with what a secondary claim
  carries: per procedure the charge, what the primary paid, wrote off and left to the patient
  (deductible and other patient responsibility), each CAS adjustment, and the primary's payer,
  payment date and claim number.

No item is recorded when the payer forwarded the claim itself (CLP02 = 19: the secondary payer
receives it from the primary) or when nothing is left for a secondary plan to pay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from adapters.base import ClaimRecord
from connector.domain import Item, ItemKind, NewItem
from connector.money import ZERO, total
from connector.posting.era_lines import LineAmounts, LineMatch
from connector.posting.outcomes import Planned
from connector.posting.reasons import review
from connector.records.era import EraClaim
from connector.records.era_secondary import EraSecondary, SecondaryLine
from connector.records.fields import iso
from connector.x12codes import PRIMARY, PRIMARY_FORWARDED

PROCESSED_AS_PRIMARY = frozenset({PRIMARY, PRIMARY_FORWARDED})
DECISION_KEY = "secondary_claim"
"""Where the planned secondary item's payload waits in the decision (saved with the plan)."""
SUFFIX = ":secondary"


def has_other_plan(record: ClaimRecord) -> bool:
    """True when the PMS says the claim's patient has more than one insurance plan."""
    return record.plan_count > 1 or record.has_secondary_plan


def primary_with_secondary(claim: EraClaim, record: ClaimRecord, *, allowed: bool) -> bool:
    """True when a claim of a patient with another plan may post as the primary payment:
    ``allowed`` (the setting), the payer processed it as primary (CLP02 1 or 19) and the PMS
    claim is the patient's primary claim."""
    return (
        allowed
        and has_other_plan(record)
        and claim.status in PROCESSED_AS_PRIMARY
        and record.claim_type == "primary"
    )


def secondary_payload(
    claim: EraClaim,
    key: str,
    record: ClaimRecord,
    matches: Sequence[LineMatch],
    amounts: Sequence[LineAmounts],
) -> dict[str, Any] | None:
    """What the secondary claim carries (JSON-safe), or None when no secondary claim is to be
    sent: the payer forwarded it (CLP02 = 19), or the primary left nothing open. ``key`` is
    the claim item's key."""
    if claim.status != PRIMARY:
        return None
    lines = tuple(
        SecondaryLine(
            proc_ref=match.procedure.proc_ref,
            code=match.line.submitted_code,
            date=match.line.date or claim.service_from,
            charge=abs(match.line.charge),
            paid=amount.paid,
            writeoff=amount.writeoff,
            deductible=amount.deductible,
            patient=amount.patient,
            adjustments=match.line.adjustments,
            remarks=match.line.remarks,
        )
        for match, amount in zip(matches, amounts, strict=True)
    )
    paid = total(a.paid for a in amounts)
    writeoff = total(a.writeoff for a in amounts)
    deductible = total(a.deductible for a in amounts)
    patient = total(a.deductible + a.patient for a in amounts)
    charge = total(abs(m.line.charge) for m in matches)
    left = max(charge - paid - writeoff, ZERO)
    if patient <= ZERO and left <= ZERO:
        return None
    return EraSecondary(
        primary_key=key,
        remittance_key=claim.remittance_key,
        patient_control=claim.patient_control,
        payer_claim_control=claim.payer_claim_control or None,
        claim_id=record.claim_id,
        patient_id=record.patient_id,
        payer_id=claim.payer_id or None,
        payer_name=claim.payer_name or claim.payer_id or None,
        trace=claim.trace,
        payment_date=claim.payment_date,
        charge=charge,
        paid=paid,
        writeoff=writeoff,
        deductible=deductible,
        patient_portion=patient,
        open_balance=left,
        lines=lines,
    ).to_json()


def secondary_item(item: Item, decision: Mapping[str, Any]) -> NewItem | None:
    """The ``era_secondary`` item a posted primary claim leaves behind, from the payload its
    decision carries (None when it carries none)."""
    payload = decision.get(DECISION_KEY)
    if not isinstance(payload, Mapping):
        return None
    return NewItem(
        key=f"{item.key}{SUFFIX}",
        kind=ItemKind.ERA_SECONDARY,
        payload=dict(payload),
        amount=Decimal("0.00"),  # no money moves: this is a claim to send
        group_key=item.group_key,
        related_key=item.key,
    )


def plan_secondary_claim(item: Item) -> Planned:
    """An ``era_secondary`` item: always the ``secondary_claim_ready`` review.

    Raises:
        DataError: the payload is unusable.
    """
    claim = EraSecondary.from_json(item.payload)
    info = {
        "patient_control": claim.patient_control,
        "claim_id": claim.claim_id,
        "patient_id": claim.patient_id,
        "payer_name": claim.payer_name,
        "payer_claim_control": claim.payer_claim_control,
        "payment_date": iso(claim.payment_date),
        "trace": claim.trace,
        "charge": claim.charge,
        "paid": claim.paid,
        "writeoff": claim.writeoff,
        "deductible": claim.deductible,
        "patient_portion": claim.patient_portion,
        "open_balance": claim.open_balance,
        "lines": [line.to_json() for line in claim.lines],
        "primary_key": claim.primary_key,
    }
    return Planned(review("secondary_claim_ready", **info), {"secondary_of": info["primary_key"]})
