-- The reseller account (DESIGN.md "Reseller account: balance, credit limit,
-- statements"). Keep in step with ../postgres/0006_reseller_accounts.sql.

-- One row per reseller that has settings: no row means no credit limit
-- (billed in arrears) and no low-balance threshold. The balance is not
-- kept here: it is the sum of the ledger (see the PostgreSQL file).
CREATE TABLE reseller_accounts (
    reseller_id           TEXT PRIMARY KEY REFERENCES reseller_profiles (id),
    credit_limit          INTEGER,
    low_balance_threshold INTEGER,
    low_balance_notified  INTEGER NOT NULL DEFAULT 0,
    updated_at            INTEGER NOT NULL
);

-- Immutable entries: the balance is their sum (exact: integer
-- ten-thousandths).
CREATE TABLE ledger_entries (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    kind            TEXT NOT NULL CHECK (kind IN ('order', 'renewal', 'payment', 'credit', 'adjustment')),
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
CREATE INDEX ledger_entries_by_reseller ON ledger_entries (reseller_id, at, id, amount);
CREATE UNIQUE INDEX ledger_entries_by_idempotency_key ON ledger_entries (reseller_id, idempotency_key);

ALTER TABLE services ADD COLUMN suspension_reason TEXT
    CHECK (suspension_reason IN ('operator', 'unpaid'));
UPDATE services SET suspension_reason = 'operator' WHERE status = 'suspended';
CREATE INDEX services_unpaid ON services (reseller_id, next_renewal_at) WHERE suspension_reason = 'unpaid';
