-- Invariants after a load or fault test, against what the load client was told. The caller
-- first loads the client's acknowledged orders (key, order_id, status) into load_acknowledged.
-- Prints `violation|name|count` rows (every count must be 0) and `info|name|value` rows.
\pset format unaligned
\pset tuples_only on
SELECT 'violation|overbooked slots|' || count(*) FROM capacity_slots WHERE allocated > units;
SELECT 'violation|slots whose allocated differs from the sum of their allocations|' || count(*) FROM capacity_slots s
 WHERE s.allocated <> coalesce((SELECT sum(units) FROM allocations a WHERE a.slot_id = s.id), 0);
SELECT 'violation|orders whose allocated_units differs from the sum of their allocations|' || count(*) FROM orders o
 WHERE o.allocated_units <> coalesce((SELECT sum(units) FROM allocations a WHERE a.order_id = o.id), 0);
SELECT 'violation|acknowledged (2xx) orders missing from the database|' || count(*) FROM load_acknowledged c
 WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = c.order_id);
SELECT 'violation|order ids acknowledged more than once|' || count(*) FROM (
    SELECT order_id FROM load_acknowledged GROUP BY order_id HAVING count(*) > 1) d;
SELECT 'violation|Idempotency-Keys acknowledged with more than one order|' || count(*) FROM (
    SELECT key FROM load_acknowledged GROUP BY key HAVING count(DISTINCT order_id) > 1) d;
SELECT 'violation|Idempotency-Keys (order references) with more than one stored order|' || count(*) FROM (
    SELECT reference FROM orders GROUP BY reference HAVING count(*) > 1) d;
SELECT 'violation|acknowledged orders stored under another reference|' || count(*) FROM load_acknowledged c
  JOIN orders o ON o.id = c.order_id WHERE o.reference IS DISTINCT FROM c.key;
SELECT 'violation|stored orders no client saw acknowledged|' || count(*) FROM orders o
 WHERE NOT EXISTS (SELECT 1 FROM load_acknowledged c WHERE c.order_id = o.id);
SELECT 'violation|acknowledged keys without a matching stored response|' || count(*) FROM load_acknowledged c
 WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys k
                    WHERE k.key = c.key AND k.order_id = c.order_id AND k.response_status = c.status
                      AND convert_from(k.response_body, 'UTF8')::json->>'id' = c.order_id::text);
SELECT 'info|orders stored|' || count(*) FROM orders;
SELECT 'info|orders by status|' || coalesce(string_agg(status || '=' || n, ', '), 'none')
  FROM (SELECT status, count(*) n FROM orders GROUP BY status ORDER BY status) s;
SELECT 'info|capacity used|' || round(100.0 * sum(allocated) / nullif(sum(units), 0), 1) || '%' FROM capacity_slots;
SELECT 'info|schedule runs|' || coalesce(string_agg(status || '=' || n, ', '), 'none')
  FROM (SELECT status, count(*) n FROM schedule_runs GROUP BY status ORDER BY status) s;
