#!/usr/bin/env bash
# Unpack, layer writing and squash: distill vs umoci on the same Debian image, in one run.
#   unpack: distill's layer applier (bench/fs_driver, and `distill copy IMAGE rootfs:DIR`)
#           vs `umoci unpack`
#   write:  one gzip layer from the unpacked tree: distill's layer writer vs `umoci repack`
#           (of an empty image whose bundle holds the same tree, so it writes it all)
#   squash: `distill squash` vs `umoci unpack` + `umoci repack` of the same kind
# Prints seconds and ratios (umoci / distill: above 1 means distill is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
DISTILL=${DISTILL:-$TOP/build/distill}
img=$(bash tests/fixtures/debian-image.sh ${BENCH_IMAGE:-base-apt})
W=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench-unpack.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -std=c17 -D_GNU_SOURCE -O2 -I"$TOP/src" -o "$W/fs_driver" bench/fs_driver.c build/libdistill.a \
   $(pkg-config --libs libarchive libzstd libdeflate openssl zlib jansson libcurl)

# awk, not bc: bc is not installed everywhere.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
secs() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; since "$s"; }
best() { local b=""; for i in 1 2 3; do "$@" > "$W/t"; t=$(cat "$W/t"); if [ -z "$b" ] || awk -v t="$t" -v b="$b" 'BEGIN { exit !(t < b) }'; then b=$t; fi; done; echo "$b"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

man=$img/blobs/sha256/$(jq -r '.manifests[0].digest' "$img/index.json" | cut -d: -f2)
blobs=$(jq -r '.layers[].digest | sub("sha256:"; "")' "$man" | sed "s|^|$img/blobs/sha256/|")
size=$(du -sh $blobs | tail -1 | cut -f1)

run_unpack_distill() { rm -rf "$W/d"; mkdir "$W/d"; secs "$W/fs_driver" unpack "$W/d" $blobs; }
run_unpack_umoci()   { rm -rf "$W/u"; secs umoci unpack --image "$img:latest" "$W/u"; }
run_unpack_copy()    { rm -rf "$W/c"; secs "$DISTILL" copy -q "oci:$img:latest" "rootfs:$W/c"; }
tu_d=$(best run_unpack_distill); tu_c=$(best run_unpack_copy); tu_u=$(best run_unpack_umoci)

# An empty image for umoci repack: its bundle gets the whole tree, so repack writes one full layer.
umoci init --layout "$W/empty" > /dev/null
umoci new --image "$W/empty:e" > /dev/null
run_write_distill() { rm -rf "$W/out"; mkdir "$W/out"; secs "$W/fs_driver" write "$W/d" "$W/out" gzip; }
run_write_umoci() {
  rm -rf "$W/eb"; umoci unpack --image "$W/empty:e" "$W/eb" > /dev/null 2>&1
  cp -a "$W/d/." "$W/eb/rootfs/"
  secs umoci repack --image "$W/empty:r" "$W/eb"
}
tw_d=$(best run_write_distill); tw_u=$(best run_write_umoci)

run_squash_distill() { rm -rf "$W/sq"; secs "$DISTILL" squash "oci:$img:latest" "oci:$W/sq:latest"; }
run_squash_umoci() {
  local s=$(date +%s.%N)
  rm -rf "$W/u2" "$W/eb2"
  umoci unpack --image "$img:latest" "$W/u2" > /dev/null 2>&1
  umoci unpack --image "$W/empty:e" "$W/eb2" > /dev/null 2>&1
  rm -rf "$W/eb2/rootfs"; mv "$W/u2/rootfs" "$W/eb2/rootfs"
  umoci repack --image "$W/empty:s" "$W/eb2" > /dev/null 2>&1
  since "$s"
}
ts_d=$(best run_squash_distill); ts_u=$(best run_squash_umoci)
sq_d=$(jq '[.layers[].size] | add' "$W/sq/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/sq/index.json" | cut -d: -f2)")
sq_u=$(stat -c %s "$W/empty/blobs/sha256/$(jq -r '.layers[-1].digest' "$W/empty/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="s") | .digest' "$W/empty/index.json" | cut -d: -f2)" | cut -d: -f2)")

printf 'image %s (%s of layers), best of 3\n' "$(basename "$img")" "$size"
printf '%-28s %10s %10s %8s\n' "" distill umoci "ratio"
printf '%-28s %10.2f %10.2f %8s\n' "unpack (s)" "$tu_d" "$tu_u" "$(ratio "$tu_u" "$tu_d")x"
printf '%-28s %10.2f %10.2f %8s\n' "copy to rootfs: (s)" "$tu_c" "$tu_u" "$(ratio "$tu_u" "$tu_c")x"
printf '%-28s %10.2f %10.2f %8s\n' "write one gzip layer (s)" "$tw_d" "$tw_u" "$(ratio "$tw_u" "$tw_d")x"
printf '%-28s %10.2f %10.2f %8s\n' "squash (s)" "$ts_d" "$ts_u" "$(ratio "$ts_u" "$ts_d")x"
printf '%-28s %10s %10s %8s\n' "squashed layer (bytes)" "$sq_d" "$sq_u" "$(ratio "$sq_u" "$sq_d")x"
