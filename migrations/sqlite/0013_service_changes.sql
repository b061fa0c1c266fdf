-- Cancellation and plan and term changes: see
-- ../postgres/0013_service_changes.sql.

ALTER TABLE services ADD COLUMN cancel_at INTEGER;
ALTER TABLE services ADD COLUMN cancel_reason TEXT;
ALTER TABLE services ADD COLUMN scheduled_change TEXT;
CREATE INDEX services_cancel_due ON services (cancel_at) WHERE cancel_at IS NOT NULL;

-- SQLite cannot alter a CHECK constraint: the ledger is copied into a
-- table with the new one (nothing refers to ledger entries).
CREATE TABLE ledger_entries_new (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    kind            TEXT NOT NULL
        CHECK (kind IN ('order', 'renewal', 'payment', 'credit', 'adjustment', 'proration')),
    amount          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    order_id        TEXT REFERENCES orders (id),
    service_id      TEXT REFERENCES services (id),
    reference       TEXT,
    reason          TEXT,
    recorded_by     TEXT,
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      INTEGER NOT NULL
);
INSERT INTO ledger_entries_new
    SELECT id, reseller_id, kind, amount, at, order_id, service_id, reference, reason, recorded_by,
           idempotency_key, request_hash, created_at
    FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE INDEX ledger_entries_by_reseller ON ledger_entries (reseller_id, at, id, amount);
CREATE UNIQUE INDEX ledger_entries_by_idempotency_key ON ledger_entries (reseller_id, idempotency_key);
