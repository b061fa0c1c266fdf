-- Price changes over time (DESIGN.md "Price changes over time").
-- Keep in step with ../sqlite/0014_price_versions.sql.
--
-- A price-book row's prices live in its versions: the row in effect at a
-- time is the latest version whose effective_from is not after it (derived
-- on every read, never copied back). reseller_products keeps what applies
-- at once and is not versioned: enabled, quantity cap, discount override.
CREATE TABLE price_versions (
    id                    TEXT PRIMARY KEY,
    reseller_id           TEXT NOT NULL,
    product_id            TEXT NOT NULL,
    effective_from        TIMESTAMPTZ NOT NULL,
    wholesale_monthly     NUMERIC(18, 4),
    wholesale_quarterly   NUMERIC(18, 4),
    wholesale_semi_annual NUMERIC(18, 4),
    wholesale_annual      NUMERIC(18, 4),
    wholesale_hourly      NUMERIC(18, 4),
    wholesale_setup_fee   NUMERIC(18, 4) NOT NULL DEFAULT 0,
    existing_services     TEXT NOT NULL DEFAULT 'keep' CHECK (existing_services IN ('keep', 'at_renewal')),
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    -- When price_book.changed said it took effect (NULL: not yet said).
    announced_at          TIMESTAMPTZ,
    FOREIGN KEY (reseller_id, product_id) REFERENCES reseller_products (reseller_id, product_id)
);
-- One version per row and instant; the lookup of the one in effect.
CREATE UNIQUE INDEX price_versions_by_row ON price_versions (reseller_id, product_id, effective_from);
CREATE INDEX price_versions_unannounced ON price_versions (effective_from) WHERE announced_at IS NULL;

-- Every existing row becomes its first version, in effect since the row was
-- created (earlier values stay in reseller_product_history).
INSERT INTO price_versions (id, reseller_id, product_id, effective_from, wholesale_monthly,
        wholesale_quarterly, wholesale_semi_annual, wholesale_annual, wholesale_hourly,
        wholesale_setup_fee, existing_services, created_at, updated_at, announced_at)
    SELECT 'ppv_0' || substr(md5(reseller_id || '/' || product_id), 1, 25), reseller_id, product_id,
           created_at, wholesale_monthly, wholesale_quarterly, wholesale_semi_annual,
           wholesale_annual, wholesale_hourly, wholesale_setup_fee, 'keep', created_at, updated_at,
           updated_at
    FROM reseller_products;

ALTER TABLE reseller_products
    DROP COLUMN wholesale_monthly,
    DROP COLUMN wholesale_quarterly,
    DROP COLUMN wholesale_semi_annual,
    DROP COLUMN wholesale_annual,
    DROP COLUMN wholesale_hourly,
    DROP COLUMN wholesale_setup_fee;

-- A history entry of a scheduled version names when it takes effect
-- (NULL: at once).
ALTER TABLE reseller_product_history ADD COLUMN effective_from TIMESTAMPTZ;

-- When the service's recurring price was set (ordered, changed, or moved by
-- an at_renewal version): a version newer than this may move it.
ALTER TABLE services ADD COLUMN price_locked_at TIMESTAMPTZ;
UPDATE services SET price_locked_at = started_at;
ALTER TABLE services ALTER COLUMN price_locked_at SET NOT NULL;
