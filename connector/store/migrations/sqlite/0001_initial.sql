-- Items: one row per money movement (or notice), unique per practice and external key.
CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    practice_id     TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    amount_cents    INTEGER NOT NULL,
    payload         TEXT    NOT NULL,
    group_key       TEXT,
    related_key     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error_code TEXT,
    last_error      TEXT,
    pms_ids         TEXT    NOT NULL DEFAULT '{}',
    progress        TEXT    NOT NULL DEFAULT '{}',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    UNIQUE (practice_id, key)
);
CREATE INDEX items_due ON items (practice_id, status, next_attempt_at);
CREATE INDEX items_related ON items (practice_id, related_key);
CREATE INDEX items_group ON items (practice_id, group_key);

-- Source cursors (JSON), advanced in the same transaction as the items they cover.
CREATE TABLE cursors (
    practice_id TEXT NOT NULL,
    source      TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (practice_id, source)
);

-- Review queue: what a person must look at, with a stable reason code and plain words.
CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items (id),
    practice_id     TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    details         TEXT    NOT NULL DEFAULT '{}',
    state           TEXT    NOT NULL DEFAULT 'open',   -- open | resolved | retried
    created_at      TEXT    NOT NULL,
    closed_at       TEXT,
    resolution_note TEXT
);
CREATE INDEX reviews_open ON reviews (practice_id, state, reason);

-- Append-only history of every status change and decision.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER,
    practice_id TEXT NOT NULL,
    at          TEXT NOT NULL,
    event       TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX history_item ON history (item_id);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;

-- Last poll per practice and source, for `connector status` and outage logging.
CREATE TABLE polls (
    practice_id          TEXT    NOT NULL,
    source               TEXT    NOT NULL,
    last_started_at      TEXT,
    last_ok_at           TEXT,
    last_error_at        TEXT,
    last_error_code      TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_summary         TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (practice_id, source)
);
