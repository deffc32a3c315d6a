#!/usr/bin/env bash
# distill build on the Debian nginx image, wall time per stage (from report.json), against
# `umoci unpack` + `umoci repack` of the same image: the floor of pure image I/O, no tracing,
# no tests. Prints the ratio. Needs root, runc, umoci, the sensor built (make all).
set -euo pipefail
cd "$(dirname "$0")/.."
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$PWD/build/cache/images}
img=$(bash tests/fixtures/debian-image.sh debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $PWD/tests/fixtures/nginx-nonroot-hook.sh \"\$1\"")
w=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench-build.XXXXXX"); trap 'rm -rf "$w"' EXIT
now() { date +%s.%N; }

t0=$(now)
./build/distill build "oci:$img:latest" "oci:$w/out:latest" -q \
  --test 'curl -fsS http://{LOCALHOST}:8080/ -o /dev/null' --out-dir "$w/rep" >/dev/null 2>"$w/err" \
  || { cat "$w/err"; exit 1; }
t1=$(now)
cp -a "$img" "$w/layout"
t2=$(now)
umoci unpack --image "$w/layout:latest" "$w/bundle" >/dev/null 2>&1
umoci repack --image "$w/layout:repacked" "$w/bundle" >/dev/null 2>&1
t3=$(now)

echo "distill build, per stage (seconds):"
jq -r '.timings | to_entries[] | "  \(.key)\t\(.value * 1000 | floor / 1000)"' "$w/rep/report.json"
awk -v d="$(echo "$t1 - $t0" | bc)" -v u="$(echo "$t3 - $t2" | bc)" 'BEGIN {
  printf "distill build (wall, incl. 2 container runs + tests): %.2f s\n", d
  printf "umoci unpack + repack (image I/O only):               %.2f s\n", u
  printf "ratio distill/umoci: %.2f\n", d / u }'
jq -r '"size: \(.before.size) -> \(.after.size) bytes, used by nginx \(.used_size)"' "$w/rep/report.json"
