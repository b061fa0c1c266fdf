-- Partner API: keys, webhook endpoint and secret, idempotency, request log.
-- Keep in step with ../sqlite/0003_partner_api.sql.

-- Only the prefix (look-up, display) and a SHA-256 of each key are kept.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    reseller_id  TEXT NOT NULL REFERENCES reseller_profiles (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    key_hash     TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'orders')),
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_by_reseller ON api_keys (reseller_id, id);

-- The whsec_ secret signs partner requests and webhooks, so it must be
-- kept usable: it is stored encrypted (XChaCha20-Poly1305) with the
-- server's secrets key, which lives outside the database.
ALTER TABLE reseller_profiles ADD COLUMN webhook_url TEXT;
ALTER TABLE reseller_profiles ADD COLUMN webhook_secret_sealed TEXT;

-- Idempotency-Key of order placements: the first response is kept and
-- replayed; kept at least 24 h.
CREATE TABLE idempotency_keys (
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status BIGINT,
    response_body   TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (reseller_id, idempotency_key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

-- Every partner request, rejected ones included.
CREATE TABLE api_requests (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    reseller_id TEXT,
    key_prefix  TEXT,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      BIGINT NOT NULL,
    error_code  TEXT,
    duration_us BIGINT NOT NULL,
    client_addr TEXT NOT NULL
);
CREATE INDEX api_requests_by_reseller ON api_requests (reseller_id, id);
CREATE INDEX api_requests_by_time ON api_requests (at);
