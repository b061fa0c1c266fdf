-- The reseller account (DESIGN.md "Reseller account: balance, credit limit,
-- statements"). Keep in step with ../sqlite/0006_reseller_accounts.sql.

-- One row per reseller that has settings: no row means no credit limit
-- (billed in arrears) and no low-balance threshold. The balance is not
-- kept here: it is the sum of the ledger, so orders of a reseller without
-- a limit only append entries and never queue on this row. With a limit,
-- an order locks this row, which serialises admission per reseller.
CREATE TABLE reseller_accounts (
    reseller_id           TEXT PRIMARY KEY REFERENCES reseller_profiles (id),
    credit_limit          NUMERIC(18, 4),
    low_balance_threshold NUMERIC(18, 4),
    -- Set when `balance.low` was sent; cleared once the level is back at
    -- or above the threshold, so each crossing sends one event.
    low_balance_notified  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at            TIMESTAMPTZ NOT NULL
);

-- Immutable entries: the balance is their sum.
CREATE TABLE ledger_entries (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    kind            TEXT NOT NULL CHECK (kind IN ('order', 'renewal', 'payment', 'credit', 'adjustment')),
    amount          NUMERIC(18, 4) NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    order_id        TEXT REFERENCES orders (id),
    service_id      TEXT REFERENCES services (id),
    reference       TEXT,
    reason          TEXT,
    recorded_by     TEXT,
    -- A payment's Idempotency-Key and what it asked for: a retry with the
    -- same key returns this entry instead of recording another.
    idempotency_key TEXT,
    request_hash    TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_by_reseller ON ledger_entries (reseller_id, at, id) INCLUDE (amount);
CREATE UNIQUE INDEX ledger_entries_by_idempotency_key ON ledger_entries (reseller_id, idempotency_key);

-- Why a service is suspended: 'operator' (a provisioning outcome) or
-- 'unpaid' (a renewal the account could not cover; a payment lifts it).
ALTER TABLE services ADD COLUMN suspension_reason TEXT
    CHECK (suspension_reason IN ('operator', 'unpaid'));
UPDATE services SET suspension_reason = 'operator' WHERE status = 'suspended';
CREATE INDEX services_unpaid ON services (reseller_id, next_renewal_at) WHERE suspension_reason = 'unpaid';
