#!/usr/bin/env bash
# Times the admin reports and the dashboard heat map end to end over HTTP against a release
# build of weft, on a database seeded by SQL with:
#   FACTORIES (1,000) factories x DAYS (30) days of pcb.fab slots (30,000 slots),
#   ORDERS (100,000) orders with 10 allocations each (1,000,000 allocation rows), each order
#   split across 1 to 4 factories (250,000 order-factory pairs),
#   plus ORDERS/20 unscheduled orders without allocations.
# Prints min / median / max milliseconds of RUNS runs each (default 5), as curl sees them.
# Target on a 2-core machine: every report and every heat map page under 1,000 ms, and every
# heat map page (100 factories x 30 days) under 500 KB.
#
# With DATABASE_URL set it uses that (empty, migrated or not) database; otherwise it starts a
# private PostgreSQL in a temporary directory, like scripts/run, and removes it afterwards.
# BUILD=0 uses the release binary already built; SCRATCH=DIR builds in (and runs from) DIR
# instead of SwiftPM's default .build, so it does not contend with other builds. BODIES=DIR
# keeps each answer there (one file per request, by its position), to compare two builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib/postgres.sh

runs=${RUNS:-5}
factories=${FACTORIES:-1000}
days=${DAYS:-30}
orders=${ORDERS:-100000}

weft_require_packages
scratch=()
[ -n "${SCRATCH:-}" ] && scratch=(--scratch-path "$SCRATCH")
if [ "${BUILD:-1}" != 0 ]; then
    echo "Building weft (release) ..." >&2
    swift build -c release ${scratch[@]+"${scratch[@]}"} --product weft >&2
fi
weft="$(swift build -c release ${scratch[@]+"${scratch[@]}"} --show-bin-path)/weft"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-report-bench.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    weft_pg_stop
    rm -rf "$work" "${pgdir:-}"
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
    pgdir=$(mktemp -d "${TMPDIR:-/tmp}/weft-report-bench-pg.XXXXXX")
    WEFT_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB" weft_pg_start "$pgdir"
    DATABASE_URL=$(weft_pg_create_db weft_bench)
    export DATABASE_URL
fi
export WEFT_LOG_LEVEL=warning
"$weft" migrate >&2

echo "Seeding $factories factories x $days days and $orders orders x 10 allocations ..." >&2
seed_started=$(date +%s)
psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" <<SQL
-- Bulk load without the per-statement allocation triggers (and foreign-key checks); the
-- slots' and orders' allocated figures and the order-factory totals are set from the
-- allocations afterwards, so the result is exactly what the triggers would have left.
SET session_replication_role = replica;
INSERT INTO brokers (name) SELECT 'Bench broker ' || g FROM generate_series(1, 20) g;
INSERT INTO factories (name, region, lead_days)
SELECT 'Bench factory ' || lpad(g::text, 4, '0'), (ARRAY['CN-GD','CN-ZJ','VN-SG','IN-KA','MX-NL','PL-MZ','TR-IS'])[1 + g % 7], g % 5
FROM generate_series(1, $factories) g;
INSERT INTO factory_capabilities (factory_id, capability, setup_cost) SELECT id, 'pcb.fab', 10000 FROM factories;
INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
SELECT f.id, 'pcb.fab', current_date + d, 4000, 100 + abs(hashtext(f.id::text)) % 50
FROM factories f, generate_series(0, $days - 1) d;
-- Slots numbered factory by factory, day by day: n = factory rank x DAYS + day.
CREATE TEMP TABLE slot_index AS
SELECT (r.rank - 1) * $days + (s.day - current_date) AS n, s.id, s.unit_cost
FROM capacity_slots s JOIN (SELECT id, row_number() OVER (ORDER BY name) AS rank FROM factories) r ON r.id = s.factory_id;
CREATE INDEX ON slot_index (n);
CREATE TEMP TABLE bench_orders AS
SELECT g, gen_random_uuid() AS id FROM generate_series(0, $orders - 1) g;
INSERT INTO orders (id, broker_id, capability, quantity, due_date, release_date, status, allocated_units)
SELECT o.id, b.ids[1 + o.g % 20], 'pcb.fab', 1000, current_date + $days + 5, current_date, 'scheduled', 0
FROM bench_orders o, (SELECT array_agg(id ORDER BY id) AS ids FROM brokers) b;
-- Order g is split across 1 to 4 factories (g % 4 + 1) and made over consecutive days in
-- each, 10 allocations of 1 to 6 units in all: 2.5 factories per order on average, as splits
-- are in practice (setup costs and minimum lots keep them few).
INSERT INTO allocations (order_id, slot_id, units, unit_cost)
SELECT o.id, s.id, 1 + (o.g + k) % 6, s.unit_cost
FROM bench_orders o CROSS JOIN generate_series(0, 9) k
JOIN slot_index s ON s.n = ((o.g * 37 + (k % (o.g % 4 + 1)) * 211) % $factories) * $days
                         + (o.g % ($days - 10) + k / (o.g % 4 + 1));
UPDATE capacity_slots s SET allocated = t.units
FROM (SELECT slot_id, sum(units) AS units FROM allocations GROUP BY slot_id) t WHERE s.id = t.slot_id;
-- One order in ten is short by 50 units for want of capacity.
UPDATE orders o SET allocated_units = t.units,
       quantity = t.units + CASE WHEN b.g % 10 = 0 THEN 50 ELSE 0 END,
       status = CASE WHEN b.g % 10 = 0 THEN 'partial' ELSE 'scheduled' END,
       unscheduled_reason = CASE WHEN b.g % 10 = 0 THEN 'The eligible slots have no more free capacity.' END
FROM (SELECT order_id, sum(units) AS units FROM allocations GROUP BY order_id) t, bench_orders b
WHERE o.id = t.order_id AND b.id = o.id;
INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, unscheduled_reason)
SELECT (SELECT id FROM brokers LIMIT 1), 'pcb.fab', 100, current_date + 3, current_date, 'unscheduled', 0,
       'No factory slot meets the order''s constraints (capability, region, certifications, price cap, production window).'
FROM generate_series(1, $orders / 20);
RESET session_replication_role;
-- The orders report's per-(order, factory) totals, which the triggers would have kept
-- (migration 0006): rebuilt from the allocations.
SELECT weft_rebuild_order_factory_totals() \g /dev/null
VACUUM ANALYZE;
SQL
echo "Seeded in $(( $(date +%s) - seed_started )) s: $(psql -qAt "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM capacity_slots) || ' slots, ' || (SELECT count(*) FROM orders) || ' orders, ' || (SELECT count(*) FROM allocations) || ' allocations, ' || (SELECT count(*) FROM order_factory_totals) || ' order-factory pairs'")" >&2

key=$("$weft" keys create --role admin --label bench | tail -n 1)
WEFT_LOG_LEVEL=info "$weft" serve --no-migrate --port 0 2>"$work/serve.log" &
server_pid=$!
base=
for _ in $(seq 1 100); do
    base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -n 1 || true)
    [ -n "$base" ] && break
    sleep 0.1
done
[ -n "$base" ] || { cat "$work/serve.log" >&2; echo "weft serve did not start" >&2; exit 1; }
curl -s -o /dev/null -c "$work/cookies" --data-urlencode "key=$key" "$base/dashboard/login"

# time NAME CURL-ARGS...: RUNS timed requests after one warm-up; prints min / median / max ms.
time_it() {
    local name=$1; shift
    local times=() code bytes
    code=$(curl -s -o "$work/body" -w '%{http_code}' "$@")
    [ "$code" = 200 ] || { echo "$name answered $code: $(head -c 300 "$work/body")" >&2; exit 1; }
    bytes=$(stat -c %s "$work/body")
    if [ -n "${BODIES:-}" ]; then mkdir -p "$BODIES"; bodies=$(( ${bodies:-0} + 1 )); cp "$work/body" "$BODIES/$bodies"; fi
    for _ in $(seq 1 "$runs"); do
        times+=("$(curl -s -o /dev/null -w '%{time_total}' "$@" | awk '{printf "%d", $1 * 1000}')")
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    printf '%-44s %7s %7s %7s ms  %9s bytes\n' "$name" "${sorted[0]}" "${sorted[$(( runs / 2 ))]}" "${sorted[$(( runs - 1 ))]}" "$bytes"
}

auth=(-H "Authorization: Bearer $key")
echo
printf '%-44s %7s %7s %7s\n' "request ($runs runs)" min median max
time_it "utilization group_by=factory (JSON)" "${auth[@]}" "$base/v1/reports/utilization?group_by=factory"
time_it "utilization group_by=capability (JSON)" "${auth[@]}" "$base/v1/reports/utilization?group_by=capability"
time_it "utilization group_by=day (JSON)" "${auth[@]}" "$base/v1/reports/utilization?group_by=day"
time_it "utilization group_by=factory (CSV)" "${auth[@]}" -H "Accept: text/csv" "$base/v1/reports/utilization?group_by=factory"
time_it "orders report (JSON)" "${auth[@]}" "$base/v1/reports/orders"
time_it "orders report (CSV)" "${auth[@]}" -H "Accept: text/csv" "$base/v1/reports/orders"
# The heat map shows 100 factories a page (HeatMapPages.size); each dashboard page must stay
# small enough to open at once (target: under 500 KB at 100 factories x 30 days).
pages=$(( (factories + 99) / 100 ))
time_it "dashboard heat map page 1 of $pages ($days days)" -b "$work/cookies" "$base/dashboard"
[ "$pages" -gt 1 ] && time_it "dashboard heat map page $pages of $pages" -b "$work/cookies" "$base/dashboard?page=$pages"
largest=0
for page in $(seq 1 "$pages"); do
    size=$(curl -s -o /dev/null -w '%{size_download}' -b "$work/cookies" "$base/dashboard?page=$page")
    [ "$size" -gt "$largest" ] && largest=$size
done
printf '%-44s %s bytes (%d pages)\n' "largest heat map page" "$largest" "$pages"
