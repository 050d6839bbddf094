#!/usr/bin/env bash
# End-to-end schedule run through the API: 10,000 open (unscheduled) orders over 1,000
# factories × 30 days × 5 capabilities (every factory offers every capability: 150,000 slots),
# seeded by SQL into a private PostgreSQL. Then one POST /v1/schedule-runs of everything,
# polled to the end. Prints the run's phases (load, solve, write), score, bound and gap per
# capability, the wall time from POST to finished, the server's peak RSS (VmHWM), and checks
# the invariants in the database afterwards.
# Target (issue 5): under 10 s end to end, peak memory under 1 GiB.
# Usage: benchmarks/run-bench.sh [TIME_LIMIT_MS=7000] [ORDERS=10000] [FACTORIES=1000]
# Environment: SCRATCH (release build folder, default .build-release), PORT (default 18090),
# PERF_OUT (if set, `perf record -g` of the server during the run, written to that file),
# WEFT_POOLS=1 (order pooling: every factory capability states a batch cost of 2,000-20,000 and
# a batch size of 50-400 units, a tenth of them unlimited, and 80 % of the orders name one of 8
# pools of their capability; the score then includes batch costs, and the invariants include
# the pool units per slot).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
time_limit=${1:-7000}
orders=${2:-10000}
factories=${3:-1000}
weft_require_packages

# A separate build folder, so a release build does not wait on (or block) debug builds.
# WEFT_BIN=PATH measures that weft binary instead, with no build (for before/after runs in the
# same minutes; the exact step needs weft-mip-worker beside it, as in a build folder).
scratch=${SCRATCH:-.build-release}
if [ -z "${WEFT_BIN:-}" ]; then
    swift build -c release --scratch-path "$scratch" --product weft >/dev/null
    swift build -c release --scratch-path "$scratch" --product weft-mip-worker >/dev/null   # the exact step's worker, beside weft
fi
weft=${WEFT_BIN:-"$(swift build -c release --scratch-path "$scratch" --show-bin-path)/weft"}
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-run-bench.XXXXXX")
chmod 755 "$work" # the postgres user must reach the cluster inside it
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; weft_pg_stop; rm -rf "$work"' EXIT
weft_pg_start "$work/pg"
export DATABASE_URL=$(weft_pg_create_db weft_run)
"$weft" migrate >/dev/null

seed_start=$(date +%s.%N)
pools=$([ "${WEFT_POOLS:-0}" = 1 ] && echo 1 || echo 0)
psql -q -v ON_ERROR_STOP=1 -v orders="$orders" -v factories="$factories" -v pools="$pools" "$DATABASE_URL" <<'SQL'
SELECT setseed(0.42);
INSERT INTO brokers (name) VALUES ('Bench broker');
-- Eight regions; a third of the factories hold ISO9001, a tenth IATF16949; 3 % are inactive.
INSERT INTO factories (name, region, lead_days, certifications, active)
SELECT 'Factory ' || g,
       (ARRAY['CN-GD','CN-ZJ','CN-JS','VN-SG','VN-HN','TH-BK','MY-PG','IN-TN'])[1 + g % 8],
       (g * 7) % 4,
       CASE WHEN g % 3 = 0 THEN ARRAY['ISO9001'] ELSE '{}' END || CASE WHEN g % 10 = 0 THEN ARRAY['IATF16949'] ELSE '{}' END,
       g % 33 <> 0
  FROM generate_series(1, :factories) g;
INSERT INTO factory_capabilities
SELECT f.id, c, 500 + (random() * 4500)::int
  FROM factories f, unnest(ARRAY['pcb.fab','cnc.milling','injection.molding','weaving','sewing']) c;
-- Each (factory, capability) has a base price; days vary around it.
INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
SELECT fc.factory_id, fc.capability, current_date + d, 20 + (random() * 100)::int,
       greatest(1, b.base + (random() * 20)::int - 10)
  FROM factory_capabilities fc
  JOIN LATERAL (SELECT 80 + (random() * 220)::int AS base, fc.factory_id AS fid) b ON true,
       generate_series(0, 29) d;
-- Orders: a mix of small and larger ones, due in 3..30 days, some with region, price,
-- certification, lot and split limits; all unscheduled, as if submitted while nothing was free.
INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, max_unit_cost, regions, certifications,
                    min_lot, max_factories, priority, reference, status, pool)
SELECT (SELECT id FROM brokers LIMIT 1),
       (ARRAY['pcb.fab','cnc.milling','injection.molding','weaving','sewing'])[1 + g % 5],
       q, current_date + 3 + (random() * 27)::int, current_date,
       CASE WHEN g % 5 = 1 THEN 250 END,
       CASE WHEN g % 3 = 0 THEN ARRAY[(ARRAY['CN-GD','CN-ZJ','CN-JS','VN-SG','VN-HN','TH-BK','MY-PG','IN-TN'])[1 + g % 8],
                                      (ARRAY['CN-GD','CN-ZJ','CN-JS','VN-SG','VN-HN','TH-BK','MY-PG','IN-TN'])[1 + (g / 8) % 8]]
            ELSE '{}' END,
       CASE WHEN g % 10 = 7 THEN ARRAY['ISO9001'] ELSE '{}' END,
       CASE WHEN g % 4 = 0 THEN least(q, 25) ELSE 1 END,
       2 + g % 7, 1 + (g * 13) % 5, 'B-' || g, 'unscheduled',
       -- With pools: 80 % of each capability's orders in one of 8 pools.
       CASE WHEN :pools = 1 AND (g / 5) % 5 <> 0 THEN 'p' || (1 + (g / 25) % 8) END
  FROM (SELECT g, 20 + (random() * random() * 600)::int AS q FROM generate_series(1, :orders) g) o;
ANALYZE;
SQL
if [ "${WEFT_POOLS:-0}" = 1 ]; then
    # Batch terms per factory capability (the orders' pools are set as they are inserted: an
    # order's pool never changes).
    psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<'SQL'
SELECT setseed(0.43);
UPDATE factory_capabilities SET batch_cost = 2000 + (random() * 18000)::int,
       batch_units = CASE WHEN random() < 0.1 THEN NULL ELSE 50 + (random() * 350)::int END;
ANALYZE;
SQL
fi
seed_end=$(date +%s.%N)
psql -qAt "$DATABASE_URL" <<'SQL'
SELECT 'seeded: ' || (SELECT count(*) FROM factories) || ' factories, ' || (SELECT count(*) FROM capacity_slots) || ' slots ('
       || (SELECT sum(units) FROM capacity_slots) || ' units), ' || (SELECT count(*) FROM orders) || ' orders ('
       || (SELECT sum(quantity) FROM orders) || ' units)';
SELECT 'pooled: ' || count(*) FILTER (WHERE pool IS NOT NULL) || ' orders in ' || count(DISTINCT pool) || ' pools; '
       || (SELECT count(*) FILTER (WHERE batch_cost > 0) FROM factory_capabilities) || ' factory capabilities with a batch cost'
  FROM orders HAVING count(*) FILTER (WHERE pool IS NOT NULL) > 0;
SQL
printf 'seeding took %.1f s\n' "$(echo "$seed_end - $seed_start" | bc)"

admin=$("$weft" keys create --role admin --label bench | tail -n 1)
port=${PORT:-18090}
"$weft" serve --port $port --no-migrate --log-level warning &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$server/status)

perf=
if [ -n "${PERF_OUT:-}" ]; then
    perf record -F 499 -g -o "$PERF_OUT" -p $server 2>/dev/null &
    perf=$!
    sleep 0.5
fi
start=$(date +%s.%N)
run=$(curl -fsS -X POST "http://127.0.0.1:$port/v1/schedule-runs" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' -d "{\"time_limit_ms\": $time_limit, \"seed\": 1}")
id=$(echo "$run" | jq -r .id)
while :; do
    state=$(curl -fsS "http://127.0.0.1:$port/v1/schedule-runs/$id" -H "Authorization: Bearer $admin")
    status=$(echo "$state" | jq -r .status)
    [ "$status" = succeeded ] || [ "$status" = failed ] && break
    sleep 0.05
done
end=$(date +%s.%N)
peak=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
if [ -n "$perf" ]; then kill -INT $perf; wait $perf 2>/dev/null || true; fi

echo "== run of $orders orders x $factories factories x 30 days x 5 capabilities, time_limit_ms $time_limit, $(nproc) cores =="
echo "$state" | jq -r '"status \(.status)\(if .error then " (" + .error + ")" else "" end), moved \(.moved)",
  "phases: load \(.timings.load_ms) ms, solve \(.timings.solve_ms) ms, write \(.timings.write_ms) ms, total \(.timings.total_ms) ms",
  "score before: unserved \(.score_before.unserved), cost \(.score_before.cost)",
  "score after:  hard \(.score_after.hard), unserved \(.score_after.unserved), cost \(.score_after.cost)",
  "bound:        unserved \(.bound.unserved // "-"), cost \(.bound.cost // "-"); cost gap \(if .gap then (.gap * 10000 | round / 100 | tostring) + " %" else "n/a (unserved differs)" end)"'
echo "per capability:"
echo "$state" | jq -r '.capability_results[] | "  \(.capability): \(.outcome), \(.orders) orders, \(.slots) slots, unserved \(.score_after.unserved) (bound \(.bound.unserved // "-")), cost \(.score_after.cost) (bound \(.bound.cost // "-")), moved \(.moved), \(.iterations) iterations; load \(.load_ms) ms, bound \(.bound_ms) ms, search \(.search_ms) ms, write \(.write_ms) ms"'
printf 'wall time POST -> finished: %.2f s (target < 10 s)\n' "$(echo "$end - $start" | bc)"
printf 'server RSS: %d MiB before the run, peak %d MiB (target < 1024 MiB)\n' $((rss_before / 1024)) $((peak / 1024))

psql -qAt "$DATABASE_URL" <<'SQL'
\i benchmarks/lib/allocation-invariants.sql
SELECT 'allocations written: ' || count(*) FROM allocations;
SELECT 'batches: ' || count(*) || ' (slot, pool group) groups, ' || sum(n) || ' batches, mean fill '
       || coalesce(round(avg(fill) FILTER (WHERE fill IS NOT NULL), 3)::text, '-') || ', '
       || count(*) FILTER (WHERE orders > 1) || ' groups shared by 2 or more orders'
  FROM (SELECT g.slot_id, ceil(g.units::numeric / coalesce(fc.batch_units, g.units)) AS n, g.orders,
               CASE WHEN fc.batch_units IS NOT NULL THEN g.units::numeric / (ceil(g.units::numeric / fc.batch_units) * fc.batch_units) END AS fill
          FROM (SELECT a.slot_id, coalesce(o.pool, o.id::text) AS grp, sum(a.units) AS units, count(*) AS orders
                  FROM allocations a JOIN orders o ON o.id = a.order_id GROUP BY 1, 2) g
          JOIN capacity_slots s ON s.id = g.slot_id
          JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
         WHERE fc.batch_cost > 0) b;
SQL
