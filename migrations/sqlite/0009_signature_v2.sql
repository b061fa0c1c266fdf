-- Signature v2 signs the Idempotency-Key, so a signature can no longer
-- authorise a request under another key: the stored signature and its
-- unique index (one signature, one request) are not needed any more.
DROP INDEX idempotency_keys_by_signature;
ALTER TABLE idempotency_keys DROP COLUMN signature;
