#!/usr/bin/env bash
# Times capacity writes and reads end to end over HTTP against a release build of weft:
#   - PUT of 10,000 new slots (a fresh factory each run),
#   - PUT of the same 10,000 slots with new values (every row rewritten),
#   - GET of those 10,000 slots.
# Prints min / median / max milliseconds of RUNS runs each (default 5), as curl sees them
# (request sent to response fully received). Targets on a 2-core machine: PUT < 1000 ms,
# GET < 200 ms.
#
# With DATABASE_URL set it uses that database (it adds factories and a key there); otherwise
# it starts a private PostgreSQL in a temporary directory, like scripts/run, and removes it.
# Settings: RUNS (5), CAPABILITIES (40) x DAYS (250) slots, FIRST_DAY (2030-01-01).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/lib/postgres.sh

runs=${RUNS:-5}
capabilities=${CAPABILITIES:-40}
days=${DAYS:-250}
first_day=${FIRST_DAY:-2030-01-01}
slots=$((capabilities * days))

weft_require_packages
echo "Building weft (release) ..." >&2
swift build -c release --product weft >&2
weft="$(swift build -c release --show-bin-path)/weft"

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-capacity-bench.XXXXXX")
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    weft_pg_stop
    rm -rf "$work" "${pgdir:-}"
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
    # Its own directory: as root, PostgreSQL runs as `postgres`, which cannot enter $work.
    pgdir=$(mktemp -d "${TMPDIR:-/tmp}/weft-capacity-bench-pg.XXXXXX")
    weft_pg_start "$pgdir"
    DATABASE_URL=$(weft_pg_create_db weft_capacity_bench)
    echo "Private PostgreSQL in $pgdir" >&2
fi
export DATABASE_URL

"$weft" migrate >&2
"$weft" serve --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
base=
for _ in $(seq 1 100); do
    base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n 1 || true)
    [ -n "$base" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$base" ] || { echo "weft did not start" >&2; cat "$work/server.log" >&2; exit 1; }
key=$("$weft" keys create --role admin --label capacity-bench | tail -n 1)
auth="Authorization: Bearer $key"

capability_list=$(seq 1 "$capabilities" | sed 's/.*/{"capability":"bench.c&","setup_cost":1000}/' | paste -sd, -)
create_factory() {
    curl -sS -f -X POST -H "$auth" -H 'Content-Type: application/json' "$base/v1/factories" \
        --data-binary "{\"name\":\"Capacity bench\",\"region\":\"CN-GD\",\"lead_days\":2,\"capabilities\":[$capability_list]}" |
        grep -o '"id":"[0-9a-f-]*"' | head -n 1 | cut -d'"' -f4
}

benchmarks/capacity/make-slots.sh "$capabilities" "$days" "$first_day" 100 >"$work/slots-a.json"
benchmarks/capacity/make-slots.sh "$capabilities" "$days" "$first_day" 200 >"$work/slots-b.json"
last_day=$(date -u -d "$first_day + $((days - 1)) day" +%F)

# time_ms METHOD URL [BODY]: the request's total time in ms; fails unless the status is 200.
time_ms() {
    local method=$1 url=$2 body=${3:-}
    local out
    if [ -n "$body" ]; then
        out=$(curl -sS -o "$work/response" -w '%{http_code} %{time_total}' -X "$method" -H "$auth" \
            -H 'Content-Type: application/json' --data-binary "@$body" "$url")
    else
        out=$(curl -sS -o "$work/response" -w '%{http_code} %{time_total}' -H "$auth" "$url")
    fi
    if [ "${out%% *}" != 200 ]; then
        echo "$method $url answered ${out%% *}:" >&2; head -c 2000 "$work/response" >&2; echo >&2; exit 1
    fi
    awk -v s="${out#* }" 'BEGIN { printf "%.1f\n", s * 1000 }'
}

summary() {  # summary LABEL < one number a line
    sort -n | awk -v label="$1" '{ v[NR] = $1 } END {
        median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%-34s runs=%d  min=%7.1f ms  median=%7.1f ms  max=%7.1f ms\n", label, NR, v[1], median, v[NR] }'
}

echo "weft capacity benchmark: $slots slots ($capabilities capabilities x $days days), $runs runs each, $(nproc) cores"

for _ in $(seq 1 "$runs"); do
    factory=$(create_factory)
    time_ms PUT "$base/v1/factories/$factory/capacity" "$work/slots-a.json"
done | summary "PUT $slots new slots"

factory=$(create_factory)
time_ms PUT "$base/v1/factories/$factory/capacity" "$work/slots-a.json" >/dev/null
for run in $(seq 1 "$runs"); do
    # Alternate the values so that every run rewrites every row.
    if [ $((run % 2)) -eq 1 ]; then body="$work/slots-b.json"; else body="$work/slots-a.json"; fi
    time_ms PUT "$base/v1/factories/$factory/capacity" "$body"
done | summary "PUT $slots changed slots"

read_url="$base/v1/factories/$factory/capacity?from=$first_day&to=$last_day"
for _ in $(seq 1 "$runs"); do
    time_ms GET "$read_url"
    read_slots=$(grep -o '"capability"' "$work/response" | wc -l)
    [ "$read_slots" -eq "$slots" ] || { echo "GET returned $read_slots slots, expected $slots" >&2; exit 1; }
done | summary "GET $slots slots"
echo "(GET response: $(wc -c <"$work/response") bytes)"
