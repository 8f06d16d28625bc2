"""Every entry stamp an adapter writes is the injected clock's time in the practice's zone.

Project rule: time is injected. An adapter that stamps rows itself (Dentrix ``createdate``,
Eaglesoft ``date_entered`` and ``freshness``) writes ``local_now(clock, timezone)`` — not the
connector machine's wall clock, not the database server's. The clock here stands at 03:00 UTC
on 20 November, which is 17:00 on 19 November in Honolulu, and the machine's own zone is set
to Tokyo (20 November, noon): a stamp from any other source shows another day or hour.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.base import ClaimMatch
from connector.clock import FixedClock, local_now
from connector.domain import AllocationMode, PatientNote, ProcedurePayment, Split
from tests.conftest import TEST_NOW
from tests.contract.harness import Harness
from tests.contract.plans import insurance_plan, payment_plan, reversal_plan

pytestmark = pytest.mark.external_service
D = Decimal
PRACTICE_ZONE = "Pacific/Honolulu"
MOMENT = TEST_NOW.replace(hour=3)  # 2026-11-20 03:00 UTC = 2026-11-19 17:00 in Honolulu


@pytest.fixture
def machine_in_tokyo() -> Iterator[None]:
    """The process's local zone is Asia/Tokyo for the test (neither UTC nor the practice's)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_entry_stamps_are_the_injected_clock_in_the_practice_zone(
    harness: Harness, machine_in_tokyo: None
) -> None:
    """A payment, its refund, a patient note and an insurance payment written through a ledger
    given a fixed clock and the practice's zone carry that clock's practice-local time on
    every stamp; adapters that stamp rows themselves stamp some."""
    sc = harness.scenario
    clock = FixedClock(MOMENT)
    expected = local_now(clock, PRACTICE_ZONE)
    assert expected == dt.datetime(2026, 11, 19, 17, 0)
    assert dt.datetime.fromtimestamp(MOMENT.timestamp()).date() == dt.date(2026, 11, 20)
    ledger = harness.ledger(clock=clock, timezone=PRACTICE_ZONE)
    try:
        paid = ledger.post_patient_payment(
            payment_plan(
                "txn_clock_paid",
                sc.family_member,
                D("30.00"),
                (Split(D("30.00"), sc.family_member),),
                payment_type=sc.payment_type,
                day=sc.today,
                mode=AllocationMode.POST_ONLY,
            )
        )
        refund = ledger.post_reversal(
            reversal_plan(
                "txn_clock_refund",
                "txn_clock_paid",
                paid.pms_ids,
                sc.family_member,
                D("10.00"),
                day=sc.today,
                adjustment_type=sc.refund_adjustment_type,
            )
        )
        note = ledger.add_patient_note(
            PatientNote(
                sc.guarantor, "Paid 30.00.", dt.datetime(2026, 11, 19, 16, 59), "txn_clock_note"
            )
        )
        (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
        line = claim.lines[0]
        insurance = ledger.post_insurance_payment(
            insurance_plan(
                "era:T:EFTCLOCK:40.00:20261119:1/1::1",
                claim.claim_id,
                claim.patient_id,
                (ProcedurePayment(line.proc_ref, paid=D("40.00"), writeoff=D("5.00")),),
                day=sc.today,
                payment_type=sc.insurance_payment_type,
            ),
            harness.journal(),
        )
    finally:
        ledger.close()
    written = (paid.pms_ids, refund.pms_ids, note, insurance.pms_ids)
    stamps = [stamp for ids in written for stamp in harness.entry_stamps(ids)]
    assert [_naive(s) for s in stamps] == [expected] * len(stamps)
    if sc.stamps_entries:
        assert stamps, f"{harness.name} stamps rows but none were read back"


def _naive(value: dt.datetime) -> dt.datetime:
    """A stored stamp as the PMS keeps it (whole seconds, no zone)."""
    return value.replace(microsecond=0, tzinfo=None)
