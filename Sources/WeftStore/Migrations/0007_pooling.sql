-- Order pooling: batch costs per factory capability, a pool per order, and the units of each
-- pool in each slot.
--
-- A factory states per capability `batch_cost` (the fixed cost of one batch on one day) and
-- `batch_units` (the most units one batch holds; NULL = unlimited). Orders of one capability
-- and one `pool` share batches; an order without a pool is made in batches of its own.
--
-- Changing a batch cost or batch size changes what placement would decide, so it must move
-- the capability's generation like a setup cost does: the statement-level UPDATE trigger on
-- factory_capabilities (migration 0005) already does so for every row an UPDATE changes, and
-- the factory store only updates rows whose figures differ.
ALTER TABLE factory_capabilities
    ADD COLUMN batch_cost bigint NOT NULL DEFAULT 0 CHECK (batch_cost BETWEEN 0 AND 1000000000000),
    ADD COLUMN batch_units integer CHECK (batch_units BETWEEN 1 AND 1000000000);

ALTER TABLE orders
    ADD COLUMN pool text CHECK (pool ~ '^[a-z][a-z0-9]*(\.[a-z0-9]+)*$' AND char_length(pool) <= 64);

-- An order's pool never changes: its batches, and the costs they were shared at, depend on it.
CREATE FUNCTION weft_order_pool_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the pool of order % cannot change', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_pool_fixed';
END $$;
CREATE TRIGGER orders_pool_fixed BEFORE UPDATE OF pool ON orders FOR EACH ROW
    WHEN (OLD.pool IS DISTINCT FROM NEW.pool) EXECUTE FUNCTION weft_order_pool_fixed();

-- Units of each pool in each slot (orders with a pool only; an order without one is a group of
-- its own, whose units are its allocation's). Kept exact at every COMMIT by triggers on
-- allocations, beside the slot's `allocated`: instant placement reads the units of its order's
-- pool in the candidate slots from here (so it fills batches already open), and an order's
-- batch share is its units over its pool's units in the slot.
CREATE TABLE slot_pool_units (
    slot_id     bigint NOT NULL REFERENCES capacity_slots (id) ON DELETE CASCADE,
    pool        text NOT NULL,
    capability  text NOT NULL,
    day         date NOT NULL,
    units       bigint NOT NULL CHECK (units >= 0),
    PRIMARY KEY (slot_id, pool)
);
CREATE INDEX slot_pool_units_by_pool ON slot_pool_units (capability, pool, day);
-- The batches of a factory and the orders in them: by slot, which capacity_slots_unique and
-- allocations_slot already index.

-- Adds signed unit changes per (slot, pool). The allocation triggers have locked the slots
-- already, so two transactions never adjust one slot's rows at once. Rows that gain units are
-- upserted; rows that lose units are updated; rows left at zero are deleted.
CREATE FUNCTION weft_slot_pool_units_apply(slot_ids bigint[], pools text[], deltas bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(slot_ids) IS NULL OR cardinality(slot_ids) = 0 THEN
        RETURN;
    END IF;
    UPDATE slot_pool_units p SET units = p.units + d.delta
      FROM unnest(slot_ids, pools, deltas) AS d(slot_id, pool, delta)
     WHERE p.slot_id = d.slot_id AND p.pool = d.pool AND d.delta < 0;
    INSERT INTO slot_pool_units AS p (slot_id, pool, capability, day, units)
    SELECT d.slot_id, d.pool, s.capability, s.day, d.delta
      FROM unnest(slot_ids, pools, deltas) AS d(slot_id, pool, delta) JOIN capacity_slots s ON s.id = d.slot_id
     WHERE d.delta > 0
     ORDER BY d.slot_id, d.pool
    ON CONFLICT (slot_id, pool) DO UPDATE SET units = p.units + excluded.units;
    DELETE FROM slot_pool_units p USING unnest(slot_ids, pools, deltas) AS d(slot_id, pool, delta)
     WHERE p.slot_id = d.slot_id AND p.pool = d.pool AND d.delta < 0 AND p.units = 0;
END $$;

CREATE FUNCTION weft_pool_allocations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO slot_pool_units AS p (slot_id, pool, capability, day, units)
    SELECT n.slot_id, o.pool, min(s.capability), min(s.day), sum(n.units)
      FROM new_rows n JOIN orders o ON o.id = n.order_id JOIN capacity_slots s ON s.id = n.slot_id
     WHERE o.pool IS NOT NULL
     GROUP BY n.slot_id, o.pool ORDER BY n.slot_id, o.pool
    ON CONFLICT (slot_id, pool) DO UPDATE SET units = p.units + excluded.units;
    RETURN NULL;
END $$;

CREATE FUNCTION weft_pool_allocations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    slot_ids bigint[];
    pools text[];
    deltas bigint[];
BEGIN
    SELECT array_agg(c.slot_id), array_agg(c.pool), array_agg(c.delta) INTO slot_ids, pools, deltas
      FROM (SELECT r.slot_id, o.pool, -sum(r.units)::bigint AS delta
              FROM old_rows r JOIN orders o ON o.id = r.order_id
             WHERE o.pool IS NOT NULL GROUP BY r.slot_id, o.pool) c;
    PERFORM weft_slot_pool_units_apply(slot_ids, pools, deltas);
    RETURN NULL;
END $$;

-- Each changed row counts as its old units removed and its new ones added (so a row moved to
-- another order or slot is handled too); confirming an allocation changes nothing here.
CREATE FUNCTION weft_pool_allocations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    slot_ids bigint[];
    pools text[];
    deltas bigint[];
BEGIN
    SELECT array_agg(c.slot_id), array_agg(c.pool), array_agg(c.delta) INTO slot_ids, pools, deltas
      FROM (SELECT x.slot_id, o.pool, sum(x.units)::bigint AS delta
              FROM (SELECT order_id, slot_id, units::bigint AS units FROM new_rows
                    UNION ALL SELECT order_id, slot_id, -units::bigint FROM old_rows) x
              JOIN orders o ON o.id = x.order_id
             WHERE o.pool IS NOT NULL GROUP BY x.slot_id, o.pool) c
     WHERE c.delta <> 0;
    PERFORM weft_slot_pool_units_apply(slot_ids, pools, deltas);
    RETURN NULL;
END $$;

-- An order deleted outright (not cancelled) takes its allocations with it by cascade, after
-- the order row is gone; its pool units are taken out here first, while both are readable.
CREATE FUNCTION weft_pool_order_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    slot_ids bigint[];
    deltas bigint[];
BEGIN
    SELECT array_agg(a.slot_id ORDER BY a.slot_id), array_agg(-a.units::bigint ORDER BY a.slot_id) INTO slot_ids, deltas
      FROM allocations a WHERE a.order_id = OLD.id;
    IF slot_ids IS NOT NULL THEN
        PERFORM 1 FROM capacity_slots WHERE id = ANY(slot_ids) ORDER BY id FOR UPDATE;
        PERFORM weft_slot_pool_units_apply(slot_ids, array_fill(OLD.pool, ARRAY[cardinality(slot_ids)]), deltas);
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER allocations_pool_inserted AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_pool_allocations_inserted();
CREATE TRIGGER allocations_pool_deleted AFTER DELETE ON allocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_pool_allocations_deleted();
CREATE TRIGGER allocations_pool_updated AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION weft_pool_allocations_updated();
CREATE TRIGGER orders_pool_deleted BEFORE DELETE ON orders FOR EACH ROW
    WHEN (OLD.pool IS NOT NULL) EXECUTE FUNCTION weft_pool_order_deleted();

-- Rebuilds the pool units from the allocations, after a bulk load that bypassed the triggers.
CREATE FUNCTION weft_rebuild_slot_pool_units() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE allocations IN SHARE MODE;
    DELETE FROM slot_pool_units;
    INSERT INTO slot_pool_units (slot_id, pool, capability, day, units)
    SELECT a.slot_id, o.pool, min(s.capability), min(s.day), sum(a.units)
      FROM allocations a JOIN orders o ON o.id = a.order_id JOIN capacity_slots s ON s.id = a.slot_id
     WHERE o.pool IS NOT NULL
     GROUP BY a.slot_id, o.pool;
END $$;

-- Callers of migration 0006's rebuild (bulk loads, benchmarks) get both summaries put right.
CREATE OR REPLACE FUNCTION weft_rebuild_order_factory_totals() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE allocations IN SHARE MODE;
    DELETE FROM order_factory_totals;
    INSERT INTO order_factory_totals (order_id, factory_id, capability, units, cost, last_day)
    SELECT a.order_id, s.factory_id, min(s.capability), weft_sum_int8(a.units), weft_sum_int8(a.units::bigint * a.unit_cost), max(s.day)
      FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
     GROUP BY a.order_id, s.factory_id;
    PERFORM weft_rebuild_slot_pool_units();
END $$;
