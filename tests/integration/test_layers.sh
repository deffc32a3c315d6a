#!/usr/bin/env bash
# distill layers / squash on a real three-layer image built here: the Debian base
# layer, a layer adding a 5 MB file, a layer deleting it (a whiteout). The 5 MB must
# show as wasted, the CI limits must fail, and the squashed image must be smaller
# and unpack (with umoci, the peer tool) to the same tree as the source.
source "$(dirname "$0")/lib.sh"
# distill's own scratch space goes under this test's folder, so the leftover check below sees
# only this test's runs, not those of other distill processes on the machine.
mkdir -p "$T/tmp"; export TMPDIR="$T/tmp"
base=$(debian_image base-apt) || { fail "fixture base-apt could not be built"; exit 0; }

# --- assemble the three-layer OCI layout -------------------------------------------
L=$T/three
mkdir -p "$L/blobs/sha256" "$T/l2/opt" "$T/l3/opt"
bman=$base/blobs/sha256/$(jq -r '.manifests[0].digest' "$base/index.json" | cut -d: -f2)
bcfg=$base/blobs/sha256/$(jq -r .config.digest "$bman" | cut -d: -f2)
blayer=$(jq -r '.layers[0].digest' "$bman" | cut -d: -f2)
cp "$base/blobs/sha256/$blayer" "$L/blobs/sha256/"
head -c 5000000 /dev/urandom > "$T/l2/opt/big.bin"
echo keep > "$T/l2/opt/small.txt"
: > "$T/l3/opt/.wh.big.bin"
layer() { # DIR -> prints "digest diffid size" and stores the gzip blob
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$1" -cf "$T/layer.tar" .
  local diff=$(sha256sum "$T/layer.tar" | cut -d' ' -f1)
  gzip -n -1 < "$T/layer.tar" > "$T/layer.gz"
  local dig=$(sha256sum "$T/layer.gz" | cut -d' ' -f1)
  echo "$dig $diff $(stat -c %s "$T/layer.gz")"
  mv "$T/layer.gz" "$L/blobs/sha256/$dig"
}
read d2 f2 s2 < <(layer "$T/l2")
read d3 f3 s3 < <(layer "$T/l3")
jq -c --arg f2 "sha256:$f2" --arg f3 "sha256:$f3" '.rootfs.diff_ids += [$f2, $f3]
  | .history += [{created_by: "ADD big.bin /opt/"}, {created_by: "ENV X=1", empty_layer: true}, {created_by: "RUN rm /opt/big.bin"}]' \
  "$bcfg" > "$T/config.json"
cdig=$(sha256sum "$T/config.json" | cut -d' ' -f1)
cp "$T/config.json" "$L/blobs/sha256/$cdig"
jq -c --arg c "sha256:$cdig" --argjson cs "$(stat -c %s "$T/config.json")" \
  --arg d2 "sha256:$d2" --argjson s2 "$s2" --arg d3 "sha256:$d3" --argjson s3 "$s3" '
  .config.digest = $c | .config.size = $cs
  | .layers += [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d2, size: $s2},
                {mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d3, size: $s3}]' "$bman" > "$T/manifest.json"
mdig=$(sha256sum "$T/manifest.json" | cut -d' ' -f1)
cp "$T/manifest.json" "$L/blobs/sha256/$mdig"
echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
jq -nc --arg m "sha256:$mdig" --argjson ms "$(stat -c %s "$T/manifest.json")" '{schemaVersion: 2,
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
               annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' > "$L/index.json"
IMG=oci:$L:latest

# --- distill layers ------------------------------------------------------------------
check "layers (text)" $DISTILL layers "$IMG"
$DISTILL layers --json "$IMG" > "$T/layers.json"
check_eq "three layers" 3 "$(jq '.layers | length' "$T/layers.json")"
wasted=$(jq .wasted_size "$T/layers.json")
check "the 5 MB file is wasted ($wasted bytes)" test "$wasted" -ge 5000000 -a "$wasted" -lt 5100000
check_eq "biggest wasted path" "/opt/big.bin" "$(jq -r '.wasted_paths[0].path' "$T/layers.json")"
check_eq "its bytes" 5000000 "$(jq -r '.wasted_paths[0].wasted_size' "$T/layers.json")"
check_eq "layer 2 adds two files" 2 "$(jq '.layers[1].added' "$T/layers.json")"
check_eq "layer 3 deletes one" 1 "$(jq '.layers[2].deleted' "$T/layers.json")"
check_eq "layer 2 created_by (empty_layer history skipped)" "ADD big.bin /opt/" "$(jq -r '.layers[1].created_by' "$T/layers.json")"
check_eq "layer 3 created_by" "RUN rm /opt/big.bin" "$(jq -r '.layers[2].created_by' "$T/layers.json")"
check_eq "compressed sizes from the manifest" "$(jq -c '[.layers[].size]' "$T/manifest.json")" \
  "$(jq -c '[.layers[].compressed_size]' "$T/layers.json")"
check_eq "uncompressed size of layer 1 = its tar" \
  "$(gzip -dc "$base/blobs/sha256/$blayer" | wc -c)" "$(jq '.layers[0].uncompressed_size' "$T/layers.json")"
eff=$(jq .efficiency_ratio "$T/layers.json")
check "efficiency below 1 ($eff)" awk -v e="$eff" 'BEGIN { exit !(e > 0.9 && e < 1) }'
check "user wasted ratio above 0.9" awk -v e="$(jq .user_wasted_ratio "$T/layers.json")" 'BEGIN { exit !(e > 0.9) }'
check "text output names the wasted path" bash -c "$DISTILL layers '$IMG' | grep -q '/opt/big.bin'"

$DISTILL layers --ci --highest-wasted-bytes 1000 "$IMG" > "$T/ci.out" 2> "$T/ci.err"; rc=$?
check_eq "--ci --highest-wasted-bytes 1000 exits 1" 1 "$rc"
check "the reason is printed" grep -q "highest-wasted-bytes" "$T/ci.err"
$DISTILL layers --ci "$IMG" > /dev/null 2> "$T/ci2.err"; rc=$?
check_eq "--ci with dive's defaults exits 1 (user wasted > 0.1)" 1 "$rc"
check "that reason names the user wasted limit" grep -q "highest-user-wasted-percent" "$T/ci2.err"
check "--ci passes with loose limits" $DISTILL layers --ci --lowest-efficiency 0.5 --highest-user-wasted-percent disabled \
  --highest-wasted-bytes 10MB "$IMG"
check_eq "--ci --json says why" false "$($DISTILL layers --json --highest-wasted-bytes 1KB "$IMG" | jq .ci.pass)"
$DISTILL layers --highest-wasted-bytes lots "$IMG" >/dev/null 2>&1; rc=$?
check_eq "a bad limit is a usage error" 2 "$rc"
$DISTILL layers "oci:$T/nope:latest" >/dev/null 2>&1; rc=$?
check_eq "a missing image is an error" 3 "$rc"

# --- distill squash ---------------------------------------------------------------------
check "squash" $DISTILL squash "$IMG" "oci:$T/sq:latest"
check "squash again (zstd)" $DISTILL squash --compress zstd "$IMG" "oci:$T/sqz:latest"
src_size=$(jq '[.layers[].size] | add' "$T/manifest.json")
sq_size=$($DISTILL inspect "oci:$T/sq:latest" | jq '[.layers[].size] | add')
check "squashed is smaller ($sq_size < $src_size)" test "$sq_size" -lt "$src_size"
check_eq "one layer" 1 "$($DISTILL inspect "oci:$T/sq:latest" | jq '.layers | length')"
$DISTILL inspect --config "oci:$T/sq:latest" > "$T/sqcfg.json"
check_eq "one diff_id" 1 "$(jq '.rootfs.diff_ids | length' "$T/sqcfg.json")"
check_eq "history carried over + squash entry" 5 "$(jq '.history | length' "$T/sqcfg.json")"
check_eq "one non-empty history entry" 1 "$(jq '[.history[] | select(.empty_layer != true)] | length' "$T/sqcfg.json")"
check_eq "config carried over (Env, Labels; keys sorted)" "$(jq -cS '.config' "$T/config.json")" "$(jq -cS '.config' "$T/sqcfg.json")"
check_eq "squashed layers: nothing wasted" 0 "$($DISTILL layers --json oci:$T/sq:latest | jq .wasted_size)"
d1=$($DISTILL inspect "oci:$T/sq:latest" | jq -r .digest)
$DISTILL squash "$IMG" "oci:$T/sq2:latest" > /dev/null
check_eq "squash is deterministic (same manifest digest)" "$d1" "$($DISTILL inspect "oci:$T/sq2:latest" | jq -r .digest)"
check "skopeo reads the squashed image" skopeo inspect "oci:$T/sq:latest"
check_fails "squash of a missing image fails" $DISTILL squash "oci:$T/nope:latest" "oci:$T/never:latest"
check "a failed squash leaves no destination" test ! -e "$T/never/index.json"
left=$(ls -d "${TMPDIR:-/var/tmp}"/distill-squash-* 2>/dev/null | wc -l)
check_eq "no temp trees left behind" 0 "$left"

# podman runs the squashed image (written as a docker-archive): setuid bits survive
pod=(podman --cgroup-manager=cgroupfs)
if $DISTILL squash "$IMG" "docker-archive:$T/sq.tar:localhost/distill-squash-test:1" > /dev/null 2> "$T/sqd.err" &&
   "${pod[@]}" load -q -i "$T/sq.tar" > /dev/null 2>&1; then
  out=$("${pod[@]}" run --rm --network=host localhost/distill-squash-test:1 sh -c 'cat /opt/small.txt; stat -c %a /usr/bin/passwd; test -e /opt/big.bin || echo gone' 2>&1)
  check_eq "podman runs the squashed image" "$(printf 'keep\n4755\ngone')" "$out"
  "${pod[@]}" rmi -f localhost/distill-squash-test:1 > /dev/null 2>&1
else
  fail "squash to docker-archive + podman load: $(tail -1 "$T/sqd.err")"
fi

# --- the squashed tree is the source's end state (umoci unpacks both) ----------------------
tree() { # ROOTFS -> one line per path: type, mode, owner, size for files, link target
  (cd "$1" && find . -path ./dev -prune -o -printf '%p %y %m %U:%G %l\n' | sort
   find . -type f -printf '%p %s\n' | sort)
}
if umoci unpack --image "$L:latest" "$T/u-src" > /dev/null 2>&1 && umoci unpack --image "$T/sq:latest" "$T/u-sq" > /dev/null 2>&1; then
  ok "umoci unpacks the source and the squashed image"
  tree "$T/u-src/rootfs" > "$T/src.tree"; tree "$T/u-sq/rootfs" > "$T/sq.tree"
  check "same files, types, modes, owners, sizes, link targets" diff -q "$T/src.tree" "$T/sq.tree"
  check "the deleted file is gone" test ! -e "$T/u-sq/rootfs/opt/big.bin"
  check_eq "the kept file is there" keep "$(cat "$T/u-sq/rootfs/opt/small.txt")"
  check "content equal (dpkg status)" cmp -s "$T/u-src/rootfs/var/lib/dpkg/status" "$T/u-sq/rootfs/var/lib/dpkg/status"
  hl_src=$(cd "$T/u-src/rootfs" && find . -type f -links +1 | wc -l); hl_sq=$(cd "$T/u-sq/rootfs" && find . -type f -links +1 | wc -l)
  check_eq "hard links kept" "$hl_src" "$hl_sq"
  # distill's own unpack (ds_layer_apply through a small driver) gives the same tree as umoci's
  if cc -std=c17 -D_GNU_SOURCE -I"$TOP/src" -o "$T/fs_driver" "$TOP/bench/fs_driver.c" "$TOP/build/libdistill.a" \
       $(pkg-config --libs libarchive libzstd libdeflate openssl zlib jansson libcurl) 2> "$T/cc.err"; then
    mkdir -p "$T/ours"
    blobs=$(jq -r '.layers[].digest | sub("sha256:"; "")' "$T/manifest.json" | sed "s|^|$L/blobs/sha256/|")
    check "distill unpacks the three layers" "$T/fs_driver" unpack "$T/ours" $blobs
    tree "$T/ours" > "$T/ours.tree"
    check "distill unpack = umoci unpack (types, modes, owners, sizes, links)" diff -q "$T/src.tree" "$T/ours.tree"
    check "distill unpack: same content" diff -rq --no-dereference "$T/u-src/rootfs/etc" "$T/ours/etc"
  else
    fail "build the fs driver: $(tail -3 "$T/cc.err")"
  fi
  if $DISTILL copy -q "$IMG" "rootfs:$T/viacopy" > /dev/null 2> "$T/copy.err"; then
    tree "$T/viacopy" > "$T/copy.tree"
    check "distill copy to rootfs: = umoci unpack" diff -q "$T/src.tree" "$T/copy.tree"
  else
    fail "distill copy to rootfs: $(tail -1 "$T/copy.err")"
  fi
else
  fail "umoci unpack"
fi
