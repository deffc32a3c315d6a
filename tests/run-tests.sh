#!/usr/bin/env bash
# Runs every test and ends with one line "N passed, N failed[, N skipped]".
#   unit:        build/asan/tests/test_*   (cmocka, under ASan+UBSan); each cmocka case counts
#   integration: tests/integration/test_*.sh (the real binary on real images/runtimes);
#                each `ok`/`fail` line a script reports counts (see tests/integration/lib.sh)
# A skipped check (a cmocka skip(), an integration `skip` line: not root, a tool missing) fails
# the run: `make test` installs everything and runs as root, so nothing has a reason to skip.
# Options: --unit-only, --integration-only, -k PATTERN (only tests whose name matches),
#          --allow-skips (a run with skips but no failure exits 0, e.g. as a non-root user)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mode=all; pattern=""; allow_skips=""
while [ $# -gt 0 ]; do
  case $1 in
    --unit-only) mode=unit;; --integration-only) mode=integration;;
    -k) pattern=$2; shift;;
    --allow-skips) allow_skips=1;;
  esac
  shift
done
passed=0; failed=0; skipped=0; failures=(); skips=()
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export DISTILL=$top/build/distill DISTILL_SENSOR=$top/build/distill-sensor
log=$top/build/test-logs; mkdir -p "$log"

if [ $mode != integration ]; then
  for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t"); [ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
    out=$log/$n.log
    CMOCKA_MESSAGE_OUTPUT=STDOUT "$t" >"$out" 2>&1; rc=$?
    p=$(grep -c '^\[       OK \]' "$out"); f=$(grep -c '^\[  FAILED  \]' "$out")
    f=$(grep '^\[  FAILED  \] [0-9]' "$out" | awk '{print $4}' | tail -1); f=${f:-0}
    s=$(grep '^\[  SKIPPED \] [0-9]' "$out" | awk '{print $4}' | tail -1); s=${s:-0}
    if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or sanitizer report
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$f" != 0 ]; then failures+=("$n (see $out)"); echo "FAIL unit $n"; tail -30 "$out"; else echo "ok   unit $n ($p)"; fi
    [ "$s" = 0 ] || { skips+=("$n (see $out)"); grep -A"$s" '^\[  SKIPPED \] [0-9]' "$out" | tail -n +2; }
  done
fi

if [ $mode != unit ]; then
  for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    n=$(basename "$t" .sh); [ -n "$pattern" ] && [[ $n != *$pattern* ]] && continue
    out=$log/$n.log; res=$log/$n.results; : > "$res"
    start=$(date +%s)
    RESULTS=$res bash "$t" >"$out" 2>&1; rc=$?
    p=$(grep -c '^ok ' "$res"); f=$(grep -c '^fail ' "$res"); s=$(grep -c '^skip ' "$res")
    if [ $rc -ne 0 ]; then f=$((f + 1)); echo "fail $n exited $rc" >> "$res"; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    secs=$(( $(date +%s) - start ))
    if [ $f -ne 0 ]; then
      failures+=("$n (see $out)"); echo "FAIL integration $n (${secs}s)"; grep -E '^(fail|skip) ' "$res"; tail -40 "$out"
    else
      echo "ok   integration $n ($p checks, ${secs}s)"; grep '^skip ' "$res" || true
    fi
    [ $s -eq 0 ] || skips+=("$n (see $res)")
  done
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do echo "failed: $f"; done
for f in "${skips[@]+"${skips[@]}"}"; do echo "skipped: $f"; done
if [ $skipped -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ $failed -eq 0 ] && [ $((passed + failed)) -gt 0 ] && { [ $skipped -eq 0 ] || [ -n "$allow_skips" ]; }
