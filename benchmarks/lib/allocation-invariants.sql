-- What every benchmark that books or moves capacity checks afterwards (each count must be 0).
-- Included with \i by benchmarks/order-load.sh and benchmarks/run-bench.sh (run from the
-- repository root); the fault and load checks in scripts/ have their own, stricter list.
SELECT 'overbooked slots: ' || count(*) FROM capacity_slots WHERE allocated > units;
SELECT 'slots whose allocated differs from their allocations: ' || count(*) FROM capacity_slots s
 WHERE s.allocated <> coalesce((SELECT sum(units) FROM allocations a WHERE a.slot_id = s.id), 0);
SELECT 'orders whose allocated_units differ from their allocations: ' || count(*) FROM orders o
 WHERE o.allocated_units <> coalesce((SELECT sum(units) FROM allocations a WHERE a.order_id = o.id), 0);
SELECT 'slot pool units differing from the allocations: ' || count(*) FROM (
    (SELECT slot_id, pool, units FROM slot_pool_units
     EXCEPT SELECT a.slot_id, o.pool, sum(a.units) FROM allocations a JOIN orders o ON o.id = a.order_id WHERE o.pool IS NOT NULL GROUP BY 1, 2)
    UNION ALL
    (SELECT a.slot_id, o.pool, sum(a.units) FROM allocations a JOIN orders o ON o.id = a.order_id WHERE o.pool IS NOT NULL GROUP BY 1, 2
     EXCEPT SELECT slot_id, pool, units FROM slot_pool_units)) d;
SELECT 'orders by status: ' || string_agg(status || '=' || n, ', ') FROM (SELECT status, count(*) n FROM orders GROUP BY status ORDER BY status) s;
