"""One ERA claim → an :class:`InsurancePaymentPlan`, or a review with a plain reason.

Special claims first: a test file never posts; an unbalanced remittance posts nothing; a
predetermination (CLP02 = 25) is an estimate, not money; a denial (4) posts nothing and lists
each CARC/RARC in words; "not our claim" (23) pays nothing; a reversal (22) undoes the
connector's own earlier posting of that claim, or goes to review when a person posted it.
Every other processed claim is matched (claim, then lines), its amounts split, checked for a
claim already received and for a further plan to bill, and then put to the auto-post
decision (:mod:`connector.posting.era_rules`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.base import MAX_CLAIMS, ClaimMatch, ClaimRecord, Ledger, marker_for
from connector.config import AutoPostSettings
from connector.domain import (
    CheckRecord,
    InsurancePaymentPlan,
    Item,
    ItemKind,
    ItemStatus,
    ProcedurePayment,
)
from connector.errors import DataError
from connector.money import ZERO, total
from connector.posting import fields
from connector.posting.codes import adjustment_words, rarc_words
from connector.posting.era_lines import (
    LineAmounts,
    LineMatch,
    line_amounts,
    match_lines,
    remaining_balance,
)
from connector.posting.era_lines import treatment as adjustment_treatment
from connector.posting.era_office import EraChoices, office_settings
from connector.posting.era_pms_posted import differences
from connector.posting.era_rules import decide, rules_for
from connector.posting.era_secondary import DECISION_KEY, primary_with_secondary, secondary_payload
from connector.posting.outcomes import Defer, Ignore, Outcome, Planned, PostedByPms
from connector.posting.reasons import review
from connector.records.era import EraClaim
from connector.x12codes import (
    DENIED,
    NOT_OUR_CLAIM,
    PREDETERMINATION,
    PRIMARY,
    PRIMARY_FORWARDED,
    PROCESSED,
    REVERSAL,
)

FEE = (
    "the PMS keeps no insurance estimate the connector can read for these procedures, so "
    "what insurance was expected to pay is their fee (paid-at-least rules are stricter)"
)
MATCH_IDENTIFIER, MATCH_PAYER_CONTROL, MATCH_SERVICE = (
    "claim_identifier",
    "payer_claim_control",
    "service_and_charge",
)


_MATCH_WORDS = {
    MATCH_IDENTIFIER: "claim id (CLP01)",
    MATCH_PAYER_CONTROL: "payer claim number (CLP07)",
    MATCH_SERVICE: "service date and charge",
}


def claim_criteria(claim: EraClaim) -> list[tuple[str, ClaimMatch]]:
    """The criteria to look the claim up by, in order: CLP01, CLP07, service dates + charge
    (each only when the remittance gives it)."""
    criteria: list[tuple[str, ClaimMatch]] = []
    if claim.patient_control:
        criteria.append((MATCH_IDENTIFIER, ClaimMatch(claim_identifier=claim.patient_control)))
    if claim.payer_claim_control:
        criteria.append(
            (MATCH_PAYER_CONTROL, ClaimMatch(payer_claim_control=claim.payer_claim_control))
        )
    if claim.service_from:
        criteria.append(
            (
                MATCH_SERVICE,
                ClaimMatch(
                    service_from=claim.service_from,
                    service_to=max(claim.service_to or claim.service_from, claim.service_from),
                    total_charge=abs(claim.charge),
                ),
            )
        )
    return criteria


def find_claims(ledger: Ledger, claim: EraClaim) -> tuple[str | None, list[ClaimRecord]]:
    """How the claim was found and the PMS claims the first criterion with any found: CLP01,
    then CLP07, then service dates + charge (predeterminations are not candidates there).
    ``(None, [])`` when no criterion finds a claim.

    Raises:
        TransientError: from the ledger.
    """
    for how, match in claim_criteria(claim):
        found = ledger.find_claims(match)
        if how == MATCH_SERVICE:
            found = [c for c in found if c.claim_type != "preauth"]
        if found:
            return how, found
    return None, []


def denial_words(claim: EraClaim) -> str:
    """Every CARC and RARC of a claim and its lines, in words, without repeats."""
    seen: dict[str, None] = {}
    adjustments = list(claim.adjustments) + [a for line in claim.lines for a in line.adjustments]
    for adjustment in adjustments:
        seen[adjustment_words(adjustment.group, adjustment.reason)] = None
    for remark in list(claim.remarks) + [r for line in claim.lines for r in line.remarks]:
        seen[rarc_words(remark)] = None
    return "; ".join(seen) or "no reason codes given"


@dataclass
class _Claim:
    """One claim being planned, with everything the steps share."""

    item: Item
    claim: EraClaim
    settings: AutoPostSettings
    ledger: Ledger
    remittance: Item | None
    related: Sequence[Item]
    info: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] = field(default_factory=dict)
    _choices: EraChoices | None = None

    @property
    def choices(self) -> EraChoices:
        """The effective settings: the YAML, else the office's own ERA choices."""
        if self._choices is None:
            self._choices = EraChoices(self.settings, office_settings(self.ledger))
        return self._choices

    siblings: Callable[[], Sequence[Item]] = tuple
    """The other items of the claim's remittance (read only when needed)."""

    def done(self, outcome: Outcome) -> Planned:
        """The outcome with the decision record."""
        return Planned(outcome, self.decision)

    def reviewed(self, code: str, **extra: Any) -> Planned:
        """A review with the claim's ids in its details."""
        return Planned(review(code, **{**self.info, **extra}), self.decision)

    # -- shared steps ------------------------------------------------------------------------
    def money_lines(
        self, record: ClaimRecord
    ) -> tuple[list[LineMatch], list[LineAmounts], tuple[ProcedurePayment, ...]] | Planned:
        """Match lines and split their amounts, or the review that stops it."""
        claim, mappings = self.claim, self.settings.adjustment_mappings
        if not claim.lines:
            return self.reviewed(
                "line_not_matched", unmatched="all", lines="the remittance lists no service lines"
            )
        claim_level = [
            a
            for a in claim.adjustments
            if a.amount != ZERO and adjustment_treatment(a, mappings) != "ignore"
        ]
        if claim_level:
            words = ", ".join(
                f"{adjustment_words(a.group, a.reason)} {a.amount} (claim level)"
                for a in claim_level
            )
            return self.reviewed("adjustment_unmapped", adjustments=words)
        matches, unmatched = match_lines(claim.lines, record.lines, claim.service_from)
        if unmatched:
            lines = ", ".join(
                f"line {u.index} {u.submitted_code} {u.date or claim.service_from}"
                f" fee {abs(u.charge)}"
                for u in unmatched
            )
            return self.reviewed("line_not_matched", unmatched=len(unmatched), lines=lines)
        amounts = [line_amounts(m.line, mappings) for m in matches]
        unmapped = [a for am in amounts for a in am.unmapped]
        if unmapped:
            words = ", ".join(f"{adjustment_words(a.group, a.reason)} {a.amount}" for a in unmapped)
            return self.reviewed("adjustment_unmapped", adjustments=words)
        paid_lines = total(a.paid for a in amounts)
        if paid_lines != claim.paid:
            problems = f"its service lines pay {paid_lines}, the claim pays {claim.paid}"
            return self.reviewed("unbalanced_era", problems=problems)
        payments = tuple(
            ProcedurePayment(
                proc_ref=m.procedure.proc_ref,
                paid=a.paid,
                writeoff=a.writeoff,
                deductible=a.deductible,
                remarks=a.remarks or None,
                reason_codes=a.reason_codes or None,
                allowed=a.allowed,
            )
            for m, a in zip(matches, amounts, strict=True)
        )
        return matches, amounts, payments

    def matched_claim(self) -> ClaimRecord | Planned:
        """The one PMS claim the remittance names by CLP01 or CLP07; else the review:
        ``claim_ambiguous`` when a criterion fits several claims, ``claim_not_found`` when
        none fits or only one does by date and charge (offered as a candidate, never posted
        to: the remittance carries no patient identity the connector may use)."""
        how, found = find_claims(self.ledger, self.claim)
        ids = [c.claim_id for c in found]
        self.decision["match"] = how
        self.decision["candidate_claim_ids"] = ids
        self.decision["candidate_claim_id"] = None
        if len(found) > 1:
            assert how is not None
            shown = ", ".join(ids) + (" and maybe more" if len(ids) >= MAX_CLAIMS else "")
            return self.reviewed(
                "claim_ambiguous",
                claim_count=f"at least {len(ids)}" if len(ids) >= MAX_CLAIMS else len(ids),
                matched_by=_MATCH_WORDS[how],
                candidates=shown,
                candidate_claim_ids=ids,
            )
        if not found or how == MATCH_SERVICE:
            candidate = (
                f"; PMS claim {ids[0]} matches only by date and charge: confirm it by hand"
                if found
                else ""
            )
            self.decision["candidate_claim_id"] = ids[0] if found else None
            return self.reviewed("claim_not_found", candidate=candidate)
        self.decision["claim_id"] = found[0].claim_id
        return found[0]

    def plan(self, record: ClaimRecord, payments: tuple[ProcedurePayment, ...]) -> Planned:
        """The finished plan, with its check/EFT record; or ``payment_type_unknown``."""
        claim = self.claim
        wanted, wanted_from = self.choices.payment_type(claim.method)
        self.decision["payment_type_from"] = wanted_from
        pay_type = fields.find_insurance_type(self.ledger.payment_types(), wanted)
        if pay_type is None:
            return self.reviewed(
                "payment_type_unknown", category="insurance payment", wanted=wanted
            )
        assert claim.payment_date is not None  # plan_claim fills it in
        check = CheckRecord(
            number=claim.trace,
            amount=self.remittance.amount if self.remittance is not None else claim.paid,
            date=claim.payment_date,
            payer_name=claim.payer_name or claim.payer_id or "unknown payer",
            payment_type_id=pay_type.id,
            method=claim.method or None,
            remittance_key=claim.remittance_key,
        )
        return self.done(
            InsurancePaymentPlan(
                external_ref=self.item.key,
                marker=marker_for(self.item.key, auto=True),
                claim_id=record.claim_id,
                patient_id=record.patient_id,
                lines=payments,
                date_received=check.date,
                check=check,
                auto_posted=True,
                supplemental=record.received,
            )
        )

    # -- the two paths ----------------------------------------------------------------------
    def payment(self) -> Planned:
        """A processed claim: match, split, check, decide, plan."""
        claim = self.claim
        record = self.matched_claim()
        if isinstance(record, Planned):
            return record
        core = self.money_lines(record)
        if isinstance(core, Planned):
            return core
        matches, amounts, payments = core
        already_paid = total(line.paid for line in record.lines)
        if record.received and already_paid != ZERO:
            pending = self.pending_reversal()
            if pending is not None:  # the correction waits for the reversal before it
                self.decision["waiting_for"] = pending
                return self.done(
                    Defer("waiting_for_reversal", "the reversal before it is not posted yet")
                )
            different = differences(record, payments)
            self.decision["pms_compared"] = different or "the same"
            ours = "abandoned" in self.item.progress  # our own write stopped part way
            if not different and not ours:
                return self.done(PostedByPms(
                    {"claim_id": record.claim_id, "posted_by_pms": True},
                    f"claim {record.claim_id} already received in the PMS with exactly what the "
                    "ERA pays"))  # fmt: skip
            return self.reviewed("claim_already_received", already_paid=already_paid,
                                 differences="; ".join(different))  # fmt: skip
        balance = remaining_balance(matches, amounts)
        self.decision["balance_remaining"] = balance
        rules, rules_from = rules_for(self.settings, claim.payer_id)
        as_primary = primary_with_secondary(claim, record, allowed=rules.primary_with_secondary)
        if (
            not rules.primary_with_secondary
            and record.has_secondary_plan
            and record.claim_type == "primary"
            and balance > ZERO
            and claim.status != PRIMARY_FORWARDED
        ):
            return self.reviewed("secondary_claim_needed", balance=balance)
        excluded, excluded_from = self.choices.excluded_carcs()
        found = sorted(
            {a.reason.upper() for a in claim.adjustments}
            | {a.reason.upper() for line in claim.lines for a in line.adjustments}
        )
        if any(code in excluded for code in found):
            codes = ", ".join(c for c in found if c in excluded)
            return self.reviewed("carc_excluded", codes=codes, source=excluded_from)
        rules, writeoffs_from = self.choices.rules(rules, claim.status)
        self.decision["writeoffs_from"] = writeoffs_from
        expected = max(total(line.expected_insurance - line.paid for line in record.lines), ZERO)
        by_fee = [line.proc_ref for line in record.lines if line.expected_from == "fee"]
        if by_fee:  # the executor logs it; history and review details keep it
            self.decision["expected_from"] = {"source": "fee", "procedures": by_fee, "why": FEE}
        auto = decide(
            rules,
            plan_count=record.plan_count,
            expected=expected,
            paid=claim.paid,
            writeoff=total(a.writeoff for a in amounts),
            payer_id=claim.payer_id or None,
            rules_from=rules_from,
            primary_with_secondary=as_primary,
        )
        self.decision["auto_post"] = auto.as_dict()
        if not auto.post:
            return self.done(auto.review(**self.info))
        # posted as the primary payment: the secondary claim to send is recorded once the
        # payment is in the PMS (connector.posting.executor); None says "none to send"
        self.decision[DECISION_KEY] = (
            secondary_payload(claim, self.item.key, record, matches, amounts)
            if as_primary
            else None
        )
        return self.plan(record, payments)

    def pending_reversal(self) -> str | None:
        """The key of a reversal (22) of this claim in the same remittance that is still
        waiting to post (received or failed): a correction waits for it."""
        for other in self.siblings():
            if (
                other.kind is ItemKind.ERA_CLAIM
                and other.id != self.item.id
                and _is_claim(other, self.claim.patient_control, reversal=True)
                and other.status in (ItemStatus.RECEIVED, ItemStatus.FAILED)
            ):
                return other.key
        return None

    def reversal(self) -> Planned:
        """CLP02 = 22: undo the connector's own posting of this claim, or send it to a person."""
        claim = self.claim
        originals = [
            i
            for i in self.related
            if i.kind is ItemKind.ERA_CLAIM
            and i.id < self.item.id
            and _is_claim(i, claim.patient_control, reversal=False)
        ]
        posted = [i for i in originals if i.status is ItemStatus.POSTED]
        self.decision["original_keys"] = [i.key for i in originals]
        if not posted:
            if any(i.status in (ItemStatus.RECEIVED, ItemStatus.FAILED) for i in originals):
                return self.done(
                    Defer("waiting_for_original", "the reversed claim is not posted yet")
                )
            why = (
                "no earlier remittance for it reached the connector"
                if not originals
                else f"the original is {originals[-1].status.value}, not posted by the connector"
            )
            return self.reviewed("reversal_of_manual_post", why=why)
        target = posted[-1]
        already = [
            i.key
            for i in self.related
            if i.kind is ItemKind.ERA_CLAIM
            and i.id != self.item.id
            and i.id > target.id
            and i.status is ItemStatus.POSTED
            and _is_claim(i, claim.patient_control, reversal=True)
        ]
        if already:  # never a second reversal of one posting (a re-sent file, new keys)
            self.decision["reversed_by"] = already
            return self.reviewed("reversal_already_posted", reversed_by=", ".join(already))
        self.decision["reverses"] = target.key
        rules, rules_from = rules_for(self.settings, claim.payer_id)
        if not rules.enabled:
            scope = "" if rules_from == "practice" else f" for payer {claim.payer_id}"
            return self.reviewed("auto_post_disabled", scope=scope)
        record = self.matched_claim()
        if isinstance(record, Planned):
            return record
        core = self.money_lines(record)
        if isinstance(core, Planned):
            return core
        return self.plan(record, core[2])


def _is_claim(item: Item, patient_control: str, *, reversal: bool) -> bool:
    """Whether ``item`` holds a claim of ``patient_control`` that is (or is not) a reversal
    (an unreadable payload is neither)."""
    try:
        other = EraClaim.from_json(item.payload)
    except DataError:
        return False
    return other.patient_control == patient_control and (other.status == REVERSAL) is reversal


def secondary_of_posted(
    item: Item, settings: AutoPostSettings, ledger: Ledger
) -> dict[str, Any] | None:
    """The secondary claim a claim the connector already posted leaves (the
    :mod:`~connector.posting.era_secondary` payload), worked out again from the item and the PMS
    when the decision saved with the posting is gone (a lost or restored state store, then a
    replay that finds the payment in the PMS). None when the claim leaves none, or the PMS
    claim cannot be told apart any more.

    Raises:
        DataError: the payload is unusable. TransientError: from the ledger reads.
    """
    claim = EraClaim.from_item(item)
    if claim.status != PRIMARY:  # only a claim processed as primary (1) leaves one
        return None
    if claim.payment_date is None:
        claim = replace(claim, payment_date=item.created_at.date())
    job = _Claim(item, claim, settings, ledger, None, (), info=claim.summary())
    record = job.matched_claim()
    if isinstance(record, Planned):
        return None
    rules, _scope = rules_for(settings, claim.payer_id)
    if not primary_with_secondary(claim, record, allowed=rules.primary_with_secondary):
        return None
    core = job.money_lines(record)
    if isinstance(core, Planned):
        return None
    matches, amounts, _payments = core
    return secondary_payload(claim, item.key, record, matches, amounts)


def plan_claim(
    item: Item,
    settings: AutoPostSettings,
    ledger: Ledger,
    *,
    remittance: Item | None,
    related: Sequence[Item],
    siblings: Callable[[], Sequence[Item]] = tuple,
) -> Planned:
    """Plan one ``era_claim`` item.

    Args:
        item: the claim item.
        settings: the practice's ``era.auto_post``.
        ledger: read-only use: claims and insurance payment types.
        remittance: the claim's ``era_remittance`` item (for the check amount), if recorded.
        related: items whose ``related_key`` is this claim's CLP07 (earlier postings of it).
        siblings: the items of the same remittance, read only when a processed claim finds its
            PMS claim already paid (a correction waits for a reversal still to post).

    Raises:
        DataError: the payload is unusable. TransientError: from the ledger reads.
    """
    claim = EraClaim.from_item(item)
    if claim.payment_date is None:  # BPR16 missing: the day the remittance was recorded
        claim = replace(claim, payment_date=item.created_at.date())
    job = _Claim(
        item, claim, settings, ledger, remittance, related, info=claim.summary(), siblings=siblings
    )
    job.decision["claim"] = job.info
    if claim.test:
        return job.done(Ignore("test_file"))
    if not (claim.remittance_balanced and claim.balanced):
        problems = (
            "the remittance's totals do not balance"
            if not claim.remittance_balanced
            else "this claim's amounts do not balance"
        )
        return job.reviewed("unbalanced_era", problems=problems)
    if claim.status == PREDETERMINATION:
        return job.reviewed("predetermination")
    if claim.status == DENIED:
        return job.reviewed("denied", reasons=denial_words(claim))
    if claim.status == NOT_OUR_CLAIM:
        return job.reviewed("claim_forwarded")
    if claim.status == REVERSAL:
        return job.reversal()
    if claim.status not in PROCESSED:
        return job.reviewed("payload_invalid", problem=f"unknown claim status {claim.status}")
    return job.payment()
