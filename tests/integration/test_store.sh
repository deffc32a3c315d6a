#!/usr/bin/env bash
# The layer store (src/store/): each layer unpacked once and shared by every command. Two
# builds of one image (the second unpacks nothing, same digest), two images sharing a base
# (the base stored once, each tree right), two processes at once over one store, a stored
# layer changed behind distill's back (noticed, redone), a wrong DiffID (nothing stored),
# prune keeping the most recently used, ^C during a store write (no partial layer), copy to
# rootfs:DIR made from the store (a second copy unpacks nothing; DIR is a copy the user may
# edit), and the stored layers flattened where no overlay can be mounted (DISTILL_STORE_NO_OVERLAY=1).
. "$(dirname "$0")/lib.sh"
GEN=$TOP/tests/integration/store_images.py

if [ "$(id -u)" != 0 ]; then fail "store: needs root (overlayfs; CI runs as root)"; exit 0; fi
base=$(debian_image debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\"") || { fail "store: fixture image"; exit 0; }
python3 "$GEN" stack "$base" "$T/img-a" top-a && python3 "$GEN" stack "$base" "$T/img-b" top-b &&
  python3 "$GEN" stack "$base" "$T/img-c" top-c || { fail "store: stacked images"; exit 0; }
S=$T/s1
nlayers() { "$DISTILL" store ls --json --store "$1" | jq '.layers | length'; }
tree_of() { # STORE DIFFID-SUFFIX-FREE: the tree dir of the layer whose diff_id is $2
  "$DISTILL" store ls --json --store "$1" | jq -r --arg d "$2" '.layers[] | select(.diff_id == $d) | .chain_id' |
    sed "s|^sha256:|$1/layers/|; s|$|/tree|"; }
sqdigest() { sed -n 's/^manifest //p' "$1"; }
no_mounts() { ! grep -q " $T/" /proc/self/mounts; }

# --- squash through the store = squash without it (deterministic output: same digest) ------
"$DISTILL" squash --no-store "oci:$T/img-a:latest" "oci:$T/sq-plain:latest" > "$T/sq0.out" 2> "$T/err0"
check_eq "squash --no-store exits 0" 0 $?
check "--no-store creates no store" test ! -e "$DISTILL_STORE"
"$DISTILL" squash --store "$S" "oci:$T/img-a:latest" "oci:$T/sq1:latest" > "$T/sq1.out" 2> "$T/err1"
check_eq "squash through the store exits 0" 0 $?
check_eq "squash through the store: same digest as without" "$(sqdigest "$T/sq0.out")" "$(sqdigest "$T/sq1.out")"
check_eq "two layers stored" 2 "$(nlayers "$S")"
sql() { local m; m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2); echo "$1/blobs/sha256/$(jq -r '.layers[0].digest' "$1/blobs/sha256/$m" | cut -d: -f2)"; }
check "the whiteout in the top layer hides the base's etc/motd" bash -c "! tar tzf '$(sql "$T/sq1")' | grep -q '^etc/motd$'"
check "the top layer's srv/a.txt is there" bash -c "tar tzf '$(sql "$T/sq1")' | grep -q '^srv/a.txt$'"
check "the store has nothing left in tmp/" test -z "$(ls -A "$S/tmp")"
check "no mount left behind" no_mounts
base_diff=$(jq -r '.rootfs.diff_ids[0]' "$T/img-a/blobs/sha256/$(jq -r .config.digest "$T/img-a/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/img-a/index.json" | cut -d: -f2)" | cut -d: -f2)")
btree=$(tree_of "$S" "$base_diff")
check "the base layer's tree is in the store" test -d "$btree/usr/sbin" -a -f "$btree/etc/motd"
bman=$(dirname "$btree")/manifest.json
bstamp=$(stat -c %Y.%i "$bman")

# --- a second image on the same base: the base is not unpacked again ------------------------
"$DISTILL" squash --store "$S" "oci:$T/img-b:latest" "oci:$T/sq2:latest" > "$T/sq2.out" 2> "$T/err2"
check_eq "squash of a second image on the same base exits 0" 0 $?
check_eq "three layers stored (one base, two tops)" 3 "$(nlayers "$S")"
check_eq "the base layer was not made again" "$bstamp" "$(stat -c %Y.%i "$bman")"
"$DISTILL" squash --no-store "oci:$T/img-b:latest" "oci:$T/sq2-plain:latest" > "$T/sq2p.out" 2>/dev/null
check_eq "second image through the store: same digest as without" "$(sqdigest "$T/sq2p.out")" "$(sqdigest "$T/sq2.out")"
"$DISTILL" scan --store "$S" --json "oci:$T/img-b:latest" > "$T/scan-b.json" 2> "$T/err-scan"
check_eq "scan of a stored image exits 0" 0 $?
"$DISTILL" scan --no-store --json "oci:$T/img-b:latest" > "$T/scan-b0.json" 2>/dev/null
check_eq "scan through the store finds the same packages" "$(jq -c '[.packages[].name] | sort' "$T/scan-b0.json")" \
  "$(jq -c '[.packages[].name] | sort' "$T/scan-b.json")"
check "scan leaves no mount" no_mounts

# --- two processes at once over one fresh store --------------------------------------------
S2=$T/s2
"$DISTILL" squash --store "$S2" "oci:$T/img-a:latest" "oci:$T/cc1:latest" > "$T/cc1.out" 2> "$T/cce1" & p1=$!
"$DISTILL" squash --store "$S2" "oci:$T/img-c:latest" "oci:$T/cc2:latest" > "$T/cc2.out" 2> "$T/cce2" & p2=$!
"$DISTILL" scan --store "$S2" --json "oci:$T/img-a:latest" > "$T/cc3.json" 2> "$T/cce3" & p3=$!
wait $p1; r1=$?; wait $p2; r2=$?; wait $p3; r3=$?
check_eq "concurrent: all three exit 0" "0 0 0" "$r1 $r2 $r3"
check_eq "concurrent: first squash right" "$(sqdigest "$T/sq0.out")" "$(sqdigest "$T/cc1.out")"
"$DISTILL" squash --no-store "oci:$T/img-c:latest" "oci:$T/cc2-plain:latest" > "$T/cc2p.out" 2>/dev/null
check_eq "concurrent: second squash right" "$(sqdigest "$T/cc2p.out")" "$(sqdigest "$T/cc2.out")"
check_eq "concurrent: the shared base stored once (3 layers)" 3 "$(nlayers "$S2")"
check "concurrent: nothing left in tmp/" test -z "$(ls -A "$S2/tmp")"
"$DISTILL" squash --store "$S2" --verify-store "oci:$T/img-c:latest" "oci:$T/cc4:latest" > "$T/cc4.out" 2>/dev/null
check_eq "concurrent: --verify-store finds the store intact (same digest)" "$(sqdigest "$T/cc2p.out")" "$(sqdigest "$T/cc4.out")"

# --- tampering: a file changed, a file added --------------------------------------------------
bstamp=$(stat -c %Y.%i "$bman")
f=$btree/etc/nginx/nginx.conf
orig=$(sha256sum < "$f")
echo "# tampered" >> "$f"
"$DISTILL" squash --store "$S" "oci:$T/img-a:latest" "oci:$T/t1:latest" > "$T/t1.out" 2> "$T/te1"
check_eq "tampered (file changed): squash exits 0" 0 $?
check_eq "tampered (file changed): the result is the image's, not the tampered file's" "$(sqdigest "$T/sq0.out")" "$(sqdigest "$T/t1.out")"
btree=$(tree_of "$S" "$base_diff"); bman=$(dirname "$btree")/manifest.json
check_eq "tampered (file changed): the layer was redone" "$orig" "$(sha256sum < "$btree/etc/nginx/nginx.conf")"
check "tampered (file changed): the manifest is new" test "$bstamp" != "$(stat -c %Y.%i "$bman")"
echo evil > "$btree/usr/bin/added-behind-our-back"
"$DISTILL" squash --store "$S" "oci:$T/img-a:latest" "oci:$T/t2:latest" > "$T/t2.out" 2>/dev/null
check_eq "tampered (file added): the result is the image's" "$(sqdigest "$T/sq0.out")" "$(sqdigest "$T/t2.out")"
btree=$(tree_of "$S" "$base_diff"); bman=$(dirname "$btree")/manifest.json
check "tampered (file added): the added file is gone from the store" test ! -e "$btree/usr/bin/added-behind-our-back"
# Same size, same mtime: only the full check sees it.
f=$btree/etc/nginx/mime.types; m=$(stat -c %y "$f"); sz=$(stat -c %s "$f")
printf 'X' | dd of="$f" bs=1 seek=0 conv=notrunc status=none; touch -d "$m" "$f"
"$DISTILL" squash --store "$S" --verify-store "oci:$T/img-a:latest" "oci:$T/t3:latest" > "$T/t3.out" 2>/dev/null
check_eq "tampered (same size and mtime): --verify-store redoes it" "$(sqdigest "$T/sq0.out")" "$(sqdigest "$T/t3.out")"

# --- a wrong DiffID: an error, nothing stored ------------------------------------------------
python3 "$GEN" bad-diffid "$T/bad"
"$DISTILL" squash --store "$T/s3" "oci:$T/bad:latest" "oci:$T/badsq:latest" > /dev/null 2> "$T/bad.err"; rc=$?
check_eq "wrong diff_id: exit 3" 3 $rc
check "wrong diff_id: the error says so" grep -q "the config's diff_id is sha256:0000" "$T/bad.err"
check_eq "wrong diff_id: nothing stored" 0 "$(nlayers "$T/s3")"
check "wrong diff_id: nothing left in tmp/" test -z "$(ls -A "$T/s3/tmp")"

# --- prune keeps the most recently used ------------------------------------------------------
S4=$T/s4
for i in 1 2 3; do python3 "$GEN" small "$T/p$i" "seed$i"; done
for i in 1 2 3 1; do "$DISTILL" scan --store "$S4" "oci:$T/p$i:latest" > /dev/null 2>&1; done
check_eq "prune: three layers before" 3 "$(nlayers "$S4")"
order=$("$DISTILL" store ls --json --store "$S4" | jq -r '.layers[].diff_id' | tr '\n' ' ')
one=$("$DISTILL" store ls --json --store "$S4" | jq '.layers[0].disk_size')
"$DISTILL" store prune --store "$S4" --max-size $((one * 2 + one / 2)) > "$T/prune.out"
check_eq "prune to 2.5 layers' size exits 0" 0 $?
kept=$("$DISTILL" store ls --json --store "$S4" | jq -r '.layers[].diff_id' | tr '\n' ' ')
check_eq "prune keeps the two most recently used (p1 used last, then p3)" "$(echo "$order" | cut -d' ' -f1-2) " "$kept"
check "prune says what it removed" grep -q "removed 1 layer" "$T/prune.out"
"$DISTILL" store prune --store "$S4" --max-size 0 > /dev/null
check_eq "prune --max-size 0 empties the store" 0 "$(nlayers "$S4")"
"$DISTILL" store prune --store "$S4" --max-size 12Q > /dev/null 2> "$T/e"; check_eq "prune: a bad size is a usage error" 2 $?
"$DISTILL" store ls --store "$S4" > "$T/ls.out"; check "store ls (text) says 0 layers" grep -q "^0 layers" "$T/ls.out"

# --- ^C while a layer is being written: no partial layer ---------------------------------------
S5=$T/s5
env --default-signal=INT "$DISTILL" scan --store "$S5" "oci:$base:latest" > /dev/null 2> "$T/int.err" & pid=$!
for _ in $(seq 100); do [ -n "$(ls -A "$S5/tmp" 2>/dev/null)" ] && break; sleep 0.05; done
sleep 0.5
kill -INT $pid; wait $pid; rc=$?
check_eq "^C: distill exits 130" 130 $rc
check "^C: says it removed its temporary paths" grep -q "interrupted, removed" "$T/int.err"
check_eq "^C: no layer stored" 0 "$(nlayers "$S5")"
check "^C: nothing left in tmp/" test -z "$(ls -A "$S5/tmp" 2>/dev/null)"
check "^C: no mount left behind" no_mounts
"$DISTILL" scan --store "$S5" "oci:$base:latest" > /dev/null 2>&1
check_eq "after ^C: the next scan stores the layer" 1 "$(nlayers "$S5")"

# --- copy to rootfs:DIR through the store ------------------------------------------------------
# img-r: whiteouts of a file and a directory, an opaque directory, hard links, a symlink turned
# into a directory, a setuid file of 1234:5678, an xattr, a fifo (store_images.py top-r, top-s).
python3 "$GEN" stack "$base" "$T/img-r" top-r top-s top-a || fail "store: the copy test image"
SC=$T/sc
stamps() { stat -c '%n %i %Y' "$1"/layers/*/manifest.json 2> /dev/null | sort; }
"$DISTILL" copy -q --no-store "oci:$T/img-r:latest" "rootfs:$T/r0" > "$T/r0.dig" 2> "$T/r0.err"
check_eq "copy --no-store to rootfs: exits 0" 0 $?
check "copy --no-store to rootfs: creates no store" test ! -e "$DISTILL_STORE"
"$DISTILL" copy -q --store "$SC" "oci:$T/img-r:latest" "rootfs:$T/r1" > "$T/r1.dig" 2> "$T/r1.err"
check_eq "copy to rootfs: through the store exits 0" 0 $?
check_eq "copy to rootfs: all four layers stored" 4 "$(nlayers "$SC")"
check_eq "copy to rootfs: the same digest printed as without the store" "$(cat "$T/r0.dig")" "$(cat "$T/r1.dig")"
python3 "$GEN" treesig "$T/r0" > "$T/r0.sig"; python3 "$GEN" treesig "$T/r1" > "$T/r1.sig"
check "copy to rootfs: the tree is the --no-store tree (types, modes, owners, sizes, times, links, targets, xattrs, content)" \
  cmp -s "$T/r0.sig" "$T/r1.sig"
check "copy to rootfs: the whiteouts and the opaque directory were applied" \
  bash -c "test ! -e '$T/r1/etc/motd' -a ! -e '$T/r1/usr/share/man' && test \"\$(ls '$T/r1/usr/share/doc')\" = only.txt"
check_eq "copy to rootfs: setuid 1234:5678 kept, the symlink replaced by a directory" "4755 1234:5678 directory" \
  "$(stat -c '%a %u:%g' "$T/r1/srv/suid") $(stat -c %F "$T/r1/srv/ln")"
check_eq "copy to rootfs: a hard link pair of the base stays a pair" \
  "$(stat -c %i "$T/r0/usr/bin/perl" | xargs -I{} find "$T/r0/usr/bin" -inum {} | wc -l)" \
  "$(stat -c %i "$T/r1/usr/bin/perl" | xargs -I{} find "$T/r1/usr/bin" -inum {} | wc -l)"
# A hard link into the store would count one more link on every file.
check_eq "copy to rootfs: no file of DIR is a hard link into the store" "$(find "$T/r0" -type f -links +1 | wc -l)" \
  "$(find "$T/r1" -type f -links +1 | wc -l)"
before=$(stamps "$SC")
"$DISTILL" copy -q --store "$SC" "oci:$T/img-r:latest" "rootfs:$T/r2" > "$T/r2.dig" 2> "$T/r2.err"
check_eq "copy to rootfs again (a new DIR): exits 0" 0 $?
check_eq "copy to rootfs again: no layer made again (every manifest the same file)" "$before" "$(stamps "$SC")"
check "copy to rootfs again: said nothing of unpacking" bash -c "! grep -q 'Unpacking' '$T/r2.err'"
python3 "$GEN" treesig "$T/r2" > "$T/r2.sig"
check "copy to rootfs again: the same tree" cmp -s "$T/r0.sig" "$T/r2.sig"
# DIR is the user's: edits (content, mode, a file removed, one added) never reach the store.
echo edited >> "$T/r1/usr/bin/perl"; chmod 0777 "$T/r1/etc/passwd"; rm "$T/r1/srv/x"; echo new > "$T/r1/usr/bin/added"
"$DISTILL" copy -q --store "$SC" --verify-store "oci:$T/img-r:latest" "rootfs:$T/r3" > /dev/null 2> "$T/r3.err"
check_eq "after editing a copied DIR: copy --verify-store exits 0" 0 $?
check_eq "after editing a copied DIR: --verify-store finds every stored layer intact (none redone)" "$before" "$(stamps "$SC")"
python3 "$GEN" treesig "$T/r3" > "$T/r3.sig"
check "after editing a copied DIR: a new copy is the image's tree" cmp -s "$T/r0.sig" "$T/r3.sig"
"$DISTILL" copy -q --store "$SC" "oci:$T/img-r:latest" "rootfs:$T/r3" > /dev/null 2> "$T/r4.err"; rc=$?
check_eq "copy to an existing non-empty rootfs: DIR: exit 3" 3 $rc
check "copy to an existing non-empty rootfs: DIR: the error names it" grep -q "rootfs:$T/r3: exists and is not an empty directory" "$T/r4.err"
check "copy to rootfs: no temp sibling left" test -z "$(find "$T" -maxdepth 1 -name '.r*.tmp-*')"
check "copy to rootfs: nothing left in the store's tmp/" test -z "$(ls -A "$SC/tmp")"
check "copy to rootfs: no mount left behind" no_mounts
rm -rf "${T:?}"/r0 "${T:?}"/r1 "${T:?}"/r2 "${T:?}"/r3

# --- no overlay (DISTILL_STORE_NO_OVERLAY=1): the stored layers flattened ------------------------
"$DISTILL" scan --store "$SC" --json "oci:$T/img-r:latest" > "$T/fs1.json" 2> /dev/null
"$DISTILL" scan --no-store --json "oci:$T/img-r:latest" > "$T/fs0.json" 2> /dev/null
before=$(stamps "$SC")
DISTILL_STORE_NO_OVERLAY=1 "$DISTILL" scan --store "$SC" --json "oci:$T/img-r:latest" > "$T/fs2.json" 2> "$T/fs2.err"
check_eq "no overlay: scan through the store exits 0" 0 $?
check_eq "no overlay: scan finds the packages the overlay shows" "$(jq -c '[.packages[] | "\(.name) \(.version)"] | sort' "$T/fs1.json")" \
  "$(jq -c '[.packages[] | "\(.name) \(.version)"] | sort' "$T/fs2.json")"
check_eq "no overlay: scan findings as with the overlay" "$(jq -cS 'del(.entries)' "$T/fs1.json")" "$(jq -cS 'del(.entries)' "$T/fs2.json")"
# The overlay is mounted nodev and shows the device nodes (unopenable); the flattened tree, like
# --no-store's, has none: its whole scan is --no-store's.
check_eq "no overlay: the whole scan is the --no-store scan" "$(jq -cS . "$T/fs0.json")" "$(jq -cS . "$T/fs2.json")"
check_eq "no overlay: nothing unpacked again" "$before" "$(stamps "$SC")"
"$DISTILL" harden --store "$SC" "oci:$T/img-r:latest" "oci:$T/hd1:latest" > "$T/hd1.out" 2> "$T/hd1.err"
DISTILL_STORE_NO_OVERLAY=1 "$DISTILL" harden --store "$SC" "oci:$T/img-r:latest" "oci:$T/hd2:latest" > "$T/hd2.out" 2> "$T/hd2.err"
check_eq "no overlay: harden exits 0" 0 $?
check_eq "no overlay: harden writes the same image (a private copy took its changes)" \
  "$(grep -o 'manifest sha256:[0-9a-f]*' "$T/hd1.err")" "$(grep -o 'manifest sha256:[0-9a-f]*' "$T/hd2.err")"
"$DISTILL" scan --store "$SC" --verify-store "oci:$T/img-r:latest" > /dev/null 2>&1
check_eq "no overlay: scan and harden left every stored layer intact (--verify-store redid none)" "$before" "$(stamps "$SC")"
check "no overlay: nothing left in the store's tmp/" test -z "$(ls -A "$SC/tmp")"

# --- two builds of the same image: the second unpacks nothing, same digest ---------------------
if command -v runc > /dev/null; then
  SB=$T/sb; TEST='curl -fsS http://{LOCALHOST}:8080/ -o /dev/null'
  for i in 1 2; do
    "$DISTILL" build --store "$SB" "oci:$base:latest" "oci:$T/bout$i:v1" --keep-level file --test "$TEST" \
      --out-dir "$T/brep$i" -q > "$T/bdig$i" 2> "$T/berr$i"
    check_eq "build $i through the store exits 0" 0 $?
  done
  check_eq "build 1: one layer unpacked into the store" "true 1 0" "$(jq -r '.store | "\(.used) \(.layers_unpacked) \(.layers_reused)"' "$T/brep1/report.json")"
  check_eq "build 2: nothing unpacked, one layer reused" "true 0 1" "$(jq -r '.store | "\(.used) \(.layers_unpacked) \(.layers_reused)"' "$T/brep2/report.json")"
  check_eq "build 2: the same digest as build 1" "$(cat "$T/bdig1")" "$(cat "$T/bdig2")"
  check "builds leave no mount" no_mounts
  "$DISTILL" build --no-store "oci:$base:latest" "oci:$T/bout3:v1" --keep-level file --test "$TEST" \
    --out-dir "$T/brep3" -q > "$T/bdig3" 2> /dev/null
  check_eq "build --no-store: the same digest" "$(cat "$T/bdig1")" "$(cat "$T/bdig3")"
  check_eq "build --no-store: report says the store was not used" false "$(jq '.store.used' "$T/brep3/report.json")"
  DISTILL_STORE_NO_OVERLAY=1 "$DISTILL" build --store "$SB" "oci:$base:latest" "oci:$T/bout4:v1" --keep-level file \
    --test "$TEST" --out-dir "$T/brep4" -q > "$T/bdig4" 2> "$T/berr4"
  check_eq "build without overlay exits 0" 0 $?
  check_eq "build without overlay: the stored layers flattened, nothing unpacked" "true true 0 1" \
    "$(jq -r '.store | "\(.used) \(.flattened) \(.layers_unpacked) \(.layers_reused)"' "$T/brep4/report.json")"
  check_eq "build without overlay: the same digest" "$(cat "$T/bdig1")" "$(cat "$T/bdig4")"
  check "build without overlay: --verify-store finds the store intact" \
    bash -c "'$DISTILL' scan --store '$SB' --verify-store 'oci:$base:latest' > /dev/null 2>&1 && ! grep -q . <(find '$SB/tmp' -mindepth 1)"
else
  fail "store: build checks need runc (CI installs it)"
fi
