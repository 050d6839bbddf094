#!/usr/bin/env bash
# End-to-end order throughput: 200 factories × 30 days of pcb.fab capacity, then a concurrent
# client (wrk, 2 threads) submitting small orders for DURATION seconds. Prints accepted
# orders/s and latency percentiles, then checks the invariants in the database: no slot
# overbooked, allocated equal to the sum of allocations, no order duplicated, and at least as
# many orders stored as 201s were received.
# Usage: benchmarks/order-load.sh [DURATION=30] [CONNECTIONS=8]
# WEFT_IDEMPOTENCY=1 sends an Idempotency-Key with every order (stored with its response).
# WEFT_POOLS=1 runs the load twice in one go, each on a fresh database: first as above (the
# reference), then with pooling (every factory states a batch cost and a batch size, and 80 %
# of the orders name one of 8 pools), and prints both runs' figures and their ratios.
# Then it measures the ceiling on the same cluster, pgbench -N with as many clients
# (PGBENCH=0 skips it), and prints the ratio.
# Eight connections keep both cores busy; more only add queueing to every request's latency.
# Each run prints the CPU per accepted order of Weft's process and of PostgreSQL's;
# PG_STATS=1 also prints the statements that took PostgreSQL most time (pg_stat_statements).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
duration=${1:-30}
connections=${2:-8}
weft_require_packages
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk" >&2; exit 1; }

# A separate build folder, so a release build does not wait on (or block) debug builds;
# SCRATCH=DIR picks another one and BUILD=0 uses the binary already built there (as in
# report-bench.sh); PORT another port.
# WEFT_BIN=PATH measures that weft binary instead (e.g. an older build kept for before/after).
scratch=${SCRATCH:-.build-release}
[ "${BUILD:-1}" = 0 ] || [ -n "${WEFT_BIN:-}" ] || swift build -c release --force-resolved-versions --scratch-path "$scratch" --product weft >/dev/null
weft=${WEFT_BIN:-"$(swift build -c release --scratch-path "$scratch" --show-bin-path)/weft"}
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-load.XXXXXX")
chmod 755 "$work" # the postgres user must reach the cluster inside it
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; weft_pg_stop; rm -rf "$work"' EXIT
[ "${PG_STATS:-0}" = 0 ] || export WEFT_PG_OPTIONS="${WEFT_PG_OPTIONS:-} -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
weft_pg_start "$work/pg"

# One load run on a fresh database; $1 = plain or pools.
run_load() {
    local mode=$1
    export DATABASE_URL=$(weft_pg_create_db "weft_load_$mode")
    "$weft" migrate >/dev/null
    local batch="UPDATE factory_capabilities SET batch_cost = 0;"
    if [ "$mode" = pools ]; then
        # A panel run costs 2,000 to 6,000 and holds 100 to 400 boards.
        batch="UPDATE factory_capabilities SET batch_cost = 2000 + (random() * 4000)::int, batch_units = 100 + (random() * 300)::int;"
    fi
    psql -q "$DATABASE_URL" <<SQL
INSERT INTO brokers (name) VALUES ('Load broker');
INSERT INTO factories (name, region, lead_days, certifications)
SELECT 'Factory ' || g, (ARRAY['CN-GD','CN-ZJ','VN-SG','IN-KA','MX-NL'])[1 + g % 5], g % 4,
       CASE WHEN g % 3 = 0 THEN ARRAY['ISO9001'] ELSE '{}' END
  FROM generate_series(1, 200) g;
INSERT INTO factory_capabilities (factory_id, capability, setup_cost) SELECT id, 'pcb.fab', 500 + (random() * 4500)::int FROM factories;
$batch
INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
SELECT f.id, 'pcb.fab', current_date + d, 200 + (random() * 800)::int, 50 + (random() * 100)::int
  FROM factories f, generate_series(0, 29) d;
-- Only the seeded tables: ANALYZE on the still empty orders and allocations would record them
-- as known to be empty, and every connection would then plan its foreign-key checks against
-- orders as sequential scans and keep those plans while the table grows (until autovacuum
-- analyzes it, a minute or more later): a warm-up artefact of a brand-new database, not Weft.
ANALYZE brokers, factories, factory_capabilities, capacity_slots;
SQL
    local broker
    broker=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM brokers LIMIT 1")
    export WEFT_KEY=$("$weft" keys create --role broker --broker "$broker" | tail -n 1)

    "$weft" serve --port $port --no-migrate --log-level warning --pool-size "${WEFT_DB_POOL_SIZE:-16}" &
    server=$!
    for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

    echo "== $mode: $duration s, $connections connections, 200 factories x 30 days =="
    local pg_before weft_cpu pg_after
    [ "${PG_STATS:-0}" = 0 ] || psql -qAt "$DATABASE_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();" >/dev/null
    pg_before=$(pg_cpu_ticks)
    WEFT_POOLS=$([ "$mode" = pools ] && echo 1 || echo 0) \
        wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s benchmarks/orders/submit.lua "http://127.0.0.1:$port" | tee "$work/wrk-$mode.txt"

    local created
    created=$(sed -n 's/^created (201): //p' "$work/wrk-$mode.txt")
    weft_cpu=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
    pg_after=$(pg_cpu_ticks)
    if [ "${PG_STATS:-0}" != 0 ]; then
        # PG_STATS=1: the statements that took most of PostgreSQL's time, per accepted order.
        psql -qAt -F ' | ' "$DATABASE_URL" -c "SELECT round((total_exec_time * 1000 / greatest($created, 1))::numeric) || ' us/order', calls,
            left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8"
    fi
    psql -qAt "$DATABASE_URL" <<SQL
SELECT 'orders stored: ' || count(*) || ' (201s seen by wrk: $created)' FROM orders;
SELECT 'duplicated references: ' || count(*) FROM (SELECT reference FROM orders GROUP BY reference HAVING count(*) > 1) d;
\i benchmarks/lib/allocation-invariants.sql
SELECT 'capacity used: ' || round(100.0 * sum(allocated) / sum(units), 1) || '%' FROM capacity_slots;
SELECT 'pooled orders: ' || count(DISTINCT o.id) FILTER (WHERE o.pool IS NOT NULL) || ', sharing a batch with another order: '
       || count(DISTINCT a.order_id) FILTER (WHERE p.units > a.units) FROM orders o
  LEFT JOIN allocations a ON a.order_id = o.id LEFT JOIN slot_pool_units p ON p.slot_id = a.slot_id AND p.pool = o.pool;
SQL
    kill $server 2>/dev/null || true
    wait $server 2>/dev/null || true
    server=
    # CPU per accepted order over the load, Weft's process and PostgreSQL's (every process of
    # the cluster, background writers included), on all cores together.
    awk -v w="$weft_cpu" -v b="$pg_before" -v a="$pg_after" -v n="$created" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "CPU per order: weft %.0f us, postgres %.0f us\n", 1e6 * w / hz / n, 1e6 * (a - b) / hz / n }' |
        tee -a "$work/wrk-$mode.txt"
}

# The CPU time (clock ticks) of the cluster so far: the postmaster's own and its exited
# children's, plus every live child's (backends, writers).
pg_cpu_ticks() {
    local postmaster
    postmaster=$(head -n 1 "$WEFT_PG_DIR/data/postmaster.pid")
    { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat"
      for child in $(pgrep -P "$postmaster"); do awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || true; done
    } | awk '{ s += $1 } END { print s }'
}

port=${PORT:-18080}
if [ "${WEFT_POOLS:-0}" = 1 ]; then
    run_load plain
    run_load pools
    figure() { sed -n "s|^$2: \([0-9.]*\).*|\1|p" "$work/wrk-$1.txt"; }
    echo "== pooling against the reference, same run =="
    for metric in "accepted orders/s" "latency p50" "latency p99"; do
        plain=$(figure plain "$metric"); pools=$(figure pools "$metric")
        awk -v m="$metric" -v a="$plain" -v b="$pools" 'BEGIN { printf "%s: %s without pools, %s with pools (ratio %.2f)\n", m, a, b, (a > 0 ? b / a : 0) }'
    done
else
    run_load plain
fi

# The ceiling beside the figure: PostgreSQL's own single-row update transactions (pgbench -N,
# which skips the contended teller and branch rows: one UPDATE, one SELECT and one INSERT per
# transaction) on the same cluster, with as many clients as wrk had connections. Durable
# as Weft's orders are, and with synchronous_commit=off (no wait for the WAL flush, close to
# fsync=off) for the rate the machine's CPU alone allows.
if [ "${PGBENCH:-1}" != 0 ]; then
    pgbench_url=$(weft_pg_create_db pgbench)
    pgbench -q -i -s 10 "$pgbench_url" >/dev/null 2>&1
    durable=$(pgbench -N -c "$connections" -j 2 -T "$duration" "$pgbench_url" 2>/dev/null | awk '/^tps/ {print $3; exit}')
    async=$(PGOPTIONS='-c synchronous_commit=off' pgbench -N -c "$connections" -j 2 -T "$duration" "$pgbench_url" 2>/dev/null | awk '/^tps/ {print $3; exit}')
    accepted=$(sed -n 's/^accepted orders\/s: //p' "$work/wrk-plain.txt")
    echo "ceiling: pgbench -N -c $connections -j 2 -T $duration: $durable tx/s durable, $async tx/s with synchronous_commit=off"
    awk -v a="$accepted" -v d="$durable" -v s="$async" \
        'BEGIN {printf "accepted orders/s / pgbench -N: %.3f (durable), %.3f (synchronous_commit=off)\n", a / d, a / s}'
fi
