#!/usr/bin/env bash
# Push and pull of the same real Debian image to/from a local docker-registry (127.0.0.1, plain
# HTTP): distill's docker:// transport vs `skopeo copy`, best of N runs each, as ratios.
#   bench/bench_registry.sh [RUNS]
# Both sides: oci layout -> registry (push), registry -> oci layout (pull), as `copy` commands.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$top/build/cache/images}
T=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench.XXXXXX")
pid=""
trap 'if [ -n "$pid" ]; then kill $pid 2>/dev/null; wait $pid 2>/dev/null; fi; rm -rf "$T"' EXIT
L=$(bash "$top/tests/fixtures/debian-image.sh" base-apt)
D=${DISTILL:-$top/build/distill}
[ -x "$D" ] || { echo "bench: build distill first (make all)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A fresh registry (empty storage), so no run finds blobs already there or mountable.
fresh_registry() {
  [ -n "$pid" ] && { kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; }
  port=$(free_port); rm -rf "$T/data"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' "$T" "$port" > "$T/config.yml"
  docker-registry serve "$T/config.yml" > "$T/log" 2>&1 & pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.2; done
  R=127.0.0.1:$port
}
now() { date +%s.%N; }
best() { # best CMD... : sets BEST to the best wall time of $runs runs; a failing run aborts the bench
  local b=999999 t0 t1 d
  for i in $(seq "$runs"); do
    [ -n "${FRESH:-}" ] && fresh_registry
    local cmd=("${@//@R@/$R}")
    t0=$(now); "${cmd[@]}" >/dev/null 2>"$T/err" || { echo "bench: '${cmd[*]}' failed:" >&2; cat "$T/err" >&2; exit 1; }; t1=$(now)
    d=$(echo "$t1 - $t0" | bc -l); if (( $(echo "$d < $b" | bc -l) )); then b=$d; fi
  done
  BEST=$b
}
size=$(du -sb "$L/blobs" | cut -f1)
echo "image: base-apt ($((size / 1048576)) MiB of blobs), registry: docker-registry on 127.0.0.1, best of $runs"
R=unset
FRESH=1; best "$D" copy -q "oci:$L:latest" "docker://@R@/d/img:t" --dest-tls-verify=false; d_push=$BEST
best skopeo copy -q --dest-tls-verify=false "oci:$L:latest" "docker://@R@/s/img:t"; s_push=$BEST
FRESH=
fresh_registry
"$D" copy -q "oci:$L:latest" "docker://$R/d/img:t" --dest-tls-verify=false >/dev/null
best bash -c "rm -rf $T/dp; $D copy -q --src-tls-verify=false docker://$R/d/img:t oci:$T/dp:latest"; d_pull=$BEST
best bash -c "rm -rf $T/sp; skopeo copy -q --src-tls-verify=false docker://$R/d/img:t oci:$T/sp:latest"; s_pull=$BEST
printf 'push: distill %.3fs  skopeo %.3fs  ratio skopeo/distill %.2fx\n' "$d_push" "$s_push" "$(echo "$s_push / $d_push" | bc -l)"
printf 'pull: distill %.3fs  skopeo %.3fs  ratio skopeo/distill %.2fx\n' "$d_pull" "$s_pull" "$(echo "$s_pull / $d_pull" | bc -l)"
