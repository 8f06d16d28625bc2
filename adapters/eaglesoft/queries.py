"""SQL text for Eaglesoft, ``?`` parameters only.

Portable to SAP SQL Anywhere (the real engine) and SQLite (the emulation): unqualified table
names (SQL Anywhere resolves them through the user's group membership of owner PPM [I]),
``COALESCE``, ``MAX``, ``LIKE``. New ids are taken with ``INSERT … SELECT MAX(id)+1`` inside
the write transaction, so there is no gap between reading the maximum and inserting; a
concurrent writer can still win the same id on SQL Anywhere, which surfaces as a key conflict
and is retried [I]. Parameters in a SELECT list are accepted by SQLite; on SQL Anywhere the
driver must infer their types [U].
"""

from __future__ import annotations

# --- reads ---------------------------------------------------------------------------------

PATIENT = """
SELECT patient_id, responsible_party, status, preferred_dentist, prim_employer_id,
       sec_employer_id, practice_id
FROM patient WHERE patient_id = ?
"""  # [V-code]

FAMILY_CHARGES = """
SELECT h.tran_num, h.type, h.tran_date, h.claim_id, h.est_primary, h.est_secondary,
       h.practice_id, d.amount AS detail_amount, d.patient_id, d.provider_id,
       s.ada_code, c.prim_total_paid, c.sec_total_paid,
       CASE WHEN c.claim_id IS NULL THEN 0 ELSE 1 END AS claim_exists
FROM transactions_header h
JOIN transactions_detail d ON d.tran_num = h.tran_num
LEFT JOIN services s ON s.service_code = h.service_code
LEFT JOIN insurance_claim c ON c.claim_id = h.claim_id
WHERE h.resp_party_id = ? AND h.type IN ('S', 'D') AND h.status <> 'D'
ORDER BY h.tran_date, h.tran_num, d.detail_id
"""  # [V-code] columns; S charges and D debit adjustments are what credits pay

APPLIED_CREDITS = """
SELECT d.applied_to, d.amount
FROM transactions_detail d JOIN transactions_header h ON h.tran_num = d.tran_num
WHERE h.resp_party_id = ? AND d.applied_to IS NOT NULL AND h.status <> 'D'
"""  # [V-code] applied_to; line-item semantics [I]

PAYMENT_TYPES = """
SELECT paytype_id, description, display_on_payment_screen FROM paytype ORDER BY paytype_id
"""  # [V-code]

PAYMENT_TYPE = """
SELECT paytype_id, description, display_on_payment_screen FROM paytype WHERE paytype_id = ?
"""

ADJUSTMENT_TYPES = """
SELECT adjustment_type_id, description, impacts FROM adjustment_type
ORDER BY adjustment_type_id
"""  # [V-code]

ADJUSTMENT_TYPE = """
SELECT adjustment_type_id, description, impacts FROM adjustment_type
WHERE adjustment_type_id = ?
"""

VERSION = "SELECT version FROM system_preferences"  # [V-code]

HEADERS_MARKED = """
SELECT tran_num, type, amount, status, resp_party_id, description
FROM transactions_header WHERE description LIKE ? ORDER BY tran_num
"""  # our marker at the start of description [V-code: integrators keep their reference there]

DETAILS_OF = """
SELECT detail_id, patient_id, provider_id, amount, applied_to
FROM transactions_detail WHERE tran_num = ? ORDER BY detail_id
"""

PROVIDER = "SELECT provider_id, collections_go_to FROM provider WHERE provider_id = ?"

NOTE_MARKED = "SELECT note_id FROM operatory_notes WHERE description LIKE ? ORDER BY note_id"

NEW_NOTE = """
SELECT MAX(note_id) FROM operatory_notes WHERE patient_id = ? AND description = ?
"""  # the note just inserted in this transaction

CLAIM = """
SELECT claim_id, patient_id, date_created, prim_employer_id, prim_insurance_company_id,
       claim_type, prim_submitted_total, prim_total_paid, sec_total_paid
FROM insurance_claim WHERE claim_id = ?
"""  # [V-code]

CLAIMS_SERVED_BETWEEN = """
SELECT h.claim_id FROM transactions_header h
WHERE h.type = 'S' AND h.status <> 'D' AND h.claim_id IN (
    SELECT s.claim_id FROM transactions_header s
    WHERE s.type = 'S' AND s.status <> 'D' AND s.tran_date >= ? AND s.tran_date <= ?
      AND COALESCE(s.claim_id, 0) <> 0)
GROUP BY h.claim_id HAVING MIN(h.tran_date) >= ?
ORDER BY h.claim_id
"""  # [I] a claim's date of service is its earliest service (insurance_claim has none)

CLAIM_LINES = """
SELECT h.tran_num, h.tran_date, h.amount, h.est_primary, h.est_secondary, h.paid_primary,
       h.paid_secondary, h.service_code, s.ada_code, d.patient_id, d.provider_id
FROM transactions_header h
JOIN transactions_detail d ON d.tran_num = h.tran_num
LEFT JOIN services s ON s.service_code = h.service_code
WHERE h.claim_id = ? AND h.type = 'S' AND h.status <> 'D'
ORDER BY h.tran_date, h.tran_num
"""  # [V-code] services carry claim_id, est_/paid_primary/secondary

COMPANY = "SELECT name FROM insurance_company WHERE insurance_company_id = ?"  # [V-code]

BULK_MARKED = """
SELECT bulk_payment_num FROM bulk_payments WHERE description LIKE ? ORDER BY bulk_payment_num
"""

# --- writes --------------------------------------------------------------------------------

INSERT_HEADER = """
INSERT INTO transactions_header
    (tran_num, user_id, type, tran_date, resp_party_id, amount, paytype_id, description,
     defective, impacts, status, adjustment_type, claim_id, bulk_payment_num, aging_date,
     practice_id, balance)
SELECT COALESCE(MAX(tran_num), 0) + 1, ?, ?, ?, ?, ?, ?, ?, 'N', ?, 'A', ?, ?, ?, ?, ?, 0
FROM transactions_header
"""  # [V-code] Adit's column set; tran_num = MAX+1 [V-code], taken in the same statement

HEADER_BY_DESCRIPTION = """
SELECT MAX(tran_num) FROM transactions_header WHERE description = ? AND resp_party_id = ?
"""  # re-read our row by its unique marker (no identity function needed)

INSERT_DETAIL = """
INSERT INTO transactions_detail
    (detail_id, tran_num, user_id, date_entered, provider_id, collections_go_to, patient_id,
     amount, provider_practice_id, patient_practice_id, applied_to, status, status_modifier,
     posneg)
SELECT COALESCE(MAX(detail_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, 0
FROM transactions_detail
"""  # [V-code] status 1, posneg 0 as Adit writes them; applied_to per charge [I]

REFRESH_BALANCE = """
UPDATE patient SET current_bal = COALESCE((
    SELECT SUM(d.amount) FROM transactions_detail d
    JOIN transactions_header h ON h.tran_num = d.tran_num
    WHERE d.patient_id = ? AND h.status <> 'D'), 0)
WHERE patient_id = ?
"""  # [V-code] Adit recomputes current_bal this way; aging buckets are left to Eaglesoft [U]

INSERT_NOTE = """
INSERT INTO operatory_notes
    (note_id, patient_id, date_entered, user_id, note_class, note_type, note_type_id,
     description, note, locked_eod, status, resp_party_id, tran_num, freshness, claim_id)
SELECT COALESCE(MAX(note_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'A', ?, ?, ?, ?
FROM operatory_notes
"""  # [V-code] Adit's communication-log note (class T, type G, type id 7); claim_id [V-code]

CLAIM_NOTES = "SELECT note FROM operatory_notes WHERE claim_id = ? ORDER BY note_id"

INSERT_BULK = """
INSERT INTO bulk_payments (bulk_payment_num, insurance_company, paytype_id, amount, description)
SELECT COALESCE(MAX(bulk_payment_num), 0) + 1, ?, ?, ?, ? FROM bulk_payments
"""  # [V-code] columns; that a partner may create bulk payments this way is [U]

ADD_PAID_PRIMARY = """
UPDATE transactions_header SET paid_primary = COALESCE(paid_primary, 0) + ?
WHERE tran_num = ? AND claim_id = ?
"""  # [V-code] column; [I] that posting updates it

ADD_PAID_SECONDARY = """
UPDATE transactions_header SET paid_secondary = COALESCE(paid_secondary, 0) + ?
WHERE tran_num = ? AND claim_id = ?
"""

ADD_CLAIM_PAID_PRIMARY = """
UPDATE insurance_claim SET prim_total_paid = COALESCE(prim_total_paid, 0) + ?
WHERE claim_id = ?
"""  # [V-code] column; [I]

ADD_CLAIM_PAID_SECONDARY = """
UPDATE insurance_claim SET sec_total_paid = COALESCE(sec_total_paid, 0) + ? WHERE claim_id = ?
"""

ADD_PATIENT_PAID_PRIMARY = """
UPDATE patient SET prim_total_paid = COALESCE(prim_total_paid, 0) + ? WHERE patient_id = ?
"""  # [V-code] column; [I]

ADD_PATIENT_PAID_SECONDARY = """
UPDATE patient SET sec_total_paid = COALESCE(sec_total_paid, 0) + ? WHERE patient_id = ?
"""

UNCLAIMED_PROCEDURES = """
SELECT h.tran_num, d.patient_id, h.tran_date, COALESCE(s.ada_code, h.service_code, '') AS code,
       h.amount, d.provider_id
FROM transactions_header h
JOIN transactions_detail d ON d.tran_num = h.tran_num
JOIN patient p ON p.patient_id = d.patient_id
LEFT JOIN services s ON s.service_code = h.service_code
WHERE h.type = 'S' AND h.status <> 'D' AND h.tran_date >= ? AND h.tran_date <= ?
  AND COALESCE(h.claim_id, 0) = 0 AND p.status <> 'D'
  AND (COALESCE(p.prim_employer_id, 0) <> 0 OR COALESCE(p.sec_employer_id, 0) <> 0)
ORDER BY h.tran_date, h.tran_num
"""  # [I] a posted service (type S) of a patient with a plan (employer), claim_id unset

# Deductibles applied (issue 19, item 2): patient.prim_remaining_deductible /
# sec_remaining_deductible [V-code: read by two integrators' Eaglesoft queries, see
# docs/vendors/eaglesoft.md "Deductibles"]; that Eaglesoft's own posting lowers it is [I].
# Relative and never below zero, so a reversal (negative deductible) gives it back.

LOWER_PRIMARY_REMAINING_DEDUCTIBLE = """
UPDATE patient SET prim_remaining_deductible =
    CASE WHEN COALESCE(prim_remaining_deductible, 0) - ? < 0 THEN 0
         ELSE COALESCE(prim_remaining_deductible, 0) - ? END
WHERE patient_id = ?
"""  # [V-code] column; [I] that posting lowers it

LOWER_SECONDARY_REMAINING_DEDUCTIBLE = """
UPDATE patient SET sec_remaining_deductible =
    CASE WHEN COALESCE(sec_remaining_deductible, 0) - ? < 0 THEN 0
         ELSE COALESCE(sec_remaining_deductible, 0) - ? END
WHERE patient_id = ?
"""  # [V-code] column; [I] as above
