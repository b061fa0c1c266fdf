-- Foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'client')),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Server-side sessions: the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     TEXT NOT NULL,
    address   TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_by_email ON login_attempts (email, at);
CREATE INDEX login_attempts_by_address ON login_attempts (address, at);

CREATE TABLE admin_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE reseller_profiles (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL UNIQUE REFERENCES users (id),
    company_name          TEXT NOT NULL,
    website               TEXT,
    message               TEXT,
    status                TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
    default_discount_rate NUMERIC(5, 2) NOT NULL DEFAULT 0,
    rate_limit            BIGINT NOT NULL DEFAULT 1000 CHECK (rate_limit > 0),
    api_enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    applied_at            TIMESTAMPTZ NOT NULL,
    -- Who approved: an operator user id (usr_...) or an admin token id (atk_...).
    approved_at           TIMESTAMPTZ,
    approved_by           TEXT,
    suspended_at          TIMESTAMPTZ,
    suspension_reason     TEXT,
    terminated_at         TIMESTAMPTZ,
    termination_reason    TEXT,
    status_changed_at     TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX reseller_profiles_by_status ON reseller_profiles (status, id);

CREATE TABLE products (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('vps', 'game_server', 'shared_hosting', 'bare_metal')),
    description      TEXT NOT NULL DEFAULT '',
    is_active        BOOLEAN NOT NULL DEFAULT TRUE,
    retail_monthly     NUMERIC(18, 4),
    retail_quarterly   NUMERIC(18, 4),
    retail_semi_annual NUMERIC(18, 4),
    retail_annual      NUMERIC(18, 4),
    retail_hourly      NUMERIC(18, 4),
    retail_setup_fee   NUMERIC(18, 4) NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- Provisioning credentials live apart from products, so that no query that
-- feeds a reseller-facing view can select them by accident.
CREATE TABLE product_provisioning (
    product_id TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    module     TEXT NOT NULL,
    settings   JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE operator_audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    reason       TEXT,
    details      JSONB
);
CREATE INDEX operator_audit_log_by_subject ON operator_audit_log (subject_type, subject_id, id);
