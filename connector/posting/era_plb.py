"""One provider-level adjustment (``era_plb`` item) → supplemental insurance money on a claim,
or a review. The rule per PLB reason code is the practice's (``era.auto_post.plb_rules``, over
:data:`~connector.config.sources.DEFAULT_PLB_RULES`).

* **Which claim.** The PLB reference (PLB03-2) is looked up with the engine's claim-matching
  rule for remittance claims (:mod:`connector.posting.era_claims`): as a claim identifier
  (CLP01), then as a payer claim number (CLP07); one claim → that claim, several →
  ``plb_claim_not_found`` naming them, none → ``plb_claim_not_found`` with the reference shown.
  The PLB carries no service dates, so the third criterion does not apply.
* **After the claims.** A PLB waits (``Defer``) while any claim of its remittance is still to
  post: money it puts on a claim must never land between a reversal and its correction.
* **Interest without a reference** (L6 with an empty PLB03-2) goes on the remittance's first
  claim (the first CLP of the file) when that claim posted; when it ended anywhere else, the
  PLB goes to review.
* **Amount and sign.** The item's amount is the money to the practice: −PLB amount. Interest
  (PLB04 negative) is positive insurance money; a recoupment (WO, 72, J1, FB positive) is a
  negative supplemental payment. It is posted on the claim's first procedure with remarks
  ``PLB <code> <reference>`` and the remittance's check (TRN02) so that, for a remittance
  without review items, Σ posted claims + Σ posted PLB = BPR02.
* **Forward balances** (FB) are posted like recoupments; :mod:`connector.plb_balances` lists
  them by reference so the later remittance's matching FB is seen to close them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.base import ClaimMatch, ClaimRecord, Ledger, marker_for
from connector.config import AutoPostSettings
from connector.config.sources import DEFAULT_PLB_RULES
from connector.domain import (
    OPEN_STATUSES,
    CheckRecord,
    InsurancePaymentPlan,
    Item,
    ItemKind,
    ItemStatus,
    ProcedurePayment,
)
from connector.errors import DataError
from connector.posting import fields
from connector.posting.codes import plb_words
from connector.posting.era_claims import MATCH_IDENTIFIER, MATCH_PAYER_CONTROL
from connector.posting.era_office import EraChoices, office_settings
from connector.posting.era_rules import rules_for
from connector.posting.outcomes import Defer, Planned
from connector.posting.reasons import review
from connector.records.era import EraClaim
from connector.records.era_plb import EraPlb
from connector.records.era_remittance import EraRemittance

INTEREST = "L6"


def plb_rule(settings: AutoPostSettings, code: str) -> str:
    """``post`` or ``review`` for a PLB reason code (the practice's rule over the defaults)."""
    rules = {**DEFAULT_PLB_RULES, **settings.plb_rules}
    return rules.get(code.strip().upper(), "review")


def reference_criteria(reference: str) -> list[tuple[str, ClaimMatch]]:
    """The claim-matching criteria a PLB reference can fill, in the engine's order."""
    return [
        (MATCH_IDENTIFIER, ClaimMatch(claim_identifier=reference)),
        (MATCH_PAYER_CONTROL, ClaimMatch(payer_claim_control=reference)),
    ]


def find_named_claims(ledger: Ledger, reference: str) -> list[ClaimRecord]:
    """The claims the first criterion with any result finds (``[]`` when none does).

    Raises:
        TransientError: from the ledger.
    """
    for _how, match in reference_criteria(reference):
        found = ledger.find_claims(match)
        if found:
            return found
    return []


def plan_plb(
    item: Item,
    settings: AutoPostSettings,
    ledger: Ledger,
    *,
    remittance: Item | None,
    siblings: Sequence[Item],
) -> Planned:
    """Plan one ``era_plb`` item (see the module docstring).

    Args:
        item: the PLB item (payload as :mod:`connector.posting.era_remittance` derives it).
        settings: the practice's ``era.auto_post``.
        ledger: read-only use: claims and insurance payment types.
        remittance: the PLB's ``era_remittance`` item.
        siblings: the remittance's items (its claims, in recording order).

    Raises:
        DataError: the payload is unusable. TransientError: from the ledger reads.
    """
    plb = EraPlb.from_json(item.payload)
    code, plb_amount, reference = plb.reason.upper(), plb.amount, plb.reference
    effect = "withheld from" if plb_amount > 0 else "added to"
    info: dict[str, Any] = {
        "trace": plb.trace,
        "payer_name": plb.payer_name,
        "code": code,
        "words": plb_words(code),
        "amount": f"{abs(plb_amount)} {effect} the payment",
        "reference": reference,
        "reference_text": f" (reference {reference})" if reference else "",
        "remittance_key": plb.remittance_key,
    }
    decision: dict[str, Any] = {"plb": info, "rule": plb_rule(settings, code)}

    def reviewed(reason: str, **extra: Any) -> Planned:
        return Planned(review(reason, **{**info, **extra}), decision)

    rules, _ = rules_for(settings, plb.payer_id)
    if remittance is None or not rules.enabled or decision["rule"] != "post":
        return reviewed("provider_level_adjustment")
    # A PLB adjusts the remittance's total, so it posts once every claim of the remittance is
    # settled: money it puts on a claim must not land between a reversal and its correction
    # (the correction would find the claim already paid).
    waiting = [
        i.key for i in siblings if i.kind is ItemKind.ERA_CLAIM and i.status in OPEN_STATUSES
    ]
    if waiting:
        decision["waiting_for"] = waiting
        return Planned(Defer("waiting_for_claims", "the remittance's claims are not all settled"),
                       decision)  # fmt: skip
    if reference:
        found = find_named_claims(ledger, reference)
        if len(found) > 1:
            ids = ", ".join(c.claim_id for c in found)
            return reviewed("plb_claim_not_found", why=f"it fits several PMS claims ({ids})")
        if not found:
            return reviewed("plb_claim_not_found", why="no PMS claim has that id or number")
        record = found[0]
    elif code == INTEREST:
        first = _first_claim(siblings)
        if first is None:
            return reviewed("provider_level_adjustment")
        if first.status is not ItemStatus.POSTED:
            why = f"the remittance's first claim is {first.status.value}, not posted"
            return reviewed("plb_claim_not_found", reference="(none)", why=why)
        control = _patient_control(first)
        found = find_named_claims(ledger, control) if control else []
        if len(found) != 1:
            why = "the remittance's first claim is not found again in the PMS"
            return reviewed("plb_claim_not_found", reference="(none)", why=why)
        record = found[0]
    else:
        return reviewed("plb_claim_not_found", reference="(none)", why="the PLB names no claim")
    decision["claim_id"] = record.claim_id
    if not record.received:
        return reviewed(
            "plb_claim_not_found", why=f"PMS claim {record.claim_id} is not received yet"
        )
    if not record.lines:
        return reviewed("plb_claim_not_found", why=f"PMS claim {record.claim_id} has no lines")
    remit = EraRemittance.from_item(remittance)
    # the claims' own choice of insurance payment type: the YAML, else the office's
    wanted, decision["payment_type_from"] = EraChoices(
        settings, office_settings(ledger)
    ).payment_type(remit.method)
    pay_type = fields.find_insurance_type(ledger.payment_types(), wanted)
    if pay_type is None:
        return reviewed("payment_type_unknown", category="insurance payment", wanted=wanted)
    plan = _plan(item, remittance.key, remit, record, code, reference, pay_type.id)
    return Planned(plan, decision)


def _patient_control(claim: Item) -> str:
    """CLP01 of a claim item ("" when its payload cannot be read)."""
    try:
        return EraClaim.from_json(claim.payload).patient_control
    except DataError:
        return ""


def _first_claim(siblings: Sequence[Item]) -> Item | None:
    claims = [s for s in siblings if s.kind is ItemKind.ERA_CLAIM]
    return min(claims, key=lambda s: s.id) if claims else None


def _plan(
    item: Item,
    remittance_key: str,
    remit: EraRemittance,
    record: ClaimRecord,
    code: str,
    reference: str | None,
    pay_type_id: str,
) -> InsurancePaymentPlan:
    day = remit.payment_date or item.created_at.date()
    check = CheckRecord(
        number=remit.trace,
        amount=remit.amount if remit.amount is not None else item.amount,
        date=day,
        payer_name=remit.payer_name or remit.payer_id or "unknown payer",
        payment_type_id=pay_type_id,
        method=remit.method or None,
        remittance_key=remittance_key,  # the remittance's one check, where the PMS keeps one
    )
    remarks = f"PLB {code} {reference}" if reference else f"PLB {code}"
    line = ProcedurePayment(record.lines[0].proc_ref, paid=item.amount, remarks=remarks)
    return InsurancePaymentPlan(
        external_ref=item.key,
        marker=marker_for(item.key, auto=True),
        claim_id=record.claim_id,
        patient_id=record.patient_id,
        lines=(line,),
        date_received=day,
        check=check,
        auto_posted=True,
        supplemental=True,
    )
