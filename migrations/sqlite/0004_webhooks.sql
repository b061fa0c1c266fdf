-- Outbound webhooks: events, their deliveries and every attempt.
-- Keep in step with ../postgres/0004_webhooks.sql. The delivery jobs
-- themselves live in apalis's own tables (its migrations run beside ours).

-- Written in the transaction of the change that caused it.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    event_type  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_events_by_reseller ON webhook_events (reseller_id, id);

-- One event to the reseller's endpoint. Status: pending (queued or
-- retrying), held (reseller suspended), succeeded, failed (schedule ran
-- out), cancelled (reseller terminated).
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES webhook_events (id),
    reseller_id      TEXT NOT NULL REFERENCES reseller_profiles (id),
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'held', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    completed_at     INTEGER
);
CREATE INDEX webhook_deliveries_by_reseller ON webhook_deliveries (reseller_id, id);
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status, id);

CREATE TABLE webhook_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt_no    INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    url           TEXT NOT NULL,
    status_code   INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
