-- Quota windows end: the hourly sweep deletes the rows of windows that
-- ended (a row per scope and key, so per client address that ever failed
-- to authenticate, would otherwise stay for ever). `ends_ms` is when the
-- row's window ends, in milliseconds since 1970 by the database's clock,
-- written with each lease. Rows from before have 0: the first sweep drops
-- them, which at most gives their keys a fresh window once.
-- `quota_leases` exists only here; ../sqlite/0011_quota_window_ends.sql
-- is empty.
ALTER TABLE quota_leases ADD COLUMN ends_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX quota_leases_by_end ON quota_leases (ends_ms);
