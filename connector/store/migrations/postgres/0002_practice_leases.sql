-- PostgreSQL flavour of sqlite/0002_practice_leases.sql (TIMESTAMPTZ instead of ISO text).
-- Practice leases: which instance works which practice, and until when (docs/scale.md).
-- A row with owner NULL (never claimed, or released) or expires_at in the past is free.
CREATE TABLE practice_leases (
    practice_id TEXT PRIMARY KEY,
    owner       TEXT,
    acquired_at TIMESTAMPTZ,
    expires_at  TIMESTAMPTZ,
    renewed_at  TIMESTAMPTZ
);
CREATE INDEX practice_leases_owner ON practice_leases (owner, expires_at);

-- Running instances (a heartbeat renewed with the leases), so each takes a fair share
-- even while it holds no practice yet.
CREATE TABLE lease_instances (
    owner      TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
