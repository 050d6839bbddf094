-- Idempotency keys expire (24 hours after first use by default, WEFT_IDEMPOTENCY_TTL_SECONDS)
-- and expired rows are purged. Each row now carries its own expiry, fixed when it is written,
-- so changing the setting affects keys used from then on. An expired key may be used again
-- for a new request.
--
-- The `in_flight` state was never written: a request holds the (tenant, key) transaction lock
-- while it runs and writes its row, already `done`, in the same transaction as its order. The
-- state column and its CHECK go; every row has its response.
DELETE FROM idempotency_keys WHERE state <> 'done' OR response_status IS NULL OR response_body IS NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_done_has_response;
ALTER TABLE idempotency_keys DROP COLUMN state;
ALTER TABLE idempotency_keys ALTER COLUMN response_status SET NOT NULL, ALTER COLUMN response_body SET NOT NULL;
ALTER TABLE idempotency_keys ADD COLUMN expires_at timestamptz;
UPDATE idempotency_keys SET expires_at = created_at + interval '24 hours';
ALTER TABLE idempotency_keys ALTER COLUMN expires_at SET NOT NULL;
DROP INDEX idempotency_keys_created;
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
