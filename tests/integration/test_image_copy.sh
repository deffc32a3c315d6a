#!/usr/bin/env bash
# distill copy / inspect on a real Debian image: every local transport, checked
# against skopeo and podman (the peers users already trust).
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-}
base=$(debian_image base-apt) || { fail "fixture base-apt could not be built"; exit 0; }

# --- inspect agrees with the layout and with skopeo ---------------------------
mdig=$(jq -r '.manifests[0].digest' "$base/index.json")
check_eq "inspect digest = index.json" "$mdig" "$($DISTILL inspect oci:$base:latest | jq -r .digest)"
check_eq "inspect digest = skopeo" "$(skopeo inspect oci:$base:latest | jq -r .Digest)" \
  "$($DISTILL inspect oci:$base | jq -r .digest)"
check_eq "inspect layers = skopeo" "$(skopeo inspect oci:$base:latest | jq -c .Layers)" \
  "$($DISTILL inspect oci:$base | jq -c '[.layers[].digest]')"
check_eq "inspect platform" "linux/$(dpkg --print-architecture)" "$($DISTILL inspect oci:$base | jq -r .platform)"
check_eq "inspect config title label" "base-apt" \
  "$($DISTILL inspect oci:$base | jq -r '.config.labels["org.opencontainers.image.title"]')"
check "inspect --raw is the stored manifest" cmp -s <($DISTILL inspect --raw oci:$base) "$base/blobs/sha256/${mdig#sha256:}"
cdig=$(jq -r .config.digest "$base/blobs/sha256/${mdig#sha256:}")
check "inspect --config is the stored config" cmp -s <($DISTILL inspect --config oci:$base) "$base/blobs/sha256/${cdig#sha256:}"

# --- oci -> docker-archive -> oci keeps the image ------------------------------
check "copy oci -> docker-archive" $DISTILL copy -q oci:$base:latest docker-archive:$T/d.tar:localhost/distill-image-test:1
check "copy docker-archive -> oci" $DISTILL copy -q docker-archive:$T/d.tar oci:$T/back:latest
check "config equal after oci -> docker-archive -> oci" \
  cmp -s <($DISTILL inspect --config oci:$base) <($DISTILL inspect --config oci:$T/back)
check_eq "docker-archive layers are plain tars (digest = diff_id)" \
  "$($DISTILL inspect oci:$base | jq -c '[.layers[].diff_id]')" "$($DISTILL inspect oci:$T/back | jq -c '[.layers[].digest]')"
check_eq "skopeo reads the docker-archive's layers the same" \
  "$(skopeo inspect docker-archive:$T/d.tar | jq -c .Layers)" "$($DISTILL inspect docker-archive:$T/d.tar | jq -c '[.layers[].digest]')"
check_eq "skopeo reads the docker-archive's config the same" \
  "$(skopeo inspect --config docker-archive:$T/d.tar | jq -cS 'del(..|nulls)')" \
  "$($DISTILL inspect --config docker-archive:$T/d.tar | jq -cS 'del(..|nulls)')"
check "docker-archive -> oci again is byte-identical" $DISTILL copy -q docker-archive:$T/d.tar oci:$T/back2
check "same manifest both times" cmp -s <($DISTILL inspect --raw oci:$T/back) <($DISTILL inspect --raw oci:$T/back2)

# --- unpacked trees: oci and the docker-archive round trip are the same, file by file ---
tree() { (cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | LC_ALL=C sort); }
check "unpack oci -> rootfs" $DISTILL copy -q oci:$base rootfs:$T/tree-oci
check "unpack oci -> docker-archive -> oci -> rootfs" $DISTILL copy -q oci:$T/back rootfs:$T/tree-back
check "trees equal: oci vs oci -> docker-archive -> oci (paths, types, modes, owners, sizes, links)" \
  cmp -s <(tree "$T/tree-oci") <(tree "$T/tree-back")
lay=$(jq -r '.layers[0].digest' "$base/blobs/sha256/${mdig#sha256:}" | cut -d: -f2)
check_eq "debian_version in the unpacked tree" "$(tar xzOf "$base/blobs/sha256/$lay" ./etc/debian_version)" \
  "$(cat "$T/tree-oci/etc/debian_version")"
check_fails "rootfs destination that is not empty is refused" $DISTILL copy -q oci:$base rootfs:$T/tree-oci
rm -rf "$T/tree-back"
# rootfs as a source (on /etc, to stay quick): one deterministic layer that unpacks to the same tree.
r1=$($DISTILL copy -q rootfs:$T/tree-oci/etc oci:$T/fromtree:a); r2=$($DISTILL copy -q rootfs:$T/tree-oci/etc oci:$T/fromtree2:a)
check_eq "rootfs -> oci is deterministic" "$r1" "$r2"
check_eq "rootfs image has one layer" 1 "$($DISTILL inspect oci:$T/fromtree:a | jq '.layers | length')"
check "rootfs -> oci -> rootfs" $DISTILL copy -q oci:$T/fromtree:a rootfs:$T/tree-again
check "trees equal after rootfs -> oci -> rootfs" cmp -s <(tree "$T/tree-oci/etc" | grep -v '^\. ') <(tree "$T/tree-again" | grep -v '^\. ')
rm -rf "$T/tree-oci" "$T/tree-again"

# --- podman loads and runs what we wrote ------------------------------------------
pod=(podman --cgroup-manager=cgroupfs)
if "${pod[@]}" load -q -i "$T/d.tar" >"$T/load.out" 2>&1; then
  ok "podman load the docker-archive"
  v=$("${pod[@]}" run --rm --network=host localhost/distill-image-test:1 cat /etc/debian_version 2>"$T/run.err")
  if [[ $v =~ ^12\. ]]; then ok "podman run the loaded image ($v)"; else fail "podman run: '$v' $(tail -3 "$T/run.err")"; fi
  rm -f "$T/ps.tar"
  if "${pod[@]}" save -q -o "$T/ps.tar" localhost/distill-image-test:1 2>/dev/null; then
    check_eq "read podman save output" "$($DISTILL inspect oci:$T/back | jq -c '[.layers[].digest]')" \
      "$($DISTILL inspect docker-archive:$T/ps.tar:localhost/distill-image-test:1 | jq -c '[.layers[].digest]')"
  else
    fail "podman save"
  fi
  "${pod[@]}" rmi -f localhost/distill-image-test:1 >/dev/null 2>&1
else
  fail "podman load: $(tail -3 "$T/load.out")"
fi
check_fails "unknown tag in docker-archive is an error" $DISTILL inspect docker-archive:$T/d.tar:localhost/nope:1
check "the error lists the tags" bash -c "$DISTILL inspect docker-archive:$T/d.tar:localhost/nope:1 2>&1 | grep -q 'localhost/distill-image-test:1'"

# --- oci-archive both ways, with skopeo --------------------------------------------
check "skopeo copy oci -> oci-archive" skopeo copy -q oci:$base:latest oci-archive:$T/sk.tar:v1
check_eq "distill reads skopeo's oci-archive" "$mdig" "$($DISTILL inspect oci-archive:$T/sk.tar:v1 | jq -r .digest)"
check_eq "copy oci -> oci-archive keeps the digest" "$mdig" "$($DISTILL copy -q oci:$base oci-archive:$T/ours.tar:v2)"
check_eq "skopeo reads our oci-archive" "$mdig" "$(skopeo inspect oci-archive:$T/ours.tar:v2 | jq -r .Digest)"
check "skopeo copies our oci-archive out" skopeo copy -q oci-archive:$T/ours.tar:v2 oci:$T/sk-out:x

# --- oci -> oci shares no inode with the source: a chmod or an in-place write on the copy
# must not reach the source image.
src_before=$(cd "$base" && find blobs -type f -exec sha256sum {} + | sort; find "$base/blobs" -type f -printf '%m\n' | sort | uniq -c)
check "copy oci -> oci" $DISTILL copy -q oci:$base oci:$T/plain-copy
check_eq "copy: every blob has its own inode" "" "$(find "$T/plain-copy/blobs" -type f -links +1)"
find "$T/plain-copy/blobs" -type f -exec chmod 600 {} + -exec sh -c 'printf x >> "$1"' _ {} \;
check_eq "copy: changing the copy's blobs leaves the source alone" "$src_before" \
  "$(cd "$base" && find blobs -type f -exec sha256sum {} + | sort; find "$base/blobs" -type f -printf '%m\n' | sort | uniq -c)"

# --- recompression: zstd and back; diff_ids never change ---------------------------
check "copy --compress zstd" $DISTILL copy -q --compress zstd oci:$base oci:$T/z:zst
check_eq "zstd layer media type" "application/vnd.oci.image.layer.v1.tar+zstd" \
  "$(skopeo inspect --raw oci:$T/z:zst | jq -r '.layers[0].mediaType')"
check "config unchanged by recompression" cmp -s <($DISTILL inspect --config oci:$base) <($DISTILL inspect --config oci:$T/z:zst)
check "zstd -> docker-archive (decompressed)" $DISTILL copy -q oci:$T/z:zst docker-archive:$T/z.tar:localhost/z:1
check_eq "decompressed layer = diff_id" "$($DISTILL inspect oci:$base | jq -c '[.layers[].diff_id]')" \
  "$($DISTILL inspect docker-archive:$T/z.tar | jq -c '[.layers[].digest]')"
check "skopeo copies the zstd image" skopeo copy -q oci:$T/z:zst oci:$T/z-sk:x

# --- a corrupt blob is caught, the destination is not written ----------------------
cp -r "$base" "$T/corrupt"
ldig=$(jq -r '.layers[0].digest' "$base/blobs/sha256/${mdig#sha256:}")
lf=$T/corrupt/blobs/sha256/${ldig#sha256:}
printf '\x00' | dd of="$lf" bs=1 seek=1000 count=1 conv=notrunc status=none
$DISTILL copy -q oci:$T/corrupt oci:$T/corrupt-out 2>"$T/corrupt.err"; rc=$?
check_eq "copy of a corrupt layout exits 3" 3 "$rc"
check "the error names the blob and says corrupt" grep -q "$ldig is corrupt" "$T/corrupt.err"
check_fails "no destination left behind" test -e "$T/corrupt-out"

# --- multi-arch index: pick by --platform -------------------------------------------
arm=$(debian_image base-arm64 --variant extract --arch arm64 2>"$T/arm.log") || arm=""
if [ -n "$arm" ]; then
  m=$T/multi
  skopeo copy -q oci:$base:latest oci:$m:amd && skopeo copy -q oci:$arm:latest oci:$m:arm
  entry() { jq -c --arg n "$1" --arg a "$2" --arg v "$3" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$n)
            | del(.annotations) | .platform={os:"linux",architecture:$a} | if $v != "" then .platform.variant=$v else . end' "$m/index.json"; }
  jq -nc --argjson a "$(entry amd amd64 '')" --argjson b "$(entry arm arm64 v8)" \
    '{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json", manifests:[$b,$a]}' > "$T/idx.json"
  idig=$(sha256sum "$T/idx.json" | cut -d' ' -f1); isz=$(stat -c %s "$T/idx.json")
  cp "$T/idx.json" "$m/blobs/sha256/$idig"
  jq -c --arg d "sha256:$idig" --argjson s "$isz" '.manifests += [{mediaType:"application/vnd.oci.image.index.v1+json",
     digest:$d, size:$s, annotations:{"org.opencontainers.image.ref.name":"multi"}}]' "$m/index.json" > "$T/i2" && mv "$T/i2" "$m/index.json"
  check_eq "--platform linux/arm64 picks arm64" "arm64" "$($DISTILL inspect --platform linux/arm64 oci:$m:multi | jq -r .architecture)"
  check_eq "default platform is this machine" "$(dpkg --print-architecture)" "$($DISTILL inspect oci:$m:multi | jq -r .architecture)"
  check_eq "picked arm64 layers = skopeo's" "$(skopeo inspect --override-arch arm64 --override-variant v8 oci:$m:multi | jq -c .Layers)" \
    "$($DISTILL inspect --platform linux/arm64 oci:$m:multi | jq -c '[.layers[].digest]')"
  check_eq "index_digest is the index's" "sha256:$idig" "$($DISTILL inspect --platform linux/arm64 oci:$m:multi | jq -r .index_digest)"
  check_eq "picked arm64 manifest = the arm image's" "$(jq -r .manifests[0].digest "$arm/index.json")" \
    "$($DISTILL inspect --platform linux/arm64 oci:$m:multi | jq -r .digest)"
  $DISTILL inspect --platform linux/s390x oci:$m:multi 2>"$T/plat.err"; rc=$?
  check_eq "unknown platform exits 3" 3 "$rc"
  check "the error lists the platforms" grep -q "linux/arm64/v8, linux/amd64" "$T/plat.err"
  check_eq "copy of the picked platform" "arm64" \
    "$($DISTILL copy -q --platform linux/arm64 oci:$m:multi docker-archive:$T/arm.tar:localhost/arm:1 >/dev/null && $DISTILL inspect docker-archive:$T/arm.tar | jq -r .architecture)"
else
  fail "fixture base-arm64 could not be built: $(tail -3 "$T/arm.log")"
fi

# --- untagged manifests by digest: oci:DIR@sha256:..., oci-archive:FILE@sha256:..., for every reader ---
u=$T/untag
mkdir -p "$T/small/etc" && echo small > "$T/small/etc/hostname"
check "copy into an untagged entry" $DISTILL copy -q oci:$base oci:$u
check "a second, tagged image in the same layout" $DISTILL copy -q rootfs:$T/small oci:$u:small
check_eq "the base entry has no ref name" "null" \
  "$(jq -c --arg d "$mdig" '.manifests[] | select(.digest==$d) | .annotations["org.opencontainers.image.ref.name"]' "$u/index.json")"
check_fails "oci:DIR alone is ambiguous with two images" $DISTILL inspect oci:$u
check_eq "inspect oci:DIR@DIGEST" "$mdig" "$($DISTILL inspect oci:$u@$mdig | jq -r .digest)"
check_eq "layers oci:DIR@DIGEST" "$($DISTILL inspect oci:$base | jq '.layers | length')" \
  "$($DISTILL layers --json oci:$u@$mdig | jq '.layers | length')"
check "scan oci:DIR@DIGEST finds dpkg packages" bash -c "$DISTILL scan --json oci:$u@$mdig | jq -e '[.packages[]?] | length > 10' >/dev/null"
check "ldd --image oci:DIR@DIGEST" bash -c "$DISTILL ldd --image oci:$u@$mdig /usr/bin/apt | grep -q libapt-pkg"
check "squash oci:DIR@DIGEST" $DISTILL squash oci:$u@$mdig oci:$T/usq:x
check "harden oci:DIR@DIGEST" $DISTILL harden oci:$u@$mdig oci:$T/uhard:x
check_eq "copy oci:DIR@DIGEST keeps the digest" "$mdig" "$($DISTILL copy -q oci:$u@$mdig oci:$T/ucopy:x)"
check "the layout's directory form with a slash" $DISTILL inspect oci:$u/@$mdig
(cd "$u" && tar -cf "$T/untag.tar" oci-layout index.json blobs)
check_eq "inspect oci-archive:FILE@DIGEST" "$mdig" "$($DISTILL inspect oci-archive:$T/untag.tar@$mdig | jq -r .digest)"
nodig=sha256:$(printf '%064d' 0)
$DISTILL inspect oci:$u@$nodig 2>"$T/nodig.err"; rc=$?
check_eq "unknown digest exits 3" 3 "$rc"
check_eq "unknown digest: one line" 1 "$(wc -l < "$T/nodig.err")"
check "unknown digest: the error names it" grep -q "no manifest $nodig" "$T/nodig.err"
$DISTILL inspect oci-archive:$T/untag.tar@$nodig 2>"$T/nodig2.err"; rc=$?
check_eq "unknown digest in an oci-archive exits 3, one line" "3 1" "$rc $(wc -l < "$T/nodig2.err")"
$DISTILL inspect oci:$u@sha256:1234 2>"$T/baddig.err"; rc=$?
check_eq "bad digest exits 3, one line" "3 1" "$rc $(wc -l < "$T/baddig.err")"
check "bad digest: the error says so" grep -q "bad digest 'sha256:1234'" "$T/baddig.err"
$DISTILL copy -q oci:$base oci:$T/dst@$mdig 2>"$T/dstdig.err"; rc=$?
check_eq "a digest as a destination name is refused, one line" "3 1" "$rc $(wc -l < "$T/dstdig.err")"

# --- docker:// through distill copy (the registry client is its own module; this checks copy drives it) ---
if command -v docker-registry >/dev/null; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$T/reg"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/reg/data" "$PORT" > "$T/reg/config.yml"
  docker-registry serve "$T/reg/config.yml" > "$T/reg/log" 2>&1 &
  regpid=$!
  trap 'kill $regpid 2>/dev/null; rm -rf "$T"' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.2; done
  R=127.0.0.1:$PORT
  check_eq "copy oci -> docker:// prints the layout's digest" "$mdig" \
    "$($DISTILL copy -q --dest-tls-verify=false oci:$base docker://$R/distill/base:v1)"
  check_eq "skopeo inspect sees what copy pushed" "$mdig" \
    "$(skopeo inspect --tls-verify=false docker://$R/distill/base:v1 | jq -r .Digest)"
  check_eq "copy docker:// -> docker-archive = oci -> docker-archive" \
    "$($DISTILL inspect docker-archive:$T/d.tar | jq -r .digest)" \
    "$($DISTILL copy -q --src-tls-verify=false docker://$R/distill/base:v1 docker-archive:$T/fromreg.tar:localhost/r:1)"
  kill $regpid 2>/dev/null
else
  fail "docker-registry is not installed (scripts/install-deps.sh installs it)"
fi

# --- usage ------------------------------------------------------------------------------
$DISTILL copy oci:$base 2>/dev/null; check_eq "copy with one argument exits 2" 2 $?
$DISTILL inspect nginx:latest 2>/dev/null; check_eq "inspect without transport exits 3" 3 $?
$DISTILL inspect --bogus oci:$base 2>/dev/null; check_eq "unknown flag exits 2" 2 $?
check "copy --help" bash -c "$DISTILL copy --help | head -1 | grep -q '^Usage: distill copy'"
check "inspect --help" bash -c "$DISTILL inspect --help | head -1 | grep -q '^Usage: distill inspect'"
