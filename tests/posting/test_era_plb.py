"""Provider-level adjustments (PLB) posted by rule per reason code, branch by branch, through the
posting job on the shipped memory ledger and a real SQLite store; a remittance with interest
and a recoupment closes to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from adapters.memory import MemoryLedger
from connector.domain import ItemKind, ItemStatus, NewItem
from connector.store import SQLiteStore
from tests.posting.helpers import (
    PRACTICE,
    claim_payload,
    line,
    new_claim,
    practice,
    record,
    remittance_payload,
)
from tests.posting.runner_support import NOW, run

D = Decimal
OLD = "era:1999999999:TRACEOLD:500.00:2026-10-01"
NEW = "era:1999999999:TRACENEW:109.10:2026-11-18"


def setup(store: SQLiteStore, led: MemoryLedger) -> None:
    """CLM4 paid 500.00 by an earlier remittance (posted, so received); CLM1 sent."""
    led.add_claim(
        "C1",
        patient="1",
        identifier="CLM1",
        date="2026-10-01",
        lines=[
            {"proc_ref": "P1", "code": "D1110", "fee": "120.00", "expected": "90.00"},
            {"proc_ref": "P2", "code": "D0120", "fee": "60.00", "expected": "45.00"},
        ],
    )
    led.add_claim("C4", patient="3", identifier="CLM4", date="2026-09-01",
                  lines=[{"proc_ref": "P5", "code": "D2740", "fee": "1000.00",
                          "expected": "500.00"}])  # fmt: skip
    led.add_charge("P5", patient="3", date="2026-09-01", amount="1000.00")
    clm4 = claim_payload(
        "CLM4", "1", "1000.00", "500.00",
        [line("D2740", "1000.00", "500.00", ("CO", "45", "300.00"), ("PR", "2", "200.00"),
              date="2026-09-01")],
        payer_control="PCN4", remit=OLD, patient_responsibility="200.00",
    )  # fmt: skip
    old = remittance_payload(amount="500.00", key=OLD)
    old.payload["trace"] = "TRACEOLD"  # one EFT per trace, as payers send them
    record(store, old, new_claim(clm4), source="era")
    assert run(store, led)["posted"] == 1


def remittance(store: SQLiteStore, plb: list[dict[str, Any]], amount: str = "109.10") -> None:
    """CLM1 paid 135.00 with the given PLBs."""
    clm1 = claim_payload(
        "CLM1", "1", "180.00", "135.00",
        [line("D1110", "120.00", "90.00", ("CO", "45", "30.00")),
         line("D0120", "60.00", "45.00", ("CO", "45", "15.00"))],
        payer_control="PCN1", remit=NEW,
    )  # fmt: skip
    new = remittance_payload(amount=amount, key=NEW, plb=plb)
    new.payload["trace"] = "TRACENEW"
    record(store, new, new_claim(clm1), source="era")


def adj(reason: str, amount: str, reference: str | None = None) -> dict[str, Any]:
    return {"provider": "1234567890", "period_end": "2026-12-31", "reason": reason,
            "reference": reference, "amount": amount}  # fmt: skip


def plb_items(store: SQLiteStore) -> list[Any]:
    return [i for i in store.group_items(PRACTICE, NEW) if i.kind is ItemKind.ERA_PLB]


def test_interest_and_recoupment_close_the_remittance(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """L6 −4.10 (no reference: the first claim) and WO 30.00 on CLM4: all posted, and
    Σ posted claims + Σ posted PLB money = BPR02 = 109.10, on the ledger too."""
    setup(store, led)
    before = led.insurance_paid()
    remittance(store, [adj("L6", "-4.10"), adj("WO", "30.00", "CLM4")])
    counts = run(store, led)
    assert counts["posted"] == 3 and counts.get("review", 0) == 0
    assert counts["deposits_posted"] == 1  # the EFT's deposit, counted apart
    items = store.group_items(PRACTICE, NEW)
    money = [i for i in items if i.kind in (ItemKind.ERA_CLAIM, ItemKind.ERA_PLB)]
    assert all(i.status is ItemStatus.POSTED for i in money)
    assert sum((i.amount for i in money), D("0.00")) == D("109.10")
    assert led.insurance_paid() - before == D("109.10")
    lines = {r["proc_ref"]: r for r in led.line_payments if "PLB" in str(r.get("remarks"))}
    assert set(lines) == {"P1", "P5"}  # interest on CLM1's first line, recoupment on CLM4
    again = run(store, led)  # nothing twice
    assert again.get("posted", 0) == again.get("deposits_posted", 0) == 0
    assert led.insurance_paid() - before == D("109.10")


def test_rule_review_sends_the_code_to_a_person(store: SQLiteStore, led: MemoryLedger) -> None:
    """``plb_rules: {WO: review}`` overrides the default; L6 still posts."""
    setup(store, led)
    remittance(store, [adj("L6", "-4.10"), adj("WO", "30.00", "CLM4")])
    run(store, led, settings=practice(auto_post={"plb_rules": {"WO": "review"}}))
    by_reason = {i.payload["reason"]: i.status for i in plb_items(store)}
    assert by_reason == {"L6": ItemStatus.POSTED, "WO": ItemStatus.REVIEW}
    assert [r.reason for r in store.list_reviews(PRACTICE)] == ["provider_level_adjustment"]


def test_reference_by_payer_claim_number(store: SQLiteStore, led: MemoryLedger) -> None:
    """A reference that is no claim id is tried as the payer claim number (CLP07), as CLPs are."""
    setup(store, led)
    led.claims["C4"].payer_claim_control = "ICN-77"
    remittance(store, [adj("WO", "30.00", "ICN-77")], amount="105.00")
    run(store, led)
    [wo] = plb_items(store)
    assert wo.status is ItemStatus.POSTED


def test_reference_to_a_claim_not_received(store: SQLiteStore, led: MemoryLedger) -> None:
    """A recoupment on a claim never paid is not posted: review, the claim named."""
    setup(store, led)
    led.add_claim("C7", patient="2", identifier="CLM7", date="2026-10-01",
                  lines=[{"proc_ref": "P7", "code": "D0150", "fee": "75.00",
                          "expected": "60.00"}])  # fmt: skip
    remittance(store, [adj("WO", "30.00", "CLM7")], amount="105.00")
    run(store, led)
    [review] = store.list_reviews(PRACTICE)
    assert review.reason == "plb_claim_not_found"
    assert "naming claim CLM7" in review.message and "C7 is not received" in review.message


def test_payer_with_auto_post_off_reviews_its_plb(store: SQLiteStore, led: MemoryLedger) -> None:
    """A payer whose own rules turn auto-posting off: its PLBs go to a person too."""
    setup(store, led)
    remittance(store, [adj("L6", "-4.10", "CLM4")], amount="139.10")  # CLM4 is received
    per_payer = {"1999999999": {"enabled": False}}
    run(store, led, settings=practice(auto_post={"per_payer": per_payer}))
    assert all(i.status is ItemStatus.REVIEW for i in plb_items(store))


def test_auto_post_off_reviews_every_plb(store: SQLiteStore, led: MemoryLedger) -> None:
    """With auto-posting off, PLBs go to a person as before."""
    remittance(store, [adj("L6", "-4.10")], amount="139.10")
    run(store, led, settings=practice(auto_post={"enabled": False}))
    assert {r.reason for r in store.list_reviews(PRACTICE)} >= {"provider_level_adjustment"}
    assert all(i.status is ItemStatus.REVIEW for i in plb_items(store))


def test_forward_balance_closed_by_the_later_remittance(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """FB −30.00 (carried, added) on one remittance and FB +30.00 on the next close; another
    reference stays open. Both FBs are posted on the claim they name."""
    from connector.plb_balances import forward_balances

    setup(store, led)
    remittance(store, [adj("FB", "-30.00", "CLM4"), adj("FB", "12.00", "CLM1")], amount="153.00")
    later = "era:1999999999:TRACELATER:-30.00:2026-11-25"
    record(store, remittance_payload(amount="-30.00", key=later,
                                     plb=[adj("FB", "30.00", "CLM4")]), source="era")  # fmt: skip
    before = led.insurance_paid()
    run(store, led)
    rows = forward_balances(store, [PRACTICE])
    assert [(r.reference, r.balance, r.closed) for r in rows] == [
        ("CLM1", D("12.00"), False),
        ("CLM4", D("0.00"), True),
    ]
    assert rows[1].statuses == ["posted", "posted"]
    assert led.insurance_paid() - before == D("135.00") + D("30.00") - D("12.00") - D("30.00")


def test_forward_balances_report_command(tmp_path: Any, monkeypatch: Any, capsys: Any) -> None:
    """`connector report forward-balances --csv` lists each FB reference with its balance."""
    from connector.cli import main
    from tests.support.configs import od_practice, write_config

    for key in ("TEST_OD_DEV", "TEST_OD_CUST", "TEST_OD_ODBC"):
        monkeypatch.setenv(key, "x-secret")
    path = write_config(tmp_path, [od_practice("p1")])
    db = SQLiteStore(tmp_path / "state.db")
    db.migrate()
    fb = NewItem(f"{NEW}:plb:1", ItemKind.ERA_PLB,
                 {"reason": "FB", "reference": "CLM4", "amount": "-30.00", "trace": "TRACENEW",
                  "payer_id": "1999999999"}, D("30.00"), group_key=NEW)  # fmt: skip
    db.record("p1", "era", [fb])
    db.close()
    assert main(["--config", str(path), "report", "forward-balances", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "practice,payer,reference,balance,state,remittances,items"
    assert lines[1] == "p1,1999999999,CLM4,-30.00,open,TRACENEW,received"


def test_eft_deposit_equals_bpr02(store: SQLiteStore, led: MemoryLedger) -> None:
    """Once the claim and both PLBs are posted, the EFT's deposit is written: BPR02 = 109.10,
    dated the payment date, grouping the three postings; written once."""
    setup(store, led)
    deposits_before = dict(led.deposits)  # the earlier EFT's
    remittance(store, [adj("L6", "-4.10"), adj("WO", "30.00", "CLM4")])
    run(store, led)
    new = {k: v for k, v in led.deposits.items() if k not in deposits_before}
    [(_, plan)] = new.values()
    assert plan.marker == "[connector deposit:era:1999999999:TRACENEW]"
    assert (plan.amount, plan.date, len(plan.entries)) == (D("109.10"), dt.date(2026, 11, 18), 3)
    item = store.find_item(PRACTICE, "deposit:era:1999999999:TRACENEW")
    assert item is not None and item.status is ItemStatus.POSTED
    run(store, led)
    assert len(led.deposits) == len(deposits_before) + 1


def test_eft_deposit_waits_for_a_claim_in_review(store: SQLiteStore, led: MemoryLedger) -> None:
    """A recoupment in review keeps the EFT's deposit back until staff resolve it."""
    setup(store, led)
    remittance(store, [adj("WO", "30.00", "CLM99")], amount="105.00")
    run(store, led)
    run(store, led)
    assert store.find_item(PRACTICE, "deposit:era:1999999999:TRACENEW") is None
    [review] = store.list_reviews(PRACTICE)
    store.resolve_review(review.id, "posted by hand")
    run(store, led)
    item = store.find_item(PRACTICE, "deposit:era:1999999999:TRACENEW")
    assert item is not None and item.status is ItemStatus.POSTED


def test_a_plb_waits_for_the_claims_of_its_remittance(
    store: SQLiteStore, led: MemoryLedger
) -> None:
    """A recoupment on CLM4 while CLM1 of the same remittance is still to post (it failed
    once): the PLB waits instead of landing between the remittance's claims, then posts."""
    setup(store, led)
    remittance(store, [adj("WO", "30.00", "CLM4")])
    clm1 = next(i for i in store.group_items(PRACTICE, NEW) if i.kind is ItemKind.ERA_CLAIM)
    store.mark_failed(clm1.id, "transient", "PMS busy", dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    first = run(store, led)
    (plb,) = plb_items(store)
    assert first.get("posted", 0) == 0
    assert plb.status is ItemStatus.FAILED and plb.last_error_code == "waiting_for_claims"
    store.requeue_item(clm1.id)
    counts = run(store, led, now=NOW + dt.timedelta(hours=1))
    assert counts["posted"] == 2
    assert all(i.status is ItemStatus.POSTED for i in store.group_items(PRACTICE, NEW)
               if i.kind in (ItemKind.ERA_CLAIM, ItemKind.ERA_PLB))  # fmt: skip
