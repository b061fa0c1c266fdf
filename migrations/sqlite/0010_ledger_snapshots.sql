-- The balance of an account at the end of each month whose statement is
-- final: see ../postgres/0010_ledger_snapshots.sql.
CREATE TABLE ledger_snapshots (
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    period_end  INTEGER NOT NULL,
    balance     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (reseller_id, period_end)
);
