"""Pure row-to-record rules of the Open Dental adapter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.base import ChargeKind, OpenCharge, PatientStatus
from adapters.opendental import mapping
from adapters.opendental.allocation import predict_auto_split, same_splits
from connector.domain import Split

D = Decimal


def test_charge_due_nets_insurance_adjustments_and_payments() -> None:
    """fee - insurance paid - estimates (unless the pref says not to) + adjustments - payments."""
    args = (D("1200.00"), D("0.00"), D("750.00"), D("-50.00"), D("100.00"))
    assert mapping.charge_due(*args, subtract_estimates=True) == D("300.00")
    assert mapping.charge_due(*args, subtract_estimates=False) == D("1050.00")


def test_open_charges_follow_the_balances_pref_and_order() -> None:
    """Rows become charges oldest first, procedures before adjustments; zero-due rows drop."""
    day = dt.date(2025, 1, 10)
    rows = [
        ("adjustment", 9, 1, 1, 0, day, None, D("25"), 0, 0, 0, D("0"), None),
        ("procedure", 5, 1, 3, 0, day, "D1110", D("95"), D("80"), D("0"), D("0"), D("0"), "0"),
        ("procedure", 4, 2, 2, 0, day, "D0120", D("60"), D("0"), D("48"), D("0"), D("0"), "1"),
        ("procedure", 7, 2, 2, 0, day, "D0120", D("60"), D("60"), D("0"), D("0"), D("0"), "0"),
    ]
    charges = mapping.open_charges(rows)
    assert [(c.kind, c.charge_ref, c.amount_due) for c in charges] == [
        (ChargeKind.PROCEDURE, "4", D("60.00")),  # pref BalancesDontSubtractIns=1 on this row
        (ChargeKind.PROCEDURE, "5", D("15.00")),
        (ChargeKind.ADJUSTMENT, "9", D("25.00")),
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, PatientStatus.ACTIVE), (1, PatientStatus.NON_PATIENT), (2, PatientStatus.INACTIVE),
     (3, PatientStatus.ARCHIVED), (4, PatientStatus.DELETED), (5, PatientStatus.INACTIVE),
     (6, PatientStatus.NON_PATIENT)],
)  # fmt: skip
def test_patient_status_mapping(status: int, expected: PatientStatus) -> None:
    """Open Dental's PatStatus numbers map onto the connector's statuses."""
    record = mapping.patient_record((12, 10, status, 3, 0, 1))
    assert record.status is expected
    assert (record.guarantor_id, record.provider_id, record.clinic_id) == ("10", "3", None)


@pytest.mark.parametrize("text", ["12", " 12 "])
def test_key_accepts_digits(text: str) -> None:
    """Numeric ids become Open Dental keys."""
    assert mapping.key(text) == 12


@pytest.mark.parametrize("text", ["", "0", "-3", "12a", "1.5", None])
def test_key_rejects_non_ids(text: str | None) -> None:
    """Anything that is not a positive integer is not an Open Dental key."""
    assert mapping.key(text) is None


def _charge(ref: str, kind: ChargeKind, due: str, day: int) -> OpenCharge:
    return OpenCharge(ref, kind, "1", "1", dt.date(2025, 1, day), D(due))


def test_prediction_matches_open_dentals_fifo() -> None:
    """The predicted auto-split walks charges in order and leaves the rest unearned."""
    charges = [_charge("1", ChargeKind.PROCEDURE, "10.00", 1),
               _charge("2", ChargeKind.ADJUSTMENT, "5.00", 1),
               _charge("3", ChargeKind.PROCEDURE, "20.00", 2)]  # fmt: skip
    got = predict_auto_split(charges, D("40.00"), payer_id="1")
    assert [(p.charge_ref, p.amount) for p in got] == [
        ("1", D("10.00")), ("2", D("5.00")), ("3", D("20.00")), (None, D("5.00"))]  # fmt: skip
    plan = (
        Split(D("10.00"), "1", "1", "1", "procedure"),
        Split(D("5.00"), "1", "1", "2", "adjustment"),
        Split(D("20.00"), "1", "1", "3", "procedure"),
        Split(D("5.00"), "1"),
    )
    assert same_splits(plan, got)
    only = predict_auto_split(charges, D("15.00"), payer_id="1", only_procs=["3"])
    assert [(p.charge_ref, p.amount) for p in only] == [("3", D("15.00"))]
    assert not same_splits(plan[:1], only)
