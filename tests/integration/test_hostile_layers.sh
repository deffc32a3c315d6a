#!/usr/bin/env bash
# Hostile layer tars through the real CLI: squash, layers, copy to rootfs:DIR and
# ldd --image on OCI layouts written by hostile_layers.py (../ names, absolute names,
# symlinks and hard links pointing out, whiteouts through symlinks, devices, long
# names, truncated or trailing-garbage streams, 100k files, a gzip bomb).
# Every run happens inside a sentinel box: after each command, nothing in the box
# may have changed outside the destination, and no absolute path a hostile entry
# aims at may exist. Errors must be exit 3 with one stderr line naming the entry.
source "$(dirname "$0")/lib.sh"
GEN=$TOP/tests/integration/hostile_layers.py
BOX=$T/box                   # the sentinel box
SENT=$BOX/sent               # what the hostile symlinks point at (absolute host path)
OUT=$BOX/a/b/c               # destinations live three levels down: ../../ stays in the box
mkdir -p "$SENT" "$OUT" "$BOX/tmp"
echo keep > "$SENT/keepme"
export TMPDIR=$BOX/tmp       # squash, ldd --image and copy put their temp trees here
IMGS=$T/img                  # the hostile images themselves (must not change either)
host_shadow_links=$(stat -c %h /etc/shadow 2>/dev/null || echo none)
ABS_TARGETS=(/abs/escape /tmp/pwned-by-distill-test /escape-up /owned /f)

snapshot() { # everything in the box but the destinations, and the images, with sizes and modes
  { find "$BOX" -path "$OUT" -prune -o -printf '%p %y %s %m\n'; find "$IMGS" -printf '%p %y %s %m\n'
    for p in "${ABS_TARGETS[@]}"; do [ -e "$p" ] || [ -L "$p" ] && echo "EXISTS $p"; done
    echo "shadow links $(stat -c %h /etc/shadow 2>/dev/null || echo none)"; } | sort
}

CASES_OK=(abs symlink-root symlink-up symlink-then-dir symlink-then-dir-1layer wh-through-symlink
          wh-through-rootlink devices mode7777 hardlink-shadow-intree longpath-ok garbage-after-tar
          garbage-after-gzip deep deep-wh deep-opq newline-wasted)
# case => a string the one-line error must contain (the entry, or the reason for stream errors)
declare -A CASES_ERR=(
  [dotdot]="'../../escape'" [dotdot-mid]="'a/../../escape-mid'" [hardlink-shadow]="'h'"
  [hardlink-up]="'h2'" [hardlink-via-symlink]="'h3'" [symlink-sentinel]="'s/owned'"
  [symlink-sentinel-2layers]="'s/owned2'" [wh-dotdot]="'.wh...'" [opq-through-symlink]="'o/.wh..wh..opq'"
  [parent-is-file]="'f/child'" [longpath]="name too long" [longcomp]="'cccccccccc"
  [newline-dotdot]="'evil\x0Aname\x1B[31m/../../x'" [newline-hardlink]="'evil\x0Alink\x1B[31m' does not exist"
  [truncated-gzip]="entry 'big'" [truncated-tar]="entry 'big'" [not-a-tar]="Unrecognized archive format")
# `distill layers` reads names only: it fails on names that leave the tree and broken streams.
LAYERS_ERR=" dotdot dotdot-mid newline-dotdot truncated-gzip truncated-tar not-a-tar "

python3 "$GEN" "$IMGS" "$SENT" "${CASES_OK[@]}" "${!CASES_ERR[@]}" || { fail "hostile_layers.py could not write the images"; exit 0; }

# run_case CMDNAME CASE EXPECT(ok|err) NEEDLE CMD...
run_case() {
  local name=$1 c=$2 expect=$3 needle=$4; shift 4
  local before after rc
  before=$(snapshot)
  "$@" > "$T/out" 2> "$T/err"; rc=$?
  after=$(snapshot)
  if [ "$before" = "$after" ]; then ok "$name $c: nothing changed outside the destination"
  else fail "$name $c: something changed outside the destination: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ')"; fi
  if [ -n "$(ls -A "$BOX/tmp")" ]; then fail "$name $c: temp files left in \$TMPDIR: $(ls -A "$BOX/tmp" | head -3 | tr '\n' ' ')"; rm -rf "${BOX:?}/tmp/"*; fi
  if [ "$expect" = ok ]; then
    check_eq "$name $c: succeeds" 0 "$rc"
  else
    check_eq "$name $c: exit 3" 3 "$rc"
    check_eq "$name $c: error is one line" 1 "$(wc -l < "$T/err")"
    check "$name $c: error names it ($needle)" grep -qF -- "$needle" "$T/err"
  fi
}

# Every command runs with the usual limit of 1024 descriptors: the 2040-level cases
# must not need one per level.
LIM=(bash -c 'ulimit -n 1024 && exec "$@"' _)
for c in "${CASES_OK[@]}" "${!CASES_ERR[@]}"; do
  expect=ok; needle=""
  [ -n "${CASES_ERR[$c]+x}" ] && { expect=err; needle=${CASES_ERR[$c]}; }
  IMG=oci:$IMGS/$c:latest
  run_case squash "$c" $expect "$needle" "${LIM[@]}" $DISTILL squash "$IMG" "oci:$OUT/$c-sq:latest"
  if [ $expect = err ]; then check "squash $c: no destination after a failure" test ! -e "$OUT/$c-sq"; fi
  run_case "copy rootfs" "$c" $expect "$needle" "${LIM[@]}" $DISTILL copy "$IMG" "rootfs:$OUT/$c-rootfs"
  if [ $expect = err ]; then check "copy rootfs $c: no destination after a failure" test ! -e "$OUT/$c-rootfs"; fi
  run_case "ldd --image" "$c" $expect "$needle" "${LIM[@]}" $DISTILL ldd --image "$IMG" --all
  lexpect=ok; [[ $LAYERS_ERR == *" $c "* ]] && lexpect=err
  run_case layers "$c" $lexpect "$needle" "${LIM[@]}" $DISTILL layers --json "$IMG"
  if [ $lexpect = ok ]; then check "layers --json $c: valid JSON" jq -e .layers "$T/out" > /dev/null; fi
done
# The same escapes with the openat2-less fallback resolver.
for c in symlink-root symlink-up symlink-then-dir wh-through-symlink wh-through-rootlink; do
  run_case "squash (no openat2)" "$c" ok "" env DISTILL_NO_OPENAT2=1 $DISTILL squash "oci:$IMGS/$c:latest" "oci:$OUT/$c-sq2:latest"
done
for c in symlink-sentinel hardlink-via-symlink opq-through-symlink; do
  run_case "squash (no openat2)" "$c" err "${CASES_ERR[$c]}" env DISTILL_NO_OPENAT2=1 $DISTILL squash "oci:$IMGS/$c:latest" "oci:$OUT/$c-sq2:latest"
done

# --- what the contained cases produced -------------------------------------------------
R=$OUT
check_eq "abs: /abs/escape lands in the tree" x "$(cat "$R/abs-rootfs/abs/escape" 2>/dev/null)"
check_eq "symlink x -> /: x/tmp/pwned lands in the tree's /tmp" x "$(cat "$R/symlink-root-rootfs/tmp/pwned-by-distill-test" 2>/dev/null)"
check_eq "symlink y -> ../../..: y/escape-up lands at the tree's root" x "$(cat "$R/symlink-up-rootfs/escape-up" 2>/dev/null)"
check "symlink then dir: d is a directory now" test -d "$R/symlink-then-dir-rootfs/d" -a ! -L "$R/symlink-then-dir-rootfs/d"
check "symlink then dir (one layer): d is a directory" test -d "$R/symlink-then-dir-1layer-rootfs/d" -a ! -L "$R/symlink-then-dir-1layer-rootfs/d"
check_eq "sentinel file still there" keep "$(cat "$SENT/keepme")"
check "whiteout through r -> / removes the tree's /keep" test ! -e "$R/wh-through-rootlink-rootfs/keep"
check "whiteout through a symlink out of the tree keeps k" test -f "$R/wh-through-symlink-rootfs/k"
check_eq "mode 7777 kept" 7777 "$(stat -c %a "$R/mode7777-rootfs/bin/suid")"
check_eq "sticky dir 1777 kept" 1777 "$(stat -c %a "$R/mode7777-rootfs/sticky")"
check_eq "hard link to /etc/shadow resolves in the tree" in-tree "$(cat "$R/hardlink-shadow-intree-rootfs/h")"
check_eq "... and is a hard link of the tree's etc/shadow" "$(stat -c %i "$R/hardlink-shadow-intree-rootfs/etc/shadow")" \
  "$(stat -c %i "$R/hardlink-shadow-intree-rootfs/h")"
check_eq "host /etc/shadow link count unchanged" "$host_shadow_links" "$(stat -c %h /etc/shadow 2>/dev/null || echo none)"
check "a FIFO is unpacked as a FIFO" test -p "$R/devices-rootfs/run/fifo"
if [ "$(id -u)" = 0 ]; then
  check "root: char device created" test -c "$R/devices-rootfs/dev/null2"
else
  check "not root: device nodes skipped" test ! -e "$R/devices-rootfs/dev/null2"
fi
check "a 2040-level tree whited out in a later layer is gone" test ! -e "$R/deep-wh-rootfs/a" -a -f "$R/deep-wh-rootfs/keep"
check "a 2040-level tree under an opaque root is gone" test ! -e "$R/deep-opq-rootfs/a" -a -f "$R/deep-opq-rootfs/new"
check_eq "trailing garbage after the tar is ignored" fine "$(cat "$R/garbage-after-tar-rootfs/ok")"
check_eq "trailing garbage after the gzip is ignored" fine "$(cat "$R/garbage-after-gzip-rootfs/ok")"
lp=$(cd "$R/longpath-ok-rootfs" && find . -type f -name f | head -1)
check "a 3940-char path unpacks" test ${#lp} -gt 3900
# squash keeps the hostile-but-legal entries as they were
sqlayer() { local m; m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  echo "$1/blobs/sha256/$(jq -r '.layers[0].digest' "$1/blobs/sha256/$m" | cut -d: -f2)"; }
check "squash keeps mode 7777" bash -c "tar tvzf '$(sqlayer "$R/mode7777-sq")' | grep -q '^-rwsrwsrwt .* bin/suid$'"
check "squash keeps the FIFO" bash -c "tar tvzf '$(sqlayer "$R/devices-sq")' | grep -q '^p.* run/fifo$'"
check "squash keeps symlink x -> /" bash -c "tar tvzf '$(sqlayer "$R/symlink-root-sq")' | grep -q ' x -> /$'"
check "squash keeps the 3940-char path" bash -c "tar tzf '$(sqlayer "$R/longpath-ok-sq")' | awk 'length > 3900' | grep -q ."
check "squash keeps the 2040-level path" bash -c "tar tzf '$(sqlayer "$R/deep-sq")' | grep -q '/a/f$'"

# ldd on the FIFO and device nodes of an unpacked hostile tree must not hang or crash
timeout 20 $DISTILL ldd --root "$R/devices-rootfs" /run/fifo > /dev/null 2> "$T/err"; rc=$?
check_eq "ldd on a FIFO: exit 3, no hang" 3 "$rc"
check "ldd on a FIFO: says not a regular file" grep -q "not a regular file" "$T/err"
timeout 20 $DISTILL ldd --root "$R/devices-rootfs" --all > /dev/null 2>&1; rc=$?
check_eq "ldd --all over FIFOs and devices: no hang" 0 "$rc"

# --- 100k tiny files ------------------------------------------------------------------------
python3 "$GEN" "$IMGS" "$SENT" many
s=$(date +%s)
run_case squash many ok "" $DISTILL squash "oci:$IMGS/many:latest" "oci:$OUT/many-sq:latest"
check_eq "squash of 100k files keeps them all" 100100 "$(tar tzf "$(sqlayer "$OUT/many-sq")" | wc -l)"
run_case layers many ok "" $DISTILL layers --json "oci:$IMGS/many:latest"
check_eq "layers counts 100k added files" 100000 "$(jq '.layers[0].added' "$T/out")"
echo "100k files: squash + layers in $(( $(date +%s) - s )) s"

# --- a gzip bomb: 1 GiB of zeros in a ~1 MB blob ------------------------------------------------
# Policy: unpacking is streamed, so anonymous memory does not grow with the ratio (the
# writer's whole-buffer gzip holds the compressed output, ~1 MB here; the tar it reads is
# a file mapping the kernel can drop); disk use is the uncompressed size, in $TMPDIR,
# removed afterwards. `layers` reads the stream without writing anything.
peak_anon() { # CMD...: runs it, prints "RC PEAK_RSSANON_KB"
  "$@" > /dev/null 2>&1 & local pid=$! peak=0 v
  while kill -0 $pid 2>/dev/null; do
    v=$(awk '/^RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null); [ -n "$v" ] && [ "$v" -gt $peak ] && peak=$v
    sleep 0.05
  done
  wait $pid; echo "$? $peak"
}
python3 "$GEN" "$IMGS" "$SENT" bomb-1024
check "the bomb blob is small" test "$(du -sk "$IMGS/bomb-1024" | cut -f1)" -lt 4096
$DISTILL layers --json "oci:$IMGS/bomb-1024:latest" > "$T/out" 2>/dev/null
check_eq "layers sees the 1 GiB file" 1073741824 "$(jq '.layers[0].files_size' "$T/out")"
read rc peak < <(peak_anon $DISTILL layers "oci:$IMGS/bomb-1024:latest")
check "layers of the bomb: exit 0 ($rc), anonymous memory under 64 MB ($peak kB)" test "$rc" = 0 -a "$peak" -gt 0 -a "$peak" -lt 65536
read rc peak < <(peak_anon $DISTILL squash "oci:$IMGS/bomb-1024:latest" "oci:$OUT/bomb-sq:latest")
check "squash of the bomb: exit 0 ($rc), anonymous memory under 64 MB ($peak kB)" test "$rc" = 0 -a "$peak" -gt 0 -a "$peak" -lt 65536
check "squash of the bomb leaves no temp files" test -z "$(ls -A "$BOX/tmp")"
check_eq "squash of the bomb keeps the 1 GiB file" 1073741824 \
  "$(tar tvzf "$(sqlayer "$OUT/bomb-sq")" | awk '$NF == "zeros.bin" {print $3}')"
rm -rf "$OUT/bomb-sq"

# --- out of disk space: a clear error, nothing left behind -----------------------------------
# A 20 MB tmpfs as the temp dir. Zeros are unpacked as holes (a zstd layer of zeros is
# ~30000:1), so the 64 MB bomb unpacks in no space; the squash writer then sees that
# its 64 MB tar cannot fit and says so before writing. 24 MB of random data cannot be
# unpacked at all: ENOSPC, naming the entry.
python3 "$GEN" "$IMGS" "$SENT" bomb-64 rand-24
SMALL=$BOX/small; mkdir -p "$SMALL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=20m tmpfs "$SMALL" 2>/dev/null; then
  trap 'umount "$SMALL" 2>/dev/null; rm -rf "$T"' EXIT
  # expect: CASE COMMAND-NAME NEEDLE(regex)
  sq_small() {
    # --no-store: the unpack itself must be in the small temp dir (the store case is below).
    $DISTILL squash --no-store --tmpdir "$SMALL" "oci:$IMGS/$1:latest" "oci:$OUT/$1-sq:latest" > /dev/null 2> "$T/err"; rc=$?
    check_eq "squash $1 with a full temp dir: exit 3" 3 "$rc"
    check_eq "squash $1 with a full temp dir: one-line error" 1 "$(wc -l < "$T/err")"
    check "squash $1 with a full temp dir: says why" grep -qE "$2" "$T/err"
    check "squash $1 with a full temp dir: temp dir emptied" test -z "$(ls -A "$SMALL")"
    check "squash $1 with a full temp dir: no destination" test ! -e "$OUT/$1-sq"
  }
  sq_small bomb-64 "layer tar needs about [0-9]+ bytes, only [0-9]+ are free"
  sq_small rand-24 "entry 'random.bin': write: No space left on device"
  # The layer store on the full fs: the same error, and no layer (whole or partial) stored.
  $DISTILL squash --store "$SMALL/store" "oci:$IMGS/rand-24:latest" "oci:$OUT/rand-24-st:latest" > /dev/null 2> "$T/err"; rc=$?
  check_eq "squash rand-24 with the store on a full fs: exit 3" 3 "$rc"
  check "squash rand-24 with the store on a full fs: names the entry" grep -q "entry 'random.bin': write: No space left on device" "$T/err"
  check "squash rand-24 with the store on a full fs: nothing stored" test -z "$(find "$SMALL/store/layers" "$SMALL/store/tmp" -mindepth 1)"
  rm -rf "${SMALL:?}/store"
  check "copy of the 64 MB bomb to rootfs: on a 20 MB fs (holes)" $DISTILL copy "oci:$IMGS/bomb-64:latest" "rootfs:$SMALL/r"
  check_eq "... the file has its 64 MB size" 67108864 "$(stat -c %s "$SMALL/r/zeros.bin")"
  check "... and reads as zeros" cmp -s "$SMALL/r/zeros.bin" <(head -c 67108864 /dev/zero)
  check "... using almost no space" test "$(du -sk "$SMALL/r" | cut -f1)" -lt 1024
  rm -rf "${SMALL:?}/r"
  $DISTILL copy "oci:$IMGS/rand-24:latest" "rootfs:$SMALL/r" > /dev/null 2> "$T/err"; rc=$?
  check_eq "copy to a full rootfs:DIR: exit 3" 3 "$rc"
  check "copy to a full rootfs:DIR: names the entry" grep -q "entry 'random.bin'.*No space left" "$T/err"
  check "copy to a full rootfs:DIR: nothing left" test -z "$(ls -A "$SMALL")"
  umount "$SMALL"
else
  skip "out-of-space checks: need root to mount a small tmpfs"
fi

# --- distill ldd on broken and hostile files in a real Debian tree ------------------------------
base=$(debian_image base-apt) || { fail "fixture base-apt could not be built"; exit 0; }
LR=$T/ldd-root
$DISTILL copy "oci:$base:latest" "rootfs:$LR" > /dev/null 2>&1 || fail "unpack base-apt"
libc=$(cd "$LR" && ls usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null)
mkdir -p "$LR/q"
echo hello > "$LR/q/text"; : > "$LR/q/empty"; mkfifo "$LR/q/fifo"
ln -s loop1 "$LR/q/loop2"; ln -s loop2 "$LR/q/loop1"; ln -s /nowhere "$LR/q/dangling"
head -c 3000 "$LR/$libc" > "$LR/q/trunc3000.so"; head -c 100 "$LR/usr/bin/ls" > "$LR/q/trunc100"
head -c 20 "$LR/usr/bin/ls" > "$LR/q/trunc20"
python3 - "$LR" <<'PY'
import sys
R = sys.argv[1]; b = open(R + '/usr/bin/ls', 'rb').read()
assert b.count(b'libselinux.so.1\x00') == 1
open(R + '/q/badneeded', 'wb').write(b.replace(b'libselinux.so.1\x00', b'lib\xffelinux.so.1\x00'))
open(R + '/q/pathneeded', 'wb').write(b.replace(b'libselinux.so.1\x00', b'/../../../../lc\x00'))
open(R.encode() + b'/q/bad\xffname', 'wb').write(b)
PY
# ldd_case NAME EXPECTED_RC NEEDLE(stderr, "" = none) FILE...: text and --json; JSON must parse
ldd_case() {
  local n=$1 want=$2 needle=$3; shift 3
  timeout 30 $DISTILL ldd --root "$LR" "$@" > "$T/lo" 2> "$T/le"; local rc=$?
  check_eq "ldd $n: exit $want" "$want" "$rc"
  if [ -n "$needle" ]; then
    check "ldd $n: stderr says '$needle'" grep -qF -- "$needle" "$T/le"
    [ "$want" = 3 ] && check_eq "ldd $n: one error line per bad file" "$(grep -c . "$T/le")" "$(grep -c '^distill ldd: ' "$T/le")"
  fi
  timeout 30 $DISTILL ldd --json --root "$LR" "$@" > "$T/lo" 2> /dev/null; rc=$?
  check_eq "ldd --json $n: exit $want" "$want" "$rc"
  if [ -s "$T/lo" ]; then check "ldd --json $n: valid JSON, one object per file" \
    test "$(jq '.results | length' "$T/lo" 2>/dev/null)" = "$#"
  else check_eq "ldd --json $n: empty stdout only for a usage error" 2 "$rc"; fi
}
ldd_case "a text file" 0 "" /q/text
ldd_case "a 0-byte file" 0 "" /q/empty
ldd_case "a directory" 3 "/q: not a regular file" /q
ldd_case "a FIFO" 3 "not a regular file" /q/fifo
ldd_case "a symlink loop" 3 "dangling or loops" /q/loop1
ldd_case "a dangling symlink" 3 "dangling or loops" /q/dangling
ldd_case "a missing file" 3 "/q/nope: no such file" /q/nope
ldd_case "libc cut at 3000 bytes" 3 "/q/trunc3000.so: " /q/trunc3000.so
ldd_case "ls cut at 100 bytes" 3 "runs past the end" /q/trunc100
ldd_case "ls cut at 20 bytes" 3 "truncated ELF header" /q/trunc20
ldd_case "../ stays in the root" 0 "" ../../../../usr/bin/ls
ldd_case "a good and a bad file" 3 "/q/trunc20" /usr/bin/ls /q/trunc20
ldd_case "a DT_NEEDED path with ../" 1 "" /q/pathneeded
ldd_case "an empty FILE" 2 "empty FILE" ""
check_eq "ldd ../../../../usr/bin/ls finds the root's libc" "/lib/x86_64-linux-gnu/libc.so.6" \
  "$($DISTILL ldd --json --root "$LR" ../../../../usr/bin/ls | jq -r '.results[0].libraries[] | select(.name == "libc.so.6") | .path')"
check_eq "ldd --json: a per-file error is in the array" "/q/trunc20" \
  "$($DISTILL ldd --json --root "$LR" /usr/bin/ls /q/trunc20 2>/dev/null | jq -r '.results[1].error' | cut -d: -f1)"
check_eq "ldd --json keeps a non-UTF-8 DT_NEEDED (missing_hex)" '6c6962ff656c696e75782e736f2e31' \
  "$($DISTILL ldd --json --root "$LR" /q/badneeded | jq -r '.results[0].missing_hex[0]')"
check_eq "ldd --json keeps a non-UTF-8 file name (file_hex)" '2f712f626164ff6e616d65' \
  "$($DISTILL ldd --json --root "$LR" "/q/$(printf 'bad\xffname')" | jq -r '.results[0].file_hex')"
check_eq "ldd --json: a non-UTF-8 missing file still has its error" 'true' \
  "$($DISTILL ldd --json --root "$LR" "/q/$(printf 'nx\xffname')" 2>/dev/null | jq '.results[0].error | test("no such file")')"
$DISTILL ldd --json --root "$T/no-such-root" /bin/ls > "$T/lo" 2> "$T/le"; rc=$?
check_eq "ldd on a missing root: exit 3" 3 "$rc"
check "ldd on a missing root: one line naming it" test "$(wc -l < "$T/le")" = 1 -a -n "$(grep -F "$T/no-such-root" "$T/le")"
check "ldd on a missing root: nothing half-written on stdout" test ! -s "$T/lo"
$DISTILL ldd --root "$LR/etc/passwd" /bin/ls > /dev/null 2> "$T/le"; rc=$?
check_eq "ldd with a file as root: exit 3" 3 "$rc"
check "ldd with a file as root: says so" grep -q "Not a directory" "$T/le"

check_eq "layers text: a wasted name with a newline and an escape stays one escaped line" \
  '/evil\x0aline\x1b[2J' "$($DISTILL layers "oci:$IMGS/newline-wasted:latest" | awk '/^Biggest wasted/ {f=1; next} f && NR > 0 && $1 ~ /^[0-9]+$/ {print $NF}')"
python3 - "$LR" <<'PY'
import sys
R = sys.argv[1]; b = open(R + '/usr/bin/ls', 'rb').read()
open(R + '/q/escneeded', 'wb').write(b.replace(b'libselinux.so.1\x00', b'lii\x1b[2Jnux.so.1\x00'))
PY
check_eq "ldd text: a DT_NEEDED with a terminal escape is printed escaped" 'lii\x1b[2Jnux.so.1 => not found' \
  "$($DISTILL ldd --root "$LR" /q/escneeded | head -1 | sed 's/^\t//')"
check "ldd --tree: the same, escaped" bash -c "$DISTILL ldd --tree --root '$LR' /q/escneeded | grep -qF 'lii\\x1b[2Jnux.so.1 => not found'"
check "ldd text: no raw escape byte at all" bash -c "! $DISTILL ldd --root '$LR' --tree /q/escneeded | grep -q \$'\\x1b'"

# --- distill layers: limit parsing ------------------------------------------------------------
# nonutf8: two layers with the same 10-byte Latin-1-named file: efficiency 0.5, 20 bytes
# wasted, user-wasted ratio 2.
python3 "$GEN" "$IMGS" "$SENT" nonutf8
LI=oci:$IMGS/nonutf8:latest
check_eq "layers --json keeps a non-UTF-8 wasted path (path_hex)" '2f636166e9' "$($DISTILL layers --json "$LI" | jq -r '.wasted_paths[0].path_hex')"
check_eq "layers --json: its readable form" $'/caf\uFFFD' "$($DISTILL layers --json "$LI" | jq -r '.wasted_paths[0].path')"
while read -r want args; do
  $DISTILL layers "$LI" --json $args > "$T/lo" 2> "$T/le"; rc=$?
  check_eq "layers $args: exit $want" "$want" "$rc"
  if [ "$want" = 2 ]; then
    check "layers $args: one usage line + hint" test "$(grep -c '^distill layers: ' "$T/le")" = 1
  else
    check "layers $args: JSON with the CI verdict" jq -e ".ci.pass == $([ "$want" = 0 ] && echo true || echo false)" "$T/lo" > /dev/null
  fi
done <<'EOF2'
2 --lowest-efficiency abc
2 --lowest-efficiency -0.5
2 --lowest-efficiency 1.5
2 --lowest-efficiency 150%
2 --lowest-efficiency nan
2 --lowest-efficiency inf
2 --lowest-efficiency 0x1p-1
2 --lowest-efficiency=
1 --lowest-efficiency 90% --highest-user-wasted-percent disabled
0 --lowest-efficiency 40% --highest-user-wasted-percent disabled
1 --lowest-efficiency=0.6 --highest-user-wasted-percent disabled
2 --highest-wasted-bytes -5
2 --highest-wasted-bytes 1e30
2 --highest-wasted-bytes nan
2 --highest-wasted-bytes inf
2 --highest-wasted-bytes 0x10
2 --highest-wasted-bytes 10%
2 --highest-wasted-bytes 20QB
1 --highest-wasted-bytes 19 --lowest-efficiency disabled --highest-user-wasted-percent disabled
0 --highest-wasted-bytes 20 --lowest-efficiency disabled --highest-user-wasted-percent disabled
0 --highest-wasted-bytes 0.02kB --lowest-efficiency disabled --highest-user-wasted-percent disabled
2 --highest-user-wasted-percent 20
2 --highest-user-wasted-percent -1
2 --highest-user-wasted-percent abc%
1 --highest-user-wasted-percent 150% --lowest-efficiency disabled
0 --highest-user-wasted-percent 250% --lowest-efficiency disabled
1 --highest-user-wasted-percent 0.5 --lowest-efficiency disabled
2 --top -1
2 --top abc
2 --top 99999999999999999999
2 --top
2 --ci=maybe
2 --lowest-efficiency
EOF2

# --- squash never modifies its source, even when DST names it -----------------------------------
cp -a "$IMGS/abs" "$T/same"
before=$(cd "$T/same" && find . -type f -exec sha256sum {} + | sort)
for dst in "oci:$T/same:latest" "oci:$T/./same" "oci:$T/same/"; do
  $DISTILL squash "oci:$T/same:latest" "$dst" > /dev/null 2> "$T/err"; rc=$?
  check_eq "squash onto its own source ($dst): error" 3 "$rc"
  check "squash onto its own source ($dst): says why" grep -q "the destination is the source" "$T/err"
done
check_eq "the source layout is unchanged" "$before" "$(cd "$T/same" && find . -type f -exec sha256sum {} + | sort)"
check "squash into another ref of the same layout is fine" bash -c "$DISTILL squash oci:$T/same:latest oci:$T/same:squashed > /dev/null"
$DISTILL copy "oci:$T/same:latest" "docker-archive:$T/same.tar" > /dev/null
$DISTILL squash "docker-archive:$T/same.tar" "docker-archive:$T/same.tar:other:tag" > /dev/null 2>&1; rc=$?
check_eq "squash of a docker-archive onto the same file: refused" 3 "$rc"

# --- SOURCE_DATE_EPOCH: malformed is an error (reproducible-builds spec), not a silent fallback
for v in abc -5 1e5 99999999999999999999 253402300800; do
  SOURCE_DATE_EPOCH=$v $DISTILL squash "oci:$IMGS/abs:latest" "oci:$OUT/sde:latest" > /dev/null 2> "$T/err"; rc=$?
  check_eq "squash with SOURCE_DATE_EPOCH=$v: exit 3" 3 "$rc"
  check "squash with SOURCE_DATE_EPOCH=$v: names it" grep -q "SOURCE_DATE_EPOCH=" "$T/err"
  check "squash with SOURCE_DATE_EPOCH=$v: no destination" test ! -e "$OUT/sde"
done
SOURCE_DATE_EPOCH=253402300799 $DISTILL squash "oci:$IMGS/abs:latest" "oci:$OUT/sde:latest" > /dev/null
m=$(jq -r '.manifests[0].digest' "$OUT/sde/index.json" | cut -d: -f2)
check_eq "SOURCE_DATE_EPOCH=253402300799 is the last RFC 3339 second" '9999-12-31T23:59:59Z' \
  "$(jq -r '.history[-1].created' "$OUT/sde/blobs/sha256/$(jq -r .config.digest "$OUT/sde/blobs/sha256/$m" | cut -d: -f2)")"

# --- text output: names with terminal escapes, newlines, BEL, DEL, 8-bit CSI -------------------
# escape-names: a setuid file whose name holds all of them (scan lists it, harden changes it,
# layers lists it as wasted), a world-writable file and a history entry with escapes. No control
# byte of a name may reach the terminal: only the newlines and tabs of the output's own layout.
python3 "$GEN" "$IMGS" "$SENT" escape-names
EI=oci:$IMGS/escape-names:latest
EVIL='/usr/bin/e\x1b]0;pwned\x07\x0aFAKE LINE\x1b[2J\x7f\xc2\x9b1m'
no_raw_controls() { # FILE: valid UTF-8 with no control character but \n and \t (no ESC, BEL, DEL, C1)
  python3 -c 'import sys
try: t = open(sys.argv[1], "rb").read().decode("utf-8")
except UnicodeDecodeError: sys.exit(1)
sys.exit(1 if any((ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0 for c in t) else 0)' "$1"
}
escaped_case() { # NAME WANT(escaped text the output must hold) CMD...: stdout+stderr checked
  local n=$1 want=$2; shift 2
  "$@" > "$T/eo" 2>&1; local rc=$?
  check_eq "$n: exit 0" 0 "$rc"
  check "$n: no raw control byte from the names" no_raw_controls "$T/eo"
  check "$n: the name is shown escaped on one line" grep -qF -- "$want" "$T/eo"
  check_fails "$n: the forged line is not a line of its own" grep -q '^FAKE LINE' "$T/eo"
}
escaped_case "scan text, escaped names" "$EVIL (setuid 4755" $DISTILL scan "$EI"
escaped_case "scan text: world-writable, escaped" '/tmp\x1b[31mww (file 0666)' $DISTILL scan "$EI"
escaped_case "harden --dry-run text, escaped names" "setuid            chmod        $EVIL  mode 4755 -> 0755" \
  $DISTILL harden --dry-run "$EI"
escaped_case "harden text, escaped names" "$EVIL  mode 4755 -> 0755" $DISTILL harden "$EI" "oci:$OUT/esc-hard:latest"
escaped_case "layers text: the wasted path, escaped" "  $EVIL" $DISTILL layers "$EI"
escaped_case "layers text: created_by, escaped" 'RUN \x1b[31mred\x0aforged line' $DISTILL layers "$EI"
check_fails "layers text: the forged history line is not a line of its own" grep -q '^forged line' "$T/eo"
# The same names in JSON: valid UTF-8 with the control characters as JSON escapes, schema 1.
check_eq "scan --json: the setuid name exactly" $'/usr/bin/e\e]0;pwned\a\nFAKE LINE\e[2J\x7f\u009b1m (setuid 4755 uid 0 gid 0)' \
  "$($DISTILL scan --json "$EI" | jq -r '.verdict.setuid_setgid[0]')"
check_eq "harden --json: schema 1 and the name" "1 /usr/bin/e" \
  "$($DISTILL harden --json --dry-run "$EI" | jq -r '"\(.schema) \(.changes[] | select(.rule == "setuid") | .path[0:10])"')"
check_eq "layers --json: schema 1" 1 "$($DISTILL layers --json "$EI" | jq .schema)"

# --- not root: the same safety, with what an unprivileged user can do ---------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  NR=$T/nonroot; mkdir -p "$NR/tmp"
  chmod 755 "$T"; chmod 777 "$NR" "$NR/tmp"
  python3 "$GEN" "$NR" "$SENT" nonroot && chmod -R a+rX "$NR/nonroot"
  as_nobody() { TMPDIR=$NR/tmp setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  as_nobody $DISTILL copy "oci:$NR/nonroot:latest" "rootfs:$NR/r" > /dev/null 2> "$T/err"; rc=$?
  check_eq "not root: copy to rootfs: succeeds ($(head -c 200 "$T/err"))" 0 "$rc"
  check_eq "not root: a file lands in a lower mode-0100 directory" z "$(cat "$NR/r/nox/f" 2>/dev/null)"
  check_eq "not root: ... whose mode is put back" 100 "$(stat -c %a "$NR/r/nox" 2>/dev/null)"
  check "not root: read-only ro/ took b, lost a" test -f "$NR/r/ro/b" -a ! -e "$NR/r/ro/a"
  check_eq "not root: ro/ is read-only again" 555 "$(stat -c %a "$NR/r/ro" 2>/dev/null)"
  check "not root: the device node is skipped" test ! -e "$NR/r/dev/null2"
  check_eq "not root: x/tmp/p is contained" p "$(cat "$NR/r/tmp/p" 2>/dev/null)"
  as_nobody $DISTILL ldd --image "oci:$NR/nonroot:latest" --all > /dev/null 2> "$T/err"; rc=$?
  check_eq "not root: ldd --image succeeds ($(head -c 200 "$T/err"))" 0 "$rc"
  check "not root: no temp files left" test -z "$(ls -A "$NR/tmp")"
  chmod -R u+rwX "$NR/r"
else
  skip "not-root checks: need root and setpriv to become nobody"
fi
