"""Open Dental's own ERA automation, read over ODBC from the real MariaDB, and the check-config
warning when the PMS and the connector would both auto-post the same payer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.base import CarrierEraAutomation, EraAutomation
from connector.posting.era_automation import automation_warnings, conflicts
from tests.posting.helpers import practice
from tests.support.opendental import OdContext

pytestmark = pytest.mark.external_service


def execute(od: OdContext, sql: str) -> None:
    """One statement as the database administrator (test set-up only)."""
    conn = od.db.admin()
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@pytest.fixture
def automated(od: OdContext) -> Iterator[OdContext]:
    """The office on 'Fully automatic'; Delta set to 'Review all', MetLife to 'Fully
    automatic'; restored afterwards (the per-test reset leaves these tables alone)."""
    execute(od, "INSERT INTO preference (PrefName, ValueString) VALUES "
               "('EraAutomationBehavior', '3')")  # fmt: skip
    execute(od, "UPDATE carrier SET EraAutomationOverride = 1 WHERE ElectID = '94276'")
    execute(od, "UPDATE carrier SET EraAutomationOverride = 3 WHERE ElectID = '65978'")
    try:
        yield od
    finally:
        execute(od, "DELETE FROM preference WHERE PrefName = 'EraAutomationBehavior'")
        execute(od, "UPDATE carrier SET EraAutomationOverride = 0")


def test_reads_the_office_mode_and_the_carrier_overrides(automated: OdContext) -> None:
    """EraAutomationBehavior and each carrier's EraAutomationOverride, in our words."""
    info = automated.ledger().era_automation()
    assert info == EraAutomation("fully_automatic", (
        CarrierEraAutomation("Delta Dental of Example", "94276", "review_all"),
        CarrierEraAutomation("MetLife Example", "65978", "fully_automatic")))  # fmt: skip


def test_the_seed_without_the_preference_reviews_all(od: OdContext) -> None:
    """No EraAutomationBehavior row (before 21.1.6, or never changed): 'review all'."""
    assert od.ledger().era_automation() == EraAutomation("review_all", ())


def test_check_config_warns_when_both_would_auto_post(automated: OdContext) -> None:
    """Auto-posting on in the connector: the office-wide warning and MetLife's."""
    warnings = automation_warnings(practice(), automated.ledger())
    assert len(warnings) == 2
    assert "Open Dental posts ERAs itself for the office" in warnings[0]
    assert "'MetLife Example' (payer id 65978)" in warnings[1]
    assert automation_warnings(practice(auto_post={"enabled": False}), automated.ledger()) == []


def test_per_payer_rules_decide_which_carriers_conflict() -> None:
    """Only a payer the connector auto-posts and the PMS posts fully automatically."""
    carriers = (
        CarrierEraAutomation("A", "111", "fully_automatic"),
        CarrierEraAutomation("B", "222", "fully_automatic"),
        CarrierEraAutomation("C", "333", "semi_automatic"),
    )
    per_payer = {"111": {"enabled": True}, "333": {"enabled": True}}
    settings = practice(auto_post={"enabled": False, "per_payer": per_payer})
    (warning,) = conflicts(settings, EraAutomation("review_all", carriers))
    assert "'A' (payer id 111)" in warning
