"""The one claim-matching rule (engine side): CLP01, then CLP07, then service dates + charge;
one claim found, several (review), or none (next criterion)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import ClaimMatch
from adapters.memory import MemoryLedger
from connector.config import AutoPostSettings
from connector.domain import InsurancePaymentPlan, ReviewDecision
from connector.posting.era_claims import plan_claim
from connector.posting.outcomes import Planned
from tests.posting.helpers import claim_payload, line, new_claim, stored

D = Decimal
LINES = [{"proc_ref": "P1", "code": "D1110", "fee": "120.00", "expected": "120.00"}]


def era_lines() -> list[dict[str, Any]]:
    return [line("D1110", "120.00", "120.00")]


def add(led: MemoryLedger, claim_id: str, identifier: str, **extra: Any) -> None:
    """A one-line claim of 120.00 on 2026-10-01 (the ERA's service date) unless told."""
    led.add_claim(
        claim_id,
        patient=extra.pop("patient", "1"),
        identifier=identifier,
        date=extra.pop("date", "2026-10-01"),
        lines=extra.pop("lines", LINES),
        **extra,
    )


def plan(led: MemoryLedger, control: str, payer_control: str = "PCN1") -> Planned:
    payload = claim_payload(
        control, "1", "120.00", "120.00", era_lines(), payer_control=payer_control
    )
    return plan_claim(
        stored(new_claim(payload)),
        AutoPostSettings(enabled=True),
        led,
        remittance=None,
        related=[],
    )


def review_of(result: Planned) -> ReviewDecision:
    assert isinstance(result.outcome, ReviewDecision), result.outcome
    return result.outcome


def test_two_claims_with_the_same_identifier_go_to_review_with_both_ids(
    led: MemoryLedger,
) -> None:
    """CLP01 naming two PMS claims is ``claim_ambiguous`` with both claim ids, never a guess,
    even when CLP07 would name one claim alone."""
    add(led, "C1", "CLM1")
    add(led, "C2", "CLM1", patient="3")
    add(led, "C3", "OTHER", payer_claim_control="PCN1")
    result = plan(led, "CLM1")
    decision = review_of(result)
    assert decision.reason == "claim_ambiguous"
    assert "fits 2 PMS claims by claim id (CLP01): C1, C2" in decision.message
    assert decision.details["candidate_claim_ids"] == ["C1", "C2"]
    assert result.decision["match"] == "claim_identifier"
    assert result.decision["candidate_claim_ids"] == ["C1", "C2"]
    assert "claim_id" not in result.decision


def test_two_claims_on_the_service_date_with_the_charge_go_to_review(led: MemoryLedger) -> None:
    """When only the service date and charge fit, and two claims fit, both are listed."""
    add(led, "C1", "A")
    add(led, "C2", "B", patient="3")
    result = plan(led, "NOPE", payer_control="NOPE")
    decision = review_of(result)
    assert decision.reason == "claim_ambiguous"
    assert "by service date and charge: C1, C2" in decision.message
    assert result.decision["match"] == "service_and_charge"


def test_identifier_is_tried_before_the_payer_claim_number(led: MemoryLedger) -> None:
    """A claim found by CLP01 is the one posted to, even if CLP07 names another."""
    add(led, "C1", "CLM1")
    add(led, "C2", "OTHER", payer_claim_control="PCN1")
    result = plan(led, "CLM1")
    assert isinstance(result.outcome, InsurancePaymentPlan)
    assert result.outcome.claim_id == "C1"
    assert (result.decision["match"], result.decision["claim_id"]) == ("claim_identifier", "C1")


def test_payer_claim_number_is_tried_before_service_dates(led: MemoryLedger) -> None:
    """With no claim by CLP01, the claim CLP07 names is posted to, though it and another claim
    both fit the service date and charge."""
    add(led, "C1", "A")
    add(led, "C2", "B", patient="3", payer_claim_control="PCN7")
    result = plan(led, "NOPE", payer_control="PCN7")
    assert isinstance(result.outcome, InsurancePaymentPlan)
    assert result.outcome.claim_id == "C2"
    assert result.decision["match"] == "payer_claim_control"


def test_service_dates_are_the_last_criterion_and_only_offer_a_candidate(
    led: MemoryLedger,
) -> None:
    """Nothing by CLP01 or CLP07: one claim by date and charge is named, not posted to."""
    add(led, "C1", "A")
    add(led, "C9", "B", date="2026-10-02")  # outside the ERA's service date
    result = plan(led, "NOPE", payer_control="NOPE")
    decision = review_of(result)
    assert decision.reason == "claim_not_found"
    assert "PMS claim C1 matches only by date and charge" in decision.message
    assert result.decision["candidate_claim_id"] == "C1"
    assert result.decision["candidate_claim_ids"] == ["C1"]


def test_a_predetermination_is_never_a_service_date_candidate(led: MemoryLedger) -> None:
    """A PMS predetermination on the date with the charge is not offered as the claim."""
    add(led, "C1", "A", claim_type="preauth")
    result = plan(led, "NOPE", payer_control="NOPE")
    decision = review_of(result)
    assert decision.reason == "claim_not_found" and "matches only" not in decision.message
    assert result.decision["match"] is None and result.decision["candidate_claim_ids"] == []


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"claim_identifier": "A", "payer_claim_control": "B"},
        {"claim_identifier": ""},
        {"payer_claim_control": ""},
        {"claim_identifier": "A", "service_from": dt.date(2026, 1, 1)},
        {"claim_identifier": "A", "total_charge": D("1.00")},
        {"payer_claim_control": "B", "patient_id": "1"},
        {"service_from": dt.date(2026, 1, 2), "service_to": dt.date(2026, 1, 1)},
    ],
)
def test_a_claim_match_takes_exactly_one_criterion(fields: dict[str, Any]) -> None:
    """No criterion, two criteria, or narrowing without a service window is refused."""
    with pytest.raises(ValueError):
        ClaimMatch(**fields)
