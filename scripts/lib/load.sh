# Shared by scripts/fault-check and benchmarks/mixed-load.sh: seed a synthetic network, run
# `weft serve` processes, and check the invariants against what the load client was told.
# Needs scripts/lib/postgres.sh sourced and WEFT_PG_URL/WEFT_PG_DIR set (weft_pg_start).

# weft_load_seed URL FACTORIES DAYS MIN_UNITS MAX_UNITS: the network of scripts/lib/load-network.sql.
weft_load_seed() {
    psql -q -v ON_ERROR_STOP=1 -v factories="$2" -v days="$3" -v min_units="$4" -v max_units="$5" \
        -f "$(dirname "${BASH_SOURCE[0]}")/load-network.sql" "$1" >/dev/null
}

# weft_free_port: a TCP port nobody listens on now.
weft_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# weft_wait_ready URL SECONDS [PID]: waits until GET URL/readyz answers 200; fails after SECONDS
# or as soon as PID exits.
weft_wait_ready() {
    local url=$1 seconds=$2 pid=${3:-} deadline
    deadline=$(( $(date +%s) + seconds ))
    until curl -fs -o /dev/null --max-time 2 "$url/readyz"; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# weft_pg_stop_cluster MODE: stops the private cluster of weft_pg_start (pg_ctl -m MODE: fast,
# or immediate for a crash); weft_pg_start_cluster starts it again with the same options.
weft_pg_stop_cluster() {
    weft_as_pg_owner "$(weft_pg_bindir)/pg_ctl" -D "$WEFT_PG_DIR/data" -m "$1" -w stop >/dev/null
}
weft_pg_start_cluster() {
    weft_as_pg_owner "$(weft_pg_bindir)/pg_ctl" -D "$WEFT_PG_DIR/data" -l "$WEFT_PG_DIR/postgres.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $WEFT_PG_DIR -c max_connections=300 -c shared_buffers=256MB ${WEFT_PG_OPTIONS:-}" >/dev/null
}

# weft_load_invariants DATABASE_URL ORDERS_CSV: loads the client's acknowledged orders
# (key,order_id,status) and runs scripts/lib/load-invariants.sql; prints the findings and
# returns 1 if any invariant is violated.
weft_load_invariants() {
    local url=$1 csv=$2 out status=0
    psql -q -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS load_acknowledged;
CREATE UNLOGGED TABLE load_acknowledged (key text NOT NULL, order_id uuid NOT NULL, status int NOT NULL);
\copy load_acknowledged FROM '$csv' WITH (FORMAT csv)
SQL
    out=$(psql -q -v ON_ERROR_STOP=1 -f "$(dirname "${BASH_SOURCE[0]}")/load-invariants.sql" "$url") || return 1
    while IFS='|' read -r kind name value; do
        [ -n "$kind" ] || continue
        if [ "$kind" = violation ]; then
            if [ "$value" = 0 ]; then echo "  ok: $name: 0"; else echo "  VIOLATED: $name: $value"; status=1; fi
        else
            echo "  $name: $value"
        fi
    done <<<"$out"
    return $status
}
