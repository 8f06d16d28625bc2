-- Emulated Dentrix G "admin" schema (DDP views) for tests, the contract suite and the demo.
--
-- Real Dentrix G exposes these as views in the schema "admin" of the c-treeACE database
-- DentrixSQL. Here they are plain tables in a SQLite database ATTACHed as "admin", so the same
-- schema-qualified SQL (admin.fullproclog …) runs unchanged. Names and types follow the public
-- integrator code; every column is tagged:
--   [V-code] seen in public integrator code   [I] our inference   [U] unknown, placeholder
-- Run with the admin database attached as "admin"; statements are separated by ";\n".

CREATE TABLE admin.patient (            -- [V-code] admin.patient
    patid INTEGER PRIMARY KEY,          -- [V-code]
    guarid INTEGER NOT NULL,            -- [V-code] the guarantor (account holder)
    firstname VARCHAR(30),              -- [V-code]
    lastname VARCHAR(30),               -- [V-code]
    status INTEGER NOT NULL DEFAULT 1,  -- [I] column name; codes [V-code] from v_patient
    provid1 VARCHAR(5),                 -- [V-code] primary provider; type [I]
    priminsuredid INTEGER,              -- [V-code] -> admin.insured
    secinsuredid INTEGER,               -- [V-code]
    privacyflags INTEGER DEFAULT 0,     -- [V-code]
    -- Individual deductibles met this benefit year, per plan (primary/secondary) and deductible
    -- type (standard, preventive, other): column names [V-code, a published Dentrix G table
    -- dump, see docs/vendors/dentrix.md "Deductibles"]; that they hold the amount met (they sit
    -- beside primbenefits and the *lastyr columns) is [I]. The dump types them DECIMAL.
    primstdded DECIMAL(10,2) DEFAULT 0,  -- [V-code] name; meaning [I]
    primprvded DECIMAL(10,2) DEFAULT 0,  -- [V-code] name; meaning [I]
    primotherded DECIMAL(10,2) DEFAULT 0,  -- [V-code] name; meaning [I]
    secstdded DECIMAL(10,2) DEFAULT 0,  -- [V-code] name; meaning [I]
    secprvded DECIMAL(10,2) DEFAULT 0,  -- [V-code] name; meaning [I]
    secotherded DECIMAL(10,2) DEFAULT 0  -- [V-code] name; meaning [I]
);

CREATE VIEW admin.v_patient AS          -- [V-code] admin.v_patient and its column names
SELECT patid AS patient_id, guarid AS guar_id, firstname AS first_name,
       lastname AS last_name, status, provid1 AS pri_provider_id,
       priminsuredid AS primdentalinsuredid, secinsuredid AS secdentalinsuredid
FROM patient;

CREATE TABLE admin.inscarrier (         -- [V-code] admin.inscarrier
    insid INTEGER PRIMARY KEY,          -- [V-code]
    insconame VARCHAR(40),              -- [V-code] (table dump; Enterprise: INSCONAME)
    maxcovperson DECIMAL(10,2),         -- [V-code]
    stddedperperson DECIMAL(10,2) DEFAULT 0,  -- [V-code] table dump: annual standard deductible
    stddedperfam DECIMAL(10,2) DEFAULT 0      -- [V-code] table dump: family standard deductible
);

CREATE TABLE admin.insured (            -- [V-code] admin.insured (a subscriber on a plan)
    insuredid INTEGER PRIMARY KEY,      -- [V-code]
    insplanid INTEGER,                  -- [V-code] -> inscarrier.insid [I]
    inspartyid INTEGER,                 -- [V-code] the subscriber patient
    idnum VARCHAR(20),                  -- [V-code] member id (PHI: never logged)
    -- Family deductibles met this benefit year on this subscriber's plan [V-code names, table
    -- dump: famstddedmet, famprvdedmet, famotherdedmet beside famstddedlastyr …]
    famstddedmet DECIMAL(10,2) DEFAULT 0,   -- [V-code]
    famprvdedmet DECIMAL(10,2) DEFAULT 0,   -- [V-code]
    famotherdedmet DECIMAL(10,2) DEFAULT 0  -- [V-code]
);

CREATE TABLE admin.fulldef (            -- [V-code] definitions
    defid INTEGER PRIMARY KEY,          -- [V-code]
    descript VARCHAR(32),               -- [V-code]; length [U]
    deftype INTEGER NOT NULL            -- [V-code] 6 = payment types, 9 = adjustment types
);

CREATE TABLE admin.proccode (           -- [V-code]
    proccodeid INTEGER PRIMARY KEY,     -- [V-code]
    adacode VARCHAR(10),                -- [V-code]
    abbrevdescript VARCHAR(30)          -- [V-code]
);

CREATE TABLE admin.fullproclog (        -- [V-code] the ledger (procedures, payments, adjustments)
    procid INTEGER PRIMARY KEY AUTOINCREMENT,  -- [V-code]; identity assigned by the engine [I]
    patid INTEGER NOT NULL,             -- [V-code]
    guarid INTEGER NOT NULL,            -- [V-code]
    chartstatus INTEGER NOT NULL,       -- [V-code] 90 ledger entry, 102 completed, 105 planned
    procdate DATE NOT NULL,             -- [V-code] a date without a time
    proclogclass INTEGER NOT NULL DEFAULT 0,  -- [V-code] with 90: 1 payment, 2 adjustment, 3 ins.
    proclogorder INTEGER NOT NULL DEFAULT 0,  -- [V-code] payment/adjustment type id (fulldef)
    proccodeid INTEGER DEFAULT 0,       -- [V-code] procedure code (procedures)
    provid VARCHAR(5),                  -- [V-code]; type [I]
    amt DECIMAL(10,2) NOT NULL,         -- [V-code]; dollars [I]; credits negative [V-code]
    createdate TIMESTAMP,               -- [V-code]
    checknum VARCHAR(15),               -- [V-code]; length [U]
    claimid INTEGER DEFAULT 0,          -- [V-code]
    amtpriminspaid DECIMAL(10,2) DEFAULT 0,  -- [V-code]
    amtsecinspaid DECIMAL(10,2) DEFAULT 0,   -- [V-code]
    history INTEGER DEFAULT 0,          -- [V-code] moved to history by month-end [I]
    automodifiedtimestamp TIMESTAMP     -- [V-code]
);

CREATE TABLE admin.fullnotes (          -- [V-code] notes; one per (notetype, noteid) [I]
    notetype INTEGER NOT NULL,          -- [V-code] 1 ledger transaction, 3 patient, 49 contact
    noteid INTEGER NOT NULL,            -- [V-code] procid / patid / contactid
    notetext VARCHAR(4000),             -- [V-code]; length [U]
    PRIMARY KEY (notetype, noteid)
);

CREATE TABLE admin.aging (              -- [V-code] per-guarantor aging, patched by integrators
    guarid INTEGER PRIMARY KEY,         -- [V-code]
    agingdate DATE,                     -- [V-code]
    billingtype INTEGER DEFAULT 1,      -- [V-code]
    aging0to30 DECIMAL(10,2) DEFAULT 0, -- [V-code]
    aging31to60 DECIMAL(10,2) DEFAULT 0,  -- [I] name by analogy with aging0to30
    aging61to90 DECIMAL(10,2) DEFAULT 0,  -- [I]
    aging91plus DECIMAL(10,2) DEFAULT 0,  -- [I]
    lastpaydate DATE,                   -- [V-code]
    lastpayamt DECIMAL(10,2)            -- [V-code]
);

CREATE VIEW admin.v_guarantor_balance AS  -- [V-code] view and column names
SELECT guarid AS guar_id, aging0to30 AS balance_0_30_days, aging31to60 AS balance_31_60_days,
       aging61to90 AS balance_61_90_days, aging91plus AS balance_91_plus_days
FROM aging;

CREATE TABLE admin.claim (              -- [V-code] admin.claim; most columns [I]
    claimid INTEGER PRIMARY KEY,        -- [I] (Enterprise: CLAIMID)
    patid INTEGER NOT NULL,             -- [V-code]
    insuredid INTEGER,                  -- [I]
    claimtype INTEGER DEFAULT 0,        -- [I] 0 primary, 1 secondary, 2 pre-estimate
    status INTEGER DEFAULT 0,           -- [I] (Enterprise: Status)
    dateofclaim DATE,                   -- [I] (Enterprise: DATEOFCLAIM)
    datereceived DATE,                  -- [I] (Enterprise: DATERECEIVED; NULL = not received)
    totalfee DECIMAL(10,2) DEFAULT 0,   -- [I] (Enterprise: TOTAL, in cents there)
    totalreceived DECIMAL(10,2) DEFAULT 0  -- [V-code]
);

CREATE TABLE admin.contact (            -- [V-code] contact log / Office Journal [I]
    contactid INTEGER PRIMARY KEY AUTOINCREMENT,  -- [V-code]; identity [I]
    contactdate DATE,                   -- [V-code]
    contacttime VARCHAR(8),             -- [V-code]; type [U]
    patid INTEGER,                      -- [V-code]
    provid VARCHAR(5),                  -- [V-code]
    title VARCHAR(40),                  -- [V-code]
    contacttype INTEGER                 -- [V-code] 3/5 used by one integrator
);

CREATE TABLE admin.options (            -- [V-code] admin.options; value column name [I]
    optionsection VARCHAR(40),
    optionkey VARCHAR(40),
    optionvalue VARCHAR(255)
);
