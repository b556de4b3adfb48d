-- vt4g migration 0004: two-phase webhook dedupe (processing under a lease, then done)
-- and the handler-level effect log.
--
-- state 'processing': a delivery holds the id until expires_at (its lease);
-- state 'done': the handler succeeded; kept until expires_at (retention).
-- Rows written before this migration were recorded before their handler ran;
-- they are read as 'done', which is what the earlier version answered for them.
ALTER TABLE "{{schema}}"."{{table_prefix}}webhook_dedupe"
    ADD COLUMN IF NOT EXISTS state TEXT NOT NULL DEFAULT 'done'
        CHECK (state IN ('processing', 'done')),
    ADD COLUMN IF NOT EXISTS lease_token TEXT,
    ADD COLUMN IF NOT EXISTS claims BIGINT NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS done_at TIMESTAMPTZ;

-- One row per business event a webhook handler applied (vt4g::dedupe::PostgresEffects).
CREATE TABLE IF NOT EXISTS "{{schema}}"."{{table_prefix}}webhook_effects" (
    effect_key  TEXT        PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- purge_older_than deletes by age.
CREATE INDEX IF NOT EXISTS "{{table_prefix}}webhook_effects_applied_at"
    ON "{{schema}}"."{{table_prefix}}webhook_effects" (applied_at);
