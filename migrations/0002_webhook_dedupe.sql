-- vt4g migration 0002: webhook redelivery de-duplication (X-VT-webhook-id).
CREATE TABLE IF NOT EXISTS "{{schema}}"."{{table_prefix}}webhook_dedupe" (
    webhook_id   TEXT        PRIMARY KEY,
    recorded_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

-- purge_expired deletes by expiry.
CREATE INDEX IF NOT EXISTS "{{table_prefix}}webhook_dedupe_expires_at"
    ON "{{schema}}"."{{table_prefix}}webhook_dedupe" (expires_at);
