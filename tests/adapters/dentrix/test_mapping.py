"""Pure Dentrix mapping rules: FIFO open charges and aging bucket moves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from adapters.dentrix.mapping import LedgerRow, aging_change, open_charges

D = Decimal
DAY = dt.date(2026, 1, 1)


def row(procid, patid, amt, *, status=102, klass=0, claim=0, days=0):
    return LedgerRow(procid, patid, "DDS1", DAY + dt.timedelta(days=days), status, klass,
                     D(amt), claim)  # fmt: skip


def test_claim_credit_pays_its_claim_before_older_charges():
    """An insurance payment on a claim pays that claim's procedure, not the oldest one."""
    rows = [row(1, 10, "100", days=0), row(2, 10, "50", claim=7, days=5),
            row(3, 10, "-30", status=90, klass=3, claim=7, days=9)]  # fmt: skip
    assert [(c.charge_ref, c.amount_due) for c in open_charges(rows)] == [
        ("1", D("100")), ("2", D("20")),
    ]  # fmt: skip


def test_member_credit_pays_own_charges_then_family():
    """A member's payment pays their own charges first; the excess pays the family's oldest."""
    rows = [row(1, 10, "100", days=0), row(2, 11, "50", days=5),
            row(3, 11, "-80", status=90, klass=1, days=9)]  # fmt: skip
    assert [(c.charge_ref, c.amount_due) for c in open_charges(rows)] == [("1", D("70"))]


@given(
    st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=6),
    st.lists(st.integers(min_value=1, max_value=50_000), max_size=6),
)
def test_open_total_is_charges_minus_credits_floored_at_zero(charges, credits):
    """Whatever the mix, what stays open equals charges less credits (never below zero)."""
    rows = [row(i, 10 + i % 2, D(c) / 100, days=i) for i, c in enumerate(charges)]
    rows += [row(100 + i, 10, -D(c) / 100, status=90, klass=1, days=i)
             for i, c in enumerate(credits)]  # fmt: skip
    due = sum((c.amount_due for c in open_charges(rows)), D(0))
    assert due == max(D(sum(charges) - sum(credits)) / 100, D(0))


def test_credit_pays_oldest_buckets_first_and_leaves_a_credit_balance():
    """A credit empties 91+, 61-90, 31-60 in that order; the rest goes to 0-30 as a credit."""
    current = (D("10"), D("20"), D("30"), D("40"))
    assert aging_change(current, D("-75")) == (D("0"), D("-5"), D("-30"), D("-40"))
    assert aging_change(current, D("-150")) == (D("-60"), D("-20"), D("-30"), D("-40"))


def test_debit_ages_from_the_newest_bucket():
    """A debit (refund) is added to 0-30."""
    assert aging_change((D(0), D(5), D(0), D(0)), D("12.50")) == (D("12.50"), D(0), D(0), D(0))


@given(st.lists(st.integers(min_value=-10_000, max_value=10_000), min_size=4, max_size=4),
       st.integers(min_value=-20_000, max_value=20_000))  # fmt: skip
def test_aging_change_moves_the_total_by_exactly_the_amount(buckets, change):
    """The deltas always sum to the posted amount, so the balance stays exact."""
    current = tuple(D(b) / 100 for b in buckets)
    deltas = aging_change(current, D(change) / 100)  # type: ignore[arg-type]
    assert sum(deltas, D(0)) == D(change) / 100
