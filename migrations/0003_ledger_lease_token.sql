-- vt4g migration 0003: a fencing token on ledger leases.
-- Set to 1 when a row is inserted and incremented by every take-over of a lapsed
-- lease; renew / complete / release only succeed with the current token, so a
-- holder whose lease was taken over cannot overwrite the new holder's row.
ALTER TABLE "{{schema}}"."{{table_prefix}}idempotency"
    ADD COLUMN IF NOT EXISTS lease_token BIGINT NOT NULL DEFAULT 0;
