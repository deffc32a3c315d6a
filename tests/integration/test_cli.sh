#!/usr/bin/env bash
# The command line itself: help, version, usage errors, exit codes.
. "$(dirname "$0")/lib.sh"
check "help exits 0" "$DISTILL" --help
check "version" bash -c "'$DISTILL' --version | grep -q '^distill [0-9]'"
"$DISTILL" no-such-command 2>"$T/err"; check_eq "unknown command exits 2" 2 $?
check "unknown command names it" grep -q "no-such-command" "$T/err"
"$DISTILL" 2>/dev/null; check_eq "no command exits 2" 2 $?
for c in build trace ldd scan harden copy inspect list-tags layers squash store; do
  out=$("$DISTILL" $c --help 2>&1); rc=$?
  if [ $rc -eq 0 ] && grep -q "Usage: distill $c" <<<"$out"; then ok "$c --help"; else fail "$c --help: rc=$rc"; fi
done
# Every command has a man page.
for c in build trace ldd scan harden copy inspect list-tags layers squash store; do
  check "man page distill-$c.1" test -s "$TOP/docs/man/distill-$c.1"
done

# `distill help CMD` is that command's help, for every command.
for c in build trace ldd scan harden copy inspect list-tags layers squash store; do
  out=$("$DISTILL" help $c 2>&1); rc=$?
  if [ $rc -eq 0 ] && grep -q "^Usage: distill $c" <<<"$out"; then ok "help $c"; else fail "help $c: rc=$rc: $(head -1 <<<"$out")"; fi
done
"$DISTILL" help no-such 2>/dev/null; check_eq "help of an unknown command exits 2" 2 $?

# One option grammar: --flag VALUE and --flag=VALUE alike, the same usage errors everywhere.
for c in copy squash harden build; do
  "$DISTILL" $c --compress 2>"$T/e"; rc=$?
  check_eq "$c --compress without a value exits 2" 2 $rc
  check "$c: '--compress needs a value'" grep -q "^distill $c: --compress needs a value" "$T/e"
  "$DISTILL" $c --compress=lzma a b 2>"$T/e"
  check "$c: --compress=lzma is refused" grep -q "^distill $c: --compress: expected gzip, zstd or none, got 'lzma'" "$T/e"
done
for c in copy squash inspect layers scan ldd harden build; do
  "$DISTILL" $c --no-such-flag x y 2>"$T/e"; rc=$?
  check_eq "$c: an unknown flag exits 2" 2 $rc
  check "$c: an unknown flag is named" grep -q "^distill $c: unknown option '--no-such-flag'" "$T/e"
done

# --dest-* only where there is a destination; --src-* wherever an image is read.
for c in inspect layers scan ldd; do
  "$DISTILL" $c --dest-creds a:b x 2>"$T/e"; rc=$?
  check_eq "$c refuses --dest-creds" 2 $rc
  check "$c: says --dest-creds is for writers" grep -q -- "--dest-creds is for commands that write an image" "$T/e"
  "$DISTILL" $c --dest-tls-verify=false x 2>/dev/null; check_eq "$c refuses --dest-tls-verify" 2 $?
done
for c in copy squash harden build; do
  "$DISTILL" $c --dest-creds a:b --dest-tls-verify=false --help >/dev/null 2>&1
  check_eq "$c accepts the --dest-* flags" 0 $?
done
# inspect reads: it takes --src-*, --tls-verify and --authfile (they reach the transport: a
# bad authfile is read and named).
mkdir -p "$T/lay/blobs/sha256"; echo '{"imageLayoutVersion":"1.0.0"}' > "$T/lay/oci-layout"; echo '{"schemaVersion":2,"manifests":[]}' > "$T/lay/index.json"
for f in --src-tls-verify=false --tls-verify=false "--src-creds a:b" "--authfile /dev/null" "--platform linux/amd64"; do
  "$DISTILL" inspect $f "oci:$T/lay" 2>"$T/e"; rc=$?
  check_fails "inspect accepts $f" grep -q "unknown option\|is for commands" "$T/e"
done
"$DISTILL" trace --dest-creds a:b -- true 2>"$T/e"; check_eq "trace refuses --dest-creds" 2 $?
"$DISTILL" trace --src-creds a:b -- true 2>"$T/e"; check_eq "trace refuses --src-creds (it reads no image)" 2 $?

# Numbers are checked once, as the flag is read.
"$DISTILL" build --ready-timeout=0 a b 2>"$T/e"; check_eq "build --ready-timeout=0 exits 2" 2 $?
check "build --ready-timeout=0: says why" grep -q -- "--ready-timeout: not a number of seconds: '0'" "$T/e"
"$DISTILL" build --test-timeout -3 a b 2>"$T/e"; check_eq "build --test-timeout -3 exits 2" 2 $?
"$DISTILL" layers --top=many oci:x 2>"$T/e"; check "layers --top=many: says why" grep -q -- "--top: expected a count, got 'many'" "$T/e"
# Booleans take =true/=false and nothing else.
"$DISTILL" build --keep-shell=maybe a b 2>"$T/e"; check "build --keep-shell=maybe is refused" grep -q -- "--keep-shell: expected true or false, got 'maybe'" "$T/e"
# A bad key in distill.yaml is reported like a bad flag.
mkdir -p "$T/proj"; printf 'no-such-key: 1\n' > "$T/proj/distill.yaml"
(cd "$T/proj" && "$DISTILL" build a b 2>"$T/e"); check_eq "distill.yaml with an unknown key exits 2" 2 $?
check "distill.yaml: the key is named" grep -q "unknown option '--no-such-key'" "$T/e"
printf 'test-timeout: later\n' > "$T/proj/distill.yaml"
(cd "$T/proj" && "$DISTILL" build a b 2>"$T/e"); check "distill.yaml: test-timeout is checked" grep -q -- "--test-timeout: not a number" "$T/e"

# --tmpdir is honoured by ldd and build: an unusable one is an error naming it, not ignored.
mkdir -p "$T/tree/bin"; cp "$TOP/build/distill-sensor" "$T/tree/bin/true"   # static: needs no library
"$DISTILL" ldd --tmpdir "$T/nonexist" --image "rootfs:$T/tree" /bin/true 2>"$T/e"; rc=$?
check_eq "ldd --tmpdir missing: error" 3 $rc
check "ldd --tmpdir missing: named" grep -q -- "--tmpdir $T/nonexist" "$T/e"
mkdir -p "$T/ldd-tmp"
"$DISTILL" ldd --tmpdir "$T/ldd-tmp" --image "rootfs:$T/tree" /bin/true >/dev/null 2>"$T/e"
check_eq "ldd --tmpdir DIR: works" 0 $?
check_eq "ldd --tmpdir DIR: cleaned up" "" "$(ls -A "$T/ldd-tmp")"
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
  mkdir -p "$T/bo"
  "$DISTILL" build --tmpdir "$T/nonexist" "rootfs:$T/tree" "oci:$T/bo/x:v1" -q -- /bin/true 2>"$T/e"; rc=$?
  check_eq "build --tmpdir missing: error" 3 $rc
  check "build --tmpdir missing: named" grep -q -- "--tmpdir $T/nonexist" "$T/e"
fi

# What a command prints must reach stdout: a full disk is an error (exit 3, one line), not exit 0.
"$DISTILL" --version > /dev/full 2>"$T/full"; check_eq "--version into /dev/full exits 3" 3 $?
check_eq "... with one line naming standard output" "distill: writing standard output: No space left on device" "$(cat "$T/full")"
"$DISTILL" inspect --help > /dev/full 2>/dev/null; check_eq "inspect --help into /dev/full exits 3" 3 $?
