"""The ERA engine through the real Dentrix and Eaglesoft adapters (emulated databases over the
SQLite ODBC driver): a claim posted, reversed (CLP02 = 22) and corrected, end to end through the
posting job, as on Open Dental."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import ClaimMatch, ClaimRecord, Ledger
from connector.domain import ItemKind, ItemStatus
from connector.store import SQLiteStore
from tests.contract.dentrix_harness import DentrixHarness
from tests.contract.eaglesoft_harness import EaglesoftHarness
from tests.contract.harness import Harness
from tests.posting.helpers import PRACTICE, claim_payload, line, new_claim, practice, record
from tests.posting.helpers import remittance_payload as remittance
from tests.posting.runner_support import NOW, run
from tests.support.emulated import fresh_database

D = Decimal
# vendor → (one-plan claim, insurance payment type name)
CASES = {"dentrix": ("5001", "Check"), "eaglesoft": ("501", "Insurance EFT")}
REMIT_A = "era:1999999999:TRACEA:{total}:2026-11-10"
REMIT_B = "era:1999999999:TRACEB:{total}:2026-11-18"


@pytest.fixture(params=sorted(CASES))
def harness(request: Any) -> Iterator[Harness]:
    """The vendor's contract harness over a fresh emulated database."""
    conn = fresh_database(request.param, request)
    yield DentrixHarness(conn) if request.param == "dentrix" else EaglesoftHarness(conn)


def _claim(ledger: Ledger, claim_id: str) -> ClaimRecord:
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=claim_id))
    return claim


def _payload(
    claim: ClaimRecord, status: str, paid: list[str], writeoff: list[str], *, remit: str, pcn: str
) -> dict[str, Any]:
    """A CLP for the PMS claim: each line paid, written off (CO-45) and the rest PR-2; a
    reversal (22) negates every amount."""
    sign = D("-1") if status == "22" else D("1")
    lines = []
    for proc, p, w in zip(claim.lines, paid, writeoff, strict=True):
        rest = proc.fee - D(p) - D(w)
        adjustments = [("CO", "45", str(sign * D(w)))] if D(w) else []
        adjustments += [("PR", "2", str(sign * rest))] if rest else []
        lines.append(
            line(proc.code, str(sign * proc.fee), str(sign * D(p)), *adjustments,
                 date=proc.date.isoformat())
        )  # fmt: skip
    total_paid = sum((D(p) for p in paid), D("0.00"))
    rows = zip(claim.lines, paid, writeoff, strict=True)
    patient = sum((proc.fee - D(p) - D(w) for proc, p, w in rows), D("0.00"))
    return claim_payload(
        claim.claim_identifier,
        status,
        str(sign * claim.total_fee),
        str(sign * total_paid),
        lines,
        payer_control=pcn,
        remit=remit,
        patient_responsibility=str(sign * patient),
    )


def test_claim_posted_reversed_and_corrected(harness: Harness, store: SQLiteStore) -> None:
    """The original posts; the later remittance's reversal takes it back (paid and write-offs)
    and its corrected claim posts onto the claim: the PMS shows only the corrected amounts, and
    nothing is in review or dead."""
    claim_id, pay_type = CASES[harness.name]
    ledger = harness.ledger()
    settings = practice(auto_post={"payment_type": pay_type, "min_paid_percent_of_expected": 0})
    try:
        claim = _claim(ledger, claim_id)
        n = len(claim.lines)
        first_paid, first_wo = ["40.00"] * n, ["10.00"] * n
        fixed_paid, fixed_wo = ["45.00"] * n, ["5.00"] * n
        remit_a = REMIT_A.format(total=40 * n)
        original = _payload(claim, "1", first_paid, first_wo, remit=remit_a, pcn="PCN1")
        record(store, remittance(amount=f"{40 * n}.00", key=remit_a), new_claim(original),
               source="era")  # fmt: skip
        counts = run(store, ledger, settings=settings)  # type: ignore[arg-type]
        assert counts["posted"] == 1, counts
        remit_b = REMIT_B.format(total=5 * n)
        back = _payload(claim, "22", first_paid, first_wo, remit=remit_b, pcn="PCN1")
        fixed = _payload(claim, "1", fixed_paid, fixed_wo, remit=remit_b, pcn="PCN2")
        record(store, remittance(amount=f"{5 * n}.00", key=remit_b), new_claim(back),
               new_claim(fixed), source="era")  # fmt: skip
        later = NOW + dt.timedelta(days=8)
        counts = run(store, ledger, settings=settings, now=later)  # type: ignore[arg-type]
        assert counts["posted"] == 2 and counts["dead"] == 0 and counts["review"] == 0, counts
    finally:
        ledger.close()
    claims = store.items_of_kind(PRACTICE, [ItemKind.ERA_CLAIM.value])
    assert [c.status for c in claims] == [ItemStatus.POSTED] * 3
    state = harness.claim_lines(claim_id)
    assert {ref: (v.paid, v.writeoff) for ref, v in state.items()} == {
        proc.proc_ref: (D("45.00"), D("5.00")) for proc in claim.lines
    }
    assert harness.claim_received(claim_id)
    assert store.list_reviews(PRACTICE) == []


def test_expected_insurance_falls_back_to_the_fee_with_a_reason(
    harness: Harness, store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dentrix keeps no insurance estimate the connector can read: its claim lines say the fee
    stands in, and a claim paid below the fee-as-expected goes to review with that reason in the
    decision and a log line; Eaglesoft's lines carry its own estimate (est_primary)."""
    claim_id, pay_type = CASES[harness.name]
    ledger = harness.ledger()
    settings = practice(auto_post={"payment_type": pay_type, "min_paid_percent_of_expected": 90})
    try:
        claim = _claim(ledger, claim_id)
        sources = {line.expected_from for line in claim.lines}
        assert sources == ({"fee"} if harness.name == "dentrix" else {"pms"})
        n = len(claim.lines)
        remit = REMIT_A.format(total=40 * n)
        paid = _payload(claim, "1", ["40.00"] * n, ["0.00"] * n, remit=remit, pcn="PCN1")
        record(store, remittance(amount=f"{40 * n}.00", key=remit), new_claim(paid),
               source="era")  # fmt: skip
        capsys.readouterr()
        counts = run(store, ledger, settings=settings)  # type: ignore[arg-type]
    finally:
        ledger.close()
    assert counts["review"] == 1
    [entry] = store.list_reviews(PRACTICE)
    assert entry.reason == "paid_below_threshold"
    decision = entry.details["decision"]
    logged = capsys.readouterr().out
    if harness.name == "dentrix":
        assert decision["expected_from"]["source"] == "fee"
        assert decision["expected_from"]["procedures"] == [line.proc_ref for line in claim.lines]
        assert "no insurance estimate" in decision["expected_from"]["why"]
        assert "posting.expected_from_fee" in logged
    else:
        assert "expected_from" not in decision and "posting.expected_from_fee" not in logged
