-- Hostile input and limits (DESIGN.md). Keep in step with
-- ../sqlite/0005_hardening.sql.

-- A signature authorises one state-changing request: the signature of each
-- idempotent order is kept with its key, and a second key presenting the
-- same signature is refused (the unique index also settles a race).
-- Claims no longer wait "in flight" in this table: they are held by the
-- order's own transaction (an advisory lock), and die with it.
ALTER TABLE idempotency_keys ADD COLUMN signature TEXT;
CREATE UNIQUE INDEX idempotency_keys_by_signature ON idempotency_keys (reseller_id, signature);

-- Sessions also end after an idle time.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE sessions SET last_seen_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;

-- Provisioning settings sealed with the secrets key (like webhook
-- secrets). Rows written before this are sealed at start-up, after which
-- `settings` holds '{}'.
ALTER TABLE product_provisioning ADD COLUMN sealed_settings TEXT;

-- Retention sweeps walk these by time.
CREATE INDEX webhook_events_by_time ON webhook_events (created_at);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (at);
