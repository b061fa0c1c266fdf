-- Price book, end customers, orders and services (PostgreSQL).
-- Keep in step with ../sqlite/0002_price_book_and_orders.sql.

-- One row binds one product to one reseller: the contract.
CREATE TABLE reseller_products (
    reseller_id            TEXT NOT NULL REFERENCES reseller_profiles (id),
    product_id             TEXT NOT NULL REFERENCES products (id),
    wholesale_monthly      NUMERIC(18, 4),
    wholesale_quarterly    NUMERIC(18, 4),
    wholesale_semi_annual  NUMERIC(18, 4),
    wholesale_annual       NUMERIC(18, 4),
    wholesale_hourly       NUMERIC(18, 4),
    wholesale_setup_fee    NUMERIC(18, 4) NOT NULL DEFAULT 0,
    discount_rate_override NUMERIC(5, 2),
    is_enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    max_quantity           BIGINT CHECK (max_quantity IS NULL OR max_quantity >= 1),
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (reseller_id, product_id)
);

-- Every change to a price book row: who, when, old and new (JSON snapshots).
CREATE TABLE reseller_product_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reseller_id TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    old_row     JSONB,
    new_row     JSONB NOT NULL
);
CREATE INDEX reseller_product_history_by_row ON reseller_product_history (reseller_id, product_id, id);

-- A reseller's end customer, known by the reseller's own external id.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    external_id TEXT NOT NULL,
    name        TEXT,
    email       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (reseller_id, external_id)
);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    status          TEXT NOT NULL,
    wholesale_total NUMERIC(18, 4) NOT NULL,
    currency        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_by_reseller ON orders (reseller_id, id);

-- Prices are locked here at order time: later price book changes do not
-- touch them.
CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    line_no    BIGINT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    term       TEXT NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity >= 1),
    unit_price NUMERIC(18, 4) NOT NULL,
    setup_fee  NUMERIC(18, 4) NOT NULL,
    line_total NUMERIC(18, 4) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE services (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    order_id        TEXT NOT NULL REFERENCES orders (id),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    product_id      TEXT NOT NULL REFERENCES products (id),
    term            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
    recurring_price NUMERIC(18, 4) NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    next_renewal_at TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX services_by_reseller ON services (reseller_id, id);
CREATE INDEX services_held ON services (reseller_id, product_id, status);
CREATE INDEX services_by_customer ON services (customer_id);

-- One-time links that let an invited client set a password (SHA-256 of the token).
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
