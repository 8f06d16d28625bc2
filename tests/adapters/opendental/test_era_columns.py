"""ERA claimproc columns as Open Dental's own ERA import writes them (Etranss.cs): the distinct
CARC reason codes in ClaimAdjReasonCodes, the allowed amount in AllowedOverride."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from connector.domain import ProcedurePayment
from tests.adapters.opendental.helpers import ben_claim_plan
from tests.support.journal import MemoryJournal
from tests.support.opendental import OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service
D = Decimal


def test_reason_codes_and_allowed_amount_land_on_the_claimprocs(od: OdContext) -> None:
    """ClaimAdjReasonCodes holds "45" (not "CO-45"); AllowedOverride = AMT*B6; a line without an
    allowed amount keeps Open Dental's blank (-1); the codes stay readable in Remarks."""
    plan = ben_claim_plan()
    lines = (
        ProcedurePayment(str(Ids.P_BEN_FILLING), D("110.00"), D("25.00"), D("15.00"),
                         remarks="CO-45 PR-1", reason_codes="45,1", allowed=D("125.00")),
        ProcedurePayment(str(Ids.P_BEN_BITEWINGS), D("50.00"), D("5.00"), remarks="CO-45",
                         reason_codes="45"),
    )  # fmt: skip
    od.ledger().post_insurance_payment(dataclasses.replace(plan, lines=lines), MemoryJournal())
    rows = od.db.rows(
        "SELECT ProcNum, ClaimAdjReasonCodes, CAST(AllowedOverride AS DECIMAL(14,2)), Remarks "
        "FROM claimproc WHERE ClaimNum = ? ORDER BY ProcNum",
        Ids.CLAIM_BEN_SENT,
    )
    assert [tuple(r) for r in rows] == [
        (Ids.P_BEN_FILLING, "45,1", D("125.00"), "CO-45 PR-1"),
        (Ids.P_BEN_BITEWINGS, "45", D("-1.00"), "CO-45"),
    ]
