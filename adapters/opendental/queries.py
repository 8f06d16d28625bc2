"""SQL the adapter runs over ODBC with a SELECT-only user. Text only; parameters are ``?``.

Money columns are ``double`` in Open Dental; every amount is cast to ``DECIMAL(14,2)`` in SQL so
pyodbc hands Python a ``Decimal`` and no float ever reaches the connector.
"""

from __future__ import annotations

from adapters.base import MAX_CLAIMS

SERVER_VERSION = """
SELECT VERSION(),
       (SELECT ValueString FROM preference WHERE PrefName = 'DataBaseVersion' LIMIT 1)
"""

SESSION_READ_ONLY = "SET SESSION TRANSACTION READ ONLY"

PATIENT = """
SELECT p.PatNum, p.Guarantor, p.PatStatus, p.PriProv, p.ClinicNum,
       (SELECT COUNT(*) FROM patplan pp WHERE pp.PatNum = p.PatNum) AS PlanCount
FROM patient p
WHERE p.PatNum = ?
"""

# Open family charges: completed procedures (ProcStatus 2) and unattached positive adjustments
# of every patient whose Guarantor is the given one, with the parts Open Dental nets out of a
# charge. The remaining amount is computed in mapping.py (see charge_due) so the rule reads in
# one place; the preference BalancesDontSubtractIns travels with every row.
FAMILY_CHARGES = """
SELECT 'procedure' AS Kind, pl.ProcNum AS Ref, pl.PatNum, pl.ProvNum, pl.ClinicNum,
       pl.ProcDate AS ChargeDate, pc.ProcCode,
       CAST(pl.ProcFee AS DECIMAL(14,2)) * (pl.UnitQty + pl.BaseUnits) AS Fee,
       (SELECT COALESCE(SUM(CAST(cp.InsPayAmt AS DECIMAL(14,2))
                            + CAST(cp.WriteOff AS DECIMAL(14,2))), 0)
          FROM claimproc cp WHERE cp.ProcNum = pl.ProcNum AND cp.Status IN (1, 4, 5, 7))
         AS InsPaid,
       (SELECT COALESCE(SUM(CAST(cp.InsPayEst AS DECIMAL(14,2))
                            + CAST(cp.WriteOff AS DECIMAL(14,2))), 0)
          FROM claimproc cp WHERE cp.ProcNum = pl.ProcNum AND cp.Status IN (0, 6, 8, 9))
         AS InsEst,
       (SELECT COALESCE(SUM(CAST(a.AdjAmt AS DECIMAL(14,2))), 0)
          FROM adjustment a WHERE a.ProcNum = pl.ProcNum) AS Adjusted,
       (SELECT COALESCE(SUM(CAST(ps.SplitAmt AS DECIMAL(14,2))), 0)
          FROM paysplit ps WHERE ps.ProcNum = pl.ProcNum) AS PaidByPatient,
       (SELECT ValueString FROM preference WHERE PrefName = 'BalancesDontSubtractIns' LIMIT 1)
         AS DontSubtractIns
FROM patient p
JOIN procedurelog pl ON pl.PatNum = p.PatNum AND pl.ProcStatus = 2
LEFT JOIN procedurecode pc ON pc.CodeNum = pl.CodeNum
WHERE p.Guarantor = ?
UNION ALL
SELECT 'adjustment', a.AdjNum, a.PatNum, a.ProvNum, a.ClinicNum, a.AdjDate, NULL,
       CAST(a.AdjAmt AS DECIMAL(14,2)), 0, 0, 0,
       (SELECT COALESCE(SUM(CAST(ps.SplitAmt AS DECIMAL(14,2))), 0)
          FROM paysplit ps WHERE ps.AdjNum = a.AdjNum),
       NULL
FROM patient p
JOIN adjustment a ON a.PatNum = p.PatNum AND a.ProcNum = 0 AND a.AdjAmt > 0
WHERE p.Guarantor = ?
"""

DEFINITIONS = """
SELECT DefNum, Category, ItemName, ItemValue, IsHidden
FROM definition
WHERE Category IN (1, 10, 27, 32)
ORDER BY Category, ItemOrder, DefNum
"""

# Rows carrying our marker. LOCATE (not LIKE) so "_" and "%" in keys need no escaping.
POSTINGS_BY_MARKER = """
SELECT 'payment' AS Kind, p.PayNum AS Num, p.PatNum, CAST(p.PayAmt AS DECIMAL(14,2)) AS Amount,
       p.PayNote AS Note
FROM payment p
WHERE LOCATE(?, p.PayNote) > 0 OR LOCATE(?, p.PayNote) > 0
UNION ALL
SELECT 'claimpayment', c.ClaimPaymentNum, 0, CAST(c.CheckAmt AS DECIMAL(14,2)), c.Note
FROM claimpayment c
WHERE LOCATE(?, c.Note) > 0 OR LOCATE(?, c.Note) > 0
ORDER BY 2
"""

# The same lookup for one patient: uses Open Dental's PatNum index instead of scanning PayNote.
PATIENT_PAYMENTS_BY_MARKER = """
SELECT 'payment' AS Kind, p.PayNum AS Num, p.PatNum, CAST(p.PayAmt AS DECIMAL(14,2)) AS Amount,
       p.PayNote AS Note
FROM payment p
WHERE p.PatNum = ? AND LOCATE(?, p.PayNote) > 0
ORDER BY p.PayNum
"""

# find_posting with a patient hint: both marker forms, that patient's payments only.
ERA_AUTOMATION_OFFICE = (
    "SELECT ValueString FROM preference WHERE PrefName = 'EraAutomationBehavior' LIMIT 1"
)
"""The office's ERA automation mode (21.1.6+; absent → 1, "review all")."""

ERA_AUTOMATION_CARRIERS = """
SELECT CarrierName, ElectID, EraAutomationOverride FROM carrier
WHERE EraAutomationOverride <> 0 ORDER BY CarrierName, CarrierNum
"""
"""Carriers overriding the office's ERA automation (0 = use the office's)."""

FAMILY_PAYMENTS = """
SELECT p.PayNum, p.PatNum, p.PayDate, CAST(p.PayAmt AS DECIMAL(14,2)) AS Amount,
       COALESCE(d.ItemName, '') AS TypeName, p.SecUserNumEntry, p.PayNote
FROM payment p
JOIN patient pt ON pt.PatNum = p.PatNum
LEFT JOIN definition d ON d.DefNum = p.PayType
WHERE pt.Guarantor = ? AND p.PayDate >= ? AND p.PayDate <= ?
ORDER BY p.PayDate, p.PayNum
"""
"""The family's patient payments in a date window (``payment``: patient money only; insurance
checks are ``claimpayment`` rows). ``SecUserNumEntry`` is the Open Dental user who entered it."""

PATIENT_POSTINGS_BY_MARKER = """
SELECT 'payment' AS Kind, p.PayNum AS Num, p.PatNum, CAST(p.PayAmt AS DECIMAL(14,2)) AS Amount,
       p.PayNote AS Note
FROM payment p
WHERE p.PatNum = ? AND (LOCATE(?, p.PayNote) > 0 OR LOCATE(?, p.PayNote) > 0)
ORDER BY p.PayNum
"""

SPLITS_OF_PAYMENT = """
SELECT SplitNum, PatNum, ProvNum, ProcNum, AdjNum, UnearnedType,
       CAST(SplitAmt AS DECIMAL(14,2)) AS SplitAmt
FROM paysplit
WHERE PayNum = ?
ORDER BY SplitNum
"""

CLAIMPROCS_OF_CLAIMPAYMENT = """
SELECT ClaimProcNum, ClaimNum, ProcNum
FROM claimproc
WHERE ClaimPaymentNum = ?
ORDER BY ClaimProcNum
"""

COMMLOG_BY_MARKER = """
SELECT CommlogNum FROM commlog WHERE PatNum = ? AND LOCATE(?, Note) > 0 ORDER BY CommlogNum
"""

_CLAIM_COLUMNS = """
SELECT c.ClaimNum, c.PatNum, c.ClaimIdentifier, c.ClaimStatus, c.DateService,
       CAST(c.ClaimFee AS DECIMAL(14,2)) AS ClaimFee, c.ClaimType, c.PlanNum, c.PlanNum2,
       c.ClinicNum, COALESCE(ca.CarrierName, '') AS CarrierName,
       (SELECT COUNT(*) FROM patplan pp WHERE pp.PatNum = c.PatNum) AS PlanCount
FROM claim c
LEFT JOIN insplan ip ON ip.PlanNum = c.PlanNum
LEFT JOIN carrier ca ON ca.CarrierNum = ip.CarrierNum
"""

CLAIM_BY_NUM = _CLAIM_COLUMNS + "WHERE c.ClaimNum = ?"

CLAIMS_BY_IDENTIFIER = (
    _CLAIM_COLUMNS + "WHERE c.ClaimIdentifier = ? ORDER BY c.ClaimNum LIMIT " + str(MAX_CLAIMS)
)


def claims_in_window(*, by_patient: bool, by_fee: bool) -> str:
    """Claims whose DateService is in ``[?, ?]``, then ``PatNum = ?`` and ``ClaimFee = ?``
    when asked, by ClaimNum, at most :data:`MAX_CLAIMS` (the engine decides what they mean)."""
    where = "WHERE c.DateService BETWEEN ? AND ?"
    if by_patient:
        where += " AND c.PatNum = ?"
    if by_fee:
        where += " AND CAST(c.ClaimFee AS DECIMAL(14,2)) = ?"
    return f"{_CLAIM_COLUMNS}{where} ORDER BY c.ClaimNum LIMIT {MAX_CLAIMS}"


CLAIMPROCS_OF_CLAIM = """
SELECT cp.ClaimProcNum, cp.ProcNum, cp.Status, cp.ClaimPaymentNum, cp.ProcDate,
       COALESCE(pc.ProcCode, cp.CodeSent) AS ProcCode,
       CAST(cp.FeeBilled AS DECIMAL(14,2)) AS FeeBilled,
       CAST(cp.InsPayEst AS DECIMAL(14,2)) AS InsPayEst,
       CAST(cp.InsPayAmt AS DECIMAL(14,2)) AS InsPayAmt,
       CAST(cp.WriteOff AS DECIMAL(14,2)) AS WriteOff,
       CAST(cp.DedApplied AS DECIMAL(14,2)) AS DedApplied
FROM claimproc cp
LEFT JOIN procedurelog pl ON pl.ProcNum = cp.ProcNum
LEFT JOIN procedurecode pc ON pc.CodeNum = pl.CodeNum
WHERE cp.ClaimNum = ?
ORDER BY cp.ClaimProcNum
"""

PAYMENT_BY_NUM = """
SELECT PayNum, PatNum, PayType, CAST(PayAmt AS DECIMAL(14,2)) AS PayAmt, PayNote
FROM payment
WHERE PayNum = ?
"""

# Completed (ProcStatus 2) procedures of patients with an insurance plan (patplan) that no
# claim carries (no claimproc with a ClaimNum), skipping deleted patients (PatStatus 4) and
# procedures marked "do not bill to insurance" on an estimate (claimproc.NoBillIns).
UNCLAIMED_PROCEDURES = """
SELECT pl.ProcNum, pl.PatNum, pl.ProcDate, COALESCE(pc.ProcCode, '') AS ProcCode,
       CAST(pl.ProcFee AS DECIMAL(14,2)) AS ProcFee, pl.ProvNum
FROM procedurelog pl
JOIN patient p ON p.PatNum = pl.PatNum
LEFT JOIN procedurecode pc ON pc.CodeNum = pl.CodeNum
WHERE pl.ProcStatus = 2 AND pl.ProcDate >= ? AND pl.ProcDate <= ? AND p.PatStatus <> 4
  AND EXISTS (SELECT 1 FROM patplan pp WHERE pp.PatNum = pl.PatNum)
  AND NOT EXISTS (SELECT 1 FROM claimproc cp WHERE cp.ProcNum = pl.ProcNum AND cp.ClaimNum > 0)
  AND NOT EXISTS (SELECT 1 FROM claimproc cp WHERE cp.ProcNum = pl.ProcNum AND cp.NoBillIns = 1)
ORDER BY pl.ProcDate, pl.ProcNum
"""

# The insurance check of one remittance (its note carries "[connector check {remittance key}]").
CHECK_BY_NOTE = """
SELECT ClaimPaymentNum, CAST(CheckAmt AS DECIMAL(14,2)) AS CheckAmt, IsPartial
FROM claimpayment
WHERE LOCATE(?, Note) > 0
ORDER BY ClaimPaymentNum
"""

# A claim posted onto its remittance's check: its claimprocs carry the claim's marker in Remarks
# and sit on a connector remittance check (claimpayment scanned, claimproc by its check index).
MARKED_CLAIMPROCS_ON_CHECKS = """
SELECT p.ClaimProcNum, p.ClaimNum, p.ClaimPaymentNum, CAST(p.InsPayAmt AS DECIMAL(14,2))
FROM claimpayment c
JOIN claimproc p ON p.ClaimPaymentNum = c.ClaimPaymentNum
WHERE LOCATE(?, c.Note) > 0 AND (LOCATE(?, p.Remarks) > 0 OR LOCATE(?, p.Remarks) > 0)
ORDER BY p.ClaimProcNum
"""

# Claimprocs of a claim that carry a marker but are on no check yet (an unfinished posting).
MARKED_UNATTACHED = """
SELECT COUNT(*) FROM claimproc
WHERE ClaimNum = ? AND ClaimPaymentNum = 0 AND (LOCATE(?, Remarks) > 0 OR LOCATE(?, Remarks) > 0)
"""

PREF_VALUE = "SELECT ValueString FROM preference WHERE PrefName = ?"
