"""Contract: a deposit grouping posted payments, on every adapter that has a sanctioned deposit
write (``adapters.books.Deposits``): written once, found again by its marker after a crash
between the PMS write and our record. Dentrix G and Eaglesoft have none (docs/vendors/): the
engine prints the deposit slip instead, and the suite checks they do not claim one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal as D
from typing import Any

import pytest

from adapters.base import Ledger, marker_for
from adapters.books import Deposits
from connector.domain import AllocationMode, DepositPlan, Split
from connector.errors import TransientError
from tests.contract.harness import Harness
from tests.contract.plans import payment_plan

NO_DEPOSIT_WRITE = {"dentrix", "eaglesoft"}


@pytest.fixture
def deposits_on(harness: Harness) -> Iterator[None]:
    """Open Dental at 25.4.40 (POST /deposits exists from 25.4.33); other adapters as they are."""
    od: Any = getattr(harness, "od", None)
    if od is None:
        yield
        return
    sql = "UPDATE preference SET ValueString = ? WHERE PrefName = 'DataBaseVersion'"
    [(before,)] = od.db.rows(
        "SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion'"
    )
    conn = od.db.admin()
    try:
        conn.cursor().execute(sql, "25.4.40.0")
        yield
    finally:
        conn.cursor().execute(sql, before)
        conn.close()


def _deposit(harness: Harness, ledger: Ledger, key: str) -> DepositPlan:
    sc = harness.scenario
    entries = []
    for n, amount in enumerate((D("40.00"), D("25.00"))):
        split = (Split(amount, sc.guarantor),)
        plan = payment_plan(f"txn_dep_{key}_{n}", sc.guarantor, amount, split,
                            payment_type=sc.payment_type, day=sc.today,
                            mode=AllocationMode.POST_ONLY)  # fmt: skip
        entries.append(dict(ledger.post_patient_payment(plan).pms_ids))
    ref = f"deposit:po_{key}"
    return DepositPlan(ref, marker_for(ref), sc.today + dt.timedelta(days=2), D("63.04"),
                       tuple(entries), "Stripe payout: 2 postings")  # fmt: skip


def test_deposit_written_once(harness: Harness, ledger: Ledger, deposits_on: None) -> None:
    """The deposit is written with the bank amount; posting it again, or from a fresh adapter
    (after a restart), returns the first one."""
    if harness.name in NO_DEPOSIT_WRITE:
        assert not isinstance(ledger, Deposits)
        return
    assert isinstance(ledger, Deposits) and ledger.supports_deposits()
    plan = _deposit(harness, ledger, "once")
    first = ledger.post_deposit(plan)
    assert first.amount == D("63.04") and not first.already_existed
    again = ledger.post_deposit(plan)
    fresh = harness.ledger()
    assert isinstance(fresh, Deposits)
    after_restart = fresh.post_deposit(plan)
    assert again.already_existed and after_restart.already_existed
    assert again.pms_ids == after_restart.pms_ids == first.pms_ids


def test_crash_between_deposit_and_record_heals(
    harness: Harness, ledger: Ledger, deposits_on: None
) -> None:
    """The PMS saved the deposit and the answer was lost: the next attempt finds it by its
    marker instead of writing a second one."""
    if harness.name in NO_DEPOSIT_WRITE:
        pytest.skip(f"{harness.name}: no sanctioned deposit write (docs/vendors/)")
    plan = _deposit(harness, ledger, "crash")
    od: Any = getattr(harness, "od", None)
    if od is not None:
        od.api.faults.fail(1, status=500, after_write=True, method="POST", path="^/deposits$")
        landed = ledger.post_deposit(plan)  # the answer was lost: the adapter looks, finds it
        memo = f"{plan.marker}%"
        assert od.db.rows("SELECT COUNT(*) FROM deposit WHERE Memo LIKE ?", memo)[0][0] == 1
        assert landed.amount == D("63.04")
    else:
        mem: Any = ledger
        mem.fail("deposit", lambda: TransientError("connection reset"), after_commit=True)
        with pytest.raises(TransientError):
            ledger.post_deposit(plan)
    fresh = harness.ledger()
    assert isinstance(fresh, Deposits)
    healed = fresh.post_deposit(plan)  # as after a crash before our store recorded it
    assert healed.already_existed and healed.amount == D("63.04")


def test_below_the_version_no_deposit_write(harness: Harness, ledger: Ledger) -> None:
    """Open Dental below 25.4.33 (the seeded 24.3) says it cannot write deposits."""
    if harness.name != "opendental":
        pytest.skip("version gate: Open Dental only")
    assert isinstance(ledger, Deposits) and not ledger.supports_deposits()
