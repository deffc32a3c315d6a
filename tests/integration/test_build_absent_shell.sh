#!/usr/bin/env bash
# A shell is kept only when the result needs it. A Python web app sends mail the way PHP's
# mail() does: os.popen runs `/bin/sh -c "/usr/sbin/sendmail -t -i"`, and the image has no
# sendmail. The shell did nothing the app needs, so the result leaves it out (distroless: no
# shell) when the verify passes without it; a test that depends on the shell's own answer (exit
# status 127 from sh) fails without it, and the build keeps it and verifies again.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
[ "$(id -u)" = 0 ] || { fail "absent shell: needs root (runc)"; exit 1; }
PORT=18201
img=$(debian_image lp-mail-popen --include python3 --entrypoint "[\"python3\",\"/app/mail.py\",\"$PORT\"]" \
  --port $PORT/tcp --hook "sh $FIXTURE/mail-popen-hook.sh \"\$1\"") || { fail "absent shell: fixture"; exit 1; }
has_shell() { $DISTILL scan --json "$1" | jq -e '.verdict.shells | length > 0' >/dev/null; }

# The app works either way: the shell goes.
$DISTILL build "oci:$img:latest" "oci:$T/a:latest" --runtime runc \
  --test "curl -sf http://127.0.0.1:$PORT/ | grep -q 'mail failed'" --out-dir "$T/a-out" >"$T/a.log" 2>&1
rc=$?
check_eq "mail app: build exits 0" 0 $rc
[ $rc = 0 ] || tail -15 "$T/a.log"
check "mail app: the trace saw the shell run sendmail" grep -q "sendmail" "$T/a-out/report.json"
check "mail app: the report says why the shell was left out" \
  jq -e '[.tools_seen_dropped[] | select(.path == "/usr/bin/dash" and (.why | test("ran only `/usr/sbin/sendmail -t -i`")))] | length == 1' "$T/a-out/report.json"
check "mail app: no shell kept" jq -e '[.tools_used[] | select(.path | test("/(sh|dash)$"))] | length == 0' "$T/a-out/report.json"
check_fails "mail app: the result has no shell (distill scan)" has_shell "oci:$T/a:latest"
check "mail app: one verify run (no retry)" jq -e '[.tests[] | select(.stage == "verify")] | length == 1' "$T/a-out/report.json"

# A test that needs sh's own exit status (127 << 8 from os.popen's close): kept after one retry.
$DISTILL build "oci:$img:latest" "oci:$T/b:latest" --runtime runc \
  --test "curl -sf http://127.0.0.1:$PORT/ | grep -q 'mail failed: 32512'" --out-dir "$T/b-out" >"$T/b.log" 2>&1
rc=$?
check_eq "mail app needing sh: build exits 0" 0 $rc
[ $rc = 0 ] || tail -15 "$T/b.log"
check "mail app needing sh: the build says it retried with the shell" \
  grep -q 'without the shell the app ran only for absent programs: retrying with it kept' "$T/b.log"
check "mail app needing sh: the shell is kept and reported as used" \
  jq -e '[.tools_used[] | select(.path == "/usr/bin/dash")] | length == 1' "$T/b-out/report.json"
check "mail app needing sh: the result has a shell" has_shell "oci:$T/b:latest"
check "mail app needing sh: two verify runs, the last passed" \
  jq -e '[.tests[] | select(.stage == "verify")] | (length == 2 and (.[0].passed | not) and .[1].passed)' "$T/b-out/report.json"
