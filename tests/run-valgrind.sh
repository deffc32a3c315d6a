#!/usr/bin/env bash
# Runs every unit test (release build, no sanitizers) under valgrind; fails on any leak or error.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
mkdir -p build/test-logs
for t in build/tests/test_*; do
  [ -x "$t" ] || continue
  if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect "$t" > "build/test-logs/valgrind-$(basename "$t").log" 2>&1; then
    echo "valgrind ok   $(basename "$t")"
  else
    echo "valgrind FAIL $(basename "$t")"; tail -40 "build/test-logs/valgrind-$(basename "$t").log"; rc=1
  fi
done
exit $rc
