#!/usr/bin/env bash
# The mixed load of benchmarks/mixed-load.sh with PostgreSQL restarted in the middle: stopped
# (pg_ctl -m fast) RESTART_AT seconds in, started again WEFT_DOWN_SECONDS (5) later. Prints what
# failed (503s, dropped connections, per second), when Weft was ready again (without being
# restarted), and the invariants afterwards.
# Usage: benchmarks/fault-load.sh [DURATION=60] [THREADS=16] [RESTART_AT=25]
set -euo pipefail
cd "$(dirname "$0")/.."
WEFT_RESTART_AT=${3:-25} exec benchmarks/mixed-load.sh "${1:-60}" "${2:-16}"
