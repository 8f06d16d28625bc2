"""Open Dental end to end: sandbox Stripe and generated ERAs through the real daemon into the
emulated Open Dental (MariaDB behind the API double), checked in the database itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.base import marker_for
from connector.domain import ItemKind, ItemStatus
from tests.e2e.allocation import Split, expected_splits
from tests.e2e.conftest import open_state, require_mariadb, run_cycle, summary
from tests.e2e.stripe_family import PAYMENT_CENTS, REFUND_CENTS, family_dataset, land
from tests.support.paths import REPO
from workshop.emulated.opendental.seed import Ids
from workshop.sandbox.environment import PracticeSpec, SandboxEnvironment

D = Decimal
PID = "riverside"
PAYER = "2"  # Ben, a child in the Smith family (guarantor Ana)
WRITTEN = ("payment", "paysplit", "claimproc", "claimpayment", "commlog")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnvironment]:
    """One sandbox for the module: an Open Dental practice with Stripe and an ERA inbox."""
    require_mariadb()
    spec = PracticeSpec(PID, "opendental", "Riverside Family Dental")
    work = tmp_path_factory.mktemp("od-e2e")
    with SandboxEnvironment(work, practices=[spec], stripe_data=family_dataset) as sandbox:
        yield sandbox


@pytest.fixture
def fresh(env: SandboxEnvironment) -> Iterator[SandboxEnvironment]:
    """The seeded practice, the original ERA files, the refund payout not yet paid."""
    assert env.od_db is not None
    env.od_db.reset()
    env.reset_work()
    land(env.stripe_dataset, env.stripe_account_id(PID), paid=False)
    yield env
    land(env.stripe_dataset, env.stripe_account_id(PID), paid=False)


def config(env: SandboxEnvironment, folder: Path, **overrides: Any) -> Path:
    """A configuration for this test with its own state store."""
    return env.write_config(
        folder / "connector.yaml",
        overrides={PID: overrides},
        state_url=f"sqlite:///{folder / 'state.db'}",
    )


def counts(env: SandboxEnvironment) -> dict[str, int]:
    """Rows in every table the connector writes."""
    assert env.od_db is not None
    return {t: int(env.od_db.rows(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in WRITTEN}


def splits_in_db(env: SandboxEnvironment, pay_num: int) -> list[Split]:
    """The payment's paysplits as (kind, charge, patient, amount), in SplitNum order."""
    assert env.od_db is not None
    rows = env.od_db.rows(
        "SELECT ProcNum, AdjNum, PatNum, SplitAmt FROM paysplit WHERE PayNum = ? ORDER BY SplitNum",
        pay_num,
    )
    found: list[Split] = []
    for proc, adj, pat, amount in rows:
        kind, ref = ("procedure", proc) if proc else ("adjustment", adj) if adj else ("unearned", 0)
        found.append((kind, str(ref) if ref else None, str(pat), D(str(amount))))
    return found


def expected_for(env: SandboxEnvironment, *, patient_preferred: bool) -> list[Split]:
    """The allocation the rules call for, from the family's open charges before posting."""
    ledger = env.ledger(PID)
    try:
        patient = ledger.find_patient(PAYER)
        assert patient is not None and patient.guarantor_id != PAYER
        charges = ledger.family_charges(patient)
    finally:
        ledger.close()
    assert {c.patient_id for c in charges} - {PAYER}, "the family must have other patients"
    return expected_splits(
        charges, D(PAYMENT_CENTS) / 100, PAYER, patient_preferred=patient_preferred
    )


def test_family_payment_oldest_first_then_refund_as_reversal(
    fresh: SandboxEnvironment, tmp_path: Path
) -> None:
    """A child's payment pays the family's oldest charges; its later refund is a negative
    payment linked to it; another cycle writes nothing more."""
    env = fresh
    path = config(env, tmp_path, era={"enabled": False})
    expected = expected_for(env, patient_preferred=False)
    assert expected[0][2] != PAYER  # oldest first lands on another family member first

    first = run_cycle(path)
    assert summary(first, "stripe")["items_new"] == 2  # the payment and the payout's own debit
    assert summary(first, "posting")["posted"] == 1
    store = open_state(path)
    try:
        (payment,) = store.items_of_kind(PID, [ItemKind.PATIENT_PAYMENT.value])
        cleared = {t["id"] for t in env.cleared_transactions(PID)}
        assert {payment.key} == cleared
    finally:
        store.close()
    assert payment.status is ItemStatus.POSTED
    pay_num = int(payment.pms_ids["PayNum"])
    assert env.od_db is not None
    ((amount, pat, note),) = env.od_db.rows(
        "SELECT PayAmt, PatNum, PayNote FROM payment WHERE PayNum = ?", pay_num
    )
    assert (D(str(amount)), str(pat)) == (D(PAYMENT_CENTS) / 100, PAYER)
    assert marker_for(payment.key) in note
    assert splits_in_db(env, pay_num) == expected

    land(env.stripe_dataset, env.stripe_account_id(PID))
    second = run_cycle(path)
    assert summary(second, "posting")["posted"] == 1
    store = open_state(path)
    try:
        (refund,) = store.items_of_kind(PID, [ItemKind.REFUND.value])
    finally:
        store.close()
    assert refund.status is ItemStatus.POSTED and refund.pms_ids["RefundOf"] == pay_num
    ((r_amount, r_pat, r_note),) = env.od_db.rows(
        "SELECT PayAmt, PatNum, PayNote FROM payment WHERE PayNum = ?", refund.pms_ids["PayNum"]
    )
    assert D(str(r_amount)) == -D(REFUND_CENTS) / 100 and str(r_pat) == PAYER
    assert marker_for(refund.key) in r_note and payment.key in r_note
    ((split_total,),) = env.od_db.rows(
        "SELECT SUM(SplitAmt) FROM paysplit WHERE PayNum = ?", refund.pms_ids["PayNum"]
    )
    assert D(str(split_total)) == -D(REFUND_CENTS) / 100

    before = counts(env)
    third = run_cycle(path)
    assert summary(third, "posting")["posted"] == 0
    assert summary(third, "stripe").get("items_new", 0) == 0
    assert counts(env) == before


def test_patient_preferred_pays_the_payer_first(fresh: SandboxEnvironment, tmp_path: Path) -> None:
    """With patient_preferred, the same payment pays the child's own charges before the
    family's older ones."""
    env = fresh
    path = config(
        env, tmp_path, era={"enabled": False}, payments={"writeback": {"patient_preferred": True}}
    )
    expected = expected_for(env, patient_preferred=True)
    assert expected[0][2] == PAYER
    assert expected != expected_for(env, patient_preferred=False)
    outcomes = run_cycle(path)
    assert summary(outcomes, "posting")["posted"] == 1, outcomes
    store = open_state(path)
    try:
        (payment,) = store.items_of_kind(PID, [ItemKind.PATIENT_PAYMENT.value])
    finally:
        store.close()
    assert splits_in_db(env, int(payment.pms_ids["PayNum"])) == expected


def claimprocs(env: SandboxEnvironment, claim_num: int) -> list[tuple[int, D, int]]:
    """(Status, InsPayAmt, ClaimPaymentNum) of a claim's claimprocs, in ClaimProcNum order."""
    assert env.od_db is not None
    rows = env.od_db.rows(
        "SELECT Status, InsPayAmt, ClaimPaymentNum FROM claimproc WHERE ClaimNum = ? "
        "ORDER BY ClaimProcNum",
        claim_num,
    )
    return [(int(s), D(str(a)), int(c)) for s, a, c in rows]


def test_era_remittances_end_where_the_rules_say(fresh: SandboxEnvironment, tmp_path: Path) -> None:
    """Generated 835s: one claim auto-posted, then reversed and corrected; one paid below the
    threshold; one denied; two PLB adjustments posted by rule; a broken file quarantined — and
    each remittance's amount equals what Open Dental holds plus what waits for a person."""
    env = fresh
    assert env.od_db is not None
    path = config(env, tmp_path, payments={"enabled": False})
    untouched = {n: claimprocs(env, n) for n in (Ids.CLAIM_ANA_CROWN, Ids.CLAIM_BEN_SENT)}

    first = run_cycle(path)
    era = summary(first, "era")
    assert (era["files"], era["remittances"], era["claims"], era["quarantined"]) == (4, 3, 5, 1)
    store = open_state(path)
    try:
        claims = store.items_of_kind(PID, [ItemKind.ERA_CLAIM.value])
        plbs = store.items_of_kind(PID, [ItemKind.ERA_PLB.value])
        reviews = {r.item_id: r for r in store.list_reviews(PID)}
        by_group = {c.id: c.group_key for c in claims}
    finally:
        store.close()
    outcome = {(c.payload["patient_control"], c.payload["payer_claim_control"]): c for c in claims}
    dan = f"{Ids.DAN}/{Ids.CLAIM_DAN_SENT}"
    original, correction = outcome[(dan, "ML2611000401")], outcome[(dan, "ML2611000402")]
    reversal = next(c for c in claims if c.payload["status"] == "22")
    assert all(c.status is ItemStatus.POSTED for c in (original, reversal, correction))
    crown = outcome[(f"{Ids.ANA}/{Ids.CLAIM_ANA_CROWN}", "DD2611000777")]
    denied = outcome[(f"{Ids.BEN}/{Ids.CLAIM_BEN_SENT}", "DD2611000778")]
    assert reviews[crown.id].reason == "paid_below_threshold"
    assert "420.00 of 600.00 expected" in reviews[crown.id].message
    assert reviews[denied.id].reason == "denied"
    assert "CO-27" in reviews[denied.id].message and "N30" in reviews[denied.id].message
    # both PLBs (WO 5.00 naming Dan's claim, L6 interest 1.35 on the first claim) are posted
    assert all(p.status is ItemStatus.POSTED for p in plbs) and len(plbs) == 2

    # Dan's procedure: received 88.00, then a supplemental -88.00 and a supplemental +98.00,
    # then the PLBs: -5.00 recouped and +1.35 interest.
    dan_rows = claimprocs(env, Ids.CLAIM_DAN_SENT)
    assert [(s, a) for s, a, _ in dan_rows] == [
        (1, D("88.00")), (4, D("-88.00")), (4, D("98.00")), (4, D("-5.00")), (4, D("1.35")),
    ]  # fmt: skip
    ((status, claim_paid),) = env.od_db.rows(
        "SELECT ClaimStatus, InsPayAmt FROM claim WHERE ClaimNum = ?", Ids.CLAIM_DAN_SENT
    )
    assert (status, D(str(claim_paid))) == ("R", D("94.35"))  # 98.00 - 5.00 + 1.35
    assert {n: claimprocs(env, n) for n in untouched} == untouched  # review: nothing written

    for era_file in env.era_files(PID):
        remit = era_file.remittance
        if remit is None:
            continue
        ((checks, paid_on_checks, check_count),) = env.od_db.rows(
            "SELECT SUM(p.CheckAmt), (SELECT SUM(cp.InsPayAmt) FROM claimproc cp JOIN "
            "claimpayment q ON q.ClaimPaymentNum = cp.ClaimPaymentNum WHERE q.CheckNum = ?), "
            "COUNT(*) FROM claimpayment p WHERE p.CheckNum = ?",
            remit.trace,
            remit.trace,
        )
        # one insurance check per remittance, CheckAmt = BPR02 (what the bank shows)
        assert int(check_count) <= 1, remit.trace
        if check_count:
            assert D(str(checks)) == remit.amount, remit.trace
        in_pms = D(str(paid_on_checks)) if paid_on_checks is not None else D("0.00")
        waiting = sum(
            (c.amount for c in claims if c.id in reviews and remit.trace in str(by_group[c.id])),
            D("0.00"),
        )
        # PLBs are posted by rule here, so the checks already hold them
        assert remit.amount == in_pms + waiting, remit.trace

    work = env.work_dir / "era" / PID / "work" / "quarantine"
    assert sorted(p.name for p in work.iterdir()) == [
        "04-broken-transfer.835",
        "04-broken-transfer.835.error.json",
    ]

    before = counts(env)
    second = run_cycle(path)
    assert summary(second, "era")["files"] == 0
    assert summary(second, "posting")["posted"] == 0
    assert counts(env) == before


def test_run_once_cli_then_status(fresh: SandboxEnvironment, tmp_path: Path) -> None:
    """`connector run --once` (a real subprocess) completes a cycle over both sources and
    prints its summary; `connector status` then shows the cycle."""
    path = config(fresh, tmp_path)
    cli = [sys.executable, "-m", "connector.cli"]
    run = subprocess.run(
        [*cli, "run", "--once", "--config", str(path)],
        capture_output=True, text=True, timeout=120, check=False, cwd=REPO,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    lines = {tuple(line.split()[:3]) for line in run.stdout.splitlines()}
    assert {(PID, "stripe", "ok"), (PID, "era", "ok"), (PID, "posting", "ok")} <= lines
    status = subprocess.run(
        [*cli, "status", "--json", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr[-3000:]
    doc = json.loads(status.stdout)["practices"][PID]
    assert set(doc["polls"]) == {"stripe", "era", "posting"}
    assert all(p["last_ok_at"] and not p["consecutive_failures"] for p in doc["polls"].values())
    assert doc["polls"]["posting"]["last_summary"]["posted"] >= 1
    assert doc["items"]["posted"] >= 1 and doc["open_reviews"] >= 1
    table = subprocess.run(
        [*cli, "status", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
    )  # fmt: skip
    assert f"{PID} (opendental)" in table.stdout and "last ok 20" in table.stdout
