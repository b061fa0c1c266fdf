-- Cancellation and plan and term changes (DESIGN.md "Life of a service").
-- Keep in step with ../sqlite/0013_service_changes.sql.

-- A scheduled cancellation: the service is terminated at `cancel_at` (its
-- renewal date when it was asked for) instead of being renewed.
ALTER TABLE services ADD COLUMN cancel_at TIMESTAMPTZ;
ALTER TABLE services ADD COLUMN cancel_reason TEXT;
-- A change that waits for the next renewal (a downgrade, a new term):
-- {id, product_id, term, recurring_price, effective_at, requested_at}.
ALTER TABLE services ADD COLUMN scheduled_change JSONB;
-- The renewal job finds cancellations that fall due without scanning.
CREATE INDEX services_cancel_due ON services (cancel_at) WHERE cancel_at IS NOT NULL;

-- `proration`: the unused part of a period credited, or the rest of a
-- period charged at a new price (either sign), referring to the change
-- (`reference` = chg_...) or the cancellation.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('order', 'renewal', 'payment', 'credit', 'adjustment', 'proration'));
