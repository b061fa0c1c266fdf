-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql.
-- Representation: timestamps are INTEGER microseconds since 1970 (UTC),
-- money INTEGER ten-thousandths, percentages INTEGER hundredths,
-- booleans INTEGER 0/1. See app/src/store/types.rs.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'client')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Server-side sessions: the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
CREATE INDEX login_attempts_by_address ON login_attempts (address, at);

CREATE TABLE admin_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE reseller_profiles (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL UNIQUE REFERENCES users (id),
    company_name          TEXT NOT NULL,
    website               TEXT,
    message               TEXT,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
    default_discount_rate INTEGER NOT NULL DEFAULT 0,
    rate_limit            INTEGER NOT NULL DEFAULT 1000 CHECK (rate_limit > 0),
    api_enabled           INTEGER NOT NULL DEFAULT 1,
    applied_at            INTEGER NOT NULL,
    -- Who approved: an operator user id (usr_...) or an admin token id (atk_...).
    approved_at           INTEGER,
    approved_by           TEXT,
    suspended_at          INTEGER,
    suspension_reason     TEXT,
    terminated_at         INTEGER,
    termination_reason    TEXT,
    status_changed_at     INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX reseller_profiles_by_status ON reseller_profiles (status, id);

CREATE TABLE products (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('vps', 'game_server', 'shared_hosting', 'bare_metal')),
    description      TEXT NOT NULL DEFAULT '',
    is_active        INTEGER NOT NULL DEFAULT 1,
    retail_monthly     INTEGER,
    retail_quarterly   INTEGER,
    retail_semi_annual INTEGER,
    retail_annual      INTEGER,
    retail_hourly      INTEGER,
    retail_setup_fee   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Provisioning credentials live apart from products, so that no query that
-- feeds a reseller-facing view can select them by accident.
CREATE TABLE product_provisioning (
    product_id TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    module     TEXT NOT NULL,
    settings   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE operator_audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    reason       TEXT,
    details      TEXT
);
CREATE INDEX operator_audit_log_by_subject ON operator_audit_log (subject_type, subject_id, id);
