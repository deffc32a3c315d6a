#!/usr/bin/env bash
# distill copy vs skopeo copy with the engines, on the same real Debian nginx image, in one run
# (best of N each): a private dockerd (socket and data in a temp folder, no firewall changes)
# and a private podman store.
#   docker-daemon:X -> oci     (distill: GET /images/X/get streamed; skopeo: the same API), plain and gzip
#   oci -> docker-daemon:Y     (both POST /images/load; the engine's own load dominates)
#   containers-storage:X -> oci (distill goes through `podman image save`; skopeo reads the store itself)
# Prints wall-clock seconds and the ratio skopeo/distill (> 1 means distill is faster).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DISTILL=${DISTILL:-$top/build/distill}
runs=${BENCH_RUNS:-3}
img=$(bash "$top/tests/fixtures/debian-image.sh" debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $top/tests/fixtures/nginx-nonroot-hook.sh \"\$1\"")
T=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench.XXXXXX")
DPID=""
cleanup() {
  if [ -n "$DPID" ]; then
    kill "$DPID" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DPID" 2>/dev/null || true
  fi
  awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
SOCK=$T/docker.sock
dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$T/data" --exec-root "$T/exec" \
  -H "unix://$SOCK" --pidfile "$T/docker.pid" > "$T/dockerd.log" 2>&1 &
DPID=$!
for _ in $(seq 120); do curl -s --unix-socket "$SOCK" http://x/_ping 2>/dev/null | grep -q OK && break; sleep 0.25; done
export DOCKER_HOST=unix://$SOCK
CS="containers-storage:[overlay@$T/pod/root+$T/pod/run]"

best() { # best wall time of $runs runs of "$@" (each from a clean destination)
  local b=""
  for _ in $(seq "$runs"); do
    rm -rf "$T/out"
    docker -H "$DOCKER_HOST" rmi -f bench:out >/dev/null 2>&1 || true
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo 0; return; }; e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-999999}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
  done
  echo "$b"
}
row() {
  printf '%-34s %8.3fs %8.3fs %6.2fx\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '{print ($1>0)?$2/$1:0}')"
}

"$DISTILL" copy -q "oci:$img:latest" docker-daemon:bench:src >/dev/null
"$DISTILL" copy -q "oci:$img:latest" "${CS}bench:src" >/dev/null
printf '%-34s %9s %9s %7s\n' "case ($(du -sh "$img" | cut -f1) image)" distill skopeo ratio
# Both keep the engine's plain layer tars, then both gzip them (skopeo's default for oci:).
d=$(best "$DISTILL" copy -q docker-daemon:bench:src "oci:$T/out:x")
s=$(best skopeo copy -q --dest-oci-accept-uncompressed-layers --src-daemon-host "$DOCKER_HOST" docker-daemon:bench:src "oci:$T/out:x")
row "docker-daemon -> oci (plain)" "$d" "$s"
d=$(best "$DISTILL" copy -q --compress gzip docker-daemon:bench:src "oci:$T/out:x")
s=$(best skopeo copy -q --src-daemon-host "$DOCKER_HOST" docker-daemon:bench:src "oci:$T/out:x")
row "docker-daemon -> oci (gzip)" "$d" "$s"
d=$(best "$DISTILL" copy -q "oci:$img:latest" docker-daemon:bench:out)
s=$(best skopeo copy -q --dest-daemon-host "$DOCKER_HOST" "oci:$img:latest" docker-daemon:bench:out)
row "oci -> docker-daemon" "$d" "$s"
d=$(best "$DISTILL" copy -q "${CS}bench:src" "oci:$T/out:x")
s=$(best skopeo copy -q --dest-oci-accept-uncompressed-layers "${CS}localhost/bench:src" "oci:$T/out:x")
row "containers-storage -> oci (plain)" "$d" "$s"
