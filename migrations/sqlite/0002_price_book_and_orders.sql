-- Price book, end customers, orders and services (SQLite).
-- Keep in step with ../postgres/0002_price_book_and_orders.sql.

-- One row binds one product to one reseller: the contract.
CREATE TABLE reseller_products (
    reseller_id            TEXT NOT NULL REFERENCES reseller_profiles (id),
    product_id             TEXT NOT NULL REFERENCES products (id),
    wholesale_monthly      INTEGER,
    wholesale_quarterly    INTEGER,
    wholesale_semi_annual  INTEGER,
    wholesale_annual       INTEGER,
    wholesale_hourly       INTEGER,
    wholesale_setup_fee    INTEGER NOT NULL DEFAULT 0,
    discount_rate_override INTEGER,
    is_enabled             INTEGER NOT NULL DEFAULT 1,
    max_quantity           INTEGER CHECK (max_quantity IS NULL OR max_quantity >= 1),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    PRIMARY KEY (reseller_id, product_id)
);

-- Every change to a price book row: who, when, old and new (JSON snapshots).
CREATE TABLE reseller_product_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    reseller_id TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    old_row     TEXT,
    new_row     TEXT NOT NULL
);
CREATE INDEX reseller_product_history_by_row ON reseller_product_history (reseller_id, product_id, id);

-- A reseller's end customer, known by the reseller's own external id.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES reseller_profiles (id),
    external_id TEXT NOT NULL,
    name        TEXT,
    email       TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (reseller_id, external_id)
);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    status          TEXT NOT NULL,
    wholesale_total INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX orders_by_reseller ON orders (reseller_id, id);

-- Prices are locked here at order time: later price book changes do not
-- touch them.
CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    line_no    INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    term       TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity >= 1),
    unit_price INTEGER NOT NULL,
    setup_fee  INTEGER NOT NULL,
    line_total INTEGER NOT NULL,
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
    recurring_price INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    next_renewal_at INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX services_by_reseller ON services (reseller_id, id);
CREATE INDEX services_held ON services (reseller_id, product_id, status);
CREATE INDEX services_by_customer ON services (customer_id);

-- One-time links that let an invited client set a password (SHA-256 of the token).
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
