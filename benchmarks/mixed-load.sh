#!/usr/bin/env bash
# Sustained mixed load on one release-build `weft serve` (pool 16) and a private PostgreSQL:
# 200 factories x 30 days of pcb.fab capacity, then THREADS client threads
# (scripts/lib/weft_load.py) for DURATION seconds sending, by weight, orders 35 (each with an
# Idempotency-Key, retried with it after a 503 or a dropped connection), quotes 25, capacity
# updates 10 (PUT of 1-5 slots), order reads 10, order lists 10, capacity reads 10.
# Prints requests, 2xx/s, p50/p99 latency of the 2xx answers and failures per kind, then
# checks the invariants in the database against what the client was told (no slot
# overbooked, allocated = sum of allocations, every acknowledged order stored once, one order
# per Idempotency-Key, stored responses matching).
#
# WEFT_RESTART_AT=S restarts PostgreSQL (pg_ctl -m fast, down WEFT_DOWN_SECONDS=5 s) S seconds
# into the run and reports what failed, for how long, and when Weft was ready again
# (benchmarks/fault-load.sh does this). WEFT_PROCESSES=2 runs two processes behind the client;
# WEFT_BINARY uses that weft binary instead of building one.
# Usage: benchmarks/mixed-load.sh [DURATION=60] [THREADS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
. scripts/lib/load.sh
duration=${1:-60}
threads=${2:-16}
restart_at=${WEFT_RESTART_AT:-}
down_seconds=${WEFT_DOWN_SECONDS:-5}
processes=${WEFT_PROCESSES:-1}
weft_require_packages

if [ -n "${WEFT_BINARY:-}" ]; then # a release binary built already
    weft=$WEFT_BINARY
else
    # A build folder of its own, so a release build does not wait on (or block) other builds.
    swift build -c release --scratch-path .build-faults --product weft >/dev/null
    weft="$(swift build -c release --scratch-path .build-faults --show-bin-path)/weft"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-mixed-load.XXXXXX")
chmod 755 "$work" # the postgres user must reach the cluster inside it
servers=() restarter=
cleanup() {
    for pid in $restarter "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    weft_pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
weft_pg_start "$work/pg"
export DATABASE_URL=$(weft_pg_create_db weft_load)
"$weft" migrate >/dev/null
weft_load_seed "$DATABASE_URL" 200 30 200 1000
broker=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM brokers LIMIT 1")
broker_key=$("$weft" keys create --role broker --broker "$broker" | tail -n 1)
admin_key=$("$weft" keys create --role admin --label mixed-load | tail -n 1)
psql -qAt "$DATABASE_URL" -c "SELECT id FROM factories" >"$work/factories.txt"

urls=
for n in $(seq 1 "$processes"); do
    port=$(weft_free_port)
    "$weft" serve --port "$port" --no-migrate --log-level warning --pool-size "${WEFT_DB_POOL_SIZE:-16}" 2>>"$work/serve-$n.log" &
    servers+=($!)
    weft_wait_ready "http://127.0.0.1:$port" 30 "$!" || { cat "$work/serve-$n.log" >&2; echo "weft serve did not start" >&2; exit 1; }
    urls="${urls:+$urls,}http://127.0.0.1:$port"
done

echo "== mixed load: $duration s, $threads client threads, $processes process(es), 200 factories x 30 days =="
if [ -n "$restart_at" ]; then
    # PostgreSQL goes away in the middle of the run; the times are seconds into the run.
    (
        # Times count from the client's start, like its timeline.
        while [ ! -e "$work/started" ]; do sleep 0.05; done
        t0=$(date +%s.%N)
        at() { awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }'; }
        sleep "$restart_at"
        weft_pg_stop_cluster fast
        echo "PostgreSQL stopped (pg_ctl -m fast) at $(at) s" >"$work/restart.txt"
        sleep "$down_seconds"
        weft_pg_start_cluster
        echo "PostgreSQL accepting connections again at $(at) s" >>"$work/restart.txt"
        for url in ${urls//,/ }; do
            weft_wait_ready "$url" 60 && echo "$url/readyz answered 200 again at $(at) s, no restart of Weft" >>"$work/restart.txt"
        done
    ) &
    restarter=$!
fi
python3 scripts/lib/weft_load.py --urls "$urls" --broker-key "$broker_key" --admin-key "$admin_key" \
    --factories "$work/factories.txt" --mix mixed --threads "$threads" --duration "$duration" --days 30 \
    --timeout 30 --tag mixed --started-file "$work/started" --orders-out "$work/orders.csv" --json-out "$work/load.json"
if [ -n "$restarter" ]; then
    wait "$restarter" || true
    restarter=
    cat "$work/restart.txt"
fi
errors=$(cat "$work"/serve-*.log | grep -c 'answered with 5[0-9][0-9]' || true)
unavailable=$(cat "$work"/serve-*.log | grep -c 'answered with 503' || true)
echo "server log: $unavailable requests answered 503, $(( errors - unavailable )) other 5xx"
echo "invariants:"
weft_load_invariants "$DATABASE_URL" "$work/orders.csv"
