"""The auto-post decision: every branch of plans × enabled × threshold × write-offs, and more."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from connector.config import AutoPostRules, AutoPostSettings
from connector.posting.era_rules import decide, percent_of, rules_for

D = Decimal
EXPECTED = D("200.00")


def _expected_outcome(plans: int, enabled: bool, met: bool, writeoffs_on: bool) -> str | None:
    """The rule as practices read it: the first criterion (in the documented order) that fails."""
    if plans != 1:
        return "multiple_plans"
    if not enabled:
        return "auto_post_disabled"
    if not met:
        return "paid_below_threshold"
    if not writeoffs_on:
        return "writeoffs_disabled"
    return None


CASES = [
    pytest.param(
        plans,
        enabled,
        met,
        writeoffs_on,
        _expected_outcome(plans, enabled, met, writeoffs_on),
        id=f"plans{plans}-{'on' if enabled else 'off'}-{'met' if met else 'below'}-"
        f"wo{'on' if writeoffs_on else 'off'}",
    )
    for plans, enabled, met, writeoffs_on in itertools.product(
        (1, 2), (True, False), (True, False), (True, False)
    )
]

# The 16 rows written out, so the table reads as the specification it is.
TABLE = {
    (1, True, True, True): None,
    (1, True, True, False): "writeoffs_disabled",
    (1, True, False, True): "paid_below_threshold",
    (1, True, False, False): "paid_below_threshold",
    (1, False, True, True): "auto_post_disabled",
    (1, False, True, False): "auto_post_disabled",
    (1, False, False, True): "auto_post_disabled",
    (1, False, False, False): "auto_post_disabled",
    (2, True, True, True): "multiple_plans",
    (2, True, True, False): "multiple_plans",
    (2, True, False, True): "multiple_plans",
    (2, True, False, False): "multiple_plans",
    (2, False, True, True): "multiple_plans",
    (2, False, True, False): "multiple_plans",
    (2, False, False, True): "multiple_plans",
    (2, False, False, False): "multiple_plans",
}


@pytest.mark.parametrize(("plans", "enabled", "met", "writeoffs_on", "outcome"), CASES)
def test_every_branch_of_the_decision(
    plans: int, enabled: bool, met: bool, writeoffs_on: bool, outcome: str | None
) -> None:
    """Each of the 16 combinations posts or reviews with the reason the table gives."""
    assert TABLE[(plans, enabled, met, writeoffs_on)] == outcome
    rules = AutoPostRules(
        enabled=enabled,
        min_paid_percent_of_expected=D("90"),
        post_contracted_writeoffs=writeoffs_on,
    )
    paid = D("180.00") if met else D("179.99")  # 90 % of 200.00 is exactly 180.00
    decision = decide(rules, plan_count=plans, expected=EXPECTED, paid=paid, writeoff=D("20.00"))
    assert decision.post is (outcome is None)
    assert decision.reason == outcome
    failed = {
        "multiple_plans": plans != 1,
        "auto_post_disabled": not enabled,
        "paid_below_threshold": not met,
        "writeoffs_disabled": not writeoffs_on,
    }
    assert set(decision.failed) == {name for name, bad in failed.items() if bad}
    assert decision.inputs["plan_count"] == plans and decision.inputs["paid"] == paid


def test_writeoffs_off_does_not_block_a_claim_without_writeoffs() -> None:
    """With write-off posting off, a claim that has no contractual write-off still posts."""
    rules = AutoPostRules(enabled=True, post_contracted_writeoffs=False)
    assert decide(rules, plan_count=1, expected=EXPECTED, paid=EXPECTED, writeoff=D("0.00")).post


def test_max_claim_amount_guard() -> None:
    """A payment above max_claim_amount is reviewed; at the limit it posts."""
    rules = AutoPostRules(enabled=True, max_claim_amount=D("150.00"))
    above = decide(rules, plan_count=1, expected=D("150.01"), paid=D("150.01"), writeoff=D("0"))
    at = decide(rules, plan_count=1, expected=D("150.00"), paid=D("150.00"), writeoff=D("0"))
    assert above.reason == "max_claim_amount" and at.post


def test_nothing_expected_meets_any_threshold() -> None:
    """When the PMS expected nothing, any payment meets the percentage; the percent reads n/a."""
    decision = decide(
        AutoPostRules(enabled=True),
        plan_count=1,
        expected=D("0.00"),
        paid=D("10.00"),
        writeoff=D("0.00"),
    )
    assert decision.post and decision.inputs["percent"] is None
    assert percent_of(D("45.00"), D("60.00")) == D("75.00")


def test_per_payer_rules_replace_the_practice_rules() -> None:
    """A payer listed in per_payer gets its own rules; others get the practice's."""
    settings = AutoPostSettings(
        enabled=False,
        per_payer={"DELTA": AutoPostRules(enabled=True, min_paid_percent_of_expected=D("50"))},
    )
    rules, source = rules_for(settings, "DELTA")
    assert source == "payer:DELTA" and rules.enabled
    other, other_source = rules_for(settings, "AETNA")
    assert other_source == "practice" and not other.enabled
    decision = decide(
        rules,
        plan_count=1,
        expected=D("100"),
        paid=D("50"),
        writeoff=D("0"),
        payer_id="DELTA",
        rules_from=source,
    )
    assert decision.post


def test_review_message_shows_expected_paid_and_percentage() -> None:
    """The paid_below_threshold review tells staff expected, paid and the percentage in words."""
    decision = decide(
        AutoPostRules(enabled=True),
        plan_count=1,
        expected=D("200.00"),
        paid=D("150.00"),
        writeoff=D("0"),
    )
    review = decision.review(patient_control="CLM1")
    assert review.reason == "paid_below_threshold"
    assert review.message == (
        "Matched but did not meet auto posting criteria: paid 150.00 of "
        "200.00 expected (75.00%), below the 100% minimum."
    )
    assert review.details["decision"]["inputs"]["expected"] == "200.00"
    with pytest.raises(ValueError, match="met every"):
        decide(
            AutoPostRules(enabled=True), plan_count=1, expected=D("1"), paid=D("1"), writeoff=D("0")
        ).review()
