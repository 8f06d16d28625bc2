-- Staff console (connector/console) and alerts (connector/alerts); issue #17.
-- Console accounts: staff see only the practices listed; admins see every practice.
CREATE TABLE console_users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,              -- admin | staff
    practices     TEXT    NOT NULL DEFAULT '[]', -- JSON list of practice ids
    password_hash TEXT    NOT NULL,              -- argon2id, never the password
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

-- Sessions: the signed cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE console_sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES console_users (id),
    csrf_token   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    ended_at     TEXT
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed sign-ins, for throttling per account and per address (cleared on success).
CREATE TABLE console_login_failures (
    id      INTEGER PRIMARY KEY,
    account TEXT    NOT NULL,
    address TEXT    NOT NULL,
    at      TEXT    NOT NULL
);
CREATE INDEX console_login_failures_account ON console_login_failures (account, at);
CREATE INDEX console_login_failures_address ON console_login_failures (address, at);

-- Generated secrets (the session cookie's signing key), kept across restarts.
CREATE TABLE console_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Alerts already sent: one row per practice, kind and period, so a restart never sends twice.
CREATE TABLE alerts_sent (
    practice_id TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- digest | outage | recovery
    period      TEXT NOT NULL,   -- the local date of a digest; the outage's start for outages
    sent_at     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (practice_id, kind, period)
);

-- The queue page filters items by practice and status, newest first.
CREATE INDEX items_queue ON items (practice_id, status, created_at);
-- The queue joins each item to its open review.
CREATE INDEX reviews_item ON reviews (item_id, state);
