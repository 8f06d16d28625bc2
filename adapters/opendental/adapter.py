"""Open Dental ledger: reads over ODBC (SELECT-only user), writes through the REST API only.

Open Dental forbids third-party writes to its database (rows carry security hashes only Open
Dental can compute), so nothing here ever sends INSERT/UPDATE/DELETE over ODBC; every write is
an API call, and every written row carries the plan's marker so :meth:`find_posting` can see it
over ODBC after a crash.

Retries: reads reconnect once; idempotent API steps (PUT) are retried once with tenacity on a
transient error; non-idempotent POSTs first *look* (over ODBC) whether the write landed, and are
re-sent once only when it did not.

This class is the facade: the work is done in ``office`` (cached settings and version gates),
``patients``, ``postings`` (reading our own postings back), ``payments``, ``reversals``,
``claims``, ``notes``, ``insurance`` and ``deposits``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog

from adapters.base import (
    ClaimMatch,
    ClaimRecord,
    EraAutomation,
    OfficeEraSettings,
    OpenCharge,
    PatientRecord,
    PmsPayment,
    PmsType,
    StepJournal,
    UnclaimedProcedure,
    VendorInfo,
)
from adapters.opendental import (
    claims,
    mapping,
    notes,
    patients,
    postings,
    queries,
    reversals,
    versions,
)
from adapters.opendental.api import OpenDentalApi
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.deposits import DepositWriter
from adapters.opendental.era_prefs import read_era_automation
from adapters.opendental.insurance import InsurancePoster
from adapters.opendental.office import Office
from adapters.opendental.payments import PaymentWriter
from adapters.opendental.postings import EXPLICIT_TAG
from adapters.opendental.versions import REMITTANCE_CHECK, Version
from adapters.patient_search import PatientMatch, PatientQuery
from connector.domain import (
    DepositPlan,
    InsurancePaymentPlan,
    PatientNote,
    PatientPaymentPlan,
    PostedEntry,
    ReversalPlan,
)

__all__ = ["EXPLICIT_TAG", "OpenDentalLedger"]

log = structlog.get_logger("adapters.opendental")


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
        # What find_posting and the planning reads of the item being posted found, so that
        # post_patient_payment for that item does not read the patient, the family's charges
        # and the marker again (4 reads per payment instead of 7; docs/benchmarks.md §5).
        # Only post_patient_payment uses it, once, for the same key; a new find_posting starts
        # it afresh. Keys: "key", "absent_for" (PatNum searched, or "all"),
        # ("patient", ref), ("charges", guarantor).
        self._item_reads: dict[Any, Any] = {}
        self._office = Office(db)
        self._payments = PaymentWriter(db, api, self._office)
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
        return self._office.era_settings()

    def office_version(self) -> Version | None:
        """The office's Open Dental version (pref ``DataBaseVersion``), cached for a while;
        None when it cannot be read as a version."""
        return self._office.version()

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
        if mapping.key(patient_ref) is None:
            return None
        record = patients.find(self.db, patient_ref)
        if "key" in self._item_reads:  # an item is being posted (see __init__)
            self._item_reads[("patient", patient_ref)] = record
        return record

    def family_charges(self, patient: PatientRecord) -> list[OpenCharge]:
        """Open charges of the patient's family (same Guarantor), oldest first."""
        guarantor = mapping.key(patient.guarantor_id)
        if guarantor is None:
            return []
        charges = patients.family_charges(self.db, patient)
        if "key" in self._item_reads:
            self._item_reads[("charges", guarantor)] = list(charges)
        return charges

    def payment_types(self) -> list[PmsType]:
        """Patient payment types (category 10) and insurance payment types (category 32)."""
        return self._office.payment_types()

    def adjustment_types(self) -> list[PmsType]:
        """Adjustment types (category 1) with their sign."""
        return self._office.adjustment_types()

    def era_automation(self) -> EraAutomation:
        """``EraAutomationBehavior`` and ``carrier.EraAutomationOverride`` over ODBC
        (:func:`adapters.opendental.era_prefs.read_era_automation`)."""
        return read_era_automation(self.db)

    def patient_payments(
        self, patient: PatientRecord, start: dt.date, end: dt.date
    ) -> list[PmsPayment]:
        """The family's ``payment`` rows dated start…end over ODBC (entered by: the Open Dental
        user number, ``SecUserNumEntry``; 0 means not recorded)."""
        return patients.family_payments(self.db, patient, start, end)

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
        pat_num = mapping.key(patient_id)
        self._item_reads = {"key": external_ref}
        found = postings.find(self.db, external_ref, pat_num)
        if found.absent:
            self._item_reads["absent_for"] = pat_num if pat_num is not None else "all"
        return found.entry

    def find_claims(self, match: ClaimMatch) -> list[ClaimRecord]:
        """Claims matching CLP01 exactly or the service window (:func:`claims.find`)."""
        return claims.find(self.db, match)

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
        self._payments.check(plan)
        # what find_posting and planning read for this very item (see __init__), used once
        known = self._item_reads if self._item_reads.get("key") == plan.external_ref else {}
        self._item_reads = {}
        return self._payments.post(plan, known)

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

    def splits_by_hand(self) -> bool:
        """Whether the office splits payments by hand (pref ``RigorousAccounting`` = 2), cached
        for a while (:meth:`adapters.opendental.office.Office.splits_by_hand`)."""
        return self._office.splits_by_hand()

    # -- reversals ------------------------------------------------------------------------
    def post_reversal(self, plan: ReversalPlan) -> PostedEntry:
        """Refund the original payment (:mod:`adapters.opendental.reversals`).

        Raises:
            PermanentError: amount not positive or larger than the original. DataError: the
                original posting is not in Open Dental. TransientError, AuthError.
        """
        return reversals.post(self.db, self.api, self._office, plan, self.find_posting)

    # -- notes ----------------------------------------------------------------------------
    def add_patient_note(self, note: PatientNote) -> dict[str, Any]:
        """A commlog (type FIN when defined) via ``POST /commlogs``; idempotent by marker.

        Raises:
            DataError: unknown patient. PermanentError, TransientError, AuthError.
        """
        return notes.add(self.db, self.api, note, self._office.note_type)

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
        self._office.need(f"ERA claim payment {plan.external_ref}", *needed)
        return self._insurance.post(plan, journal)

    # -- housekeeping ---------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        """Round trips so far: ODBC queries and API requests."""
        return {"odbc_queries": self.db.queries_run, "http_requests": self.api.requests_sent}

    def unclaimed_procedures(self, start: dt.date, end: dt.date) -> list[UnclaimedProcedure]:
        """Completed procedures of insured patients on no claim (see ``queries``), over ODBC."""
        return claims.unclaimed(self.db, start, end)

    def search_patients(self, query: PatientQuery) -> list[PatientMatch]:
        """Patients by name start (and birth date) or PatNum, for the console."""
        return patients.search(self.db, query)

    def close(self) -> None:
        """Close the ODBC connection and the HTTP session."""
        self.db.close()
        self.api.close()
