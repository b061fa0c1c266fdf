-- Price changes over time: see ../postgres/0014_price_versions.sql.
CREATE TABLE price_versions (
    id                    TEXT PRIMARY KEY,
    reseller_id           TEXT NOT NULL,
    product_id            TEXT NOT NULL,
    effective_from        INTEGER NOT NULL,
    wholesale_monthly     INTEGER,
    wholesale_quarterly   INTEGER,
    wholesale_semi_annual INTEGER,
    wholesale_annual      INTEGER,
    wholesale_hourly      INTEGER,
    wholesale_setup_fee   INTEGER NOT NULL DEFAULT 0,
    existing_services     TEXT NOT NULL DEFAULT 'keep' CHECK (existing_services IN ('keep', 'at_renewal')),
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    announced_at          INTEGER,
    FOREIGN KEY (reseller_id, product_id) REFERENCES reseller_products (reseller_id, product_id)
);
CREATE UNIQUE INDEX price_versions_by_row ON price_versions (reseller_id, product_id, effective_from);
CREATE INDEX price_versions_unannounced ON price_versions (effective_from) WHERE announced_at IS NULL;

INSERT INTO price_versions (id, reseller_id, product_id, effective_from, wholesale_monthly,
        wholesale_quarterly, wholesale_semi_annual, wholesale_annual, wholesale_hourly,
        wholesale_setup_fee, existing_services, created_at, updated_at, announced_at)
    SELECT 'ppv_0' || substr(lower(hex(randomblob(13))), 1, 25), reseller_id, product_id,
           created_at, wholesale_monthly, wholesale_quarterly, wholesale_semi_annual,
           wholesale_annual, wholesale_hourly, wholesale_setup_fee, 'keep', created_at, updated_at,
           updated_at
    FROM reseller_products;

ALTER TABLE reseller_products DROP COLUMN wholesale_monthly;
ALTER TABLE reseller_products DROP COLUMN wholesale_quarterly;
ALTER TABLE reseller_products DROP COLUMN wholesale_semi_annual;
ALTER TABLE reseller_products DROP COLUMN wholesale_annual;
ALTER TABLE reseller_products DROP COLUMN wholesale_hourly;
ALTER TABLE reseller_products DROP COLUMN wholesale_setup_fee;

ALTER TABLE reseller_product_history ADD COLUMN effective_from INTEGER;

ALTER TABLE services ADD COLUMN price_locked_at INTEGER NOT NULL DEFAULT 0;
UPDATE services SET price_locked_at = started_at;
