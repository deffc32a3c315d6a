#!/usr/bin/env bash
# Rough edges a new user hits (issue 15, item 4), each run for real:
# - errors name the user's input, not libarchive's internal code or a temp sibling;
# - scan by a user who cannot read part of the image says so (notes, JSON and text), run
#   as nobody (setpriv) and as root without CAP_DAC_OVERRIDE;
# - layers --ci prints each reason once on a terminal (script(1) gives the TTY);
# - progress: harden, ldd --image, squash and copy show it on a terminal (copy with bytes
#   and a rate), never when stderr is not a terminal, never with -q; library code has no
#   stderr writes left;
# - temporary space: --tmpdir and $TMPDIR are honoured by every command, --tmpdir first.
# Scratch space in RAM when there is some: this test unpacks the base image about twenty
# times, and on a disk shared with other jobs each unpack and removal can take half a minute.
[ -w /dev/shm ] && export TMPDIR=/dev/shm
source "$(dirname "$0")/lib.sh"
base=$(debian_image base-apt) || { fail "fixture base-apt could not be built"; exit 0; }
IMG=oci:$base:latest
chmod 755 "$T"
# A terminal for DISTILL: script(1) runs the command on a pty and keeps what it wrote.
tty_run() { local log=$1; shift; script -qec "$*" "$log" > /dev/null 2>&1; }
jqe() { jq -e "$@" > /dev/null; }

# --- errors -------------------------------------------------------------------------------
echo '{"schemaVersion": 2}' > "$T/not-a-tar.json"
for tr in docker-archive oci-archive; do
  $DISTILL inspect "$tr:$T/not-a-tar.json" > /dev/null 2> "$T/err"; rc=$?
  check_eq "$tr: a JSON file is an error (exit 3)" 3 "$rc"
  check_eq "$tr: one line" 1 "$(wc -l < "$T/err")"
  check "$tr: says it is not an archive and names the input" grep -q "$tr:$T/not-a-tar.json: not a.* archive (not a tar file)" "$T/err"
  check_fails "$tr: no libarchive errno text" grep -q "multibyte" "$T/err"
done
$DISTILL inspect "docker-archive:$T" > /dev/null 2> "$T/err"
check "docker-archive: a directory is named as one" grep -q "docker-archive:$T: is a directory" "$T/err"
$DISTILL scan --html /nonexistent-distill/r.html "$IMG" > /dev/null 2> "$T/err"; rc=$?
check_eq "scan --html into a missing dir fails (exit 3)" 3 "$rc"
check "the message names the user's path" grep -qx "distill scan: /nonexistent-distill/r.html: cannot write: No such file or directory" "$T/err"
check_fails "the message does not name the temp file" grep -q "\.tmp" "$T/err"
$DISTILL copy "$IMG" "oci-archive:/nonexistent-distill/a.tar" > /dev/null 2> "$T/err"
check_fails "copy to a missing dir: no temp name either" grep -q "\.tmp" "$T/err"
mkdir -m 555 "$T/ro"
setpriv --reuid=65534 --regid=65534 --clear-groups $DISTILL copy "$IMG" "oci:$T/ro/x" > /dev/null 2> "$T/err"
check "copy into an unwritable dir names the layout, not its temp sibling" \
  grep -qx "distill copy: oci:$T/ro/x: cannot create the layout: Permission denied" "$T/err"
setpriv --reuid=65534 --regid=65534 --clear-groups $DISTILL copy "$IMG" "docker-archive:$T/ro/x.tar" > /dev/null 2> "$T/err"
check "the same for an archive" grep -qx "distill copy: docker-archive:$T/ro/x.tar: cannot create the archive: Permission denied" "$T/err"

# --- scan as a user who cannot read everything -------------------------------------------------
R=$T/rf
$DISTILL copy -q "$IMG" "rootfs:$R" > /dev/null || fail "copy to rootfs:"
chmod 000 "$R/etc/passwd"
mkdir -m 700 "$R/secret" && echo x > "$R/secret/inside"
$DISTILL scan --json "rootfs:$R" > "$T/root.json"
check_eq "root (with its capabilities) reads everything: no such note" 0 \
  "$(jq '[.notes[] | select(test("could not be read"))] | length' "$T/root.json")"
setpriv --reuid=65534 --regid=65534 --clear-groups $DISTILL scan --json "rootfs:$R" > "$T/nobody.json"; rc=$?
check_eq "scan as nobody still succeeds" 0 "$rc"
check "nobody: the notes say paths could not be read" jqe '.notes | any(test("paths? could not be read \\(permission denied\\)"))' "$T/nobody.json"
check "nobody: /etc/passwd is named" jqe '.notes | index("not readable: /etc/passwd")' "$T/nobody.json"
check "nobody: the unreadable directory is named" jqe '.notes | index("not readable: /secret/")' "$T/nobody.json"
check_fails "nobody: a readable file is not named" jqe '.notes | index("not readable: /etc/hostname")' "$T/nobody.json"
setpriv --reuid=65534 --regid=65534 --clear-groups $DISTILL scan "rootfs:$R" > "$T/nobody.txt"
check "nobody: the text output says it too" grep -qx "Note: not readable: /etc/passwd" "$T/nobody.txt"
setpriv --inh-caps=-all --bounding-set=-dac_override,-dac_read_search $DISTILL scan --json "rootfs:$R" > "$T/nocap.json"
check "root without CAP_DAC_OVERRIDE: /etc/passwd is named" jqe '.notes | index("not readable: /etc/passwd")' "$T/nocap.json"
check "root without CAP_DAC_OVERRIDE: a 700 directory it owns is readable" \
  bash -c "! jq -e '.notes | index(\"not readable: /secret/\")' '$T/nocap.json' > /dev/null"

# --- layers --ci on a terminal ----------------------------------------------------------
# harden adds a layer that deletes files: wasted bytes for --highest-wasted-bytes to catch.
$DISTILL harden -q "$IMG" "oci:$T/h:latest" > /dev/null 2>&1 || fail "harden for the layers fixture"
tty_run "$T/ci.log" "$DISTILL layers --ci --highest-wasted-bytes 1 oci:$T/h:latest"
check_eq "layers --ci on a TTY: the reason is printed once" 1 "$(grep -c "highest-wasted-bytes: " "$T/ci.log")"
$DISTILL layers --ci --highest-wasted-bytes 1 "oci:$T/h:latest" > "$T/ci.out" 2> "$T/ci.err"; rc=$?
check_eq "layers --ci exits 1" 1 "$rc"
check "stdout and stderr apart: the summary has the reason" grep -q "highest-wasted-bytes: " "$T/ci.out"
check "stdout and stderr apart: stderr has it too (CI logs that keep stderr)" grep -q "highest-wasted-bytes: " "$T/ci.err"

# --- progress -------------------------------------------------------------------------------
tty_run "$T/p-squash.log" "$DISTILL squash $IMG oci:$T/sq:latest"
# The layer from the layer store ("Layer 1/1 sha256:... (store)") or unpacked ("Unpacking layer ...").
check "squash on a TTY: unpacking progress" grep -qaE "(Unpacking layer|Layer) 1/1 sha256:" "$T/p-squash.log"
check "squash on a TTY: writing progress with bytes" grep -qaE "Writing layer \([0-9]+ entries\)  [0-9.]+ MiB / [0-9.]+ MiB" "$T/p-squash.log"
check "squash on a TTY: the line is cleared before the result" grep -qa $'\r\033\[K'"$IMG: 1 layer" "$T/p-squash.log"
tty_run "$T/p-harden.log" "$DISTILL harden $IMG oci:$T/h2:latest"
check "harden on a TTY: unpacking, hardening, writing" bash -c "grep -qaE '(Unpacking layer|Layer) 1/1' '$T/p-harden.log' &&
  grep -qa 'Hardening the tree' '$T/p-harden.log' && grep -qa 'Writing layer' '$T/p-harden.log'"
tty_run "$T/p-ldd.log" "$DISTILL ldd --image $IMG /usr/bin/ls"
check "ldd --image on a TTY: unpacking progress" grep -qaE "(Unpacking layer|Layer) 1/1" "$T/p-ldd.log"
check "ldd --image on a TTY: the result is there" grep -qa "libc.so.6" "$T/p-ldd.log"
tty_run "$T/p-copy.log" "$DISTILL copy $IMG docker-archive:$T/c.tar"
check "copy on a TTY: 'Copying blob sha256:... X MiB / Y MiB'" \
  grep -qaE "Copying blob sha256:[0-9a-f]{12}\.\.\. \(1/1\)  [0-9.]+ [KM]iB / [0-9.]+ MiB" "$T/p-copy.log"
tty_run "$T/p-q.log" "$DISTILL copy -q $IMG docker-archive:$T/c2.tar"
check_fails "copy -q: no progress" grep -qa "Copying blob" "$T/p-q.log"
tty_run "$T/p-sq-q.log" "$DISTILL squash -q $IMG oci:$T/sq-q:latest"
check_fails "squash -q: no progress" grep -qaE "Unpacking layer|Layer 1/1" "$T/p-sq-q.log"
$DISTILL squash "$IMG" "oci:$T/sq2:latest" > /dev/null 2> "$T/p-notty.err"
check_eq "stderr not a terminal: no progress at all" 0 "$(wc -c < "$T/p-notty.err")"
# No stderr writes left in library code (everything but src/cli/ and the sensor).
check_eq "no stderr writes outside src/cli/ and the sensor" "" \
  "$(grep -rnE 'f(print|put)[a-z]*\(.*stderr|perror\(|dprintf\(2|write\(2,' "$TOP/src" --include='*.c' --include='*.h' |
     grep -v -e "^$TOP/src/cli/" -e "^$TOP/src/trace/sensor/")"

# --- temporary space ------------------------------------------------------------------------
# Every command that needs scratch space, with inputs that make it need some.
gz=$T/c.tar  # a docker-archive: reading it extracts it to scratch space
cmds=(
  "inspect docker-archive:$gz"
  "layers docker-archive:$gz"
  "scan $IMG"
  "harden $IMG oci:$T/t-h:latest"
  "squash $IMG oci:$T/t-sq:latest"
  "copy $IMG docker-archive:$T/t-c.tar"
  "ldd --image $IMG /usr/bin/ls"
  "build $IMG oci:$T/t-b:latest"
)
mkdir "$T/scratch"
for c in "${cmds[@]}"; do
  name=${c%% *}
  $DISTILL $c --tmpdir /nonexistent-distill-tmp > /dev/null 2> "$T/err"
  check "$name --tmpdir: honoured (a missing one is named)" grep -q -- "--tmpdir /nonexistent-distill-tmp: " "$T/err"
  TMPDIR=/nonexistent-distill-tmp $DISTILL $c > /dev/null 2> "$T/err"
  check "$name \$TMPDIR: honoured" grep -q -- "\$TMPDIR /nonexistent-distill-tmp: cannot make a temporary directory there" "$T/err"
  # --tmpdir wins over $TMPDIR; the scratch dir was used (an entry made and removed there
  # moves its mtime) and nothing is left in it.
  touch -d @1000000000 "$T/scratch"
  TMPDIR=/nonexistent-distill-tmp $DISTILL $c --tmpdir "$T/scratch" > /dev/null 2> "$T/err"
  check_fails "$name: --tmpdir wins over \$TMPDIR" grep -q "nonexistent-distill-tmp" "$T/err"
  check "$name: the work went to --tmpdir" test "$(stat -c %Y "$T/scratch")" -gt 1000000000
  check_eq "$name: nothing left in --tmpdir" "" "$(ls -A "$T/scratch")"
done
