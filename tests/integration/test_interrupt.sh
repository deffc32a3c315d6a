#!/usr/bin/env bash
# ^C / SIGTERM / SIGHUP in the middle of long commands on real Debian images: distill dies
# of the signal (exit 128+N, as shells expect), leaves no temp work in $TMPDIR or beside
# the destination, leaves the destination absent (or the old one byte-identical) and the
# source unchanged; build stops and removes its container and overlay first.
. "$(dirname "$0")/lib.sh"

PY=$(debian_image scan-python3-pip --include python3-pip,ca-certificates,tzdata --user 1000) \
  || { fail "interrupt: fixture scan-python3-pip"; exit 0; }

tree_sum() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# interrupt LABEL SIG GLOB RESET CMD...: run CMD (with SIG at its default action: a script's
# background job would otherwise ignore SIGINT) under a fresh TMPDIR=$T/tmp-LABEL, wait until
# a path matching GLOB exists (so the signal lands mid-work), send SIG; rc gets the exit status.
# When CMD finished before GLOB showed up (a busy or a fast machine), RESET puts the
# destination back and CMD runs again, up to 3 times; then the check fails loudly.
interrupt() {
  local label=$1 sig=$2 glob=$3 reset=$4 seen=0 attempt pid
  shift 4
  for attempt in 1 2 3; do
    eval "$reset"
    rm -rf "$T/tmp-$label"; mkdir -p "$T/tmp-$label"
    TMPDIR=$T/tmp-$label env --default-signal=INT,TERM,HUP "$@" >"$T/$label.out" 2>"$T/$label.err" &
    pid=$!
    last_pid=$pid
    for _ in $(seq 6000); do # 60 s at most
      if compgen -G "$glob" >/dev/null; then seen=1; break; fi
      case "$(proc_state $pid)" in Z|'') break;; esac
      sleep 0.01
    done
    [ $seen = 1 ] && kill -s "$sig" $pid
    wait $pid; rc=$?
    [ $seen = 1 ] && break
    echo "  ($label: attempt $attempt finished (exit $rc) before $glob appeared; again)"
  done
  if [ $seen = 1 ]; then ok "$label: signalled mid-work (after $glob appeared, attempt $attempt)"
  else fail "$label: the command finished (exit $rc) before $glob appeared, 3 times: nothing was interrupted"; sed 's/^/  | /' "$T/$label.err" | tail -5; fi
}

# leftovers LABEL DIR...: no temp work left in the label's TMPDIR nor beside the destinations.
leftovers() {
  local label=$1 left
  shift
  left=$(find "$T/tmp-$label" -mindepth 1 -maxdepth 1; for d in "$@"; do find "$d" -maxdepth 1 -name '.*.tmp-*'; done)
  check_eq "$label: no temp path left in \$TMPDIR or beside the destination" "" "$left"
  check "$label: says what it removed" grep -q '^distill: interrupted, removed [1-9][0-9]* temporary path' "$T/$label.err"
}

# Inputs: an uncompressed docker-archive (~200 MB of layer tar: recompressing it takes a while).
mkdir -p "$T/in" "$T/c1" "$T/c2" "$T/sq" "$T/h"
"$DISTILL" copy -q --compress none "oci:$PY" "docker-archive:$T/in/big.tar" >/dev/null 2>"$T/prep.err" \
  || { fail "interrupt: preparing the docker-archive input"; sed 's/^/  | /' "$T/prep.err"; exit 0; }
src_sum=$(sha256sum "$T/in/big.tar" | cut -d' ' -f1)
py_sum=$(tree_sum "$PY")

# 1. copy, ^C, over an existing destination archive: the old one stays byte-identical.
"$DISTILL" copy -q "oci:$PY" "oci-archive:$T/c1/out.tar" >/dev/null 2>&1 || fail "copy: first destination"
cp "$T/c1/out.tar" "$T/old.tar"
interrupt copy-int INT "$T/c1/.out.tar.tmp-*" 'cp "$T/old.tar" "$T/c1/out.tar"' \
  "$DISTILL" copy -q --compress zstd "docker-archive:$T/in/big.tar" "oci-archive:$T/c1/out.tar"
check_eq "copy-int: exit status 130 (128+SIGINT)" 130 $rc
leftovers copy-int "$T/c1"
check "copy-int: old destination byte-identical" cmp -s "$T/old.tar" "$T/c1/out.tar"
check_eq "copy-int: source unchanged" "$src_sum" "$(sha256sum "$T/in/big.tar" | cut -d' ' -f1)"

# 2. copy, SIGTERM, to a new OCI layout: no destination at all afterwards.
# (the layer is being recompressed into the scratch dir while the layout dir waits beside DST)
interrupt copy-term TERM "$T/tmp-copy-term/distill-copy-*/*" 'rm -rf "$T/c2/layout"' \
  "$DISTILL" copy -q --compress zstd "docker-archive:$T/in/big.tar" "oci:$T/c2/layout"
check_eq "copy-term: exit status 143 (128+SIGTERM)" 143 $rc
leftovers copy-term "$T/c2"
check_fails "copy-term: destination absent" test -e "$T/c2/layout"

# 3. squash, SIGTERM, while it unpacks the image into its temp dir.
interrupt squash-term TERM "$T/tmp-squash-term/distill-squash-*/*" 'rm -rf "$T/sq/flat"' \
  "$DISTILL" squash "oci:$PY" "oci:$T/sq/flat"
check_eq "squash-term: exit status 143" 143 $rc
leftovers squash-term "$T/sq"
check_fails "squash-term: destination absent" test -e "$T/sq/flat"

# 4. harden, SIGHUP (the terminal went away), mid-unpack.
interrupt harden-hup HUP "$T/tmp-harden-hup/distill-harden-*/rootfs/*" 'rm -f "$T/h/hard.tar"' \
  "$DISTILL" harden "oci:$PY" "oci-archive:$T/h/hard.tar"
check_eq "harden-hup: exit status 129 (128+SIGHUP)" 129 $rc
leftovers harden-hup "$T/h"
check_fails "harden-hup: destination absent" test -e "$T/h/hard.tar"

# 5. harden, ^C: the same with the interactive signal.
interrupt harden-int INT "$T/tmp-harden-int/distill-harden-*/rootfs/usr/*" 'rm -f "$T/h/hard.tar"' \
  "$DISTILL" harden "oci:$PY" "oci-archive:$T/h/hard.tar"
check_eq "harden-int: exit status 130" 130 $rc
leftovers harden-int "$T/h"
check_fails "harden-int: destination absent" test -e "$T/h/hard.tar"
check_eq "sources unchanged after every interrupt" "$py_sum" "$(tree_sum "$PY")"

# 6. A signal that was ignored when distill started (nohup) stays ignored.
rm -rf "$T/tmp-nohup"; mkdir -p "$T/tmp-nohup"
TMPDIR=$T/tmp-nohup env --ignore-signal=HUP "$DISTILL" squash "oci:$PY" "oci:$T/sq/nohup" >/dev/null 2>"$T/nohup.err" &
pid=$!
seen=0
for _ in $(seq 3000); do compgen -G "$T/tmp-nohup/distill-squash-*/*" >/dev/null && { seen=1; break; }; sleep 0.01; done
kill -HUP $pid 2>/dev/null
wait $pid
check_eq "nohup: an ignored SIGHUP does not stop the squash" 0 $?
check_eq "nohup: SIGHUP sent mid-work" 1 $seen
check "nohup: the squash was written" test -f "$T/sq/nohup/index.json"

# 7. build, ^C during the trace stage: the container is stopped and deleted, its overlay
# unmounted and the work dir removed before distill dies of the signal.
if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
APP=$(debian_image debian-python3-httpserver --include python3 \
  --cmd '["python3","-m","http.server","8000"]' --port 8000/tcp) || { fail "interrupt: python fixture"; exit 0; }
if curl -s -o /dev/null http://127.0.0.1:8000/; then fail "build-int: port 8000 busy on this machine"; exit 0; fi
mkdir -p "$T/b"
# The test command marks the trace stage: a file appears once the app runs under the sensor.
interrupt build-int INT "$T/b/tracing" 'rm -rf "$T/b/out" "$T/b/tracing"' \
  "$DISTILL" build -q "oci:$APP:latest" "oci:$T/b/out:v1" \
  --test "touch $T/b/tracing; curl -fsS http://{LOCALHOST}:8000/ -o /dev/null; sleep 67.4321"
check_eq "build-int: exit status 130" 130 $rc
leftovers build-int "$T/b"
check_fails "build-int: destination absent" test -e "$T/b/out"
check_eq "build-int: no overlay mount left" "" "$(grep -F "$T/tmp-build-int" /proc/mounts)"
check_eq "build-int: no container left" "" "$(runc list -q 2>/dev/null | grep "^distill-build-$last_pid-")"
check_eq "build-int: no test process left (the test's whole group was stopped)" "" "$(pgrep -af "sleep 67.4321" || true)"
check_fails "build-int: the app no longer serves" curl -s -o /dev/null --max-time 2 http://127.0.0.1:8000/
check "build-int: says it stopped the container" grep -q 'interrupted: container stopped and removed' "$T/build-int.err"
