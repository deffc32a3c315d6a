#!/usr/bin/env bash
# The layer store, side by side with `umoci unpack` on the same Debian image, in one run:
#   cold:  an image's tree made through an empty store (ldd --image of one file: unpack + a
#          trivial lookup) vs umoci unpack, and vs distill's private unpack (--no-store)
#   warm:  the same image again (the store has every layer: only the manifest check + mount)
#   scan:  distill scan of a stored image vs the same scan with --no-store
#   build: `distill build` unpack stage (report.json timings.unpack), cold store vs warm
#          (needs root and runc; skipped with BENCH_NO_BUILD=1)
# Prints seconds and ratios (above 1: the store is faster). Root only (overlayfs).
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
DISTILL=${DISTILL:-$TOP/build/distill}
NAME=${BENCH_IMAGE:-debian-nginx-light-8080}
if [ "$NAME" = debian-nginx-light-8080 ]; then
  img=$(bash tests/fixtures/debian-image.sh debian-nginx-light-8080 --include nginx-light \
    --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
    --hook "sh $TOP/tests/fixtures/nginx-nonroot-hook.sh \"\$1\"")
else
  img=$(bash tests/fixtures/debian-image.sh "$NAME")
fi
W=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench-store.XXXXXX")
trap 'rm -rf "$W"' EXIT
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
secs() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; since "$s"; }
best() { local b=""; for i in 1 2 3; do "$@" > "$W/t"; t=$(cat "$W/t"); if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi; done; echo "$b"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
I="oci:$img:latest"
one=/usr/bin/env   # ldd --image of one file: the time is the tree's

cold_store()  { rm -rf "$W/s"; secs "$DISTILL" ldd -q --store "$W/s" --image "$I" "$one"; }
cold_plain()  { secs "$DISTILL" ldd -q --no-store --image "$I" "$one"; }
cold_umoci()  { rm -rf "$W/u"; secs umoci unpack --image "$img:latest" "$W/u"; }
warm_store()  { secs "$DISTILL" ldd -q --store "$W/s" --image "$I" "$one"; }
scan_store()  { secs "$DISTILL" scan -q --store "$W/s" "$I"; }
scan_plain()  { secs "$DISTILL" scan -q --no-store "$I"; }
tc_s=$(best cold_store); tc_p=$(best cold_plain); tc_u=$(best cold_umoci)
tw_s=$(best warm_store)
ts_s=$(best scan_store); ts_p=$(best scan_plain)

size=$(du -sh "$W/u/rootfs" | cut -f1)
printf 'image %s (%s unpacked), best of 3\n' "$NAME" "$size"
printf '%-34s %10s %10s %8s\n' "" distill umoci "ratio"
printf '%-34s %10.2f %10.2f %8s\n' "cold: tree via an empty store (s)" "$tc_s" "$tc_u" "$(ratio "$tc_u" "$tc_s")x"
printf '%-34s %10.2f %10.2f %8s\n' "cold: private unpack, --no-store" "$tc_p" "$tc_u" "$(ratio "$tc_u" "$tc_p")x"
printf '%-34s %10.2f %10.2f %8s\n' "warm: same image again (s)" "$tw_s" "$tc_u" "$(ratio "$tc_u" "$tw_s")x"
printf '%-34s %10s %10s %8s\n' "" store no-store "ratio"
printf '%-34s %10.2f %10.2f %8s\n' "scan of a stored image (s)" "$ts_s" "$ts_p" "$(ratio "$ts_p" "$ts_s")x"

if [ "${BENCH_NO_BUILD:-}" != 1 ] && [ "$NAME" = debian-nginx-light-8080 ] && command -v runc > /dev/null; then
  b() { rm -rf "$W/o" "$W/r"; "$DISTILL" build -q "$@" "$I" "oci:$W/o:v1" --keep-level file \
          --test 'curl -fsS http://{LOCALHOST}:8080/ -o /dev/null' --out-dir "$W/r" > /dev/null 2>&1 &&
        jq -r '.timings.unpack' "$W/r/report.json"; }
  rm -rf "$W/bs"
  bu_c=$(b --store "$W/bs"); bu_w=$(b --store "$W/bs"); bu_p=$(b --no-store)
  printf '%-34s %10s %10s %8s\n' "build unpack stage (s)" store no-store "ratio"
  printf '%-34s %10.2f %10.2f %8s\n' "  cold store" "$bu_c" "$bu_p" "$(ratio "$bu_p" "$bu_c")x"
  printf '%-34s %10.2f %10.2f %8s\n' "  warm store (same image again)" "$bu_w" "$bu_p" "$(ratio "$bu_p" "$bu_w")x"
fi
