-- Weft's whole schema as the product contract implies it. The database enforces what it can:
-- keys, uniqueness, ranges, statuses, and that no capacity slot is ever overbooked.

CREATE TABLE brokers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX brokers_created ON brokers (created_at, id);

CREATE TABLE factories (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    region          text NOT NULL CHECK (char_length(region) BETWEEN 1 AND 32),
    lat             double precision CHECK (lat BETWEEN -90 AND 90),
    lon             double precision CHECK (lon BETWEEN -180 AND 180),
    lead_days       integer NOT NULL CHECK (lead_days BETWEEN 0 AND 60),
    certifications  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(certifications) <= 32),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX factories_created ON factories (created_at, id);
CREATE INDEX factories_region ON factories (region);

-- A process a factory offers, with the fixed cost of taking on one order for it.
CREATE TABLE factory_capabilities (
    factory_id  uuid NOT NULL REFERENCES factories (id) ON DELETE CASCADE,
    capability  text NOT NULL CHECK (capability ~ '^[a-z][a-z0-9]*(\.[a-z0-9]+)*$' AND char_length(capability) <= 64),
    setup_cost  bigint NOT NULL CHECK (setup_cost BETWEEN 0 AND 1000000000000),
    PRIMARY KEY (factory_id, capability)
);
CREATE INDEX factory_capabilities_capability ON factory_capabilities (capability, factory_id);

-- (factory, capability, day) -> units available and the cost of each. `allocated` is kept equal
-- to the sum of the slot's allocations by the triggers below, and the CHECK makes
-- overbooking impossible whatever the writer.
CREATE TABLE capacity_slots (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    factory_id  uuid NOT NULL,
    capability  text NOT NULL,
    day         date NOT NULL,
    units       bigint NOT NULL CHECK (units BETWEEN 0 AND 1000000000),
    unit_cost   bigint NOT NULL CHECK (unit_cost BETWEEN 0 AND 1000000000000),
    allocated   bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT capacity_slots_not_overbooked CHECK (0 <= allocated AND allocated <= units),
    CONSTRAINT capacity_slots_unique UNIQUE (factory_id, capability, day),
    FOREIGN KEY (factory_id, capability) REFERENCES factory_capabilities (factory_id, capability)
);
CREATE INDEX capacity_slots_capability_day ON capacity_slots (capability, day);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role         text NOT NULL CHECK (role IN ('admin', 'factory', 'broker')),
    factory_id   uuid REFERENCES factories (id) ON DELETE CASCADE,
    broker_id    uuid REFERENCES brokers (id) ON DELETE CASCADE,
    label        text CHECK (char_length(label) <= 200),
    prefix       text NOT NULL UNIQUE,
    secret_hash  bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CONSTRAINT api_keys_scope CHECK (
        (role = 'factory') = (factory_id IS NOT NULL) AND (role = 'broker') = (broker_id IS NOT NULL)
    )
);
CREATE INDEX api_keys_created ON api_keys (created_at, id);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    broker_id           uuid NOT NULL REFERENCES brokers (id),
    capability          text NOT NULL CHECK (capability ~ '^[a-z][a-z0-9]*(\.[a-z0-9]+)*$' AND char_length(capability) <= 64),
    quantity            integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    due_date            date NOT NULL,
    release_date        date NOT NULL,
    max_unit_cost       bigint CHECK (max_unit_cost BETWEEN 0 AND 1000000000000),
    regions             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(regions) <= 32),
    certifications      text[] NOT NULL DEFAULT '{}' CHECK (cardinality(certifications) <= 32),
    min_lot             integer NOT NULL DEFAULT 1,
    max_factories       integer NOT NULL DEFAULT 8 CHECK (max_factories BETWEEN 1 AND 64),
    priority            integer NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
    reference           text CHECK (char_length(reference) <= 200),
    status              text NOT NULL CHECK (status IN ('scheduled', 'partial', 'unscheduled', 'cancelled')),
    allocated_units     integer NOT NULL DEFAULT 0,
    unscheduled_reason  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    cancelled_at        timestamptz,
    CONSTRAINT orders_release_before_due CHECK (release_date <= due_date),
    CONSTRAINT orders_min_lot CHECK (min_lot BETWEEN 1 AND quantity),
    CONSTRAINT orders_allocated_units CHECK (allocated_units BETWEEN 0 AND quantity)
);
CREATE INDEX orders_broker_created ON orders (broker_id, created_at, id);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_open_by_capability ON orders (capability, status) WHERE status <> 'cancelled';

CREATE TABLE schedule_runs (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status         text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    capabilities   text[] NOT NULL DEFAULT '{}',
    dry_run        boolean NOT NULL DEFAULT false,
    time_limit_ms  integer NOT NULL CHECK (time_limit_ms BETWEEN 1 AND 3600000),
    seed           bigint NOT NULL,
    as_of          date NOT NULL,
    progress       double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    score_before   jsonb,
    score_after    jsonb,
    bound          jsonb,
    moved          integer,
    diff           jsonb,
    error          text,
    owner          text,
    requested_by   uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX schedule_runs_created ON schedule_runs (created_at, id);
CREATE INDEX schedule_runs_unfinished ON schedule_runs (status) WHERE status IN ('queued', 'running');

-- (order, slot) -> units, the slot's unit cost frozen when allocated.
CREATE TABLE allocations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    slot_id       bigint NOT NULL REFERENCES capacity_slots (id),
    units         integer NOT NULL CHECK (units > 0),
    unit_cost     bigint NOT NULL CHECK (unit_cost >= 0),
    status        text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'confirmed')),
    run_id        uuid REFERENCES schedule_runs (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    confirmed_at  timestamptz,
    CONSTRAINT allocations_unique UNIQUE (order_id, slot_id),
    CONSTRAINT allocations_confirmed_at CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL))
);
CREATE INDEX allocations_slot ON allocations (slot_id);

-- Keep capacity_slots.allocated equal to the sum of allocation units. Statement-level
-- triggers see every changed row at once; slots are locked in id order first so that
-- concurrent writers queue in one order instead of deadlocking.
CREATE FUNCTION weft_allocations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots WHERE id IN (SELECT slot_id FROM new_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated + d.delta
      FROM (SELECT slot_id, sum(units) AS delta FROM new_rows GROUP BY slot_id) d
     WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE FUNCTION weft_allocations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots WHERE id IN (SELECT slot_id FROM old_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated - d.delta
      FROM (SELECT slot_id, sum(units) AS delta FROM old_rows GROUP BY slot_id) d
     WHERE s.id = d.slot_id;
    RETURN NULL;
END $$;

CREATE FUNCTION weft_allocations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots
     WHERE id IN (SELECT slot_id FROM new_rows UNION SELECT slot_id FROM old_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated + d.delta
      FROM (SELECT slot_id, sum(units) AS delta
              FROM (SELECT slot_id, units FROM new_rows UNION ALL SELECT slot_id, -units FROM old_rows) changes
             GROUP BY slot_id) d
     WHERE s.id = d.slot_id AND d.delta <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER allocations_inserted AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_allocations_inserted();
CREATE TRIGGER allocations_deleted AFTER DELETE ON allocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_allocations_deleted();
CREATE TRIGGER allocations_updated AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_allocations_updated();

-- Idempotency-Key records for POST /v1/orders, scoped to the key's tenant.
CREATE TABLE idempotency_keys (
    tenant           text NOT NULL,
    key              text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash     bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('in_flight', 'done')),
    response_status  integer,
    response_body    bytea,
    order_id         uuid REFERENCES orders (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, key),
    CONSTRAINT idempotency_done_has_response CHECK (state = 'in_flight' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
