# Shared by scripts/run and scripts/test: install what Weft needs, and start or stop a
# private PostgreSQL cluster. initdb and postgres refuse to run as root, so as root they
# run as the `postgres` user on a directory it owns.

weft_require_packages() {
    local missing=()
    for package in libpq-dev libssl-dev coinor-libcbc-dev postgresql; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Weft needs these Debian packages: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) and run again." >&2
        exit 1
    fi
    echo "Installing ${missing[*]} ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

weft_pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
        echo "cannot find PostgreSQL's initdb under /usr/lib/postgresql/*/bin" >&2
        exit 1
    fi
    echo "$dir"
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
weft_as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# weft_pg_start DIR: initialises DIR/data if needed, starts PostgreSQL listening only on a
# unix socket in DIR (no port to collide with), and sets WEFT_PG_URL to reach it.
weft_pg_start() {
    local dir=$1 bindir
    bindir=$(weft_pg_bindir)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" || {
            echo "the postgres user cannot reach $dir (a parent directory is private); use a path it can traverse" >&2; exit 1; }
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        weft_as_pg_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2; echo "initdb failed" >&2; exit 1; }
    fi
    weft_as_pg_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $dir -c max_connections=300 -c shared_buffers=256MB ${WEFT_PG_OPTIONS:-}" >/dev/null || {
        tail -n 20 "$dir/postgres.log" >&2; echo "PostgreSQL did not start" >&2; exit 1; }
    WEFT_PG_DIR=$dir
    WEFT_PG_URL="postgresql://postgres@/postgres?host=$dir"
}

weft_pg_stop() {
    [ -n "${WEFT_PG_DIR:-}" ] || return 0
    weft_as_pg_owner "$(weft_pg_bindir)/pg_ctl" -D "$WEFT_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# weft_pg_url_for DATABASE: the private cluster's URL for another database, created if missing.
weft_pg_create_db() {
    local name=$1
    psql -qAt "$WEFT_PG_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
        psql -q "$WEFT_PG_URL" -c "CREATE DATABASE $name" >/dev/null
    echo "postgresql://postgres@/$name?host=$WEFT_PG_DIR"
}
