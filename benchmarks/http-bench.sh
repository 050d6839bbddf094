#!/usr/bin/env bash
# HTTP throughput of `weft serve` beside a Hummingbird 2 peer (benchmarks/http-peer: the same
# routes and response bodies, never a dependency of Weft), and Weft's authenticated reads beside
# PostgreSQL's own select-only rate. Both servers are release builds; wrk runs on the same machine.
#
# Usage: benchmarks/http-bench.sh [DURATION=10] [CONNECTIONS=64]
#   BUILD=0       use the binaries already built (weft in .build-release, the peer in .build-http-peer)
#   SCRATCH=DIR   Weft's build folder (default .build-release, as order-load.sh)
#   WEFT_BIN=PATH measure this weft binary instead (e.g. an older build kept for before/after)
#   WEFT_LOG_LEVEL  Weft's log level (default info: the access log is on, written to a file)
#   ROUNDS=N      measure each framework route N times, alternating Weft and the peer (default 1)
#   PARTS=LIST    which parts to run: framework, reads or both (default "framework reads")
#
# Per route it prints requests/s and p99 for each server and Weft's ratio (Weft / Hummingbird),
# then the authenticated reads with pgbench's select-only rate (8 clients) as their ceiling.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/postgres.sh
duration=${1:-10}
connections=${2:-64}
rounds=${ROUNDS:-1}
parts=" ${PARTS:-framework reads} "
weft_require_packages
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk" >&2; exit 1; }

scratch=${SCRATCH:-.build-release}
peer_scratch=.build-http-peer
if [ "${BUILD:-1}" != 0 ]; then
    [ -n "${WEFT_BIN:-}" ] || swift build -c release --force-resolved-versions --scratch-path "$scratch" --product weft >/dev/null
    swift build -c release --force-resolved-versions --package-path benchmarks/http-peer --scratch-path "$peer_scratch" >/dev/null
fi
weft=${WEFT_BIN:-"$(swift build -c release --scratch-path "$scratch" --show-bin-path)/weft"}
peer="$(swift build -c release --package-path benchmarks/http-peer --scratch-path "$peer_scratch" --show-bin-path)/HTTPPeer"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-http-bench.XXXXXX")
chmod 755 "$work"
weft_pid= peer_pid=
cleanup() {
    for pid in $weft_pid $peer_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    weft_pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
weft_pg_start "$work/pg"
export DATABASE_URL=$(weft_pg_create_db weft_http)
"$weft" migrate >/dev/null 2>&1

psql -q "$DATABASE_URL" <<'SQL'
INSERT INTO brokers (name) VALUES ('Bench broker');
INSERT INTO factories (name, region, lead_days, certifications) VALUES ('Bench factory', 'CN-GD', 2, ARRAY['ISO9001']);
INSERT INTO factory_capabilities SELECT id, 'pcb.fab', 500 FROM factories;
INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
SELECT f.id, 'pcb.fab', current_date + d, 1000, 80 FROM factories f, generate_series(0, 29) d;
ANALYZE;
SQL
broker=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM brokers LIMIT 1")
factory=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM factories LIMIT 1")
admin_key=$("$weft" keys create --role admin 2>/dev/null | tail -n 1)
broker_key=$("$weft" keys create --role broker --broker "$broker" 2>/dev/null | tail -n 1)

weft_port=${PORT:-18080}
peer_port=$((weft_port + 10))
WEFT_LOG_LEVEL=${WEFT_LOG_LEVEL:-info} "$weft" serve --port "$weft_port" --no-migrate --pool-size "${WEFT_DB_POOL_SIZE:-16}" \
    >"$work/weft.log" 2>&1 &
weft_pid=$!
"$peer" "$peer_port" >"$work/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$weft_port/readyz" >/dev/null && curl -fs "http://127.0.0.1:$peer_port/healthz" >/dev/null && break
    sleep 0.2
done

order=$(curl -fs -X POST "http://127.0.0.1:$weft_port/v1/orders" -H "Authorization: Bearer $broker_key" \
    -H 'Content-Type: application/json' \
    -d "{\"capability\":\"pcb.fab\",\"quantity\":50,\"due_date\":\"$(date -u -d '+10 days' +%F)\",\"reference\":\"bench\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME PID URL [wrk args...]: prints "requests/s p99_ms non2xx cpu_us_per_request" and
# keeps wrk's output in $work/NAME.txt. The CPU time is the server process's own (user +
# system, from /proc), so it does not depend on what else the machine is doing.
measure() {
    local name=$1 pid=$2 url=$3; shift 3
    local before after
    before=$(cpu_ticks "$pid")
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url" >"$work/$name.txt"
    after=$(cpu_ticks "$pid")
    local rps p99 errors requests
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$work/$name.txt")
    requests=$(awk '/ requests in / {print $1}' "$work/$name.txt")
    [ "$name" = peer ] || echo "$requests" >>"$work/weft-requests"
    echo "$rps $(to_ms "$p99") ${errors:-0} $(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')"
}
to_ms() { # wrk prints 1.23ms, 456.00us, 1.02s
    case "$1" in
        *us) awk -v v="${1%us}" 'BEGIN {printf "%.2f", v / 1000}' ;;
        *ms) awk -v v="${1%ms}" 'BEGIN {printf "%.2f", v}' ;;
        *s) awk -v v="${1%s}" 'BEGIN {printf "%.2f", v * 1000}' ;;
        *) echo "$1" ;;
    esac
}

if [[ $parts == *" framework "* ]]; then
echo "== wrk -t2 -c$connections -d${duration}s --latency; Weft log level ${WEFT_LOG_LEVEL:-info} (access log to a file); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) =="
printf '%-34s %11s %8s %7s %11s %8s %7s %7s\n' route "weft req/s" "p99 ms" "cpu us" "hb2 req/s" "p99 ms" "cpu us" "ratio"
for route in "GET /healthz|/healthz" "GET /no/such/path (404)|/no/such/path" "GET /v1/factories, no key (401)|/v1/factories"; do
    label=${route%%|*} path=${route#*|}
    for round in $(seq 1 "$rounds"); do
        read -r w_rps w_p99 _ w_cpu <<<"$(measure weft "$weft_pid" "http://127.0.0.1:$weft_port$path")"
        read -r h_rps h_p99 _ h_cpu <<<"$(measure peer "$peer_pid" "http://127.0.0.1:$peer_port$path")"
        printf '%-34s %11s %8s %7s %11s %8s %7s %7s\n' "$label" "$w_rps" "$w_p99" "$w_cpu" "$h_rps" "$h_p99" "$h_cpu" \
            "$(awk -v a="$w_rps" -v b="$h_rps" 'BEGIN {printf "%.2fx", a / b}')"
    done
done
echo "(cpu us: the server's own CPU time per request; ratio: Weft req/s / Hummingbird req/s in the same run)"
fi

if [[ $parts == *" reads "* ]]; then
# The ceiling of a read: PostgreSQL's own select-only rate, on the same cluster, 8 clients.
pgbench_url=$(weft_pg_create_db pgbench)
pgbench -q -i -s 10 "$pgbench_url" >/dev/null 2>&1
select_only=$(pgbench -S -c 8 -j 2 -T "$duration" "$pgbench_url" 2>/dev/null | awk '/^tps/ {print $3; exit}')
echo
echo "== authenticated reads (Bearer key), $connections connections; ceiling: pgbench -S -c 8 -j 2 (select-only) = $select_only tx/s =="
printf '%-34s %11s %8s %7s %8s %14s\n' route "req/s" "p99 ms" "cpu us" "non-2xx" "/ select-only"
for route in "GET /v1/factories/{id} (admin)|/v1/factories/$factory|$admin_key" "GET /v1/orders/{id} (broker)|/v1/orders/$order|$broker_key"; do
    IFS='|' read -r label path key <<<"$route"
    for round in $(seq 1 "$rounds"); do
        read -r rps p99 errors cpu <<<"$(measure auth "$weft_pid" "http://127.0.0.1:$weft_port$path" -H "Authorization: Bearer $key")"
        printf '%-34s %11s %8s %7s %8s %14s\n' "$label" "$rps" "$p99" "$cpu" "$errors" \
            "$(awk -v a="$rps" -v b="$select_only" 'BEGIN {printf "%.2f", a / b}')"
    done
done
echo "(cpu us: Weft's own CPU time per request, without PostgreSQL's)"
fi

# Nothing lost: after a graceful stop, the access log has a line for every answered request.
kill -TERM "$weft_pid"; wait "$weft_pid" 2>/dev/null || true; weft_pid=
lines=$(grep -c ' http.status=' "$work/weft.log" || true)
answered=$(awk '{n += $1} END {print n}' "$work/weft-requests")
echo
echo "access-log lines after SIGTERM: $lines; responses wrk counted from Weft: $answered (the lines also count set-up requests and requests wrk cut off at its end)"
[ "$lines" -ge "$answered" ] || { echo "access-log lines were lost" >&2; exit 1; }
