"""SQL text for Dentrix G, ``?`` parameters only.

The subset runs on c-treeACE SQL (the real engine) and SQLite (the emulation): schema-qualified
``admin.`` names, ``COALESCE``, ``MAX``, ``instr`` [V-code: c-treeACE supports instr].
Tags say how sure we are that a view accepts the statement: reads [V-code]; the INSERT/UPDATE
targets are the DDP "write-enabled views" one integrator writes to [V-code], but the exact
DDP Write API list is not public [U].
"""

from __future__ import annotations

# --- reads ---------------------------------------------------------------------------------

PATIENT = """
SELECT patient_id, guar_id, status, pri_provider_id, primdentalinsuredid, secdentalinsuredid
FROM admin.v_patient WHERE patient_id = ?
"""  # [V-code] admin.v_patient

FAMILY_LEDGER = """
SELECT l.procid, l.patid, l.provid, l.procdate, l.chartstatus, l.proclogclass, l.amt,
       l.claimid, c.adacode
FROM admin.fullproclog l LEFT JOIN admin.proccode c ON c.proccodeid = l.proccodeid
WHERE l.guarid = ? AND l.chartstatus IN (90, 102)
"""  # [V-code] columns; 102 completed procedures, 90 ledger entries [V-code]

DEFINITIONS = "SELECT defid, descript FROM admin.fulldef WHERE deftype = ? ORDER BY defid"
# [V-code] deftype 6 payment types, 9 adjustment types (+/- prefix) [V-doc]

DEFINITION = "SELECT defid, descript FROM admin.fulldef WHERE deftype = ? AND defid = ?"

VERSION = "SELECT optionvalue FROM admin.options WHERE optionkey = ?"
# [V-code] optionkey 'Data_Version'; the value column's name is [I]

NOTES_OF_TYPE = """
SELECT noteid, notetext FROM admin.fullnotes WHERE notetype = ? AND instr(notetext, ?) > 0
"""  # [V-code] notetype 1 = note on a ledger row (noteid = procid), 49 = on a contact row

LEDGER_ROWS = """
SELECT procid, patid, guarid, provid, procdate, proclogclass, proclogorder, amt, claimid
FROM admin.fullproclog WHERE procid = ?
"""

CLAIM = """
SELECT claimid, patid, insuredid, claimtype, status, dateofclaim, datereceived, totalfee,
       totalreceived
FROM admin.claim WHERE claimid = ?
"""  # [V-code] admin.claim (patid, totalreceived); the other columns are [I]

CLAIMS_SERVED_BETWEEN = """
SELECT l.claimid FROM admin.fullproclog l
WHERE l.chartstatus = 102 AND l.claimid IN (
    SELECT s.claimid FROM admin.fullproclog s
    WHERE s.chartstatus = 102 AND s.procdate >= ? AND s.procdate <= ?
      AND COALESCE(s.claimid, 0) <> 0)
GROUP BY l.claimid HAVING MIN(l.procdate) >= ?
ORDER BY l.claimid
"""  # [I] a claim's date of service is its earliest procedure (admin.claim has no such column)

CLAIM_LINES = """
SELECT l.procid, l.patid, l.provid, l.procdate, l.amt, l.amtpriminspaid, l.amtsecinspaid,
       c.adacode
FROM admin.fullproclog l LEFT JOIN admin.proccode c ON c.proccodeid = l.proccodeid
WHERE l.claimid = ? AND l.chartstatus = 102 ORDER BY l.procdate, l.procid
"""  # [V-code] fullproclog.claimid, amtpriminspaid, amtsecinspaid

CARRIER_OF_INSURED = """
SELECT c.insconame FROM admin.insured i JOIN admin.inscarrier c ON c.insid = i.insplanid
WHERE i.insuredid = ?
"""  # [V-code] tables; insconame and the insplanid -> insid join are [I]

AGING = """
SELECT guarid, aging0to30, aging31to60, aging61to90, aging91plus, lastpaydate, lastpayamt
FROM admin.aging WHERE guarid = ?
"""  # [V-code] aging0to30, lastpaydate, lastpayamt; the other buckets' names are [I]

# --- writes --------------------------------------------------------------------------------

INSERT_LEDGER_ROW = """
INSERT INTO admin.fullproclog
    (patid, guarid, chartstatus, procdate, proclogclass, proclogorder, proccodeid, provid,
     amt, createdate, checknum, claimid, amtpriminspaid, amtsecinspaid, history)
VALUES (?, ?, 90, ?, ?, ?, 0, ?, ?, ?, ?, ?, 0, 0, 0)
"""  # [V-code] Adit's insert (status 90, class, order = type id, negative amt for credits)

REREAD_LEDGER_ROW = """
SELECT MAX(procid) FROM admin.fullproclog
WHERE patid = ? AND guarid = ? AND chartstatus = 90 AND procdate = ? AND proclogclass = ?
  AND proclogorder = ? AND amt = ? AND createdate = ?
"""  # [I] used where the engine's identity function is unknown (c-treeACE), same transaction

INSERT_NOTE = "INSERT INTO admin.fullnotes (notetype, noteid, notetext) VALUES (?, ?, ?)"
# [V-code] notetype 1 + noteid = procid for ledger rows; 49 + contactid for contact entries

INSERT_CONTACT = """
INSERT INTO admin.contact (contactdate, contacttime, patid, provid, title, contacttype)
VALUES (?, ?, ?, ?, ?, ?)
"""  # [V-code] one integrator's contact-log entry; that this is the Office Journal is [I]

REREAD_CONTACT = """
SELECT MAX(contactid) FROM admin.contact
WHERE contactdate = ? AND contacttime = ? AND patid = ? AND title = ? AND contacttype = ?
"""  # [I]

INSERT_AGING = """
INSERT INTO admin.aging (guarid, agingdate, billingtype, aging0to30, aging31to60, aging61to90,
                         aging91plus)
VALUES (?, ?, 1, 0, 0, 0, 0)
"""  # [V-code] integrators create the row when missing (billingtype 1)

UPDATE_AGING_BUCKETS = """
UPDATE admin.aging SET aging0to30 = aging0to30 + ?, aging31to60 = aging31to60 + ?,
       aging61to90 = aging61to90 + ?, aging91plus = aging91plus + ?
WHERE guarid = ?
"""  # relative changes, so a concurrent change by Dentrix itself is not overwritten

UPDATE_AGING_LAST_PAYMENT = """
UPDATE admin.aging SET lastpaydate = ?, lastpayamt = ?
WHERE guarid = ? AND (lastpaydate IS NULL OR lastpaydate <= ?)
"""  # [V-code] Adit keeps the latest payment date/amount

ADD_PRIMARY_PAID = """
UPDATE admin.fullproclog SET amtpriminspaid = COALESCE(amtpriminspaid, 0) + ?
WHERE procid = ? AND claimid = ?
"""  # [V-code] column; that Dentrix's batch insurance entry updates it this way is [I]

ADD_SECONDARY_PAID = """
UPDATE admin.fullproclog SET amtsecinspaid = COALESCE(amtsecinspaid, 0) + ?
WHERE procid = ? AND claimid = ?
"""  # [I] as above

ADD_CLAIM_RECEIVED_TOTAL = """
UPDATE admin.claim SET totalreceived = COALESCE(totalreceived, 0) + ? WHERE claimid = ?
"""  # [V-code] totalreceived; lowered by a claim reversal, datereceived kept [I]

MARK_CLAIM_RECEIVED = """
UPDATE admin.claim SET datereceived = ?, totalreceived = COALESCE(totalreceived, 0) + ?
WHERE claimid = ?
"""  # [V-code] totalreceived; datereceived [I]

UNCLAIMED_PROCEDURES = """
SELECT l.procid, l.patid, l.procdate, COALESCE(c.adacode, '') AS adacode, l.amt, l.provid
FROM admin.fullproclog l
JOIN admin.v_patient p ON p.patient_id = l.patid
LEFT JOIN admin.proccode c ON c.proccodeid = l.proccodeid
WHERE l.chartstatus = 102 AND l.proclogclass = 0 AND l.procdate >= ? AND l.procdate <= ?
  AND COALESCE(l.claimid, 0) = 0
  AND (COALESCE(p.primdentalinsuredid, 0) <> 0 OR COALESCE(p.secdentalinsuredid, 0) <> 0)
ORDER BY l.procdate, l.procid
"""  # [I] completed procedures (chartstatus 102, class 0) of an insured patient, claimid unset

# Deductibles applied (issue 19, item 2). Column names [V-code]: a published Dentrix G table
# dump (docs/vendors/dentrix.md "Deductibles applied"); that the patient columns hold the individual
# amount met this benefit year and the insured columns the family amount met is [I]; that the
# DDP write list allows these UPDATEs is [U]. The amount is added, never below zero, so a
# reversal backs out what a payment added and a concurrent change by Dentrix is kept.

ADD_PRIMARY_DEDUCTIBLE_MET = """
UPDATE admin.patient SET primstdded = CASE WHEN COALESCE(primstdded, 0) + ? < 0 THEN 0
                                           ELSE COALESCE(primstdded, 0) + ? END
WHERE patid = ?
"""  # [V-code] column name (standard deductible, primary plan); meaning [I]

ADD_SECONDARY_DEDUCTIBLE_MET = """
UPDATE admin.patient SET secstdded = CASE WHEN COALESCE(secstdded, 0) + ? < 0 THEN 0
                                          ELSE COALESCE(secstdded, 0) + ? END
WHERE patid = ?
"""  # [V-code] column name (standard deductible, secondary plan); meaning [I]

ADD_FAMILY_DEDUCTIBLE_MET = """
UPDATE admin.insured SET famstddedmet = CASE WHEN COALESCE(famstddedmet, 0) + ? < 0 THEN 0
                                             ELSE COALESCE(famstddedmet, 0) + ? END
WHERE insuredid = ?
"""  # [V-code] column name (family standard deductible met on the subscriber's plan)
