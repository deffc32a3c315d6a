#!/usr/bin/env bash
# Runs each libFuzzer target for N seconds on its corpus (tests/fuzz/corpus/TARGET).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
rc=0
for f in build/fuzz/fuzz_*; do
  [ -x "$f" ] || continue
  n=$(basename "$f")
  corpus=tests/fuzz/corpus/${n#fuzz_}
  mkdir -p "$corpus" build/fuzz/work/$n
  # New inputs go to a scratch dir so the committed corpus only changes on purpose.
  if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix=build/fuzz/work/$n/ build/fuzz/work/$n "$corpus" > build/fuzz/work/$n.log 2>&1; then
    echo "fuzz ok   $n ($(grep -oE '#[0-9]+' build/fuzz/work/$n.log | tail -1) runs in ${secs}s)"
  else
    echo "fuzz FAIL $n"; tail -40 build/fuzz/work/$n.log; rc=1
  fi
done
exit $rc
