"""The reason catalogue: documented, stable, and rendered safely."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from connector.posting import codes
from connector.posting.reasons import REASONS, describe, render, review
from tests.support.paths import REPO

DOC = REPO / "docs" / "review-reasons.md"


def _documented() -> dict[str, bool]:
    rows = {}
    for match in re.finditer(r"^\| `([a-z_]+)` \|.*\| (yes|no) \|$", DOC.read_text(), re.M):
        rows[match.group(1)] = match.group(2) == "yes"
    return rows


def test_every_reason_is_documented_with_its_retry_flag() -> None:
    """docs/review-reasons.md lists exactly the codes in the catalogue, with the same retry flag."""
    documented = _documented()
    assert set(documented) == set(REASONS)
    assert {code: r.retry_helps for code, r in REASONS.items()} == documented


def test_review_renders_fields_and_keeps_details_json_safe() -> None:
    """Messages fill their fields; details keep amounts as text; a missing field shows '?'."""
    decision = review("patient_not_found", amount=Decimal("12.50"), reference="ch_9")
    assert decision.message == "Payment of 12.50 (ch_9) names patient ?, who is not in the PMS."
    assert decision.details == {"amount": "12.50", "reference": "ch_9"}
    assert render("{a} {b}", {"a": None}) == "none ?"


def test_unknown_codes_are_described_not_crashed() -> None:
    """An unknown reason code (from a newer build) still gets a readable description."""
    assert describe("brand_new_reason").title == "brand new reason"
    with pytest.raises(KeyError):
        review("brand_new_reason")


def test_code_lookup_can_be_pointed_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replacing codes.lookup changes every message, which is how the full X12 tables plug in."""

    class Full:
        def carc(self, code: str) -> str | None:
            return f"full text {code}"

        def rarc(self, code: str) -> str | None:
            return None

        def plb(self, code: str) -> str | None:
            return None

    monkeypatch.setattr(codes, "lookup", Full())
    assert codes.carc_words("45") == "45: full text 45"
    assert codes.rarc_words("N1") == "unknown remark N1"
    assert codes.adjustment_words("PR", "2").startswith("PR-2 (patient responsibility): full")


def test_review_messages_and_era_inspect_read_one_code_table() -> None:
    """The posting words and the ERA report's words come from connector.x12codes alone."""
    from connector import x12codes

    for code in ("45", "A2", "B7"):
        assert codes.carc_words(code) == f"{code}: {x12codes.carc(code)}"
    assert codes.rarc_words("HE:N432") == f"HE:N432: {x12codes.rarc('N432')}"
    assert codes.plb_words("WO") == f"WO: {x12codes.plb_reason('WO')}"
    assert codes.adjustment_words("CO", "45").startswith("CO-45 (contractual obligation): ")
    assert not {"CARCS", "RARCS", "GROUPS", "PLB_REASONS"} & set(vars(codes))
