"""Open Dental: taking back a write-off when a claim is reversed (CLP02 = 22), through the API's
documented write path.

Why not a negative write-off on the Supplemental row: ``POST /claimprocs/Supplemental`` takes
``ClaimProcNum`` and ``InsPayAmt`` only (WriteOff and DedApplied are dropped; API ClaimProcs
page, 25.2.7), and ``PUT /claimprocs/{ClaimProcNum}`` lists ``WriteOff`` without saying whether
a negative value is accepted [U] (Open Dental's own ERA automation posts no write-offs on
supplemental rows at all). What the API does document is ``POST /adjustments`` (22.2.22):
``PatNum``, ``AdjType`` (definition category 1, its ``+``/``-`` sign matching the amount),
``AdjAmt``, ``AdjDate``, ``ProvNum``, ``ProcNum``, ``AdjNote`` (API Adjustments page). Open
Dental counts adjustments attached to a procedure in its patient portion (fee − write-off −
insurance paid + adjustments, ``ClaimProcs.GetPatPortion``), so a ``+`` adjustment of the
write-off amount on the procedure gives the patient's balance back exactly what the reversed
write-off had taken off.

The ``+`` type is the adjustment type whose name mentions "write" and "revers" (e.g. "Write-off
Reversal"); without one the claim goes to review ``writeoff_reversal_unsupported`` before anything
is written, saying which type to create. Each adjustment is one journal step
(``writeoff_reversal:{ProcNum}``) found again after a crash by its marker in ``AdjNote``.
UNVERIFIED [U]: that Open Dental itself (its ERA or its users) records a reversed write-off this
way rather than as a negative supplemental write-off.
"""

from __future__ import annotations

from typing import Any

from adapters.opendental import mapping, queries
from adapters.opendental.api import OpenDentalApi, day, money
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.retry import once_more_if_absent
from connector.domain import InsurancePaymentPlan, ProcedurePayment
from connector.errors import DataError

NOTE_MAX = 255
PROCEDURE = "SELECT ProvNum, ClinicNum FROM procedurelog WHERE ProcNum = ?"
OURS = (
    "SELECT AdjNum FROM adjustment WHERE ProcNum = ? AND PatNum = ? AND LOCATE(?, AdjNote) > 0 "
    "ORDER BY AdjNum"
)  # LOCATE (not LIKE): "_" and "%" in keys need no escaping


def step_name(line: ProcedurePayment) -> str:
    """The journal step of one procedure's write-off reversal."""
    return f"writeoff_reversal:{line.proc_ref}"


def adjustment_type(db: ReadOnlyDb, plan: InsurancePaymentPlan) -> int:
    """The ``+`` adjustment type for write-off reversals.

    Raises:
        DataError: ``writeoff_reversal_unsupported`` when Open Dental has none (nothing is
            written: the caller asks before its first step).
    """
    types = mapping.pms_types(db.fetchall("definitions", queries.DEFINITIONS), 1)
    for kind in types:
        name = kind.name.lower()
        if kind.sign == "+" and not kind.hidden and "write" in name and "revers" in name:
            return int(kind.id)
    taken = ", ".join(f"{line.writeoff} on procedure {line.proc_ref}" for line in plan.lines
                      if line.writeoff < 0)  # fmt: skip
    raise DataError(
        f"Claim {plan.claim_id}: the reversal takes back write-offs ({taken}). Open Dental's API "
        "takes no negative write-off on a supplemental row, so the connector posts a '+' "
        "adjustment on the procedure instead, and this office has no '+' adjustment type named "
        "like 'Write-off Reversal'; create one and retry. Nothing was written",
        code="writeoff_reversal_unsupported",
    )


def post(
    api: OpenDentalApi,
    db: ReadOnlyDb,
    plan: InsurancePaymentPlan,
    line: ProcedurePayment,
    type_id: int,
) -> dict[str, Any]:
    """Write (or find again) the ``+`` adjustment for ``line``'s reversed write-off."""
    proc_num = int(line.proc_ref)
    note = f"{plan.marker} write-off reversal, check/EFT {plan.check.number}"[:NOTE_MAX]

    def lookup() -> dict[str, Any] | None:
        row = db.fetchone("our_adjustment", OURS, (proc_num, int(plan.patient_id), plan.marker))
        return {"AdjNum": int(row[0])} if row is not None else None

    found = lookup()  # a crash after the POST but before the journal entry
    if found is not None:
        return found
    proc = db.fetchone("procedure_provider", PROCEDURE, (proc_num,))
    body: dict[str, Any] = {
        "PatNum": int(plan.patient_id),
        "AdjType": type_id,
        "AdjAmt": money(-line.writeoff),
        "AdjDate": day(plan.date_received),
        "ProcNum": proc_num,
        "AdjNote": note,
    }
    if proc is not None:
        body["ProvNum"] = int(proc[0])
        body["ClinicNum"] = int(proc[1])
    created = once_more_if_absent(
        lambda: api.create_adjustment(body), lookup, step="adjustments_post"
    )
    return {"AdjNum": int(created["AdjNum"])}
