"""Dentrix G and Eaglesoft end to end: sandbox Stripe payments through the real daemon into
the emulated databases, a later refund written as a debit adjustment, and an ERA auto-posted
into Dentrix."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.domain import ItemKind, ItemStatus
from tests.e2e.allocation import expected_splits
from tests.e2e.conftest import open_state, run_cycle
from tests.e2e.stripe_family import PAYMENT_CENTS, REFUND_CENTS, family_dataset, land
from tests.support.emulated import query
from workshop.emulated.dentrix import seed as dentrix_seed
from workshop.emulated.eaglesoft import seed as eaglesoft_seed
from workshop.sandbox.environment import PracticeSpec, SandboxEnvironment
from workshop.sandbox.scenario import STRIPE_PATIENTS

D = Decimal
SPECS = (
    PracticeSpec("lakeside", "dentrix", "Lakeside Dental Care", era=True),
    PracticeSpec("hilltop", "eaglesoft", "Hilltop Smiles", era=False),
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnvironment]:
    """One sandbox for the module: the two emulated practices (no MariaDB needed)."""
    work = tmp_path_factory.mktemp("emulated-e2e")
    with SandboxEnvironment(work, practices=SPECS, stripe_data=family_dataset) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def config(env: SandboxEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated configuration with a state store of this module."""
    folder = tmp_path_factory.mktemp("emulated-state")
    return env.write_config(folder / "c.yaml", state_url=f"sqlite:///{folder / 'state.db'}")


def _rows(
    env: SandboxEnvironment, vendor: str, sql: str, *params: object
) -> list[dict[str, object]]:
    return query(env.connection_strings[vendor], sql, *params, attach_admin=vendor == "dentrix")


def test_payments_then_refunds_as_debit_adjustments(env: SandboxEnvironment, config: Path) -> None:
    """Each practice's family payment is allocated oldest first from the PMS's own open
    charges; the refund that clears later is a debit adjustment tied to it; nothing repeats."""
    expected = {}
    for spec in SPECS:
        ledger = env.ledger(spec.id)
        try:
            patient_id = STRIPE_PATIENTS[spec.vendor][0]
            patient = ledger.find_patient(patient_id)
            assert patient is not None
            expected[spec.id] = expected_splits(
                ledger.family_charges(patient), D(PAYMENT_CENTS) / 100, patient_id
            )
        finally:
            ledger.close()

    first = run_cycle(config)
    assert all(o.ok for o in first), first
    store = open_state(config)
    try:
        payments = {
            spec.id: store.items_of_kind(spec.id, [ItemKind.PATIENT_PAYMENT.value])[0]
            for spec in SPECS
        }
        plans = {
            pid: next(h.detail["plan"] for h in store.history(item.id) if h.event == "item.posted")
            for pid, item in payments.items()
        }
    finally:
        store.close()
    for pid, item in payments.items():
        assert item.status is ItemStatus.POSTED
        splits = [
            (s["charge_kind"] or "unearned", s["charge_ref"], s["patient_id"], D(s["amount"]))
            for s in plans[pid]["splits"]
        ]
        assert splits == expected[pid], pid

    dentrix_ids = payments["lakeside"].pms_ids["procids"]
    marks = ",".join("?" * len(dentrix_ids))
    paid = _rows(env, "dentrix", f"SELECT amt, proclogclass FROM admin.fullproclog "
                 f"WHERE procid IN ({marks})", *dentrix_ids)  # fmt: skip
    assert {r["proclogclass"] for r in paid} == {1}
    assert -sum(D(str(r["amt"])) for r in paid) == D(PAYMENT_CENTS) / 100
    eagle_ids = payments["hilltop"].pms_ids["tran_nums"]
    marks = ",".join("?" * len(eagle_ids))
    paid = _rows(env, "eaglesoft", f"SELECT amount, type FROM transactions_header "
                 f"WHERE tran_num IN ({marks})", *eagle_ids)  # fmt: skip
    assert {r["type"] for r in paid} == {"A"}
    assert -sum(D(str(r["amount"])) for r in paid) == D(PAYMENT_CENTS) / 100

    for spec in SPECS:
        land(env.stripe_dataset, env.stripe_account_id(spec.id))
    second = run_cycle(config)
    assert [(o.summary or {}).get("posted") for o in second if o.job == "posting"] == [1, 1]
    store = open_state(config)
    try:
        refunds = {s.id: store.items_of_kind(s.id, [ItemKind.REFUND.value])[0] for s in SPECS}
    finally:
        store.close()
    assert all(r.status is ItemStatus.POSTED for r in refunds.values())
    ((row,),) = [
        _rows(env, "dentrix", "SELECT proclogclass, proclogorder, amt, patid FROM "
              "admin.fullproclog WHERE procid = ?", refunds["lakeside"].pms_ids["procids"][0])
    ]  # fmt: skip
    assert (row["proclogclass"], row["proclogorder"]) == (2, dentrix_seed.REFUND)  # adjustment
    assert D(str(row["amt"])) == D(REFUND_CENTS) / 100  # a debit: the balance goes up again
    ((row,),) = [
        _rows(env, "eaglesoft", "SELECT type, adjustment_type, amount FROM transactions_header "
              "WHERE tran_num = ?", refunds["hilltop"].pms_ids["tran_nums"][0])
    ]  # fmt: skip
    assert (row["type"], row["adjustment_type"]) == ("D", eaglesoft_seed.REFUND)
    assert D(str(row["amount"])) == D(REFUND_CENTS) / 100

    third = run_cycle(config)
    assert sum((o.summary or {}).get("posted", 0) for o in third) == 0
    assert sum((o.summary or {}).get("items_new", 0) for o in third) == 0


def test_dentrix_era_auto_posts_the_single_plan_claim(
    env: SandboxEnvironment, config: Path
) -> None:
    """Mary's claim (one plan, paid 80 % of the fee) is auto-posted with its write-offs; Tim's
    (two plans, processed as primary) is posted to the primary claim and his secondary claim
    waits for a person as secondary_claim_ready, with what the primary paid and left."""
    run_cycle(config)  # idempotent if the first test already ran
    store = open_state(config)
    try:
        claims = {
            c.payload["patient_control"]: c
            for c in store.items_of_kind("lakeside", [ItemKind.ERA_CLAIM.value])
        }
        [secondary] = store.items_of_kind("lakeside", [ItemKind.ERA_SECONDARY.value])
        [entry] = [r for r in store.list_reviews("lakeside") if r.item_id == secondary.id]
    finally:
        store.close()
    assert claims["5001"].status is ItemStatus.POSTED
    assert claims["5002"].status is ItemStatus.POSTED
    assert secondary.related_key == claims["5002"].key
    assert entry.reason == "secondary_claim_ready" and "PMS claim 5002" in entry.message
    assert "paid 212.00, written off 36.00, left to the patient 17.00" in entry.message
    (claim,) = _rows(env, "dentrix", "SELECT datereceived, totalreceived FROM admin.claim "
                     "WHERE claimid = 5001")  # fmt: skip
    assert claim["datereceived"] is not None
    assert D(str(claim["totalreceived"])) == D("152.00")
    (tim,) = _rows(env, "dentrix", "SELECT datereceived, totalreceived FROM admin.claim "
                   "WHERE claimid = 5002")  # fmt: skip
    assert tim["datereceived"] is not None and D(str(tim["totalreceived"])) == D("212.00")
    paid = _rows(env, "dentrix", "SELECT SUM(amtpriminspaid) AS p, SUM(amtsecinspaid) AS s "
                 "FROM admin.fullproclog WHERE claimid = 5002 AND chartstatus = 102")  # fmt: skip
    assert (D(str(paid[0]["p"])), D(str(paid[0]["s"] or 0))) == (D("212.00"), D("0"))
