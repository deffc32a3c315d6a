#!/usr/bin/env bash
# Runs every benchmark (bench/bench_*.sh); each prints its own table of ratios vs the peer tool.
set -uo pipefail
cd "$(dirname "$0")/.."
for b in bench/bench_*.sh; do
  [ -f "$b" ] || continue
  echo "== $b"; bash "$b"
done
