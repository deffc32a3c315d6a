#!/usr/bin/env bash
# The command line itself: help, version, usage errors, exit codes.
. "$(dirname "$0")/lib.sh"
check "help exits 0" "$DISTILL" --help
check "version" bash -c "'$DISTILL' --version | grep -q '^distill [0-9]'"
"$DISTILL" no-such-command 2>"$T/err"; check_eq "unknown command exits 2" 2 $?
check "unknown command names it" grep -q "no-such-command" "$T/err"
"$DISTILL" 2>/dev/null; check_eq "no command exits 2" 2 $?
for c in build trace ldd scan harden copy inspect list-tags layers squash; do
  out=$("$DISTILL" $c --help 2>&1); rc=$?
  if [ $rc -eq 0 ] && grep -q "Usage: distill $c" <<<"$out"; then ok "$c --help"; else fail "$c --help: rc=$rc"; fi
done
# Every command has a man page.
for c in build trace ldd scan harden copy inspect list-tags layers squash; do
  check "man page distill-$c.1" test -s "$TOP/docs/man/distill-$c.1"
done
