-- A synthetic network for load and fault tests (scripts/fault-check, benchmarks/mixed-load.sh):
-- one broker, :factories factories offering pcb.fab, and :days days of capacity from today,
-- :min_units to :max_units units a slot. Run with psql -v factories=N -v days=N -v min_units=N -v max_units=N.
INSERT INTO brokers (name) VALUES ('Load broker');
INSERT INTO factories (name, region, lead_days, certifications)
SELECT 'Factory ' || g, (ARRAY['CN-GD','CN-ZJ','VN-SG','IN-KA','MX-NL'])[1 + g % 5], g % 4,
       CASE WHEN g % 3 = 0 THEN ARRAY['ISO9001'] ELSE '{}' END
  FROM generate_series(1, :factories) g;
INSERT INTO factory_capabilities SELECT id, 'pcb.fab', 500 + (random() * 4500)::int FROM factories;
INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
SELECT f.id, 'pcb.fab', current_date + d, :min_units + (random() * (:max_units - :min_units))::int, 50 + (random() * 100)::int
  FROM factories f, generate_series(0, :days - 1) d;
-- Only the seeded tables: ANALYZE on the still empty orders and allocations would record them
-- as known to be empty, and every connection would then plan its foreign-key checks against
-- orders as sequential scans and keep those plans while the table grows (until autovacuum
-- analyzes it, a minute or more later): a warm-up artefact of a brand-new database, not Weft.
ANALYZE brokers, factories, factory_capabilities, capacity_slots;
