-- Outbound webhooks: events, their deliveries and every attempt.
-- Keep in step with ../sqlite/0004_webhooks.sql. The delivery jobs
-- themselves live in apalis's own tables (its migrations run beside ours).

-- Written in the transaction of the change that caused it.
CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    event_type  TEXT NOT NULL,
    payload     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
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
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    completed_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_by_reseller ON webhook_deliveries (reseller_id, id);
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status, id);

CREATE TABLE webhook_attempts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt_no    BIGINT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    url           TEXT NOT NULL,
    status_code   BIGINT,
    duration_ms   BIGINT NOT NULL,
    error         TEXT,
    response_body TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
