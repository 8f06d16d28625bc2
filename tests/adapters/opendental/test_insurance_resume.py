"""A crash between an insurance step reaching Open Dental and its journal entry: the retry
recognises the step as its own and finishes the claim payment exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.opendental.helpers import ben_claim_plan, count
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service


class _Crash(Exception):
    """Stands for the process dying right after a step's write."""


class CrashingJournal(MemoryJournal):
    """Loses the N-th record (the step was written, the journal entry never was)."""

    def __init__(self, lose: int) -> None:
        super().__init__()
        self.lose = lose

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Record, except the N-th call, which 'crashes' first."""
        if len(self.order) + 1 == self.lose:
            raise _Crash(step)
        super().record(step, ids)


@pytest.mark.parametrize("lose", [1, 2, 3])
def test_a_step_written_but_not_journaled_is_finished_on_retry(od: OdContext, lose: int) -> None:
    """Whichever claimproc or claim step lost its journal entry, the retry posts one claim
    payment whose amount equals the claimprocs attached to it."""
    plan = ben_claim_plan()
    first = CrashingJournal(lose)
    with pytest.raises(_Crash):
        od.ledger().post_insurance_payment(plan, first)
    retry = MemoryJournal()
    retry.steps = dict(first.steps)
    entry = od.ledger().post_insurance_payment(plan, retry)
    assert count(od, "SELECT COUNT(*) FROM claimpayment WHERE ClaimPaymentNum = ?",
                 entry.pms_ids["ClaimPaymentNum"]) == 1  # fmt: skip
    [(check, attached)] = od.db.rows(
        "SELECT c.CheckAmt, SUM(p.InsPayAmt) FROM claimpayment c JOIN claimproc p"
        " ON p.ClaimPaymentNum = c.ClaimPaymentNum WHERE c.ClaimPaymentNum = ?"
        " GROUP BY c.CheckAmt",
        entry.pms_ids["ClaimPaymentNum"],
    )
    assert check == attached == plan.paid_total
    assert count(od, "SELECT COUNT(*) FROM claimproc WHERE ClaimNum = ? AND Status = 1"
                 " AND ClaimPaymentNum = 0", Ids.CLAIM_BEN_SENT) == 0  # fmt: skip
