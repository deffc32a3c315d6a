#!/usr/bin/env bash
# The built-in demo (`make demo`): a Debian nginx image built from packages, distilled with a
# curl test, before/after sizes, and the result run under podman to show it still serves.
set -euo pipefail
cd "$(dirname "$0")/.."
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$PWD/build/cache/images}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. A Debian bookworm image with nginx-light, from packages (cached after the first run)"
img=$(bash tests/fixtures/debian-image.sh debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $PWD/tests/fixtures/nginx-nonroot-hook.sh \"\$1\"")
echo "source: oci:$img:latest"

out=build/demo
rm -rf "$out"; mkdir -p "$out"
say "2. distill build: trace nginx while curl tests it, keep what it used, verify, write"
echo "\$ distill build oci:$img:latest oci:$out/nginx-distilled:latest --test 'curl -fsS http://{LOCALHOST}:8080/ -o /dev/null' --out-dir $out/report"
./build/distill build "oci:$img:latest" "oci:$out/nginx-distilled:latest" \
  --test 'curl -fsS http://{LOCALHOST}:8080/ -o /dev/null' --out-dir "$out/report"

say "3. Before and after"
jq -r '"files:  \(.before.files) -> \(.after.files)",
       "bytes:  \(.before.size) -> \(.after.size)  (\(.before.size / .after.size * 10 | floor / 10)x smaller)",
       "used by nginx during the tests: \(.used_size) bytes",
       "user:   \(.user) (\(.user_reason))",
       "shells and tools left out: \(.tools_dropped | length) (e.g. \(.tools_dropped[:5] | join(", ")))"' "$out/report/report.json"
echo "report: $out/report/report.json, seccomp profile: $out/report/seccomp.json, Dockerfile: $out/report/Dockerfile"

say "4. The result, run by podman (no distill involved), still serves"
if command -v podman >/dev/null && command -v skopeo >/dev/null; then
  name=distill-demo-nginx
  podman rm -f "$name" >/dev/null 2>&1 || true
  skopeo copy -q "oci:$out/nginx-distilled:latest" "containers-storage:localhost/$name:latest"
  podman run -d --rm --name "$name" --network host "localhost/$name:latest" >/dev/null
  trap 'podman stop -t 2 "$name" >/dev/null 2>&1 || true' EXIT
  for _ in $(seq 50); do curl -fsS http://127.0.0.1:8080/ -o /dev/null 2>/dev/null && break; sleep 0.2; done
  echo "\$ curl http://127.0.0.1:8080/"
  curl -fsS http://127.0.0.1:8080/ | grep -o '<title>.*</title>'
  echo "\$ podman exec $name /bin/sh -c id"
  podman exec "$name" /bin/sh -c id 2>&1 | tail -1 || true
  echo "(no shell inside: that is the point)"
else
  echo "podman/skopeo not installed: the result is at oci:$out/nginx-distilled:latest"
fi
