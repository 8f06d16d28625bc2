-- Emulated Eaglesoft schema for tests, the contract suite and the demo.
--
-- Real Eaglesoft runs on SAP SQL Anywhere (tables owned by PPM [V-code, one source]). Here the
-- same tables live in one SQLite file reached through the SQLite ODBC driver. Names follow
-- public integrator code; tags: [V-code] seen in public code, [I] inferred, [U] unknown.
-- SQLite does not enforce VARCHAR lengths, so the lengths our writes depend on are CHECKs.

CREATE TABLE patient (                          -- [V-code]
    patient_id INTEGER PRIMARY KEY,             -- [V-code]
    first_name VARCHAR(20),                     -- [V-code]
    last_name VARCHAR(25),                      -- [V-code]
    responsible_party INTEGER NOT NULL,         -- [V-code] the guarantor's patient_id
    responsible_party_status CHAR(1),           -- [V-code]; values [U]
    status CHAR(1) DEFAULT 'A',                 -- [V-code]; codes A/I/N are [U]
    preferred_dentist VARCHAR(5),               -- [V-code]; type [I]
    preferred_hygienist VARCHAR(5),             -- [V-code]
    current_bal DECIMAL(10,2) DEFAULT 0,        -- [V-code] denormalised balance
    thirty_day DECIMAL(10,2) DEFAULT 0,         -- [V-code] aging buckets (not refreshed by us)
    sixty_day DECIMAL(10,2) DEFAULT 0,          -- [V-code]
    ninety_day DECIMAL(10,2) DEFAULT 0,         -- [V-code]
    estimated_insurance DECIMAL(10,2) DEFAULT 0,  -- [V-code]
    prim_employer_id INTEGER,                   -- [V-code] -> employer (the plan)
    sec_employer_id INTEGER,                    -- [V-code]
    prim_member_id VARCHAR(20),                 -- [V-code] PHI: never logged
    prim_total_paid DECIMAL(10,2) DEFAULT 0,    -- [V-code]
    sec_total_paid DECIMAL(10,2) DEFAULT 0,     -- [V-code]
    prim_remaining_deductible DECIMAL(10,2) DEFAULT 0,  -- [V-code] deductible still to meet on
    sec_remaining_deductible DECIMAL(10,2) DEFAULT 0,   -- [V-code]   the primary/secondary plan
    practice_id INTEGER DEFAULT 1               -- [V-code]
);

CREATE TABLE provider (                         -- [V-code]
    provider_id VARCHAR(5) PRIMARY KEY,         -- [V-code]; type [I]
    collections_go_to VARCHAR(5),               -- [V-code] provider credited with collections
    provider_on_insurance VARCHAR(5)            -- [V-code]
);

CREATE TABLE services (                         -- [V-code]
    service_code VARCHAR(5) PRIMARY KEY,        -- [V-code]
    ada_code VARCHAR(5),                        -- [V-code]
    description VARCHAR(40),                    -- [V-code]
    fee DECIMAL(10,2)                           -- [V-code]
);

CREATE TABLE paytype (                          -- [V-code]
    paytype_id INTEGER PRIMARY KEY,             -- [V-code] max+1 ids
    sequence INTEGER,                           -- [V-code]
    description VARCHAR(30),                    -- [V-code]
    prompt VARCHAR(30),                         -- [V-code]
    display_on_payment_screen CHAR(1),          -- [V-code] Y/N
    currency_type CHAR(1),                      -- [V-code]; values [U]
    include_on_deposit_yn CHAR(1),              -- [V-code]
    central_id VARCHAR(10),                     -- [V-code]
    system_required INTEGER DEFAULT 0           -- [V-code]
);

CREATE TABLE adjustment_type (                  -- [V-code]
    adjustment_type_id INTEGER PRIMARY KEY,     -- [V-code]
    description VARCHAR(30),                    -- [V-code]
    impacts CHAR(1),                            -- [V-code] C collections, P production
    central_id VARCHAR(10)                      -- [V-code]
);

CREATE TABLE insurance_company (                -- [V-code]
    insurance_company_id INTEGER PRIMARY KEY,   -- [V-code]
    name VARCHAR(40),                           -- [V-code]
    neic_payer_id VARCHAR(10)                   -- [V-code]
);

CREATE TABLE employer (                         -- [V-code] the plan/group record
    employer_id INTEGER PRIMARY KEY,            -- [V-code]
    name VARCHAR(40),                           -- [V-code]
    group_number VARCHAR(20),                   -- [V-code]
    insurance_company_id INTEGER,               -- [V-code]
    maximum_coverage DECIMAL(10,2),             -- [V-code]
    yearly_deductible DECIMAL(10,2) DEFAULT 0   -- [V-code] the plan's annual deductible
);

CREATE TABLE insurance_claim (                  -- [V-code]
    claim_id INTEGER PRIMARY KEY,               -- [V-code]
    statement_num INTEGER,                      -- [V-code]
    patient_id INTEGER NOT NULL,                -- [V-code]
    date_created DATE,                          -- [V-code]
    provider_id VARCHAR(5),                     -- [V-code]
    prim_employer_id INTEGER,                   -- [V-code]
    prim_insurance_company_id INTEGER,          -- [V-code]
    claim_type CHAR(1),                         -- [V-code]; P primary / S secondary is [U]
    prim_submitted_total DECIMAL(10,2),         -- [V-code]
    prim_total_paid DECIMAL(10,2) DEFAULT 0,    -- [V-code]
    sec_total_paid DECIMAL(10,2) DEFAULT 0      -- [V-code]
);

CREATE TABLE bulk_payments (                    -- [V-code] one insurance check over many claims
    bulk_payment_num INTEGER PRIMARY KEY,       -- [V-code] max+1 ids [I]
    insurance_company INTEGER,                  -- [V-code]
    paytype_id INTEGER,                         -- [V-code]
    amount DECIMAL(10,2),                       -- [V-code]; sign [U] (we store the check total)
    description VARCHAR(50) CHECK (length(description) <= 50)  -- [V-code]; length [I]
);

CREATE TABLE transactions_header (              -- [V-code] one row per transaction
    tran_num INTEGER PRIMARY KEY,               -- [V-code] MAX(tran_num)+1 [V-code]
    user_id VARCHAR(3),                         -- [V-code]; length [U]
    type CHAR(1) NOT NULL,                      -- [V-code] S charge, C credit adj, D debit adj,
                                                --   A/P/I/Y/W payment-like [V-code; letters U]
    tran_date DATE NOT NULL,                    -- [V-code]
    resp_party_id INTEGER NOT NULL,             -- [V-code] the account (responsible party)
    amount DECIMAL(10,2) NOT NULL,              -- [V-code] credits negative
    service_code VARCHAR(5),                    -- [V-code]
    paytype_id INTEGER,                         -- [V-code]
    sequence INTEGER,                           -- [V-code]
    statement_num INTEGER,                      -- [V-code]
    fee DECIMAL(10,2),                          -- [V-code]
    description VARCHAR(50) CHECK (length(description) <= 50),  -- [V-code]; 50 is [I]
    defective CHAR(1) DEFAULT 'N',              -- [V-code]
    impacts CHAR(1),                            -- [V-code] C / P
    status CHAR(1) DEFAULT 'A',                 -- [V-code] A active, D deleted
    adjustment_type INTEGER,                    -- [V-code] on C/D rows
    claim_id INTEGER,                           -- [V-code] on insurance payments and services
    est_primary DECIMAL(10,2) DEFAULT 0,        -- [V-code]
    est_secondary DECIMAL(10,2) DEFAULT 0,      -- [V-code]
    paid_primary DECIMAL(10,2) DEFAULT 0,       -- [V-code]
    paid_secondary DECIMAL(10,2) DEFAULT 0,     -- [V-code]
    bulk_payment_num INTEGER,                   -- [V-code]
    aging_date DATE,                            -- [V-code]
    practice_id INTEGER DEFAULT 1,              -- [V-code]
    balance DECIMAL(10,2) DEFAULT 0             -- [V-code]
);

CREATE TABLE transactions_detail (              -- [V-code] per patient/provider lines
    detail_id INTEGER PRIMARY KEY,              -- [V-code] max+1 ids [V-code]
    tran_num INTEGER NOT NULL,                  -- [V-code]
    user_id VARCHAR(3),                         -- [V-code]
    date_entered TIMESTAMP,                     -- [V-code]
    provider_id VARCHAR(5),                     -- [V-code] producing provider
    collections_go_to VARCHAR(5),               -- [V-code] provider credited [I]
    patient_id INTEGER NOT NULL,                -- [V-code] the family member
    amount DECIMAL(10,2) NOT NULL,              -- [V-code]
    provider_practice_id INTEGER DEFAULT 1,     -- [V-code]
    patient_practice_id INTEGER DEFAULT 1,      -- [V-code]
    applied_to INTEGER,                         -- [V-code] tran_num of the debit paid; NULL =
                                                --   unassigned credit [I]
    status INTEGER DEFAULT 1,                   -- [V-code]
    status_modifier INTEGER,                    -- [V-code]
    posneg INTEGER DEFAULT 0                    -- [V-code]; meaning [U]
);

CREATE VIEW transactions AS                     -- [V-code] header + first detail
SELECT h.*, d.patient_id, d.provider_id, d.collections_go_to
FROM transactions_header h
LEFT JOIN transactions_detail d ON d.detail_id =
    (SELECT MIN(x.detail_id) FROM transactions_detail x WHERE x.tran_num = h.tran_num);

CREATE TABLE operatory_notes (                  -- [V-code]
    note_id INTEGER PRIMARY KEY,                -- [V-code] max+1 ids
    patient_id INTEGER,                         -- [V-code]
    date_entered TIMESTAMP,                     -- [V-code]
    user_id VARCHAR(3),                         -- [V-code]
    note_class CHAR(1),                         -- [V-code] 'T' [V-code]; meaning [U]
    note_type CHAR(1),                          -- [V-code] 'G' communication log [V-code]
    note_type_id INTEGER,                       -- [V-code] 7 [V-code]
    description VARCHAR(50) CHECK (length(description) <= 50),  -- [V-code]; length [I]
    note VARCHAR(4000),                         -- [V-code]; length [U]
    locked_eod INTEGER DEFAULT 0,               -- [V-code]
    status CHAR(1) DEFAULT 'A',                 -- [V-code]
    claim_id INTEGER,                           -- [V-code]
    resp_party_id INTEGER,                      -- [V-code]
    tran_num INTEGER,                           -- [V-code]
    freshness TIMESTAMP                         -- [V-code]
);

CREATE TABLE system_preferences (               -- [V-code]
    version VARCHAR(20)                         -- [V-code]
);

-- Emulation only: stands in for SQL Anywhere's OEM database authentication. The expected
-- 'Company=…;Application=…;Signature=…' text; see dialect.py for how connections are checked.
CREATE TABLE oem_authentication (
    expected VARCHAR(400) NOT NULL
);
