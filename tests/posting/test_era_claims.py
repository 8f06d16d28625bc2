"""ERA claim rules: matching, amounts, special claims (pure, over the MemoryLedger)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import OfficeEraSettings
from adapters.memory import MemoryLedger
from connector import jsonutil
from connector.config import AutoPostSettings
from connector.domain import InsurancePaymentPlan, ItemStatus, ProcedurePayment, ReviewDecision
from connector.posting import codes
from connector.posting.era_claims import plan_claim
from connector.posting.journal import insurance_plan_from
from connector.posting.outcomes import Defer, Ignore, Planned
from tests.posting.helpers import claim_payload, line, new_claim, stored

D = Decimal
CO45 = ("CO", "45", "30.00")


@pytest.fixture
def claims(led: MemoryLedger) -> MemoryLedger:
    """CLM1: two cleanings lines for patient 1; CLM2 for patient 3, a second plan."""
    led.add_claim(
        "C1",
        patient="1",
        identifier="CLM1",
        date="2026-10-01",
        lines=[
            {
                "proc_ref": "P1",
                "code": "D1110",
                "fee": "120.00",
                "expected": "90.00",
                "line_ref": "L1",
            },
            {"proc_ref": "P2", "code": "D0120", "fee": "60.00", "expected": "45.00"},
        ],
    )
    led.add_claim(
        "C2",
        patient="3",
        identifier="CLM2",
        date="2026-10-01",
        plan_count=2,
        has_secondary_plan=True,
        lines=[{"proc_ref": "P3", "code": "D2391", "fee": "200.00", "expected": "100.00"}],
    )
    return led


def good_lines() -> list[dict[str, Any]]:
    return [
        line("D1110", "120.00", "90.00", CO45),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
    ]


def planned(
    led: MemoryLedger,
    payload: dict[str, Any],
    *,
    settings: AutoPostSettings | None = None,
    related: list[Any] | None = None,
    item_id: int = 10,
) -> Planned:
    item = stored(new_claim(payload), item_id=item_id)
    return plan_claim(
        item,
        settings or AutoPostSettings(enabled=True),
        led,
        remittance=None,
        related=related or [],
    )


def review_of(result: Planned) -> ReviewDecision:
    assert isinstance(result.outcome, ReviewDecision), result.outcome
    return result.outcome


def test_a_clean_claim_becomes_an_insurance_plan(claims: MemoryLedger) -> None:
    """Paid as expected with CO write-offs: per-line paid and write-off, check from TRN02."""
    result = planned(claims, claim_payload("CLM1", "1", "180.00", "135.00", good_lines()))
    plan = result.outcome
    assert isinstance(plan, InsurancePaymentPlan)
    assert plan.lines == (
        ProcedurePayment("P1", D("90.00"), D("30.00"), D("0.00"), "CO-45", "45"),
        ProcedurePayment("P2", D("45.00"), D("15.00"), D("0.00"), "CO-45", "45"),
    )
    assert plan.check.number == "TRACE1" and plan.check.payment_type_id == "80"
    assert plan.marker == f"[connector auto {plan.external_ref}]" and not plan.supplemental
    assert (
        result.decision["auto_post"]["post"] is True
        and result.decision["match"] == "claim_identifier"
    )


def test_line_matching_ignores_the_qualifier_and_uses_line_refs(claims: MemoryLedger) -> None:
    """``AD:D1110`` matches D1110; REF*6R finds its line even listed out of order."""
    lines = [
        line("AD:D0120", "60.00", "45.00", ("CO", "45", "15.00")),
        line("D9999", "120.00", "90.00", CO45, line_ref="L1"),
    ]
    plan = planned(claims, claim_payload("CLM1", "1", "180.00", "135.00", lines)).outcome
    assert isinstance(plan, InsurancePaymentPlan)
    assert [p.proc_ref for p in plan.lines] == ["P2", "P1"]


def test_deductible_and_patient_share(claims: MemoryLedger) -> None:
    """PR-1 is posted as deductible; PR-2 stays with the patient (not posted)."""
    lines = [
        line("D1110", "120.00", "70.00", ("PR", "1", "20.00"), ("PR", "2", "30.00")),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
    ]
    settings = AutoPostSettings(enabled=True, min_paid_percent_of_expected=D("80"))
    plan = planned(claims, claim_payload("CLM1", "1", "180.00", "115.00", lines), settings=settings)
    assert isinstance(plan.outcome, InsurancePaymentPlan)
    assert plan.outcome.lines[0] == ProcedurePayment(
        "P1", D("70.00"), D("0.00"), D("20.00"), "PR-1 PR-2", "1,2"
    )


def test_reason_codes_and_allowed_amount_are_carried_as_open_dental_stores_them(
    claims: MemoryLedger,
) -> None:
    """Each line carries its distinct CARC reason codes ("45,2", first-seen order, group
    dropped: Open Dental's claimproc.ClaimAdjReasonCodes) and its AMT*B6 allowed amount, and
    both survive the saved plan a retry resumes from."""
    lines = [
        line("D1110", "120.00", "70.00", ("CO", "45", "20.00"), ("PR", "2", "10.00"),
             ("OA", "45", "0.00"), allowed="90.00"),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
    ]  # fmt: skip
    settings = AutoPostSettings(
        enabled=True,
        min_paid_percent_of_expected=D("70"),
        adjustment_mappings={"OA-45": "ignore"},
    )
    result = planned(claims, claim_payload("CLM1", "1", "180.00", "115.00", lines),
                     settings=settings)  # fmt: skip
    plan = result.outcome
    assert isinstance(plan, InsurancePaymentPlan), plan
    first, second = plan.lines
    assert (first.reason_codes, first.allowed) == ("45,2", D("90.00"))
    assert (second.reason_codes, second.allowed) == ("45", None)
    saved = jsonutil.loads(jsonutil.dumps(dataclasses.asdict(plan)))
    assert insurance_plan_from(saved) == plan


def test_payment_type_by_bpr_method(claims: MemoryLedger) -> None:
    """BPR method CHK maps to the configured insurance check type."""
    settings = AutoPostSettings(enabled=True, payment_types_by_method={"CHK": "Insurance Check"})
    payload = claim_payload("CLM1", "1", "180.00", "135.00", good_lines(), method="CHK")
    plan = planned(claims, payload, settings=settings).outcome
    assert isinstance(plan, InsurancePaymentPlan) and plan.check.payment_type_id == "81"
    missing = AutoPostSettings(enabled=True, payment_type="Carrier Pigeon")
    assert review_of(planned(claims, payload, settings=missing)).reason == "payment_type_unknown"


@pytest.mark.parametrize(
    ("payload", "reason", "words"),
    [
        (
            claim_payload("NOPE", "1", "999.00", "1.00", good_lines(), payer_control="X9"),
            "claim_not_found",
            "No PMS claim matches claim NOPE",
        ),
        (
            claim_payload(
                "CLM1",
                "1",
                "180.00",
                "135.00",
                [line("D1110", "120.00", "90.00", CO45), line("D0150", "60.00", "45.00")],
            ),
            "line_not_matched",
            "line 2 D0150 2026-10-01 fee 60.00",
        ),
        (
            claim_payload(
                "CLM1",
                "1",
                "180.00",
                "135.00",
                [line("D1110", "120.00", "90.00", CO45), line("D0120", "61.00", "45.00")],
            ),
            "line_not_matched",
            "fee 61.00",
        ),
        (
            claim_payload("CLM1", "1", "180.00", "135.00", []),
            "line_not_matched",
            "lists no service lines",
        ),
        (
            claim_payload(
                "CLM1",
                "1",
                "180.00",
                "125.00",
                [
                    line("D1110", "120.00", "80.00", CO45, ("OA", "23", "10.00")),
                    line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
                ],
            ),
            "adjustment_unmapped",
            "OA-23 (other adjustment): ",
        ),
        (
            claim_payload(
                "CLM1",
                "1",
                "180.00",
                "135.00",
                good_lines(),
                adjustments=[{"group": "CO", "reason": "A2", "amount": "5.00"}],
            ),
            "adjustment_unmapped",
            "(claim level)",
        ),
        (
            claim_payload("CLM1", "1", "180.00", "140.00", good_lines()),
            "unbalanced_era",
            "service lines pay 135.00, the claim pays 140.00",
        ),
        (
            claim_payload("CLM1", "1", "180.00", "135.00", good_lines(), balanced=False),
            "unbalanced_era",
            "remittance's totals do not balance",
        ),
        (
            claim_payload("CLM1", "25", "180.00", "135.00", good_lines()),
            "predetermination",
            "an estimate of 135.00",
        ),
        (claim_payload("CLM1", "23", "180.00", "0.00", []), "claim_forwarded", "not their claim"),
        (
            claim_payload("CLM1", "99", "180.00", "0.00", []),
            "payload_invalid",
            "unknown claim status 99",
        ),
    ],
)
def test_claims_that_go_to_review(
    claims: MemoryLedger, payload: dict[str, Any], reason: str, words: str
) -> None:
    """Each special or unmatched claim goes to review with its reason in plain words."""
    decision = review_of(planned(claims, payload))
    assert decision.reason == reason
    assert words in decision.message


def test_adjustment_mapping_lets_oa_post(claims: MemoryLedger) -> None:
    """With OA-23 mapped to ignore, the line posts without it (no write-off of it)."""
    lines = [
        line("D1110", "120.00", "80.00", CO45, ("OA", "23", "10.00")),
        line("D0120", "60.00", "45.00", ("CO", "45", "15.00")),
    ]
    settings = AutoPostSettings(
        enabled=True,
        min_paid_percent_of_expected=D("90"),
        adjustment_mappings={"OA-23": "ignore", "PI": "writeoff"},
    )
    plan = planned(claims, claim_payload("CLM1", "1", "180.00", "125.00", lines), settings=settings)
    assert isinstance(plan.outcome, InsurancePaymentPlan)
    assert plan.outcome.lines[0].writeoff == D("30.00")


def test_denied_claim_lists_every_code_in_words(claims: MemoryLedger) -> None:
    """A denial posts nothing and names each CARC and RARC, unknown ones included."""
    lines = [line("D1110", "120.00", "0.00", ("CO", "29", "120.00"), remarks=("N30",))]
    payload = claim_payload(
        "CLM1",
        "4",
        "120.00",
        "0.00",
        lines,
        remarks=["ZZ9"],
        adjustments=[{"group": "CO", "reason": "999", "amount": "0.00"}],
    )
    decision = review_of(planned(claims, payload))
    assert decision.reason == "denied"
    assert codes.adjustment_words("CO", "29") in decision.message
    assert "deadline" in decision.message  # the CARC 29 wording, whichever table supplies it
    assert codes.rarc_words("N30") in decision.message and "N30: patient" in decision.message
    assert "unknown CARC 999" in decision.message and "unknown remark ZZ9" in decision.message


OFF = AutoPostSettings(enabled=True, primary_with_secondary=False)


def test_multiple_plans_with_a_balance_needs_the_secondary_claim(claims: MemoryLedger) -> None:
    """With primary_with_secondary off: primary paid part, the patient has another plan:
    flag secondary_claim_needed (nothing posted)."""
    lines = [line("D2391", "200.00", "100.00", ("PR", "2", "100.00"))]
    payload = claim_payload("CLM2", "1", "200.00", "100.00", lines)
    decision = review_of(planned(claims, payload, settings=OFF))
    assert decision.reason == "secondary_claim_needed" and "100.00 remains" in decision.message


def test_forwarded_claim_with_two_plans_is_multiple_plans(claims: MemoryLedger) -> None:
    """With primary_with_secondary off: processed as primary and forwarded (19): no claim to
    send, but two plans: multiple_plans."""
    lines = [line("D2391", "200.00", "100.00", ("PR", "2", "100.00"))]
    payload = claim_payload("CLM2", "19", "200.00", "100.00", lines)
    decision = review_of(planned(claims, payload, settings=OFF))
    assert decision.reason == "multiple_plans"


def test_primary_of_a_patient_with_two_plans_posts_and_carries_the_secondary(
    claims: MemoryLedger,
) -> None:
    """Processed as primary (1) on the patient's primary claim: posted like a one-plan claim,
    and the decision carries what the secondary claim needs, line by line."""
    lines = [
        line("D2391", "200.00", "100.00", ("CO", "45", "20.00"), ("PR", "1", "50.00"),
             ("PR", "2", "30.00")),
    ]  # fmt: skip
    payload = claim_payload("CLM2", "1", "200.00", "100.00", lines, patient_responsibility="80.00")
    result = planned(claims, payload)
    plan = result.outcome
    assert isinstance(plan, InsurancePaymentPlan), plan
    assert plan.lines == (
        ProcedurePayment("P3", D("100.00"), D("20.00"), D("50.00"), "CO-45 PR-1 PR-2",
                         reason_codes="45,1,2"),
    )  # fmt: skip
    assert result.decision["auto_post"]["inputs"]["primary_with_secondary"] is True
    secondary = result.decision["secondary_claim"]
    assert (secondary["claim_id"], secondary["patient_id"]) == ("C2", "3")
    assert (secondary["paid"], secondary["writeoff"], secondary["deductible"]) == (
        "100.00",
        "20.00",
        "50.00",
    )
    assert (secondary["patient_portion"], secondary["open_balance"]) == ("80.00", "80.00")
    [row] = secondary["lines"]
    assert (row["proc_ref"], row["code"], row["charge"], row["patient"]) == (
        "P3",
        "D2391",
        "200.00",
        "30.00",
    )
    assert [(a["group"], a["reason"], a["amount"]) for a in row["adjustments"]] == [
        ("CO", "45", "20.00"),
        ("PR", "1", "50.00"),
        ("PR", "2", "30.00"),
    ]


def test_forwarded_primary_posts_without_a_secondary_to_send(claims: MemoryLedger) -> None:
    """Processed as primary and forwarded by the payer (19): posted; the payer sends the
    secondary claim itself, so none is listed."""
    lines = [line("D2391", "200.00", "100.00", ("PR", "2", "100.00"))]
    result = planned(claims, claim_payload("CLM2", "19", "200.00", "100.00", lines))
    assert isinstance(result.outcome, InsurancePaymentPlan)
    assert result.decision["secondary_claim"] is None


@pytest.mark.parametrize(
    ("status", "claim_type"),
    [("2", "primary"), ("3", "primary"), ("1", "secondary"), ("2", "secondary")],
)
def test_ambiguous_two_plan_claims_stay_multiple_plans(
    claims: MemoryLedger, status: str, claim_type: str
) -> None:
    """Processed as secondary or tertiary, or a PMS claim that is not the primary one: the
    connector does not post it (multiple_plans), whatever the setting."""
    claims.claims["C2"].claim_type = claim_type
    lines = [line("D2391", "200.00", "100.00", ("PR", "2", "100.00"))]
    decision = review_of(planned(claims, claim_payload("CLM2", status, "200.00", "100.00", lines)))
    assert decision.reason == "multiple_plans"


def test_claim_found_only_by_date_and_charge_is_offered_not_posted(claims: MemoryLedger) -> None:
    """A match by service date and charge alone is a candidate for a person, never posted."""
    payload = claim_payload("WRONG", "1", "180.00", "135.00", good_lines(), payer_control="X1")
    decision = review_of(planned(claims, payload))
    assert decision.reason == "claim_not_found"
    assert "PMS claim C1 matches only by date and charge" in decision.message


def test_claim_already_received_is_not_paid_twice(claims: MemoryLedger) -> None:
    """A claim a person already received with money on it is reviewed, not posted again."""
    claims.claims["C1"].received = True
    claims.claims["C1"].lines[0].paid = D("90.00")
    decision = review_of(
        planned(claims, claim_payload("CLM1", "1", "180.00", "135.00", good_lines()))
    )
    assert decision.reason == "claim_already_received" and "90.00 paid" in decision.message


def test_test_file_claims_are_ignored(claims: MemoryLedger) -> None:
    """A claim from a test file never posts and needs nobody."""
    result = planned(
        claims, claim_payload("CLM1", "1", "180.00", "135.00", good_lines(), test=True)
    )
    assert result.outcome == Ignore("test_file")


def reversal_lines() -> list[dict[str, Any]]:
    return [
        line("D1110", "-120.00", "-90.00", ("CO", "45", "-30.00")),
        line("D0120", "-60.00", "-45.00", ("CO", "45", "-15.00")),
    ]


def test_reversal_of_our_own_posting_negates_it(claims: MemoryLedger) -> None:
    """A 22 whose original the connector posted becomes a negative supplemental plan."""
    original = stored(
        new_claim(claim_payload("CLM1", "1", "180.00", "135.00", good_lines())),
        item_id=3,
        status=ItemStatus.POSTED,
    )
    claims.claims["C1"].received = True
    payload = claim_payload("CLM1", "22", "-180.00", "-135.00", reversal_lines())
    result = planned(claims, payload, related=[original])
    plan = result.outcome
    assert isinstance(plan, InsurancePaymentPlan) and plan.supplemental
    assert [(p.paid, p.writeoff) for p in plan.lines] == [
        (D("-90.00"), D("-30.00")),
        (D("-45.00"), D("-15.00")),
    ]
    assert result.decision["reverses"] == original.key


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, "reversal_of_manual_post"),
        (ItemStatus.REVIEW, "reversal_of_manual_post"),
        (ItemStatus.RECEIVED, "defer"),
    ],
)
def test_reversal_without_our_posting(
    claims: MemoryLedger, status: ItemStatus | None, expected: str
) -> None:
    """A 22 of a claim a person posted (or never seen) is reviewed; of one waiting, deferred."""
    related = []
    if status is not None:
        related = [
            stored(
                new_claim(claim_payload("CLM1", "1", "180.00", "135.00", good_lines())),
                item_id=3,
                status=status,
            )
        ]
    result = planned(
        claims, claim_payload("CLM1", "22", "-180.00", "-135.00", reversal_lines()), related=related
    )
    if expected == "defer":
        assert isinstance(result.outcome, Defer)
    else:
        assert review_of(result).reason == expected


def test_a_second_reversal_of_one_posting_goes_to_review(claims: MemoryLedger) -> None:
    """A 22 for a posting the connector already reversed (another reversal item, e.g. the same
    remittance re-sent under another key) is reviewed, never planned (issue #14)."""
    original = stored(
        new_claim(claim_payload("CLM1", "1", "180.00", "135.00", good_lines())),
        item_id=3,
        status=ItemStatus.POSTED,
    )
    first = claim_payload("CLM1", "22", "-180.00", "-135.00", reversal_lines())
    first["remittance_key"] = "era:OTHER:TRACE:-135.00:20261101"
    reversed_once = stored(new_claim(first), item_id=5, status=ItemStatus.POSTED)
    claims.claims["C1"].received = True
    payload = claim_payload("CLM1", "22", "-180.00", "-135.00", reversal_lines())
    result = planned(claims, payload, related=[original, reversed_once])
    decision = review_of(result)
    assert decision.reason == "reversal_already_posted"
    assert reversed_once.key in decision.message
    assert result.decision["reversed_by"] == [reversed_once.key]


def test_a_pms_without_insurance_payment_types_uses_its_one_list(claims: MemoryLedger) -> None:
    """Dentrix/Eaglesoft keep one payment type list: the configured insurance type is found
    there, even when hidden from the patient payment screen."""
    claims.types = [t for t in claims.types if t.category != "insurance_payment"]
    claims.add_type("75", "Insurance EFT", "payment", hidden=True)
    settings = AutoPostSettings(enabled=True, payment_type="Insurance EFT")
    payload = claim_payload("CLM1", "1", "180.00", "135.00", good_lines())
    plan = planned(claims, payload, settings=settings).outcome
    assert isinstance(plan, InsurancePaymentPlan) and plan.check.payment_type_id == "75"


def test_a_pms_with_insurance_types_never_takes_a_patient_type(claims: MemoryLedger) -> None:
    """Where insurance types exist (Open Dental), a patient payment type name is not accepted."""
    settings = AutoPostSettings(enabled=True, payment_type="Online Payment")
    payload = claim_payload("CLM1", "1", "180.00", "135.00", good_lines())
    assert review_of(planned(claims, payload, settings=settings)).reason == "payment_type_unknown"


def _office(led: MemoryLedger, **kw: Any) -> MemoryLedger:
    """The ledger keeps the office's own ERA choices (as Open Dental's Era* preferences do)."""
    office = OfficeEraSettings(sources={k: f"office {k}" for k in
                                        ("payment_types.ACH", "payment_types.", "writeoffs",
                                         "no_auto_carcs")}, **kw)  # fmt: skip
    led.office_era_settings = lambda: office  # type: ignore[attr-defined]
    return led


def test_office_payment_type_is_the_default_the_yaml_overrides(claims: MemoryLedger) -> None:
    """Without a YAML payment type the office's type for the BPR method is used (its source
    recorded); a type the YAML sets wins."""
    led = _office(claims, payment_types={"ACH": "81", "": "80"})
    payload = claim_payload("CLM1", "1", "180.00", "135.00", good_lines(), method="ACH")
    result = planned(led, payload)
    assert isinstance(result.outcome, InsurancePaymentPlan)
    assert result.outcome.check.payment_type_id == "81"
    assert result.decision["payment_type_from"] == "office payment_types.ACH"
    chosen = AutoPostSettings(enabled=True, payment_type="Insurance EFT")
    result = planned(led, payload, settings=chosen)
    assert isinstance(result.outcome, InsurancePaymentPlan)
    assert result.outcome.check.payment_type_id == "80"


def test_office_writeoff_policy_and_excluded_codes(claims: MemoryLedger) -> None:
    """ "Primary only": a claim the ERA marks secondary (CLP02 2) with a contractual write-off
    is not posted, a primary one is; the YAML's own setting wins; a CARC on the office's list
    sends the claim to review."""
    led = _office(claims, payment_types={"": "80"}, writeoffs="primary_only")
    secondary = claim_payload("CLM1", "2", "180.00", "135.00", good_lines())
    assert review_of(planned(led, secondary)).reason == "writeoffs_disabled"
    primary = planned(led, claim_payload("CLM1", "1", "180.00", "135.00", good_lines()))
    assert isinstance(primary.outcome, InsurancePaymentPlan)
    assert primary.decision["writeoffs_from"] == "office writeoffs"
    yaml = AutoPostSettings(enabled=True, post_contracted_writeoffs=True)
    assert isinstance(planned(led, secondary, settings=yaml).outcome, InsurancePaymentPlan)
    excluded = _office(claims, payment_types={"": "80"}, no_auto_carcs=("97", "45"))
    review = review_of(planned(excluded, claim_payload("CLM1", "1", "180.00", "135.00",
                                                       good_lines())))  # fmt: skip
    assert review.reason == "carc_excluded" and "45" in review.message
