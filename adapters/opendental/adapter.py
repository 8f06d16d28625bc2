"""Open Dental ledger: reads over ODBC (SELECT-only user), writes through the REST API only.

Open Dental forbids third-party writes to its database (rows carry security hashes only Open
Dental can compute), so nothing here ever sends INSERT/UPDATE/DELETE over ODBC; every write is
an API call, and every written row carries the plan's marker so :meth:`find_posting` can see it
over ODBC after a crash.

Retries: reads reconnect once; idempotent API steps (PUT) are retried once with tenacity on a
transient error; non-idempotent POSTs first *look* (over ODBC) whether the write landed, and are
re-sent once only when it did not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from decimal import Decimal
from typing import Any

import structlog

from adapters.base import (
    CarrierEraAutomation,
    ChargeKind,
    ClaimMatch,
    ClaimRecord,
    EraAutomation,
    OfficeEraSettings,
    OpenCharge,
    PatientRecord,
    PatientStatus,
    PmsPayment,
    PmsType,
    StepJournal,
    UnclaimedProcedure,
    VendorInfo,
    check_payment_plan,
    has_marker,
    marker_for,
)
from adapters.opendental import mapping, patients, queries, remittance_check, versions
from adapters.opendental.allocation import predict_auto_split, same_splits
from adapters.opendental.api import OpenDentalApi, day, moment, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.deposits import DepositWriter
from adapters.opendental.era_prefs import read_office_era_settings
from adapters.opendental.insurance import InsurancePoster
from adapters.opendental.retry import once_more_if_absent, retry_idempotent
from adapters.opendental.versions import REMITTANCE_CHECK, Version
from adapters.patient_search import PatientMatch, PatientQuery
from connector.domain import (
    AllocationMode,
    DepositPlan,
    InsurancePaymentPlan,
    PatientNote,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
)
from connector.errors import DataError, PermanentError
from connector.money import ZERO, total

log = structlog.get_logger("adapters.opendental")

# Appended to PayNote while an explicitly allocated payment still holds Open Dental's single
# prepayment split (between POST /payments and PUT /payments/{PayNum}/Partial).
EXPLICIT_TAG = "(explicit allocation)"
MANUAL_NOTE = " (the office splits payments by hand: RigorousAccounting 2)"
DEFINITIONS_TTL = 300.0
PAY_NOTE_MAX = 2000


class OpenDentalLedger:
    """The :class:`adapters.base.Ledger` for Open Dental 24.3+ (API features: see docs)."""

    vendor = "opendental"

    def __init__(
        self,
        *,
        db: ReadOnlyDb,
        api: OpenDentalApi,
        practice_id: str,
    ) -> None:
        self.db = db
        self.api = api
        self.practice_id = practice_id
        self._defs: tuple[float, list[Any]] | None = None
        # What find_posting and the planning reads of the item being posted found, so that
        # post_patient_payment for that item does not read the patient, the family's charges
        # and the marker again (4 reads per payment instead of 7; docs/benchmarks.md §5).
        # Only post_patient_payment uses it, once, for the same key; a new find_posting starts
        # it afresh. Keys: "key", "absent_for" (PatNum searched, or "all"),
        # ("patient", ref), ("charges", guarantor).
        self._item_reads: dict[Any, Any] = {}
        self._version: tuple[float, Version | None] | None = None
        self._manual: tuple[float, bool] | None = None  # RigorousAccounting = 2, cached
        self._era: tuple[float, OfficeEraSettings] | None = None
        self._deposits = DepositWriter(db, api)
        self._insurance = InsurancePoster(
            db,
            api,
            log=log.bind(practice_id=practice_id),
            remittance_checks=lambda: versions.has(self.office_version(), *REMITTANCE_CHECK),
        )

    # -- reads ----------------------------------------------------------------------------
    def ping(self) -> VendorInfo:
        """Reach the database and report Open Dental's version (pref DataBaseVersion)."""
        row = self.db.fetchone("server_version", queries.SERVER_VERSION)
        server, version = (row[0], row[1]) if row else (None, None)
        parsed = versions.parse_version(version)
        detail: dict[str, Any] = {"database": server}
        if parsed is None:
            detail["unavailable"] = [
                f"the Open Dental version ({version or 'none'}) cannot be read from pref "
                "DataBaseVersion: features are not checked against it"
            ]
        else:
            detail["unavailable"] = versions.unavailable(parsed)
        return VendorInfo(vendor=self.vendor, version=version, detail=detail)

    def office_era_settings(self) -> OfficeEraSettings:
        """The office's ERA preferences (:mod:`adapters.opendental.era_prefs`), cached for a
        while (the :class:`~adapters.base.OfficeEraDefaults` capability)."""
        now = time.monotonic()
        if self._era is None or now - self._era[0] > DEFINITIONS_TTL:
            self._era = (now, read_office_era_settings(self.db))
        return self._era[1]

    def office_version(self) -> Version | None:
        """The office's Open Dental version (pref ``DataBaseVersion``), cached for a while;
        None when it cannot be read as a version."""
        now = time.monotonic()
        if self._version is None or now - self._version[0] > DEFINITIONS_TTL:
            row = self.db.fetchone("server_version", queries.SERVER_VERSION)
            self._version = (now, versions.parse_version(row[1] if row else None))
        return self._version[1]

    def _need(self, what: str, *features: str) -> None:
        """Refuse, before writing anything, work the office's Open Dental version cannot do.

        Raises:
            DataError: ``feature_unavailable`` (a review: nothing was written).
        """
        version = self.office_version()
        lacking = versions.missing(version, *features)
        if lacking and version is not None:
            needs = ", ".join(f"{e.request} (since {versions.show(e.since)})" for e in lacking)
            raise DataError(
                f"{what}: Open Dental {versions.show(version)} at this office has no {needs}; "
                "nothing was written",
                code="feature_unavailable",
                context={"needs": versions.show(max(e.since for e in lacking))},
            )

    def ping_services(self) -> VendorInfo:
        """:meth:`ping`, then one read-only API request (``GET /preferences``): both services
        posting goes through answer (the :class:`~adapters.base.ServicesPing` capability).

        Unverified: whether an office's API key always includes the free read permission; if
        it does not, the request is refused (AuthError) and the posting job treats it as an
        outage, which is what it did before it probed at all.

        Raises:
            AuthError: credentials refused. TransientError: the database or the API is down.
        """
        info = self.ping()
        self.api.preferences("DataBaseVersion")
        return VendorInfo(info.vendor, info.version, {**info.detail, "api": "answered"})

    def find_patient(self, patient_ref: str) -> PatientRecord | None:
        """The patient with PatNum ``patient_ref`` (deleted ones included), else None."""
        pat_num = mapping.key(patient_ref)
        if pat_num is None:
            return None
        row = self.db.fetchone("patient", queries.PATIENT, (pat_num,))
        record = mapping.patient_record(row) if row else None
        if "key" in self._item_reads:  # an item is being posted (see __init__)
            self._item_reads[("patient", patient_ref)] = record
        return record

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open charges of the patient's family (same Guarantor), oldest first."""
        guarantor = mapping.key(patient.guarantor_id)
        if guarantor is None:
            return []
        rows = self.db.fetchall("family_charges", queries.FAMILY_CHARGES, (guarantor, guarantor))
        charges = mapping.open_charges(rows)
        if "key" in self._item_reads:
            self._item_reads[("charges", guarantor)] = list(charges)
        return charges

    def _definitions(self) -> list[Any]:
        now = time.monotonic()
        if self._defs is None or now - self._defs[0] > DEFINITIONS_TTL:
            self._defs = (now, self.db.fetchall("definitions", queries.DEFINITIONS))
        return self._defs[1]

    def payment_types(self) -> list[PmsType]:
        """Patient payment types (category 10) and insurance payment types (category 32)."""
        defs = self._definitions()
        return mapping.pms_types(defs, 10) + mapping.pms_types(defs, 32)

    def adjustment_types(self) -> list[PmsType]:
        """Adjustment types (category 1) with their sign."""
        return mapping.pms_types(self._definitions(), 1)

    def _note_type(self) -> int | None:
        """The commlog type for financial notes (ItemValue FIN), if the office has one."""
        for def_num, cat, _name, value, hidden in self._definitions():
            if int(cat) == 27 and str(value).upper() == "FIN" and not hidden:
                return int(def_num)
        return None

    def era_automation(self) -> EraAutomation:
        """``EraAutomationBehavior`` and ``carrier.EraAutomationOverride`` over ODBC (modes per
        Open Dental's ``EraAutomationMode``: 1 review all, 2 semi-automatic, 3 fully
        automatic; read from its 24.3 source)."""
        office = self.db.fetchall("era_automation_office", queries.ERA_AUTOMATION_OFFICE)
        value = str(office[0][0]).strip() if office else ""
        carriers = self.db.fetchall("era_automation_carriers", queries.ERA_AUTOMATION_CARRIERS)
        return EraAutomation(
            office_mode=mapping.era_mode(int(value) if value.isdigit() else 1),
            carriers=tuple(
                CarrierEraAutomation(str(name), str(elect).strip() or None, mapping.era_mode(mode))
                for name, elect, mode in carriers
            ),
        )

    def patient_payments(
        self, patient: PatientRecord, start: dt.date, end: dt.date
    ) -> list[PmsPayment]:
        """The family's ``payment`` rows dated start…end over ODBC (entered by: the Open Dental
        user number, ``SecUserNumEntry``; 0 means not recorded)."""
        guarantor = mapping.key(patient.guarantor_id)
        if guarantor is None:
            return []
        rows = self.db.fetchall("family_payments", queries.FAMILY_PAYMENTS,
                                (guarantor, start, end))  # fmt: skip
        return [
            PmsPayment(
                pms_id=str(int(pay_num)),
                patient_id=str(int(pat_num)),
                date=_as_date(pay_date),
                amount=Decimal(amount),
                payment_type=str(type_name) or None,
                entered_by=f"Open Dental user #{int(user)}" if int(user or 0) else None,
                ours=has_marker(note),
            )
            for pay_num, pat_num, pay_date, amount, type_name, user, note in rows
        ]

    def find_posting(
        self, external_ref: str, *, patient_id: str | None = None
    ) -> PostedEntry | None:
        """A complete posting carrying this key's marker, read back over ODBC.

        With ``patient_id`` only that patient's payments are read (the ``PatNum`` index);
        otherwise every payment note and insurance check note is scanned (no index can
        serve a search inside ``PayNote``: its cost grows with the table).
        An explicitly allocated payment whose allocation did not finish is *not* reported:
        :meth:`post_patient_payment` finishes it when called again for the same plan.
        """
        marks = (marker_for(external_ref), marker_for(external_ref, auto=True))
        pat_num = mapping.key(patient_id)
        self._item_reads = {"key": external_ref}
        if pat_num is not None:
            rows = self.db.fetchall(
                "patient_postings_by_marker",
                queries.PATIENT_POSTINGS_BY_MARKER,
                (pat_num, *marks),
            )
        else:
            rows = self.db.fetchall(
                "postings_by_marker", queries.POSTINGS_BY_MARKER, (*marks, *marks)
            )
        payments = [r for r in rows if r[0] == "payment"]
        checks = [r for r in rows if r[0] == "claimpayment"]
        if payments:
            # The oldest row is ours; a later negative copy with the same note is a refund
            # that post_reversal has not relabelled yet. Later rows of the same sign are the
            # same key written again: reported as duplicates.
            _kind, pay_num, _pat, amount, note = payments[0]
            splits = self._splits(int(pay_num))
            if EXPLICIT_TAG in str(note) and any(int(s[5]) for s in splits):
                return None
            positive = Decimal(amount) >= ZERO
            again = tuple(
                {"PayNum": int(r[1]), "amount": Decimal(r[3])}
                for r in payments[1:]
                if (Decimal(r[3]) >= ZERO) == positive
            )
            entry = self._payment_entry(external_ref, int(pay_num), Decimal(amount), splits, True)
            return dataclasses.replace(entry, duplicates=again)
        on_check = (  # a claim posted onto its remittance's shared check (no patient hint)
            remittance_check.posted_claimprocs(self.db, external_ref)
            if pat_num is None and not payments and not checks
            else None
        )
        if on_check:
            return PostedEntry(
                external_ref=external_ref,
                pms_ids={
                    "ClaimPaymentNum": int(on_check[0][2]),
                    "ClaimNum": int(on_check[0][1]),
                    "ClaimProcNums": [int(r[0]) for r in on_check],
                },
                amount=total(Decimal(r[3]) for r in on_check),
                already_existed=True,
                steps_done=("claimpayment",),
            )
        if checks:
            _kind, check_num, _pat, amount, _note = checks[0]
            procs = self.db.fetchall(
                "claimprocs_of_claimpayment", queries.CLAIMPROCS_OF_CLAIMPAYMENT, (check_num,)
            )
            return PostedEntry(
                external_ref=external_ref,
                pms_ids={
                    "ClaimPaymentNum": int(check_num),
                    "ClaimNum": int(procs[0][1]) if procs else None,
                    "ClaimProcNums": [int(p[0]) for p in procs],
                },
                amount=Decimal(amount),
                already_existed=True,
                steps_done=("claimpayment",),
                duplicates=tuple(
                    {"ClaimPaymentNum": int(r[1]), "amount": Decimal(r[3])} for r in checks[1:]
                ),
            )
        self._item_reads["absent_for"] = pat_num if pat_num is not None else "all"
        return None

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """Claims whose ClaimIdentifier is exactly CLP01, or whose DateService is in the window
        (with ClaimFee and PatNum when named); by ClaimNum.

        Open Dental stores no payer claim control number on a claim (``OrigRefNum`` is the
        *original's* number on a replacement claim [U]), so that criterion gives ``[]``.
        Open Dental's own ERA import also accepts a 15-character prefix of ClaimIdentifier
        (see docs/vendors/opendental.md, [U]); we match it exactly.
        """
        if match.claim_identifier is not None:
            rows = self.db.fetchall(
                "claims_by_identifier", queries.CLAIMS_BY_IDENTIFIER, (match.claim_identifier,)
            )
        elif match.service_from is not None:
            params: list[Any] = list(match.window)
            if match.patient_id is not None:
                pat_num = mapping.key(match.patient_id)
                if pat_num is None:
                    return []
                params.append(pat_num)
            if match.total_charge is not None:
                params.append(match.total_charge)
            sql = queries.claims_in_window(
                by_patient=match.patient_id is not None, by_fee=match.total_charge is not None
            )
            rows = self.db.fetchall("claims_in_window", sql, params)
        else:
            return []
        return [
            mapping.claim_record(
                row, self.db.fetchall("claimprocs_of_claim", queries.CLAIMPROCS_OF_CLAIM, (row[0],))
            )
            for row in rows
        ]

    # -- patient payments -----------------------------------------------------------------
    def post_patient_payment(self, plan: PatientPaymentPlan) -> PostedEntry:
        """Write the plan's payment through ``POST /payments`` (and ``PUT …/Partial``).

        Idempotent by marker: a payment already carrying ``plan.marker`` is returned (its
        unfinished explicit allocation completed first) instead of posting again.

        Raises:
            PermanentError: splits ≠ amount, unknown/hidden payment type, or an allocation the
                API cannot express. DataError: unknown/deleted patient, or a split's charge is
                no longer open for that much. TransientError, AuthError.
        """
        self._check_payment_plan(plan)
        # what find_posting and planning read for this very item (see __init__), used once
        known = self._item_reads if self._item_reads.get("key") == plan.external_ref else {}
        self._item_reads = {}
        patient = self._live_patient(plan.patient_id, known.get(("patient", plan.patient_id)))
        existing = None
        if known.get("absent_for") not in ("all", int(patient.patient_id)):
            existing = self._marked_payment(plan.marker, patient=int(patient.patient_id))
        if existing is not None:
            return self._resume_payment(plan, existing)
        body: dict[str, Any] = {
            "PayAmt": money(plan.amount),
            "PatNum": int(patient.patient_id),
            "PayType": int(plan.payment_type_id),
            "PayDate": day(plan.date),
            "PayNote": self._pay_note(plan.marker, plan.note, plan.status_label),
        }
        if plan.merchant_fee is not None:
            body["MerchantFee"] = money(plan.merchant_fee)
        explicit: list[tuple[int, Decimal]] | None = None
        if plan.mode is AllocationMode.POST_ONLY:
            body["isPrepayment"] = "true"
        else:
            charges = known.get(("charges", mapping.key(patient.guarantor_id)))
            explicit = self._choose_allocation(plan, patient, body, charges)
        if explicit is not None:
            self._need(f"Payment {plan.external_ref} needs its own split", "explicit_allocation")
            body["isPrepayment"] = "true"
            body["PayNote"] = f"{body['PayNote']} {EXPLICIT_TAG}"
        created = once_more_if_absent(
            lambda: self.api.create_payment(body),
            lambda: self._payment_ids(plan.marker, patient=int(patient.patient_id)),
            step="payments_post",
        )
        pay_num = int(created["PayNum"])
        if explicit is not None:
            self._allocate_or_explain(plan, pay_num, explicit)
        return self._posted_payment(plan, pay_num)

    def supports_merchant_fee(self) -> bool:
        """True when the office's version takes ``MerchantFee`` on ``POST /payments`` (see
        ``merchant_fee`` in :mod:`adapters.opendental.versions`, unverified).

        Raises:
            TransientError: the database cannot be read now.
        """
        return versions.has(self.office_version(), "merchant_fee")

    def supports_deposits(self) -> bool:
        """True from Open Dental 25.4.33, whose API has ``POST /deposits`` ([OD-A6]).

        Raises:
            TransientError: the database cannot be read now.
        """
        return versions.has(self.office_version(), "deposits")

    def post_deposit(self, plan: DepositPlan) -> PostedEntry:
        """Write the deposit once, found again by the marker in its Memo
        (:mod:`adapters.opendental.deposits`).

        Raises:
            PermanentError: Open Dental refused it. TransientError, AuthError.
        """
        return self._deposits.post(plan)

    def _check_payment_plan(self, plan: PatientPaymentPlan) -> None:
        check_payment_plan(plan)
        types = {t.id: t for t in self.payment_types() if t.category == "payment"}
        chosen = types.get(plan.payment_type_id)
        if chosen is None or chosen.hidden:
            raise PermanentError(
                f"payment type {plan.payment_type_id} is not an active Open Dental payment "
                "type (definition category 10)",
                code="plan_unknown_type",
            )

    def _live_patient(self, patient_ref: str, known: PatientRecord | None = None) -> PatientRecord:
        patient = known if known is not None else self.find_patient(patient_ref)
        if patient is None:
            raise DataError(
                f"patient {patient_ref} not found in Open Dental", code="patient_missing"
            )
        if patient.status is PatientStatus.DELETED:
            raise DataError(
                f"patient {patient_ref} is deleted in Open Dental", code="patient_deleted"
            )
        return patient

    def _choose_allocation(
        self,
        plan: PatientPaymentPlan,
        patient: PatientRecord,
        body: dict[str, Any],
        known: list[OpenCharge] | None = None,
    ) -> list[tuple[int, Decimal]] | None:
        """Pick the API form that yields exactly the plan's splits; None = Open Dental's FIFO.

        ``known``: the family's open charges as the plan was made from them (read again when
        not given)."""
        charges = known if known is not None else self.family_charges(patient)
        open_by_ref = {(c.kind.value, c.charge_ref): c for c in charges}
        for split in plan.splits:
            if split.charge_ref is None:
                continue
            charge = open_by_ref.get((split.charge_kind or "procedure", split.charge_ref))
            if charge is None or split.amount > charge.amount_due:
                raise DataError(
                    f"payment {plan.external_ref}: {split.charge_kind} {split.charge_ref} is no "
                    f"longer open for {split.amount}",
                    code="charge_changed",
                )
        payer = patient.patient_id
        manual = self.splits_by_hand()  # RigorousAccounting 2: Open Dental makes no splits
        if not manual and same_splits(
            plan.splits, predict_auto_split(charges, plan.amount, payer_id=payer)
        ):
            return None
        mine_first = predict_auto_split(charges, plan.amount, payer_id=payer, patient_first=True)
        if not manual and same_splits(plan.splits, mine_first):
            # Open Dental's own patient-preferred auto-split gives exactly the plan (any charge
            # kind, adjustments included): one request, no explicit allocation needed
            body["isPatientPreferred"] = "true"
            return None
        procs = [s.charge_ref for s in plan.splits if s.charge_ref is not None]
        all_procs = all(
            s.charge_ref is not None and (s.charge_kind or "procedure") == ChargeKind.PROCEDURE
            for s in plan.splits
        )
        if all_procs:
            only = predict_auto_split(charges, plan.amount, payer_id=payer, only_procs=procs)
            if not manual and same_splits(plan.splits, only):
                body["procNums"] = [int(p) for p in procs]
                return None
            return [(int(s.charge_ref or 0), s.amount) for s in plan.splits]
        # a person can enter what the API cannot: review, not dead-letter
        raise DataError(
            f"Payment {plan.external_ref}: Open Dental's API can only allocate explicitly to "
            "procedures; this plan (adjustments or unearned money) differs from Open Dental's "
            f"own oldest-first and patient-first splits{MANUAL_NOTE if manual else ''}. "
            "Enter it with these splits: "
            f"{split_words(plan)}",
            code="allocation_not_expressible",
            context={"splits": split_words(plan)},
        )

    def splits_by_hand(self) -> bool:
        """Whether the office splits payments by hand (pref ``RigorousAccounting`` = 2 "Manual":
        ``PaymentEdit.AutoSplitForPayment`` then makes no splits, so only an explicit
        allocation gives a payment its splits)."""
        now = time.monotonic()
        if self._manual is None or now - self._manual[0] > DEFINITIONS_TTL:  # cached as defs
            row = self.db.fetchone(
                "rigorous_accounting", queries.PREF_VALUE, ("RigorousAccounting",)
            )
            self._manual = (now, row is not None and str(row[0]).strip() == "2")
        return self._manual[1]

    def _allocate_or_explain(
        self, plan: PatientPaymentPlan, pay_num: int, amounts: list[tuple[int, Decimal]]
    ) -> None:
        """``PUT …/Partial``; when Open Dental refuses it, the review says what is left behind
        (the payment exists as one prepayment) so staff re-split it instead of posting again.

        Raises:
            DataError: ``allocation_unfinished``. TransientError: retried later (resumes).
        """
        try:
            self._allocate(pay_num, amounts)
        except (DataError, PermanentError) as exc:
            raise DataError(
                f"Payment {plan.external_ref} of {plan.amount} is in Open Dental as prepayment "
                f"PayNum {pay_num} (note {plan.marker}), but Open Dental refused to split it "
                f"({exc.message}). Split that payment by hand — do not enter it again: "
                f"{split_words(plan)}",
                code="allocation_unfinished",
                context={"PayNum": pay_num, "splits": split_words(plan)},
            ) from exc

    def _allocate(self, pay_num: int, amounts: list[tuple[int, Decimal]]) -> None:
        retry_idempotent(lambda: self.api.allocate_payment(pay_num, amounts))

    def _resume_payment(self, plan: PatientPaymentPlan, existing: Any) -> PostedEntry:
        _kind, pay_num, _pat, _amount, note = existing
        if EXPLICIT_TAG in str(note):
            splits = self._splits(int(pay_num))
            if any(int(s[5]) for s in splits):  # still Open Dental's prepayment split
                self._allocate(
                    int(pay_num), [(int(s.charge_ref or 0), s.amount) for s in plan.splits]
                )
        entry = self._posted_payment(plan, int(pay_num))
        return PostedEntry(entry.external_ref, entry.pms_ids, entry.amount, True, entry.steps_done)

    def _posted_payment(self, plan: PatientPaymentPlan, pay_num: int) -> PostedEntry:
        splits = self._splits(pay_num)
        entry = self._payment_entry(plan.external_ref, pay_num, plan.amount, splits, False)
        got = sorted(
            (
                "procedure" if int(s[3]) else "adjustment" if int(s[4]) else "unearned",
                str(int(s[3]) or int(s[4]) or ""),
                f"{Decimal(s[6]):.2f}",
            )
            for s in splits
        )
        want = sorted(
            (
                (s.charge_kind or "procedure") if s.charge_ref else "unearned",
                s.charge_ref or "",
                f"{s.amount:.2f}",
            )
            for s in plan.splits
        )
        if got != want:
            # The money is in Open Dental exactly once; only its split differs (the family's
            # charges changed between planning and posting). Staff can re-split in Open Dental.
            log.warning("payment.splits_differ", pay_num=pay_num, external_ref=plan.external_ref)
            entry.pms_ids["splits_match"] = False
        return entry

    def _payment_entry(
        self, external_ref: str, pay_num: int, amount: Decimal, splits: list[Any], existed: bool
    ) -> PostedEntry:
        return PostedEntry(
            external_ref=external_ref,
            pms_ids={"PayNum": pay_num, "SplitNums": [int(s[0]) for s in splits]},
            amount=amount,
            already_existed=existed,
            steps_done=("payment",),
        )

    def _splits(self, pay_num: int) -> list[Any]:
        return self.db.fetchall("splits_of_payment", queries.SPLITS_OF_PAYMENT, (pay_num,))

    def _marked_payment(
        self, marker: str, *, sign: int = 1, patient: int | None = None
    ) -> Any | None:
        """The oldest payment whose note carries ``marker`` with the given sign of PayAmt
        (only that patient's payments when ``patient`` is given: an indexed lookup)."""
        if patient is not None:
            rows = self.db.fetchall(
                "patient_payments_by_marker",
                queries.PATIENT_PAYMENTS_BY_MARKER,
                (patient, marker),
            )
        else:
            rows = self.db.fetchall(
                "postings_by_marker", queries.POSTINGS_BY_MARKER, (marker, marker, marker, marker)
            )
        for row in rows:
            if row[0] == "payment" and (Decimal(row[3]) >= ZERO) == (sign > 0):
                return row
        return None

    def _payment_ids(
        self, marker: str, *, sign: int = 1, patient: int | None = None
    ) -> dict[str, Any] | None:
        row = self._marked_payment(marker, sign=sign, patient=patient)
        return {"PayNum": int(row[1])} if row is not None else None

    @staticmethod
    def _pay_note(marker: str, *parts: str | None) -> str:
        return " ".join(p for p in (marker, *parts) if p)[:PAY_NOTE_MAX]

    # -- reversals ------------------------------------------------------------------------
    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """Refund the original payment: whole → ``POST /payments/Refund``; part → a negative
        prepayment ``POST /payments`` (unverified against a real Open Dental, see docs).

        Raises:
            PermanentError: amount not positive or larger than the original. DataError: the
                original posting is not in Open Dental. TransientError, AuthError.
        """
        if plan.amount <= ZERO:
            raise PermanentError(
                f"reversal {plan.external_ref}: amount must be positive", code="plan_invalid"
            )
        done = self._marked_payment(plan.marker, sign=-1)
        if done is not None:
            return PostedEntry(plan.external_ref, {"PayNum": int(done[1])}, -plan.amount, True)
        original = self._original_payment(plan)
        orig_num, orig_pat, orig_type, orig_amount, _note = original
        if plan.amount > Decimal(orig_amount):
            raise PermanentError(
                f"reversal {plan.external_ref}: {plan.amount} is more than payment {orig_num}",
                code="plan_invalid",
            )
        note = self._pay_note(plan.marker, f"refund of {plan.original_external_ref}", plan.note)
        if plan.amount == Decimal(orig_amount):
            self._need(f"Refund {plan.external_ref}", "refunds", "payment_edit")
            original_marker = marker_for(plan.original_external_ref)
            pending = self._payment_ids(original_marker, sign=-1)
            if pending is None:
                pending = once_more_if_absent(
                    lambda: self.api.refund_payment(int(orig_num)),
                    lambda: self._payment_ids(original_marker, sign=-1),
                    step="payments_refund",
                )
            refund_num = int(pending["PayNum"])
            retry_idempotent(lambda: self.api.update_payment(refund_num, {"PayNote": note}))
        else:
            body = {
                "PayAmt": money(-plan.amount),
                "PatNum": int(orig_pat),
                "PayType": int(plan.payment_type_id or orig_type),
                "PayDate": day(plan.date),
                "PayNote": note,
                "isPrepayment": "true",
            }
            created = once_more_if_absent(
                lambda: self.api.create_payment(body),
                lambda: self._payment_ids(plan.marker, sign=-1),
                step="payments_post",
            )
            refund_num = int(created["PayNum"])
        return PostedEntry(
            plan.external_ref,
            {"PayNum": refund_num, "RefundOf": int(orig_num)},
            -plan.amount,
            steps_done=("refund",),
        )

    def _original_payment(self, plan: ReversalPlan) -> Any:
        pay_num = plan.original_pms_ids.get("PayNum")
        if pay_num is None:
            entry = self.find_posting(plan.original_external_ref)
            pay_num = entry.pms_ids.get("PayNum") if entry else None
        row = (
            self.db.fetchone("payment_by_num", queries.PAYMENT_BY_NUM, (int(pay_num),))
            if pay_num
            else None
        )
        if row is None:
            raise DataError(
                f"reversal {plan.external_ref}: original payment for "
                f"{plan.original_external_ref} is not in Open Dental",
                code="original_missing",
            )
        return row

    # -- notes ----------------------------------------------------------------------------
    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """A commlog (type FIN when defined) via ``POST /commlogs``; idempotent by marker.

        Raises:
            DataError: unknown patient. PermanentError, TransientError, AuthError.
        """
        pat_num = mapping.key(note.patient_id)
        if pat_num is None:
            raise DataError(f"patient {note.patient_id} not found", code="patient_missing")
        marker = marker_for(note.external_ref) if note.external_ref else None
        text = f"{note.text} {marker}" if marker else note.text
        body: dict[str, Any] = {
            "PatNum": pat_num,
            "Note": text,
            "CommDateTime": moment(note.when),
            "Mode_": "None",
            "SentOrReceived": "Neither",
        }
        note_type = self._note_type()
        if note_type is not None:
            body["CommType"] = note_type

        def existing() -> dict[str, Any] | None:
            if marker is None:
                return None
            row = self.db.fetchone(
                "commlog_by_marker", queries.COMMLOG_BY_MARKER, (pat_num, marker)
            )
            return {"CommlogNum": int(row[0])} if row else None

        found = existing()
        if found is not None:
            return {**found, "already_existed": True}
        created = once_more_if_absent(
            lambda: self.api.create_commlog(body), existing, step="commlogs_post"
        )
        return {"CommlogNum": int(created["CommlogNum"])}

    # -- insurance ------------------------------------------------------------------------
    def post_insurance_payment(
        self, plan: InsurancePaymentPlan, journal: StepJournal
    ) -> PostedEntry:
        """Claimprocs received (or supplemental), claim received, then the claim payment.

        See :class:`adapters.opendental.insurance.InsurancePoster` for steps and errors;
        an office whose version lacks an endpoint the plan needs gets ``feature_unavailable``
        (DataError) before anything is written.
        """
        needed = ("claimprocs", "claim_check", "supplemental" if plan.supplemental else "claims")
        self._need(f"ERA claim payment {plan.external_ref}", *needed)
        return self._insurance.post(plan, journal)

    # -- housekeeping ---------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        """Round trips so far: ODBC queries and API requests."""
        return {"odbc_queries": self.db.queries_run, "http_requests": self.api.requests_sent}

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Completed procedures of insured patients on no claim (see ``queries``), over ODBC."""
        rows = self.db.fetchall("unclaimed_procedures", queries.UNCLAIMED_PROCEDURES, (start, end))
        return [
            UnclaimedProcedure(
                proc_ref=str(int(r[0])),
                patient_id=str(int(r[1])),
                date=mapping.as_date(r[2]),
                code=str(r[3] or ""),
                fee=Decimal(r[4]).quantize(Decimal("0.01")),
                provider_id=str(int(r[5])) if r[5] else None,
            )
            for r in rows
        ]

    def search_patients(self, query: PatientQuery) -> list[PatientMatch]:
        """Patients by name start (and birth date) or PatNum, for the console."""
        return patients.search(self.db, query)

    def close(self) -> None:
        """Close the ODBC connection and the HTTP session."""
        self.db.close()
        self.api.close()


def split_words(plan: PatientPaymentPlan) -> str:
    """The plan's splits as staff enter them: "procedure 12: 40.00; unearned: 10.00"."""
    parts = [
        f"{s.charge_kind or 'procedure'} {s.charge_ref}: {s.amount:.2f}"
        if s.charge_ref
        else f"unearned (prepayment): {s.amount:.2f}"
        for s in plan.splits
    ]
    return "; ".join(parts) or "none"


def _as_date(value: Any) -> dt.date:
    """An ODBC date (``date``, ``datetime`` or ISO text) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
