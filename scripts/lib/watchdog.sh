# weft_watchdog PID SECONDS: when PID is still running after SECONDS, prints the stacks of
# every thread of each of its descendant processes (gdb, when installed), the database's
# sessions (when WEFT_TEST_DATABASE_URL is set), and kills the descendants and PID.
# Run it in the background; kill it when PID ends first.

weft_descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        echo "$child"
        weft_descendants "$child"
    done
}

# weft_stop_tree PID SIGNAL: sends SIGNAL to every descendant of PID, then TERM to PID.
weft_stop_tree() {
    local p
    for p in $(weft_descendants "$1"); do kill "-$2" "$p" 2>/dev/null || true; done
    kill -TERM "$1" 2>/dev/null || true
}

weft_watchdog() {
    local pid=$1 limit=$2 seconds=$2 p
    while [ "$seconds" -gt 0 ]; do
        sleep 5
        kill -0 "$pid" 2>/dev/null || return 0
        seconds=$((seconds - 5))
    done
    kill -0 "$pid" 2>/dev/null || return 0
    echo "scripts/test: FAILED: the tests are still running after $limit s: a hang. Stacks follow." >&2
    for p in $(weft_descendants "$pid"); do
        echo "=== process $p: $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-300)" >&2
        if command -v gdb >/dev/null 2>&1; then
            timeout 120 gdb -p "$p" -batch -nx -ex "set pagination off" -ex "thread apply all bt 40" 2>&1 \
                | grep -v '^\[New LWP' >&2 || true
        else
            echo "(gdb is not installed: no stacks)" >&2
        fi
    done
    if [ -n "${WEFT_TEST_DATABASE_URL:-}" ] && command -v psql >/dev/null 2>&1; then
        echo "=== database sessions" >&2
        timeout 30 psql "$WEFT_TEST_DATABASE_URL" -Atc \
            "select datname, state, wait_event_type, wait_event, left(query, 120), now() - query_start from pg_stat_activity order by query_start" >&2 || true
    fi
    weft_stop_tree "$pid" KILL
}
