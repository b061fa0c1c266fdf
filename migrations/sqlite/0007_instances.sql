-- Several instances on one database (DESIGN.md "Storage and scale").
-- Keep `background_leases` in step with ../postgres/0007_instances.sql.
-- SQLite is one instance: its rate limits count in memory, so the
-- PostgreSQL `quota_leases` table has no counterpart here.

-- Background work that must run on one process at a time (renewals,
-- sweeps): `serve` and a separate `fluxbilling worker` may share a file.
CREATE TABLE background_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
