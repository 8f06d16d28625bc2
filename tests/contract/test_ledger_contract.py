"""The behaviour every PMS adapter must show (run once per adapter in conftest.FACTORIES)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adapters.base import ClaimMatch, ClaimRecord, Ledger, PatientStatus, marker_for
from connector.domain import AllocationMode, PatientNote, ProcedurePayment, Split
from connector.errors import DataError, PermanentError
from tests.contract.harness import Harness, SplitView
from tests.contract.plans import insurance_plan, oldest_first, payment_plan, reversal_plan

pytestmark = pytest.mark.external_service
D = Decimal


def _same(written: dict[str, object], found: dict[str, object]) -> bool:
    """Two pms_ids name the same rows: they agree on every id they both carry."""
    shared = written.keys() & found.keys()
    return bool(shared) and all(written[k] == found[k] for k in shared)


def _views(splits: tuple[Split, ...]) -> list[SplitView]:
    return sorted(
        (
            SplitView(
                s.charge_kind or "unearned" if s.charge_ref else "unearned",
                s.charge_ref,
                s.patient_id,
                s.amount,
            )
            for s in splits
        ),
        key=repr,
    )


# -- patients and charges -----------------------------------------------------------------
def test_finds_patient_with_family_and_plans(harness: Harness, ledger: Ledger) -> None:
    """A known patient comes back with its guarantor, status and number of insurance plans."""
    sc = harness.scenario
    patient = ledger.find_patient(sc.two_plan_patient)
    assert patient is not None
    assert patient.patient_id == sc.two_plan_patient
    assert patient.guarantor_id == sc.guarantor
    assert patient.status is PatientStatus.ACTIVE
    assert patient.insurance_plan_count == 2


def test_unknown_patient_is_none(harness: Harness, ledger: Ledger) -> None:
    """An id the PMS does not have, or one that is not an id at all, gives None."""
    assert ledger.find_patient(harness.scenario.unknown_patient) is None
    assert ledger.find_patient("not-an-id") is None


def test_deleted_patient_is_found_as_deleted(harness: Harness, ledger: Ledger) -> None:
    """A deleted patient is found, with status deleted, so the engine can explain the refusal."""
    if harness.scenario.deleted_patient is None:
        pytest.skip(f"{harness.name} has no deleted-patient status we know of")
    patient = ledger.find_patient(harness.scenario.deleted_patient)
    assert patient is not None and patient.status is PatientStatus.DELETED


def test_family_charges_oldest_first_procedures_before_adjustments(
    harness: Harness, ledger: Ledger
) -> None:
    """Open charges of the whole family come oldest first, procedures before adjustments."""
    patient = ledger.find_patient(harness.scenario.family_member)
    assert patient is not None
    charges = ledger.family_charges(patient)
    got = [(c.kind.value, c.charge_ref, c.patient_id, c.amount_due) for c in charges]
    want = [(c.kind, c.ref, c.patient_id, c.amount_due) for c in harness.scenario.family_charges]
    assert got == want
    keys = [(c.date, c.kind.value != "procedure") for c in charges]
    assert keys == sorted(keys)


def test_patient_without_charges_has_none(harness: Harness, ledger: Ledger) -> None:
    """A paid-up single patient has no open charges."""
    patient = ledger.find_patient(harness.scenario.no_charges_patient)
    assert patient is not None
    assert ledger.family_charges(patient) == []


def test_types_are_listed_by_category(harness: Harness, ledger: Ledger) -> None:
    """Payment types carry their category and hidden flag; adjustment types their sign."""
    sc = harness.scenario
    types = {(t.category, t.id): t for t in ledger.payment_types()}
    assert ("payment", sc.payment_type) in types
    assert not types[("payment", sc.payment_type)].hidden
    if sc.hidden_payment_type is not None:
        assert types[("payment", sc.hidden_payment_type)].hidden
    if sc.insurance_payment_type is not None:
        assert ("insurance_payment", sc.insurance_payment_type) in types
    adjustments = ledger.adjustment_types()
    assert adjustments and all(t.category == "adjustment" for t in adjustments)
    signs = {t.sign for t in adjustments}
    assert ({"+", "-"} <= signs) if sc.adjustment_signs else signs == {None}


# -- patient payments ---------------------------------------------------------------------
def _family(ledger: Ledger, harness: Harness):  # type: ignore[no-untyped-def]
    patient = ledger.find_patient(harness.scenario.family_member)
    assert patient is not None
    return patient, ledger.family_charges(patient)


def test_allocate_oldest_first_writes_the_planned_splits(harness: Harness, ledger: Ledger) -> None:
    """An oldest-first plan over the family is written with exactly its splits."""
    sc = harness.scenario
    patient, charges = _family(ledger, harness)
    amount = D("80.00")  # covers three procedures and part of the same-day adjustment
    splits = oldest_first(charges, amount, sc.guarantor)
    plan = payment_plan(
        "txn_contract_fifo",
        sc.guarantor,
        amount,
        splits,
        payment_type=sc.payment_type,
        day=sc.today,
    )
    entry = ledger.post_patient_payment(plan)
    assert not entry.already_existed and entry.amount == amount
    assert sorted(harness.payment_splits(entry.pms_ids), key=repr) == _views(splits)
    after = {(c.kind.value, c.charge_ref): c.amount_due for c in ledger.family_charges(patient)}
    for split in splits:
        before = next(
            c.amount_due
            for c in charges
            if c.charge_ref == split.charge_ref and c.kind.value == split.charge_kind
        )
        assert after.get((split.charge_kind or "", split.charge_ref or ""), D("0.00")) == (
            before - split.amount
        )


def test_allocate_explicit_splits_out_of_order(harness: Harness, ledger: Ledger) -> None:
    """A plan paying the newest procedures first is written as planned, not re-split."""
    sc = harness.scenario
    _patient, charges = _family(ledger, harness)
    procedures = [c for c in charges if c.kind.value == "procedure"]
    newest, second = procedures[-1], procedures[-2]
    # The newest gets more than the older one, which stays partly open: no FIFO gives this.
    splits = (
        Split(D("100.00"), newest.patient_id, newest.provider_id, newest.charge_ref, "procedure"),
        Split(D("10.00"), second.patient_id, second.provider_id, second.charge_ref, "procedure"),
    )
    amount = D("110.00")
    plan = payment_plan(
        "txn_contract_explicit",
        sc.guarantor,
        amount,
        splits,
        payment_type=sc.payment_type,
        day=sc.today,
    )
    entry = ledger.post_patient_payment(plan)
    assert sorted(harness.payment_splits(entry.pms_ids), key=repr) == _views(splits)
    found = harness.ledger().find_posting("txn_contract_explicit")
    assert found is not None and _same(entry.pms_ids, found.pms_ids)


def test_post_only_writes_one_unapplied_split(harness: Harness, ledger: Ledger) -> None:
    """Post-only mode writes one unapplied (prepayment) split and leaves charges open (in a
    balance-forward PMS the family simply owes that much less, oldest charges first)."""
    sc = harness.scenario
    patient, charges = _family(ledger, harness)
    plan = payment_plan(
        "txn_contract_postonly",
        sc.family_member,
        D("55.55"),
        (Split(D("55.55"), sc.family_member),),
        payment_type=sc.payment_type,
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    entry = ledger.post_patient_payment(plan)
    assert harness.payment_splits(entry.pms_ids) == [
        SplitView("unearned", None, sc.family_member, D("55.55"))
    ]
    after = ledger.family_charges(patient)
    if sc.balance_forward:
        due = sum((c.amount_due for c in charges), D("0"))
        assert sum((c.amount_due for c in after), D("0")) == due - D("55.55")
    else:
        assert after == charges


def test_lists_the_familys_payments_in_a_window_ours_and_staffs(
    harness: Harness, ledger: Ledger
) -> None:
    """``patient_payments``: the family's payments dated in the window, each with its amount,
    date, patient and type; a payment staff keyed in by hand is not ``ours``, ours is. A
    payment outside the window, or of another family, is not listed."""
    sc = harness.scenario
    patient, _ = _family(ledger, harness)
    day = sc.today
    hand = harness.enter_by_hand(sc.family_member, day, D("45.00"))
    early = harness.enter_by_hand(sc.family_member, day - dt.timedelta(days=10), D("45.00"))
    other = harness.enter_by_hand(sc.no_charges_patient, day, D("45.00"))
    plan = payment_plan(
        "txn_contract_hand_entry",
        sc.family_member,
        D("45.00"),
        (Split(D("45.00"), sc.family_member),),
        payment_type=sc.payment_type,
        day=day,
        mode=AllocationMode.POST_ONLY,
    )
    ledger.post_patient_payment(plan)
    found = ledger.patient_payments(patient, day - dt.timedelta(days=3), day + dt.timedelta(days=3))
    by_id = {p.pms_id: p for p in found}
    assert hand in by_id and early not in by_id and other not in by_id
    staff = by_id[hand]
    assert (staff.amount, staff.date, staff.patient_id, staff.ours) == (
        D("45.00"), day, sc.family_member, False)  # fmt: skip
    assert staff.payment_type  # the PMS's name for the scenario's payment type
    ours = [p for p in found if p.ours]
    assert ours and all(p.amount == D("45.00") and p.date == day for p in ours)
    assert [p.date for p in found] == sorted(p.date for p in found)
    assert (
        ledger.patient_payments(patient, day + dt.timedelta(days=1), day + dt.timedelta(days=3))
        == []
    )


def test_posting_the_same_plan_twice_writes_once(harness: Harness, ledger: Ledger) -> None:
    """A second post of the same plan returns the first posting and writes nothing new."""
    sc = harness.scenario
    _patient, charges = _family(ledger, harness)
    plan = payment_plan(
        "txn_contract_twice",
        sc.guarantor,
        D("20.00"),
        oldest_first(charges, D("20.00"), sc.guarantor),
        payment_type=sc.payment_type,
        day=sc.today,
    )
    first = ledger.post_patient_payment(plan)
    second = ledger.post_patient_payment(plan)
    assert second.already_existed and _same(first.pms_ids, second.pms_ids)
    assert harness.rows_with_marker(plan.marker) == 1


def test_finds_own_posting_after_a_crash(harness: Harness, ledger: Ledger) -> None:
    """After a restart, find_posting by the external key returns what was written."""
    sc = harness.scenario
    _patient, charges = _family(ledger, harness)
    plan = payment_plan(
        "txn_contract_crash",
        sc.guarantor,
        D("33.00"),
        oldest_first(charges, D("33.00"), sc.guarantor),
        payment_type=sc.payment_type,
        day=sc.today,
    )
    written = ledger.post_patient_payment(plan).pms_ids  # then "crash": forget the result
    restarted = harness.ledger()
    try:
        found = restarted.find_posting("txn_contract_crash")
        assert found is not None and found.already_existed
        assert _same(written, found.pms_ids)
        assert found.amount == D("33.00")
        assert restarted.find_posting("txn_contract_never_written") is None
    finally:
        restarted.close()


def test_finds_own_posting_with_the_patient_hint(harness: Harness, ledger: Ledger) -> None:
    """find_posting given the payment's patient finds exactly what the full search finds."""
    sc = harness.scenario
    _patient, charges = _family(ledger, harness)
    plan = payment_plan("txn_contract_hinted", sc.guarantor, D("21.00"),
                        oldest_first(charges, D("21.00"), sc.guarantor),
                        payment_type=sc.payment_type, day=sc.today)  # fmt: skip
    written = ledger.post_patient_payment(plan).pms_ids
    restarted = harness.ledger()
    try:
        hinted = restarted.find_posting("txn_contract_hinted", patient_id=sc.guarantor)
        full = restarted.find_posting("txn_contract_hinted")
        assert hinted is not None and full is not None and hinted.already_existed
        assert _same(written, hinted.pms_ids) and hinted.pms_ids == full.pms_ids
        assert hinted.amount == full.amount == D("21.00")
        missing = restarted.find_posting("txn_contract_never_hinted", patient_id=sc.guarantor)
        assert missing is None
    finally:
        restarted.close()


def test_writes_the_patient_note(harness: Harness, ledger: Ledger) -> None:
    """A note lands on the patient's account with its text and the key's marker, once."""
    sc = harness.scenario
    note = PatientNote(
        sc.guarantor,
        "Online payment 80.00 received (Stripe ch_test).",
        when=__import__("datetime").datetime(2026, 1, 5, 10, 30),
        external_ref="txn_contract_note",
    )
    ids = ledger.add_patient_note(note)
    text = harness.note_text(ids)
    assert note.text in text and marker_for("txn_contract_note") in text
    again = ledger.add_patient_note(note)
    assert _same(ids, again)


def test_full_reversal_restores_the_charges(harness: Harness, ledger: Ledger) -> None:
    """Refunding a whole payment writes a negative entry and reopens the charges (or, where
    refunds are debit adjustments, owes the same total again through a new adjustment)."""
    sc = harness.scenario
    patient, charges = _family(ledger, harness)
    plan = payment_plan(
        "txn_contract_refunded",
        sc.guarantor,
        D("40.00"),
        oldest_first(charges, D("40.00"), sc.guarantor),
        payment_type=sc.payment_type,
        day=sc.today,
    )
    posted = ledger.post_patient_payment(plan)
    reversal = reversal_plan(
        "txn_contract_refund",
        "txn_contract_refunded",
        posted.pms_ids,
        sc.guarantor,
        D("40.00"),
        day=sc.today,
        adjustment_type=sc.refund_adjustment_type,
    )
    entry = ledger.post_reversal(reversal)
    assert harness.payment_amount(entry.pms_ids) == D("-40.00")
    after = ledger.family_charges(patient)
    if sc.refund_reopens_charges:
        assert after == charges
    else:
        total = sum((c.amount_due for c in charges), D("0"))
        assert sum((c.amount_due for c in after), D("0")) == total
        new = [c for c in after if c.charge_ref not in {x.charge_ref for x in charges}]
        assert [(c.kind.value, c.amount_due) for c in new] == [("adjustment", D("40.00"))]
    found = ledger.find_posting("txn_contract_refund")
    assert found is not None and _same(entry.pms_ids, found.pms_ids)
    original = ledger.find_posting("txn_contract_refunded")
    assert original is not None and _same(posted.pms_ids, original.pms_ids)
    assert not _same(posted.pms_ids, found.pms_ids)
    assert ledger.post_reversal(reversal).already_existed


def test_partial_reversal(harness: Harness, ledger: Ledger) -> None:
    """Refunding part of a payment writes a negative entry of that amount."""
    sc = harness.scenario
    plan = payment_plan(
        "txn_contract_partial",
        sc.family_member,
        D("50.00"),
        (Split(D("50.00"), sc.family_member),),
        payment_type=sc.payment_type,
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    posted = ledger.post_patient_payment(plan)
    entry = ledger.post_reversal(
        reversal_plan(
            "txn_contract_partial_refund",
            "txn_contract_partial",
            posted.pms_ids,
            sc.family_member,
            D("20.00"),
            day=sc.today,
            adjustment_type=sc.refund_adjustment_type,
        )
    )
    assert harness.payment_amount(entry.pms_ids) == D("-20.00")


# -- insurance ----------------------------------------------------------------------------
def test_finds_claim_with_lines_and_plan_count(harness: Harness, ledger: Ledger) -> None:
    """A claim is found by its identifier with its procedure lines and the plan count; an
    identifier no claim has finds nothing."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    assert claim.patient_id == sc.open_claim_patient and not claim.received
    assert claim.plan_count == 2 and claim.has_secondary_plan
    assert len(claim.lines) >= 2
    assert sum((line.fee for line in claim.lines), D("0")) == claim.total_fee
    assert ledger.find_claims(ClaimMatch(claim_identifier="no-such-claim")) == []
    assert ledger.find_claims(ClaimMatch(claim_identifier="987654")) == []


def test_finds_claims_by_payer_claim_number_where_stored(harness: Harness, ledger: Ledger) -> None:
    """A payer claim number (CLP07) finds the claim it is stored on; a PMS that stores none
    finds nothing by it (documented per vendor), and an unknown number finds nothing."""
    sc = harness.scenario
    assert ledger.find_claims(ClaimMatch(payer_claim_control="NO-SUCH-PCN")) == []
    if sc.open_claim_payer_control is None:
        assert ledger.find_claims(ClaimMatch(payer_claim_control=sc.open_claim_identifier)) == []
        return
    (claim,) = ledger.find_claims(ClaimMatch(payer_claim_control=sc.open_claim_payer_control))
    assert claim.patient_id == sc.open_claim_patient


def _open_claim(harness: Harness, ledger: Ledger) -> ClaimRecord:
    (claim,) = ledger.find_claims(
        ClaimMatch(claim_identifier=harness.scenario.open_claim_identifier)
    )
    return claim


def test_finds_claims_by_service_window_with_and_without_charge(
    harness: Harness, ledger: Ledger
) -> None:
    """A service window finds the claims whose date of service is in it; a total charge and
    a patient narrow it; a day outside it or another charge finds nothing."""
    claim = _open_claim(harness, ledger)
    day = claim.date_service
    one_day = ledger.find_claims(ClaimMatch(service_from=day))
    assert claim.claim_id in [c.claim_id for c in one_day]
    assert all(c.date_service == day for c in one_day)
    by_charge = ledger.find_claims(ClaimMatch(service_from=day, total_charge=claim.total_fee))
    assert [c.claim_id for c in by_charge] == [claim.claim_id]
    by_patient = ledger.find_claims(
        ClaimMatch(service_from=day, patient_id=claim.patient_id, total_charge=claim.total_fee)
    )
    assert [c.claim_id for c in by_patient] == [claim.claim_id]
    wide = ledger.find_claims(
        ClaimMatch(
            service_from=day - dt.timedelta(days=3),
            service_to=day + dt.timedelta(days=3),
            total_charge=claim.total_fee,
        )
    )
    assert [c.claim_id for c in wide] == [claim.claim_id]
    assert (
        ledger.find_claims(ClaimMatch(service_from=day, total_charge=claim.total_fee + D("0.01")))
        == []
    )
    after = day + dt.timedelta(days=1)
    assert claim.claim_id not in [
        c.claim_id for c in ledger.find_claims(ClaimMatch(service_from=after))
    ]


def test_service_window_naming_another_patient_finds_nothing(
    harness: Harness, ledger: Ledger
) -> None:
    """A window and charge that fit a claim, but naming another patient, find nothing."""
    claim = _open_claim(harness, ledger)
    other = harness.scenario.received_claim_patient
    assert other != claim.patient_id
    found = ledger.find_claims(
        ClaimMatch(service_from=claim.date_service, total_charge=claim.total_fee, patient_id=other)
    )
    assert found == []


def test_two_claims_on_one_day_are_both_found(harness: Harness, ledger: Ledger) -> None:
    """Two claims with the same date of service and charge both come back, by claim id; the
    patient tells them apart when named."""
    claim = _open_claim(harness, ledger)
    other = harness.scenario.received_claim_patient
    added = harness.add_claim(other, claim.date_service, claim.total_fee)
    fresh = harness.ledger()
    try:
        match = ClaimMatch(service_from=claim.date_service, total_charge=claim.total_fee)
        assert [c.claim_id for c in fresh.find_claims(match)] == [claim.claim_id, added]
        mine = ClaimMatch(
            service_from=claim.date_service, total_charge=claim.total_fee, patient_id=other
        )
        (found,) = fresh.find_claims(mine)
        assert (found.claim_id, found.patient_id) == (added, other)
    finally:
        fresh.close()


def test_insurance_payment_line_by_line(harness: Harness, ledger: Ledger) -> None:
    """Paid, write-off and deductible land per line; claim received; one check for the sum."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    first, second = claim.lines[0], claim.lines[1]
    lines = (
        ProcedurePayment(
            first.proc_ref,
            paid=D("110.00"),
            writeoff=D("25.00"),
            deductible=D("15.00"),
            remarks="CO-45 PR-1",
        ),
        ProcedurePayment(second.proc_ref, paid=D("50.00"), writeoff=D("5.00")),
    )
    plan = insurance_plan(
        "era:T:EFT20260105:160.00:20260105:2/2::1",
        claim.claim_id,
        claim.patient_id,
        lines,
        day=sc.today,
        payment_type=sc.insurance_payment_type,
    )
    journal = harness.journal()
    entry = ledger.post_insurance_payment(plan, journal)
    assert entry.amount == D("160.00") and not entry.already_existed
    state = harness.claim_lines(claim.claim_id)
    assert state[first.proc_ref].received and state[second.proc_ref].received
    assert (
        state[first.proc_ref].paid,
        state[first.proc_ref].writeoff,
        state[first.proc_ref].deductible,
    ) == (D("110.00"), D("25.00"), D("15.00"))
    assert (state[second.proc_ref].paid, state[second.proc_ref].writeoff) == (D("50.00"), D("5.00"))
    assert harness.claim_received(claim.claim_id)
    assert harness.claim_checks(claim.claim_id) == [D("160.00")]
    found = harness.ledger().find_posting(plan.external_ref)
    assert found is not None and found.amount == D("160.00")
    again = ledger.post_insurance_payment(plan, harness.journal())
    assert again.already_existed and harness.claim_checks(claim.claim_id) == [D("160.00")]


def test_supplemental_insurance_payment(harness: Harness, ledger: Ledger) -> None:
    """Money on an already received claim is added as supplemental with its own check."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.received_claim_identifier))
    assert claim.received
    line = claim.lines[0]
    before = harness.claim_lines(claim.claim_id)[line.proc_ref].paid
    plan = insurance_plan(
        "era:T:EFT2:5.00:20260105:1/1::1",
        claim.claim_id,
        claim.patient_id,
        (ProcedurePayment(line.proc_ref, paid=D("5.00")),),
        day=sc.today,
        payment_type=sc.insurance_payment_type,
        supplemental=True,
    )
    ledger.post_insurance_payment(plan, harness.journal())
    assert harness.claim_lines(claim.claim_id)[line.proc_ref].paid == before + D("5.00")
    assert D("5.00") in harness.claim_checks(claim.claim_id)


# -- refusals -----------------------------------------------------------------------------
def test_refuses_splits_that_do_not_add_up(harness: Harness, ledger: Ledger) -> None:
    """Splits that do not sum to the amount are a PermanentError; nothing is written."""
    sc = harness.scenario
    plan = payment_plan(
        "txn_contract_bad_sum",
        sc.guarantor,
        D("10.00"),
        (Split(D("9.99"), sc.guarantor),),
        payment_type=sc.payment_type,
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    with pytest.raises(PermanentError):
        ledger.post_patient_payment(plan)
    assert harness.rows_with_marker(plan.marker) == 0


def test_refuses_unknown_patient(harness: Harness, ledger: Ledger) -> None:
    """A payment for a patient the PMS does not have is a DataError."""
    sc = harness.scenario
    plan = payment_plan(
        "txn_contract_nobody",
        sc.unknown_patient,
        D("10.00"),
        (Split(D("10.00"), sc.unknown_patient),),
        payment_type=sc.payment_type,
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    with pytest.raises(DataError):
        ledger.post_patient_payment(plan)


def test_refuses_deleted_patient(harness: Harness, ledger: Ledger) -> None:
    """A payment for a deleted patient is a DataError."""
    sc = harness.scenario
    if sc.deleted_patient is None:
        pytest.skip(f"{harness.name} has no deleted-patient status we know of")
    plan = payment_plan(
        "txn_contract_deleted",
        sc.deleted_patient,
        D("10.00"),
        (Split(D("10.00"), sc.deleted_patient),),
        payment_type=sc.payment_type,
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    with pytest.raises(DataError):
        ledger.post_patient_payment(plan)


@pytest.mark.parametrize("which", ["unknown_payment_type", "hidden_payment_type"])
def test_refuses_unusable_payment_type(harness: Harness, ledger: Ledger, which: str) -> None:
    """An unknown or hidden payment type is a PermanentError."""
    sc = harness.scenario
    if getattr(sc, which) is None:
        pytest.skip(f"{harness.name} has no {which.replace('_', ' ')}")
    plan = payment_plan(
        "txn_contract_type",
        sc.guarantor,
        D("10.00"),
        (Split(D("10.00"), sc.guarantor),),
        payment_type=getattr(sc, which),
        day=sc.today,
        mode=AllocationMode.POST_ONLY,
    )
    with pytest.raises(PermanentError):
        ledger.post_patient_payment(plan)


def test_refuses_a_split_larger_than_its_charge(harness: Harness, ledger: Ledger) -> None:
    """A split asking more than the charge still owes (data changed) is a DataError."""
    sc = harness.scenario
    _patient, charges = _family(ledger, harness)
    charge = charges[0]
    too_much = charge.amount_due + D("1.00")
    plan = payment_plan(
        "txn_contract_stale",
        sc.guarantor,
        too_much,
        (
            Split(
                too_much,
                charge.patient_id,
                charge.provider_id,
                charge.charge_ref,
                charge.kind.value,
            ),
        ),
        payment_type=sc.payment_type,
        day=sc.today,
    )
    with pytest.raises(DataError):
        ledger.post_patient_payment(plan)


def test_refuses_insurance_line_not_on_the_claim(harness: Harness, ledger: Ledger) -> None:
    """An insurance line for a procedure that is not on the claim is a DataError; no write."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    plan = insurance_plan(
        "era:T:X:1.00:20260105:2/2::1",
        claim.claim_id,
        claim.patient_id,
        (ProcedurePayment("424242", paid=D("1.00")),),
        day=sc.today,
        payment_type=None,
    )
    with pytest.raises(DataError):
        ledger.post_insurance_payment(plan, harness.journal())
    assert not any(line.received for line in harness.claim_lines(claim.claim_id).values())


def test_refuses_insurance_for_unknown_claim_or_other_patient(
    harness: Harness, ledger: Ledger
) -> None:
    """An unknown claim, or a claim of another patient, is a DataError."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.open_claim_identifier))
    line = (ProcedurePayment(claim.lines[0].proc_ref, paid=D("1.00")),)
    with pytest.raises(DataError):
        ledger.post_insurance_payment(
            insurance_plan(
                "era:k1", "987654", claim.patient_id, line, day=sc.today, payment_type=None
            ),
            harness.journal(),
        )
    with pytest.raises(DataError):
        ledger.post_insurance_payment(
            insurance_plan(
                "era:k2",
                claim.claim_id,
                sc.no_charges_patient,
                line,
                day=sc.today,
                payment_type=None,
            ),
            harness.journal(),
        )


def test_refuses_original_payment_on_received_claim(harness: Harness, ledger: Ledger) -> None:
    """Posting original (not supplemental) money on a received claim is a DataError."""
    sc = harness.scenario
    (claim,) = ledger.find_claims(ClaimMatch(claim_identifier=sc.received_claim_identifier))
    plan = insurance_plan(
        "era:k3",
        claim.claim_id,
        claim.patient_id,
        (ProcedurePayment(claim.lines[0].proc_ref, paid=D("1.00")),),
        day=sc.today,
        payment_type=None,
    )
    with pytest.raises(DataError):
        ledger.post_insurance_payment(plan, harness.journal())


@pytest.mark.parametrize(
    ("amounts", "code"),
    [
        ((), "plan_invalid"),
        (("10.00", "-1.00"), "plan_invalid"),
        (("5.00",), "plan_splits_mismatch"),
    ],
)
def test_shared_plan_rules_give_the_same_codes_everywhere(
    amounts: tuple[str, ...], code: str
) -> None:
    """Every adapter refuses malformed payment plans through one helper with stable codes."""
    import datetime as dt
    from decimal import Decimal

    from adapters.base import check_payment_plan, marker_for
    from connector.domain import AllocationMode, PatientPaymentPlan, Split

    plan = PatientPaymentPlan(
        "txn_bad",
        marker_for("txn_bad"),
        "1",
        Decimal("9.00"),
        dt.date(2026, 11, 1),
        "1",
        AllocationMode.ALLOCATE_OLDEST_FIRST,
        tuple(Split(Decimal(a), "1") for a in amounts),
    )
    with pytest.raises(PermanentError) as info:
        check_payment_plan(plan)
    assert info.value.code == code


def test_claims_of_one_remittance_each_post_once(harness: Harness, ledger: Ledger) -> None:
    """Two claims paid by one remittance (one check/EFT): each posts once, each is found by its
    own key afterwards, and posting either again writes nothing."""
    claim = _open_claim(harness, ledger)
    other = harness.scenario.received_claim_patient
    added_id = harness.add_claim(other, claim.date_service, claim.total_fee)
    fresh = harness.ledger()
    try:
        (added,) = [
            c
            for c in fresh.find_claims(
                ClaimMatch(
                    service_from=claim.date_service, total_charge=claim.total_fee, patient_id=other
                )
            )
            if c.claim_id == added_id
        ]
        paid = [D("10.00") for c in (claim, added) for _line in c.lines]
        remittance = ("era:T:EFT31:SHARED:20260105", sum(paid, D("0.00")) + D("5.00"))
        plans = [
            insurance_plan(
                f"{remittance[0]}:{c.claim_id}",
                c.claim_id,
                c.patient_id,
                tuple(ProcedurePayment(line.proc_ref, paid=D("10.00")) for line in c.lines),
                day=harness.scenario.today,
                payment_type=harness.scenario.insurance_payment_type,
                remittance=remittance,
            )
            for c in (claim, added)
        ]
        for plan in plans:
            entry = fresh.post_insurance_payment(plan, harness.journal())
            assert not entry.already_existed and entry.amount == plan.paid_total
        for plan, c in zip(plans, (claim, added), strict=True):
            found = harness.ledger().find_posting(plan.external_ref)
            assert found is not None and found.amount == plan.paid_total
            again = fresh.post_insurance_payment(plan, harness.journal())
            assert again.already_existed
            lines = harness.claim_lines(c.claim_id)
            assert all(lines[line.proc_ref].paid == D("10.00") for line in c.lines)
            assert harness.claim_received(c.claim_id)
    finally:
        fresh.close()


def test_note_keeps_the_practice_local_time_across_midnight_utc(
    harness: Harness, ledger: Ledger
) -> None:
    """A note made at 21:30 practice time on 11-21 (03:30 UTC on 11-22 in Chicago) is stored
    with 2026-11-21 21:30:00 — the time its text shows — whatever the server's zone."""
    sc = harness.scenario
    when = dt.datetime(2026, 11, 21, 21, 30)
    note = PatientNote(sc.guarantor, "Paid 150.00 on 2026-11-21 at 21:30.", when, "txn_late")
    ids = ledger.add_patient_note(note)
    assert harness.note_time(ids) == when
