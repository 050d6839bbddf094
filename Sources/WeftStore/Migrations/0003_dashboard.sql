-- Dashboard sign-in sessions and the indexes the reports lean on.

-- A browser session opened with an admin key. Only the SHA-256 of the random session token is
-- stored, so a copy of this table opens nothing. Sessions live in the database so that every
-- server process behind a load balancer accepts them; revoking the key ends its sessions too
-- (the lookup joins api_keys), and deleting the key deletes them.
CREATE TABLE dashboard_sessions (
    token_hash  bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    key_id      uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CONSTRAINT dashboard_sessions_expiry CHECK (expires_at > created_at)
);
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);

-- Utilisation by day or factory over a date range reads slots by day without a capability.
CREATE INDEX capacity_slots_day ON capacity_slots (day, factory_id);

-- The orders report and the Gantt read allocations by order; (order_id, slot_id) already
-- serves that, so nothing is added for them. Unserved orders are read by status.
CREATE INDEX orders_short ON orders (priority DESC, created_at) WHERE status IN ('partial', 'unscheduled');
