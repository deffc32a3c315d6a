#!/usr/bin/env bash
# distill copy vs skopeo copy on the same real Debian image (best of N runs each):
#   oci -> oci-archive, oci -> docker-archive (gunzip), docker-archive -> oci, oci -> oci --compress zstd.
# Prints wall-clock seconds and the ratio skopeo/distill (> 1 means distill is faster).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DISTILL=${DISTILL:-$top/build/distill}
runs=${BENCH_RUNS:-3}
img=$(bash "$top/tests/fixtures/debian-image.sh" base-apt)
T=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

best() { # best wall time of $runs runs of "$@" (each run starts from a clean destination)
  local b=""
  for _ in $(seq "$runs"); do
    rm -rf "$T/out" "$T/out.tar"
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo 0; return; }; e=$(date +%s.%N)
    b=$(echo "$s $e ${b:-999999}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
  done
  echo "$b"
}

skopeo copy -q "oci:$img:latest" "docker-archive:$T/src.tar:localhost/bench:1"
printf '%-34s %9s %9s %7s\n' "case ($(du -sh "$img" | cut -f1) image)" distill skopeo ratio
row() {
  local name=$1 d=$2 s=$3
  printf '%-34s %8.3fs %8.3fs %6.2fx\n' "$name" "$d" "$s" "$(echo "$d $s" | awk '{print ($1>0)?$2/$1:0}')"
}
d=$(best "$DISTILL" copy -q "oci:$img:latest" "oci-archive:$T/out.tar:x")
s=$(best skopeo copy -q "oci:$img:latest" "oci-archive:$T/out.tar:x")
row "oci -> oci-archive" "$d" "$s"
d=$(best "$DISTILL" copy -q "oci:$img:latest" "docker-archive:$T/out.tar:localhost/x:1")
s=$(best skopeo copy -q "oci:$img:latest" "docker-archive:$T/out.tar:localhost/x:1")
row "oci -> docker-archive" "$d" "$s"
d=$(best "$DISTILL" copy -q "docker-archive:$T/src.tar" "oci:$T/out:x")
s=$(best skopeo copy -q "docker-archive:$T/src.tar" "oci:$T/out:x")
row "docker-archive -> oci" "$d" "$s"
d=$(best "$DISTILL" copy -q --compress zstd "oci:$img:latest" "oci:$T/out:x")
s=$(best skopeo copy -q --dest-compress-format zstd --dest-compress "oci:$img:latest" "oci:$T/out:x")
row "oci -> oci (recompress zstd)" "$d" "$s"
d=$(best "$DISTILL" copy -q --compress gzip "docker-archive:$T/src.tar" "oci:$T/out:x")
s=$(best skopeo copy -q --dest-compress-format gzip --dest-compress "docker-archive:$T/src.tar" "oci:$T/out:x")
row "docker-archive -> oci (gzip)" "$d" "$s"
