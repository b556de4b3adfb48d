-- vt4g migration 0001: the idempotency ledger.
-- {{table_prefix}} and {{schema}} are replaced by the library (validated identifiers).
-- One row per scope (the caller's name for a logical operation, e.g. 'order-123/capture').
CREATE TABLE IF NOT EXISTS "{{schema}}"."{{table_prefix}}idempotency" (
    scope            TEXT        PRIMARY KEY,
    idem_key         TEXT        NOT NULL,
    command          TEXT        NOT NULL,
    payment_id       TEXT,
    fingerprint      BYTEA       NOT NULL CHECK (octet_length(fingerprint) = 32),
    body             BYTEA       NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    state            TEXT        NOT NULL CHECK (state IN ('in_flight', 'completed')),
    lease_until      TIMESTAMPTZ NOT NULL,
    response_status  INTEGER,
    response_body    BYTEA,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((state = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL))
);

-- The cleanup job deletes by age.
CREATE INDEX IF NOT EXISTS "{{table_prefix}}idempotency_created_at"
    ON "{{schema}}"."{{table_prefix}}idempotency" (created_at);
