-- Per (order, factory) totals of the allocations, kept by the allocation triggers, for the
-- orders report (GET /v1/reports/orders).
--
-- The report needs, per order, the factories it uses, its units, Σ units × unit cost and the
-- last production day at each factory. Folding a million allocations into those pairs on
-- every request took about a second of PostgreSQL CPU; this table holds the pairs (about a
-- quarter as many rows) so the report reads them instead. The statement-level allocation
-- triggers already see every changed row; each now also adjusts the pairs it touched, in the
-- same transaction, so the table is exact at every COMMIT whatever the writer.
--
-- `capability` is the slots' (an order's slots all have its capability). Slots never change
-- factory, capability or day once they hold allocations, and a slot with allocations cannot be
-- deleted, so nothing else moves these figures. An order's rows go with it (ON DELETE
-- CASCADE); the cascaded deletion of its allocations then finds nothing left to subtract.
CREATE TABLE order_factory_totals (
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    factory_id  uuid NOT NULL,
    capability  text NOT NULL,
    units       bigint NOT NULL CHECK (units >= 0),
    -- Σ units × unit_cost.
    cost        bigint NOT NULL,
    last_day    date NOT NULL,
    PRIMARY KEY (order_id, factory_id)
);

-- What one statement did to one (order, factory) pair.
CREATE TYPE weft_pair_change AS (
    order_id    uuid,
    factory_id  uuid,
    capability  text,
    units       bigint,
    cost        bigint,
    -- The latest day of a slot that gained or changed an allocation of the pair (NULL: none).
    added_day   date,
    -- The latest day of a slot the pair lost an allocation from (NULL: none): where it is the
    -- pair's last day, the last day is read again from the allocations.
    removed_day date
);

-- Applies removals and changes (deletes, updates). Rows are locked in key order first, so
-- that two transactions adjusting the same orders queue instead of deadlocking. Existing pairs
-- are adjusted in place (a pair's net change may be negative, which an INSERT ... ON CONFLICT
-- could not carry: the CHECK applies to the proposed row); pairs that gain their first
-- allocations are inserted; pairs left without units are deleted.
CREATE FUNCTION weft_order_factory_totals_apply(changes weft_pair_change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) IS NULL OR cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM order_factory_totals t JOIN unnest(changes) d ON d.order_id = t.order_id AND d.factory_id = t.factory_id
     ORDER BY t.order_id, t.factory_id FOR UPDATE OF t;
    UPDATE order_factory_totals t
       SET units = t.units + d.units, cost = t.cost + d.cost, last_day = greatest(t.last_day, d.added_day)
      FROM unnest(changes) d
     WHERE t.order_id = d.order_id AND t.factory_id = d.factory_id;
    -- A pair another transaction creates meanwhile is met by ON CONFLICT, after it commits.
    INSERT INTO order_factory_totals AS t (order_id, factory_id, capability, units, cost, last_day)
    SELECT d.order_id, d.factory_id, d.capability, d.units, d.cost, d.added_day
      FROM unnest(changes) d
     WHERE d.added_day IS NOT NULL AND d.units > 0
       AND NOT EXISTS (SELECT 1 FROM order_factory_totals e WHERE e.order_id = d.order_id AND e.factory_id = d.factory_id)
     ORDER BY d.order_id, d.factory_id
    ON CONFLICT (order_id, factory_id) DO UPDATE
       SET units = t.units + excluded.units, cost = t.cost + excluded.cost, last_day = greatest(t.last_day, excluded.last_day);
    DELETE FROM order_factory_totals t USING unnest(changes) d
     WHERE t.order_id = d.order_id AND t.factory_id = d.factory_id AND t.units = 0;
    UPDATE order_factory_totals t
       SET last_day = coalesce((SELECT max(s.day) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
                                 WHERE a.order_id = t.order_id AND s.factory_id = t.factory_id), t.last_day)
      FROM unnest(changes) d
     WHERE t.order_id = d.order_id AND t.factory_id = d.factory_id AND d.removed_day >= t.last_day;
END $$;

-- The triggers of migration 0001, unchanged up to their last statement, which now keeps the
-- pairs. New allocations only add: one upsert in key order, the cheapest form for order
-- placement, which books through this trigger.
CREATE OR REPLACE FUNCTION weft_allocations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots WHERE id IN (SELECT slot_id FROM new_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated + d.delta
      FROM (SELECT slot_id, sum(units) AS delta FROM new_rows GROUP BY slot_id) d
     WHERE s.id = d.slot_id;
    INSERT INTO order_factory_totals AS t (order_id, factory_id, capability, units, cost, last_day)
    SELECT n.order_id, s.factory_id, min(s.capability), weft_sum_int8(n.units), weft_sum_int8(n.units::bigint * n.unit_cost), max(s.day)
      FROM new_rows n JOIN capacity_slots s ON s.id = n.slot_id
     GROUP BY n.order_id, s.factory_id ORDER BY n.order_id, s.factory_id
    ON CONFLICT (order_id, factory_id) DO UPDATE
       SET units = t.units + excluded.units, cost = t.cost + excluded.cost, last_day = greatest(t.last_day, excluded.last_day);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION weft_allocations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots WHERE id IN (SELECT slot_id FROM old_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated - d.delta
      FROM (SELECT slot_id, sum(units) AS delta FROM old_rows GROUP BY slot_id) d
     WHERE s.id = d.slot_id;
    PERFORM weft_order_factory_totals_apply(ARRAY(
        SELECT ROW(o.order_id, s.factory_id, min(s.capability), -weft_sum_int8(o.units), -weft_sum_int8(o.units::bigint * o.unit_cost),
                   NULL::date, max(s.day))::weft_pair_change
          FROM old_rows o JOIN capacity_slots s ON s.id = o.slot_id
         GROUP BY o.order_id, s.factory_id));
    RETURN NULL;
END $$;

-- Only rows whose order, slot, units or unit cost changed count (confirming an allocation
-- changes none): each counts as its old figures removed and its new ones added.
CREATE OR REPLACE FUNCTION weft_allocations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM capacity_slots
     WHERE id IN (SELECT slot_id FROM new_rows UNION SELECT slot_id FROM old_rows) ORDER BY id FOR UPDATE;
    UPDATE capacity_slots s SET allocated = s.allocated + d.delta
      FROM (SELECT slot_id, sum(units) AS delta
              FROM (SELECT slot_id, units FROM new_rows UNION ALL SELECT slot_id, -units FROM old_rows) changes
             GROUP BY slot_id) d
     WHERE s.id = d.slot_id AND d.delta <> 0;
    PERFORM weft_order_factory_totals_apply(ARRAY(
        SELECT ROW(c.order_id, s.factory_id, min(s.capability), weft_sum_int8(c.units), weft_sum_int8(c.cost),
                   max(s.day) FILTER (WHERE c.added), max(s.day) FILTER (WHERE c.moved))::weft_pair_change
          FROM (SELECT n.order_id, n.slot_id, n.units::bigint AS units, n.units::bigint * n.unit_cost AS cost, true AS added, false AS moved
                  FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id
                 WHERE o.id IS NULL OR (n.order_id, n.slot_id, n.units, n.unit_cost) IS DISTINCT FROM (o.order_id, o.slot_id, o.units, o.unit_cost)
                UNION ALL
                SELECT o.order_id, o.slot_id, -o.units::bigint, -(o.units::bigint * o.unit_cost), false,
                       n.id IS NULL OR n.order_id <> o.order_id OR n.slot_id <> o.slot_id
                  FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id
                 WHERE n.id IS NULL OR (n.order_id, n.slot_id, n.units, n.unit_cost) IS DISTINCT FROM (o.order_id, o.slot_id, o.units, o.unit_cost)) c
          JOIN capacity_slots s ON s.id = c.slot_id
         GROUP BY c.order_id, s.factory_id));
    RETURN NULL;
END $$;

-- Rebuilds the table from the allocations: the backfill below, and the way back to exact
-- figures after a bulk load that bypassed the triggers (session_replication_role = replica,
-- as benchmarks/report-bench.sh does). Writers of allocations wait until it commits.
CREATE FUNCTION weft_rebuild_order_factory_totals() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE allocations IN SHARE MODE;
    DELETE FROM order_factory_totals;
    INSERT INTO order_factory_totals (order_id, factory_id, capability, units, cost, last_day)
    SELECT a.order_id, s.factory_id, min(s.capability), weft_sum_int8(a.units), weft_sum_int8(a.units::bigint * a.unit_cost), max(s.day)
      FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
     GROUP BY a.order_id, s.factory_id;
END $$;

SELECT weft_rebuild_order_factory_totals();
