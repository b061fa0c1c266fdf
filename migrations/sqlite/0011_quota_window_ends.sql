-- Nothing on SQLite: one instance counts its rate limits in memory, and
-- `quota_leases` (see ../postgres/0011_quota_window_ends.sql) exists only
-- on PostgreSQL.
SELECT 1;
