-- Several instances on one database (DESIGN.md "Storage and scale").
-- Keep `background_leases` in step with ../sqlite/0007_instances.sql;
-- `quota_leases` exists only here (SQLite is one instance and counts in
-- its own memory).

-- Background work that must run on one instance at a time (renewals,
-- sweeps): the instance named in `holder` runs it until `expires_at`, and
-- renews the lease on every pass. A crashed holder's lease runs out and
-- another instance takes it.
CREATE TABLE background_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Shared rate limits: per scope ('reseller', 'auth_failures', ...) and key
-- (a reseller id, a client address), how much of the current window's
-- quota instances have taken. Instances take it in small batches and
-- spend each batch in memory, so a request writes nothing here unless its
-- instance's batch is used up. `window_index` counts windows since 1970 by
-- the database's clock, which every instance shares.
CREATE TABLE quota_leases (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_index BIGINT NOT NULL,
    leased       BIGINT NOT NULL,
    granted      BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
