#!/usr/bin/env bash
# distill build's held-out checks (--check: run on the candidate only, never traced) and the
# per-test time limit (--test-timeout), on a real Debian python3 http.server image.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build checks: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
py=$(debian_image debian-python3-httpserver --include python3 \
  --cmd '["python3","-m","http.server","8000"]' --port 8000/tcp) || { fail "build checks: python fixture"; exit 0; }

# The same image serving on a port of our own (18401): its config rewritten, blobs shared.
PORT=18401
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then fail "build checks: port $PORT busy"; exit 0; fi
L=$T/py; mkdir -p "$L/blobs/sha256"
cp "$py/oci-layout" "$L/"
man=$(jq -r '.manifests[0].digest' "$py/index.json" | cut -d: -f2)
cfg=$(jq -r '.config.digest' "$py/blobs/sha256/$man" | cut -d: -f2)
for b in $(jq -r '.layers[].digest' "$py/blobs/sha256/$man" | cut -d: -f2); do ln -s "$py/blobs/sha256/$b" "$L/blobs/sha256/$b"; done
jq -c --arg p "$PORT" '.config.ExposedPorts = {($p + "/tcp"): {}} | .config.Cmd = ["python3","-m","http.server",$p,"--bind","127.0.0.1"] | .config.WorkingDir = "/"' \
  "$py/blobs/sha256/$cfg" > "$T/cfg.json"
ncfg=$(sha256sum "$T/cfg.json" | cut -d' ' -f1); mv "$T/cfg.json" "$L/blobs/sha256/$ncfg"
jq -c --arg d "sha256:$ncfg" --argjson s "$(stat -c %s "$L/blobs/sha256/$ncfg")" '.config.digest = $d | .config.size = $s' \
  "$py/blobs/sha256/$man" > "$T/man.json"
nman=$(sha256sum "$T/man.json" | cut -d' ' -f1); msize=$(stat -c %s "$T/man.json"); mv "$T/man.json" "$L/blobs/sha256/$nman"
jq -c --arg d "sha256:$nman" --argjson s "$msize" '.manifests[0].digest = $d | .manifests[0].size = $s' "$py/index.json" > "$L/index.json"
SRC="oci:$L:latest"
TEST="curl -fsS http://{LOCALHOST}:$PORT/ -o /dev/null"
# /etc/shells is served by http.server from / but the traced test never asks for it (and, unlike
# /etc/debian_version, which every result carries for scanners, it is no essential).
CHECK="curl -fsS http://{LOCALHOST}:$PORT/etc/shells -o /dev/null"

# 1. A check that GETs a file the trace never touched fails at the file keep level:
#    exit 1, DST untouched, the missing file named, checks counted apart from tests.
mkdir -p "$T/d1"; echo keep > "$T/d1/marker"
"$DISTILL" build "$SRC" "oci:$T/d1/img:v1" --keep-level file --test "$TEST" --check "$CHECK" --out-dir "$T/rep1" -q \
  >/dev/null 2>"$T/err1"
check_eq "failing check: exit 1" 1 $?
check_fails "failing check: DST untouched" test -e "$T/d1/img"
check "failing check: the missing file is named" grep -q 'missing: /etc/shells' "$T/err1"
check "failing check: the failing check is named" grep -q 'FAILED on the candidate: check' "$T/err1"
check_eq "failing check: never run while tracing" 0 "$(jq '[.tests[] | select(.kind == "check" and .stage == "trace")] | length' "$T/rep1/report.json")"
check_eq "failing check: run on the candidate" 1 "$(jq '[.tests[] | select(.kind == "check" and .stage == "verify")] | length' "$T/rep1/report.json")"
check_eq "failing check: report counts checks apart" '{"passed":0,"failed":1}' "$(jq -c .checks "$T/rep1/report.json")"
check_eq "failing check: report lists the missing file" true "$(jq '.missing | index("/etc/shells") != null' "$T/rep1/report.json")"
check_eq "failing check: report says failed" failed "$(jq -r .result "$T/rep1/report.json")"

# 2. The same check passes when the file is kept; distill.yaml gives the check.
mkdir -p "$T/proj"
printf 'test:\n  - "%s"\ncheck:\n  - "%s"\nkeep:\n  - /etc/shells\n' "$TEST" "$CHECK" > "$T/proj/distill.yaml"
(cd "$T/proj" && "$DISTILL" build "$SRC" "oci:$T/proj/img:v1" --out-dir "$T/rep2" -q >/dev/null 2>"$T/err2")
rc=$?
check_eq "check from distill.yaml passes with the file kept: exit 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err2" | tail -10
check_eq "passing check: report counts it" '{"passed":1,"failed":0}' "$(jq -c .checks "$T/rep2/report.json" 2>/dev/null)"
check "passing check: DST written" test -f "$T/proj/img/index.json"

# 3. A test that hangs is stopped after --test-timeout with its process group; the build fails
#    in seconds, DST untouched, no container or test process left.
mkdir -p "$T/d3" "$T/d4"
start=$(date +%s)
"$DISTILL" build "$SRC" "oci:$T/d3/img:v1" --test "sleep 1000.4321" --test-timeout 2 --out-dir "$T/rep3" -q \
  >/dev/null 2>"$T/err3"
rc=$?; secs=$(( $(date +%s) - start ))
check_eq "hanging test: exit 1" 1 $rc
check "hanging test: fails in seconds (${secs}s)" test $secs -lt 60
check_fails "hanging test: DST untouched" test -e "$T/d3/img"
check "hanging test: ran for the limit (${secs}s)" test $secs -ge 2
check "hanging test: says it timed out" grep -q 'timed out after 2 s' "$T/err3"
check_eq "hanging test: no test process left" "" "$(pgrep -f 'sleep 1000.4321' || true)"
check_eq "hanging test: no container left" "" "$(runc list -q 2>/dev/null | grep distill-build || true)"
check_fails "hanging test: the app no longer serves" curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"

# 4. --test-timeout on the candidate: a check that hangs only there is counted as failed and timed out.
"$DISTILL" build "$SRC" "oci:$T/d4/img:v1" --test "$TEST" --check 'sleep 1000.4322' --test-timeout 2 \
  --out-dir "$T/rep4" -q >/dev/null 2>"$T/err4"
check_eq "hanging check: exit 1" 1 $?
check_eq "hanging check: report marks it timed out" true "$(jq '[.tests[] | select(.kind == "check" and .stage == "verify")][0].timed_out' "$T/rep4/report.json" 2>/dev/null)"
check_eq "hanging check: no process left" "" "$(pgrep -f 'sleep 1000.432' || true)"

# 5. Usage errors of these flags.
"$DISTILL" build "$SRC" "oci:$T/x:v1" --test-timeout soon 2>"$T/err5"
check_eq "--test-timeout soon: usage error" 2 $?
check "--test-timeout soon: says why" grep -q -- '--test-timeout: not a number of seconds' "$T/err5"
"$DISTILL" build "$SRC" "oci:$T/x:v1" --check 2>"$T/err6"
check_eq "--check without a value: usage error" 2 $?
check "--check without a value: says so" grep -q -- '--check needs a value' "$T/err6"
