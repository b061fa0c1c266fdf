-- The balance of an account at the end of each month whose statement is
-- final (DESIGN.md "Reseller account"): nothing can be dated in such a
-- month any more, so the sum of its entries never changes. A balance is
-- the latest snapshot plus the entries since, so admission and the panels
-- sum about a month of entries however long the ledger grows. Written by
-- the hourly sweep (`billing::service::close_periods`), never edited.
CREATE TABLE ledger_snapshots (
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    -- The first instant after the month: the balance counts every entry
    -- before it.
    period_end  TIMESTAMPTZ NOT NULL,
    balance     NUMERIC(18, 4) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (reseller_id, period_end)
);
