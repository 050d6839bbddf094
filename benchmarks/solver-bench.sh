#!/usr/bin/env bash
# Builds the scheduler benchmarks in release mode (into .build-bench at the repository root)
# and runs them. Arguments go to the runner; `--help` lists them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
pkg="$here/SolverBench"
ln -sfn ../../../Sources/WeftCore "$pkg/Sources/WeftCore"   # relative: works in any clone
swift build -c release --package-path "$pkg" --scratch-path "$root/.build-bench" >&2
exec "$root/.build-bench/release/solver-bench" "$@"
