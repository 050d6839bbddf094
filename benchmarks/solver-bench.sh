#!/usr/bin/env bash
# Builds the scheduler benchmarks in release mode (into .build-bench at the repository root, or $SCRATCH)
# and runs them. Arguments go to the runner; `--help` lists them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
pkg="$here/SolverBench"
ln -sfn ../../../Sources/WeftCore "$pkg/Sources/WeftCore"   # relative: works in any clone
ln -sfn ../../../Sources/CCbc "$pkg/Sources/CCbc"
ln -sfn ../../../Sources/WeftMIP "$pkg/Sources/WeftMIP"
ln -sfn ../../../Sources/weft-mip-worker "$pkg/Sources/weft-mip-worker"
scratch="${SCRATCH:-$root/.build-bench}"   # SCRATCH: another build folder, e.g. to leave a shared one alone
swift build -c release --force-resolved-versions --package-path "$pkg" --scratch-path "$scratch" >&2
exec "$scratch/release/solver-bench" "$@"
