#!/bin/sh
# Phase timings of the cluster e2e for several worker counts (default 3 and 10): runs
# test/e2e/cluster.e2e.test.ts confined, once per count, and keeps its `e2e timing` lines.
# Usage: sh bench/e2e-cluster.sh [WORKERS...]
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 3 10
for n in "$@"; do
  echo "## $n workers"
  if out=$(TUGBOAT_E2E_WORKERS=$n sh scripts/e2e-run.sh test/e2e/cluster.e2e.test.ts 2>&1); then
    echo "$out" | grep 'e2e timing'
  else
    echo "$out" | tail -40
    echo "e2e with $n workers failed: see above" >&2
    exit 1
  fi
done
