#!/usr/bin/env bash
# Bad and hostile inputs to copy / inspect / harden on a real Debian image: each must
# give ONE error line that names the input and the reason, the right exit code
# (2 usage, 3 error), leave the source byte-for-byte as it was and write nothing
# outside the destination.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-}
base=$(debian_image base-apt) || { fail "fixture base-apt could not be built"; exit 0; }
cd "$T" || exit 1
cp -a "$base" src                      # a private copy: the checks below try to damage it
snap() { (cd "$1" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }
snap src > src.before

# bad NAME RC PATTERN CMD...: CMD exits RC; stderr is one line (usage errors: the
# message plus the "Try ... --help" line), starting "distill <cmd>: " and matching PATTERN.
bad() {
  local n=$1 want=$2 pat=$3; shift 3
  "$@" > "$T/bad.out" 2> "$T/bad.err"; local rc=$?
  local lines=$(wc -l < "$T/bad.err") first=$(head -n1 "$T/bad.err")
  local want_lines=1; [ "$want" = 2 ] && want_lines=2
  if [ "$rc" != "$want" ]; then fail "$n: exit $rc, want $want ($first)"
  elif [ "$lines" != "$want_lines" ]; then fail "$n: $lines lines of error, want $want_lines: $(tr '\n' '|' < "$T/bad.err")"
  elif ! [[ "$first" =~ ^distill\ [a-z]+:\  ]]; then fail "$n: error does not start with 'distill CMD: ': $first"
  elif ! grep -qE -- "$pat" <<< "$first"; then fail "$n: error '$first' does not match /$pat/"
  else ok "$n"; fi
}
src_unchanged() { if snap src | cmp -s - src.before; then ok "source unchanged: $1"; else fail "source changed: $1"; fi; }

M=$(jq -r '.manifests[0].digest' src/index.json | cut -d: -f2)
C=$(jq -r .config.digest "src/blobs/sha256/$M" | cut -d: -f2)
L=$(jq -r '.layers[0].digest' "src/blobs/sha256/$M" | cut -d: -f2)

# --- usage errors (exit 2) ------------------------------------------------------
bad "copy with no arguments" 2 "need SRC and DST" $DISTILL copy
bad "copy with one argument" 2 "need SRC and DST" $DISTILL copy oci:src
bad "copy with three arguments" 2 "too many" $DISTILL copy oci:src oci:a oci:b
bad "copy unknown flag" 2 "unknown option '--bogus'" $DISTILL copy --bogus oci:src oci:x
bad "copy --compress without value" 2 "--compress needs a value" $DISTILL copy --compress
bad "copy --compress nonsense" 2 "--compress: expected gzip, zstd or none, got 'xz'" $DISTILL copy --compress xz oci:src oci:x
bad "copy --platform without value" 2 "--platform needs a value" $DISTILL copy oci:src oci:x --platform
bad "copy --src-tls-verify=maybe" 2 "expected true or false, got 'maybe'" $DISTILL copy --src-tls-verify=maybe oci:src oci:x
bad "inspect two images" 2 "one IMAGE only" $DISTILL inspect oci:src oci:x
bad "inspect unknown flag" 2 "unknown option" $DISTILL inspect --nope oci:src
bad "inspect refuses a destination flag" 2 "--dest-creds is for commands that write" $DISTILL inspect --dest-creds a:b oci:src
bad "inspect refuses --compress" 2 "--compress is for commands that write" $DISTILL inspect --compress gzip oci:src
bad "harden with no DST" 2 "needs SRC and DST" $DISTILL harden oci:src
bad "harden --user without value" 2 "--user needs a value" $DISTILL harden oci:src oci:h --user
bad "harden --user empty" 2 "--user: empty" $DISTILL harden oci:src oci:h --user ""
bad "harden --user root" 2 "must not be root" $DISTILL harden oci:src oci:h --user 0:0
bad "harden --allow relative" 2 "--allow bin/sh: expected an absolute" $DISTILL harden oci:src oci:h --allow bin/sh
bad "harden --profile nonsense" 2 "unknown profile" $DISTILL harden oci:src oci:h --profile lax
bad "harden unknown flag" 2 "unknown option '--bogus'" $DISTILL harden oci:src oci:h --bogus
check_eq "usage errors wrote nothing" "" "$(ls -d x a b h 2>/dev/null)"

# --- bad references and platforms (exit 3) ----------------------------------------
bad "unknown transport" 3 "foo:src: unknown transport 'foo'" $DISTILL inspect foo:src
bad "no transport" 3 "^distill inspect: src: no transport" $DISTILL inspect src
bad "oci: without a path" 3 "oci:: no path" $DISTILL inspect oci:
bad "missing layout" 3 "oci:nope: not an OCI image layout" $DISTILL inspect oci:nope
: > emptyfile
bad "a file where a layout dir is expected" 3 "oci:emptyfile: .*Not a directory" $DISTILL inspect oci:emptyfile
bad "empty oci-archive" 3 "oci-archive:emptyfile: " $DISTILL inspect oci-archive:emptyfile
bad "empty docker-archive" 3 "docker-archive:emptyfile: " $DISTILL inspect docker-archive:emptyfile
bad "rootfs that is a file" 3 "rootfs:emptyfile: not a directory" $DISTILL copy rootfs:emptyfile oci:x
bad "rootfs that does not exist" 3 "rootfs:/nonexistent-distill: No such file" $DISTILL inspect rootfs:/nonexistent-distill
bad "unknown ref name" 3 "no image named 'v9' in the layout \(it has: latest\)" $DISTILL inspect oci:src:v9
bad "newline in a reference stays one line" 3 'oci:src:a\\x0ab: bad character' $DISTILL inspect $'oci:src:a\nb'
bad "--platform nonsense" 3 "bad platform 'nonsense'" $DISTILL inspect --platform nonsense oci:src
bad "--platform with 4 parts" 3 "bad platform 'linux/arm64/v8/x'" $DISTILL copy --platform linux/arm64/v8/x oci:src oci:x
src_unchanged "after bad references"

# --- damaged layouts: a copy of src with one thing broken --------------------------
# mk NAME: a layout sharing src's blobs (hard links; nothing below writes to them).
mk() { rm -rf "$1"; mkdir -p "$1/blobs/sha256"; cp src/oci-layout src/index.json "$1/"; ln src/blobs/sha256/* "$1/blobs/sha256/"; }
# mkm NAME MANIFEST: a layout whose only image has this manifest.
mkm() {
  mk "$1"; printf '%s' "$2" > "$1/m"; local d=$(sha256sum "$1/m" | cut -d' ' -f1) s=$(stat -c%s "$1/m")
  mv "$1/m" "$1/blobs/sha256/$d"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' "$d" "$s" > "$1/index.json"
}
orig=$(cat "src/blobs/sha256/$M")
mk a; : > a/index.json
bad "empty index.json" 3 "oci:a: index.json is not a valid OCI index" $DISTILL inspect oci:a
mk a; printf '{"manifests":[' > a/index.json
bad "truncated index.json" 3 "oci:a: index.json is not a valid OCI index" $DISTILL inspect oci:a
mk a; echo '[]' > a/index.json
bad "index.json not an object" 3 "oci:a: index.json is not a valid OCI index" $DISTILL inspect oci:a
mk a; echo '{"manifests":[]}' > a/index.json
bad "index.json with no images" 3 "oci:a: the layout holds no image" $DISTILL inspect oci:a
mk a; echo garbage > a/oci-layout
bad "garbage oci-layout" 3 "oci:a: unsupported oci-layout" $DISTILL inspect oci:a
mk a; echo '{"manifests":[{"digest":"sha256:../../x","size":3}]}' > a/index.json
bad "digest with ../ in index.json" 3 "oci:a: unsupported or malformed digest 'sha256:../../x'" $DISTILL inspect oci:a
mk a; echo "{\"manifests\":[{\"digest\":\"sha256:$M\",\"size\":3}]}" > a/index.json
bad "index.json size wrong" 3 "oci:a: blob sha256:$M has the wrong size: 407 bytes, index.json says 3" $DISTILL inspect oci:a
mk a; echo "{\"manifests\":[{\"digest\":\"sha256:$M\",\"size\":\"x\"}]}" > a/index.json
bad "index.json size not a number" 3 "oci:a: descriptor sha256:$M has no valid size" $DISTILL inspect oci:a
mk a; rm a/blobs/sha256/$M
bad "manifest blob missing" 3 "oci:a: manifest sha256:$M: .*No such file" $DISTILL inspect oci:a
mk a; rm a/blobs/sha256/$C
bad "config blob missing" 3 "oci:a: blob sha256:$C: No such file" $DISTILL inspect oci:a
mk a; rm a/blobs/sha256/$L
bad "layer blob missing" 3 "oci:a: blob sha256:$L: No such file" $DISTILL copy oci:a oci:b
mk a; rm a/blobs/sha256/$L; head -c 1000 src/blobs/sha256/$L > a/blobs/sha256/$L
bad "layer blob truncated" 3 "oci:a: blob sha256:$L has the wrong size: 1000 bytes, the manifest says" $DISTILL copy oci:a oci:b
mk a; rm a/blobs/sha256/$L; head -c "$(stat -c%s src/blobs/sha256/$L)" /dev/zero > a/blobs/sha256/$L
bad "layer blob right size, wrong bytes" 3 "oci:a: blob sha256:$L is corrupt: its content hashes to sha256:" $DISTILL copy oci:a oci:b
mk a; rm a/blobs/sha256/$L; mkdir a/blobs/sha256/$L
bad "layer blob is a directory" 3 "oci:a: blob sha256:$L is not a regular file" $DISTILL copy oci:a oci:b
check_eq "failed copies left no destination" "" "$(ls -A | grep -xE '(b|\.b\..*)' || true)"
mkm a "$(sed 's/"size":617/"size":99/' <<< "$orig")"
bad "manifest says the wrong config size" 3 "oci:a: blob sha256:$C has the wrong size: 617 bytes, the manifest says 99" $DISTILL inspect oci:a
mkm a "$(sed 's/"size":[0-9]*}]/"size":-5}]/' <<< "$orig")"
bad "negative layer size" 3 "^distill inspect: oci:a: layer 1: descriptor sha256:$L has no valid size" $DISTILL inspect oci:a
mkm a "$(sed "s/sha256:$L/sha256:..\/..\/x/" <<< "$orig")"
bad "layer digest with ../" 3 "oci:a: layer 1: unsupported or malformed digest 'sha256:../../x'" $DISTILL copy oci:a oci:b
mkm a "$(sed "s/sha256:$L/SHA512:$L/" <<< "$orig")"
bad "layer digest algorithm unknown" 3 "oci:a: layer 1: unsupported or malformed digest" $DISTILL inspect oci:a
mkm a "$(sed 's/"layers":\[.*\]/"layers":{}/' <<< "$orig")"
bad "layers not an array" 3 "oci:a: manifest has no layers array" $DISTILL inspect oci:a
mkm a "$(sed 's/"schemaVersion":2/"schemaVersion":1/' <<< "$orig")"
bad "schemaVersion 1" 3 "oci:a: unsupported manifest schemaVersion" $DISTILL inspect oci:a
mkm a "garbage"
bad "garbage manifest" 3 "oci:a: manifest is not valid JSON" $DISTILL inspect oci:a
mkm idx "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"digest\":\"sha256:$M\",\"size\":407,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}]}"
bad "index without this platform" 3 "oci:idx: no image for platform linux/s390x in the index \(it has: linux/arm64\)" \
  $DISTILL inspect --platform linux/s390x oci:idx
rm -rf a b idx
src_unchanged "after damaged layouts"

# --- hostile archives -------------------------------------------------------------
mkdir -p outside
python3 - "$T" <<'EOF'
import io, json, sys, tarfile
T = sys.argv[1]
def add(t, name, data=b'', kind=tarfile.REGTYPE, link=''):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
lay = ('oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
man = lambda cfg, layers: ('manifest.json', json.dumps([{"Config": cfg, "RepoTags": ["x/y:1"], "Layers": layers}]).encode())
cases = {
  'oci-dotdot': [lay, ('../outside/pwned', b'x')],
  'oci-abs': [lay, (T + '/outside/pwned', b'x')],
  'oci-symlink-dir': [lay, ('blobs', b'', tarfile.SYMTYPE, T + '/outside'), ('blobs/sha256/' + 'a' * 64, b'x')],
  'oci-hardlink': [lay, ('index.json', b'', tarfile.LNKTYPE, '/etc/passwd')],
  'oci-device': [lay, ('index.json', b'', tarfile.CHRTYPE)],
  'oci-twice': [lay, ('index.json', b'{}'), ('index.json', b'{}')],
  'da-dotdot-config': [('../outside/pwned', b'{}'), man('../outside/pwned', [])],
  'da-abs-layer': [man('c.json', ['/etc/passwd']), ('c.json', b'{"rootfs":{"diff_ids":[]}}')],
  'da-symlink-config': [man('c.json', []), ('c.json', b'', tarfile.SYMTYPE, '/etc/passwd')],
  'da-hardlink-layer': [man('c.json', ['l.tar']), ('c.json', b'{}'), ('l.tar', b'', tarfile.LNKTYPE, '../../etc/shadow')],
  'da-no-manifest': [('c.json', b'{}')],
  'da-bad-manifest': [('manifest.json', b'{')],
  'da-empty-manifest': [('manifest.json', b'[]')],
}
for n, ents in cases.items():
    with tarfile.open(f'{T}/{n}.tar', 'w') as t:
        for e in ents: add(t, *e)
EOF
only="an oci-archive holds only oci-layout, index.json and blobs/sha256/<hex> files"
bad "oci-archive with ../ entry" 3 "oci-archive:oci-dotdot.tar: refusing archive entry '../outside/pwned'" $DISTILL copy oci-archive:oci-dotdot.tar oci:b
bad "oci-archive with absolute entry" 3 "oci-archive:oci-abs.tar: refusing archive entry '/.*/outside/pwned'" $DISTILL inspect oci-archive:oci-abs.tar
bad "oci-archive with a symlinked blobs dir" 3 "oci-archive:oci-symlink-dir.tar: refusing archive entry 'blobs': $only" $DISTILL inspect oci-archive:oci-symlink-dir.tar
bad "oci-archive with a hard link" 3 "refusing archive entry 'index.json'" $DISTILL inspect oci-archive:oci-hardlink.tar
bad "oci-archive with a device" 3 "refusing archive entry 'index.json'" $DISTILL inspect oci-archive:oci-device.tar
bad "oci-archive with an entry twice" 3 "archive entry 'index.json' appears twice" $DISTILL inspect oci-archive:oci-twice.tar
bad "docker-archive Config with ../" 3 "docker-archive:da-dotdot-config.tar: config ../outside/pwned named in manifest.json is not in the archive" \
  $DISTILL copy docker-archive:da-dotdot-config.tar oci:b
bad "docker-archive absolute Layers path" 3 "docker-archive:da-abs-layer.tar: layer /etc/passwd named in manifest.json is not in the archive" \
  $DISTILL copy docker-archive:da-abs-layer.tar oci:b
bad "docker-archive config symlink out of the archive" 3 "config c.json named in manifest.json is not in the archive" $DISTILL inspect docker-archive:da-symlink-config.tar
bad "docker-archive layer hard link out of the archive" 3 "layer l.tar named in manifest.json is not in the archive" $DISTILL copy docker-archive:da-hardlink-layer.tar rootfs:b
bad "docker-archive without manifest.json" 3 "not a docker archive \(no manifest.json\)" $DISTILL inspect docker-archive:da-no-manifest.tar
bad "docker-archive truncated manifest.json" 3 "manifest.json is not valid JSON" $DISTILL inspect docker-archive:da-bad-manifest.tar
bad "docker-archive empty manifest.json" 3 "manifest.json is not a non-empty array" $DISTILL inspect docker-archive:da-empty-manifest.tar
check_eq "nothing written outside by hostile archives" "" "$(ls -A outside)"
check_eq "hostile archives left no destination" "" "$(ls -A | grep -xE '(b|\.b\..*)' || true)"

# --- hostile layers: contained in the tree or refused naming the entry -------------------
echo victim > victim
python3 - "$T" <<'EOF2'
import hashlib, io, json, os, sys, tarfile
T = sys.argv[1]; O = T + '/outside'
def layer(ents):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w') as t:
        for e in ents:
            name, data, kind, link = e
            ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = link; ti.mode = 0o644
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return b.getvalue()
cases = {
  'dotdot': [('../../outside/p1', b'x', tarfile.REGTYPE, '')],
  'abs': [(O + '/p2', b'x', tarfile.REGTYPE, '')],
  'symdir': [('lnk', b'', tarfile.SYMTYPE, O), ('lnk/p3', b'x', tarfile.REGTYPE, '')],
  'symrel': [('a', b'', tarfile.DIRTYPE, ''), ('a/lnk', b'', tarfile.SYMTYPE, '../../../../../../../..' + O), ('a/lnk/p4', b'x', tarfile.REGTYPE, '')],
  'hardabs': [('h', b'', tarfile.LNKTYPE, T + '/victim'), ('h', b'overwrite', tarfile.REGTYPE, '')],
  'hardrel': [('h', b'', tarfile.LNKTYPE, '../../victim')],
  'symfile': [('s', b'', tarfile.SYMTYPE, O + '/p5'), ('s', b'overwrite', tarfile.REGTYPE, '')],
}
os.makedirs(T + '/hl/blobs/sha256')
open(T + '/hl/oci-layout', 'w').write('{"imageLayoutVersion":"1.0.0"}')
def blob(b):
    d = hashlib.sha256(b).hexdigest(); open(T + '/hl/blobs/sha256/' + d, 'wb').write(b); return 'sha256:' + d, len(b)
idx = []
for name, ents in cases.items():
    ld, ls = blob(layer(ents))
    cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode())
    md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode())
    idx.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
                "annotations": {"org.opencontainers.image.ref.name": name}})
json.dump({"schemaVersion": 2, "manifests": idx}, open(T + '/hl/index.json', 'w'))
EOF2
bad "layer entry with ../" 3 "rootfs:hr: .*entry '../../outside/p1': name leaves the tree" $DISTILL copy -q oci:hl:dotdot rootfs:hr
bad "layer entry through a symlink out of the tree" 3 "entry 'lnk/p3': " $DISTILL copy -q oci:hl:symdir rootfs:hr
bad "layer entry through a relative symlink out of the tree" 3 "entry 'a/lnk/p4': " $DISTILL copy -q oci:hl:symrel rootfs:hr
bad "layer hard link to an absolute path outside" 3 "entry 'h': hard link target" $DISTILL copy -q oci:hl:hardabs rootfs:hr
bad "layer hard link with ../" 3 "entry 'h': hard link target leaves the tree" $DISTILL copy -q oci:hl:hardrel rootfs:hr
bad "harden names the hostile entry and the image" 3 "oci:hl:dotdot: layer 1 .*entry '../../outside/p1'" $DISTILL harden oci:hl:dotdot oci:hh
check_eq "refused layers left no destination" "" "$(ls -A | grep -xE '(hr|hh|\.hr\..*|\.hh\..*)' || true)"
check "absolute entry lands inside the tree" $DISTILL copy -q oci:hl:abs rootfs:hr-abs
check "... at its path under the tree" test -f "hr-abs$T/outside/p2"
check "a file replaces a symlink, not written through it" $DISTILL copy -q oci:hl:symfile rootfs:hr-sym
check_eq "... the file holds the bytes" "overwrite" "$(cat hr-sym/s 2>/dev/null)"
check_eq "nothing written outside by hostile layers" "" "$(ls -A outside)"
check_eq "the hard link target outside is untouched" "victim" "$(cat victim)"
rm -rf hl hr-abs hr-sym

# --- destinations that would change the source or do not exist ----------------------
bad "DST = SRC" 3 "oci:src: the destination is the source oci:src" $DISTILL copy oci:src oci:src
bad "DST = SRC, same ref" 3 "the destination is the source oci:src:latest" $DISTILL copy oci:src:latest oci:./src/:latest
ln -s src srclink
bad "DST = SRC through a symlink" 3 "oci:src: the destination is the source oci:srclink" $DISTILL copy oci:srclink oci:src
bad "DST = SRC spelled with .." 3 "oci:src/blobs/../../src: the destination is the source" $DISTILL copy oci:src oci:src/blobs/../../src
bad "DST through a missing dir inside SRC" 3 "the parent directory src/x/../.. does not exist" $DISTILL copy oci:src oci:src/x/../../src
check "... and that dir is not created" test ! -e src/x
bad "DST inside SRC" 3 "oci:src/sub: the destination is inside the source oci:src" $DISTILL copy oci:src oci:src/sub
bad "archive DST inside SRC" 3 "docker-archive:src/a.tar: the destination is inside the source" $DISTILL copy oci:src docker-archive:src/a.tar
bad "harden DST = SRC" 3 "oci:./src: the destination is the source" $DISTILL harden oci:src oci:./src
bad "harden DST inside SRC" 3 "oci:src/h: the destination is inside the source" $DISTILL harden oci:src oci:src/h
bad "SRC inside an existing DST layout" 3 "oci:src:t: the source rootfs:src/blobs is inside the destination" $DISTILL copy rootfs:src/blobs oci:src:t
src_unchanged "after DST = SRC attempts"
for d in oci:missing-parent/x oci-archive:missing-parent/x.tar docker-archive:missing-parent/x.tar rootfs:missing-parent/x; do
  bad "DST parent missing ($d)" 3 "$d: the parent directory missing-parent does not exist" $DISTILL copy oci:src "$d"
done
check "a missing DST parent is not created" test ! -e missing-parent
bad "DST parent is a file" 3 "oci:emptyfile/x: emptyfile is not a directory" $DISTILL copy oci:src oci:emptyfile/x
bad "DST exists and is not a layout" 3 "oci:emptyfile: exists and is not an OCI image layout" $DISTILL copy oci:src oci:emptyfile
mkdir g; cp src/oci-layout g/; echo garbage > g/index.json
bad "existing DST layout with a garbage index.json" 3 "oci:g: index.json is not a valid OCI index" $DISTILL copy oci:src oci:g:t
check_eq "... and no blob was added to it" "index.json oci-layout" "$(ls g | tr '\n' ' ' | sed 's/ $//')"
mkdir -p lnkd/blobs outside-blobs; cp src/oci-layout src/index.json lnkd/; ln -s "$T/outside-blobs" lnkd/blobs/sha256
bad "existing DST layout whose blobs/sha256 is a symlink" 3 "oci:lnkd: blobs/sha256 is not a directory" $DISTILL copy oci:src oci:lnkd:t
check_eq "... and nothing was written through it" "" "$(ls -A outside-blobs)"
mkdir -p full
bad "archive DST that is a directory" 3 "oci-archive:full: is a directory" $DISTILL copy oci:src oci-archive:full
bad "docker-archive DST that is a directory" 3 "docker-archive:full: is a directory" $DISTILL copy oci:src docker-archive:full
mkdir -p full; echo x > full/f
bad "rootfs DST not empty" 3 "rootfs:full: exists and is not an empty directory" $DISTILL copy oci:src rootfs:full
bad "--tmpdir missing" 3 "--tmpdir /nonexistent-distill: No such file" $DISTILL copy --tmpdir /nonexistent-distill oci:src docker-archive:x.tar
bad "--tmpdir a file" 3 "--tmpdir emptyfile: not a directory" $DISTILL copy --tmpdir emptyfile oci:src docker-archive:x.tar
check "copy to another name in the same layout is allowed" $DISTILL copy -q oci:src:latest oci:src:second > /dev/null
check_eq "... and keeps the first name" "latest second" "$(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]]|join(" ")' src/index.json)"
cp "$base/index.json" src/index.json && snap src > src.before   # back to one image for what follows

# --- read-only and full destinations: an error and no partial output ---------------
if mkdir -p rw ro && mount --bind rw ro 2>/dev/null && mount -o remount,ro,bind ro 2>/dev/null; then
  for d in oci:ro/x oci-archive:ro/x.tar docker-archive:ro/x.tar rootfs:ro/x; do
    bad "read-only DST ($d)" 3 "$d: .*Read-only file system" $DISTILL copy -q oci:src "$d"
  done
  bad "read-only harden DST" 3 "oci:ro/h: .*Read-only file system" $DISTILL harden oci:src oci:ro/h
  umount ro
else skip "read-only DST: cannot bind-mount here (needs root)"; fi
if mkdir -p small && mount -t tmpfs -o size=1M tmpfs small 2>/dev/null; then
  for d in oci:small/x oci-archive:small/x.tar docker-archive:small/x.tar rootfs:small/x; do
    bad "full disk DST ($d)" 3 "$d: .*No space left on device" $DISTILL copy -q oci:src "$d"
    check_eq "full disk left nothing ($d)" "" "$(ls -A small)"
  done
  bad "full --tmpdir" 3 "write small/distill-copy-.*No space left on device" $DISTILL copy -q --tmpdir small oci:src docker-archive:z.tar
  check_eq "full --tmpdir left nothing" "" "$(ls -A small; ls -A | grep -E '^\.?z' || true)"
  umount small
else skip "full DST: cannot mount a tmpfs here (needs root)"; fi
src_unchanged "after read-only and full destinations"

# --- an interrupted copy leaves DST as it was ---------------------------------------
$DISTILL copy -q oci:src docker-archive:dst.tar:a/b:1 > /dev/null
sum=$(sha256sum < dst.tar)
$DISTILL copy -q oci:src docker-archive:dst.tar:a/b:2 > /dev/null & pid=$!
for _ in $(seq 500); do compgen -G '.dst.tar.tmp-*' > /dev/null && break; sleep 0.01; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check_eq "kill -9 mid-copy: DST unchanged" "$sum" "$(sha256sum < dst.tar)"
check_eq "kill -9 mid-copy: only the hidden temp is left" "dst.tar" "$(ls -A | grep dst | grep -v '^\.dst\.tar\.tmp-[0-9]*-[0-9]*$' | tr '\n' ' ' | sed 's/ $//')"
rm -f .dst.tar.tmp-*
src_unchanged "after an interrupted copy"

# --- registries that are not there or not registries --------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dead=$(free_port)
bad "registry down" 3 "docker://127.0.0.1:$dead/foo: cannot connect to registry 127.0.0.1:$dead" \
  $DISTILL inspect --tls-verify=false docker://127.0.0.1:$dead/foo:latest
bad "push to a registry that is down" 3 "docker://127.0.0.1:$dead/foo: cannot connect" \
  $DISTILL copy --dest-tls-verify=false oci:src docker://127.0.0.1:$dead/foo:latest
bad "bad registry port" 3 "bad registry host '127.0.0.1:99999'" $DISTILL inspect docker://127.0.0.1:99999/foo:latest
bad "repository with ../" 3 "bad repository name '../../foo'" $DISTILL inspect docker://127.0.0.1:$dead/../../foo:latest
bad "registry digest with ../" 3 "bad digest 'sha256:../../x'" $DISTILL inspect docker://127.0.0.1:$dead/foo@sha256:../../x
mkdir -p www
port=$(free_port)
(cd www && exec python3 -m http.server "$port" --bind 127.0.0.1 > /dev/null 2>&1) & http=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.1; done
bad "a plain web server is not a registry" 3 "registry 127.0.0.1:$port: http://127.0.0.1:$port/v2/ answered HTTP 404" \
  $DISTILL inspect --tls-verify=false docker://127.0.0.1:$port/foo:latest
bad "HTTPS to a plain-HTTP server" 3 "a plain-HTTP registry\? then use --tls-verify=false" $DISTILL inspect docker://127.0.0.1:$port/foo:latest
mkdir -p www/v2/foo/manifests; echo '{}' > www/v2/index.html; echo garbage > www/v2/foo/manifests/latest
bad "registry answering a garbage manifest" 3 "docker://127.0.0.1:$port/foo:latest: manifest is not valid JSON" \
  $DISTILL inspect --tls-verify=false docker://127.0.0.1:$port/foo:latest
cp "src/blobs/sha256/$M" www/v2/foo/manifests/latest
bad "registry missing a blob" 3 "blob sha256:$C: not found \(HTTP 404\)" $DISTILL copy --src-tls-verify=false docker://127.0.0.1:$port/foo:latest oci:b
mkdir -p www/v2/foo/blobs; head -c "$(stat -c%s "src/blobs/sha256/$C")" /dev/zero > "www/v2/foo/blobs/sha256:$C"
bad "registry blob with the right size, wrong bytes" 3 "blob sha256:$C: digest mismatch: the downloaded bytes are sha256:" \
  $DISTILL copy --src-tls-verify=false docker://127.0.0.1:$port/foo:latest oci:b
head -c 5000000 /dev/zero | tr '\0' ' ' > www/v2/foo/manifests/big
bad "registry manifest too large" 3 "docker://127.0.0.1:$port/foo:big: .*larger than" $DISTILL inspect --tls-verify=false docker://127.0.0.1:$port/foo:big
check_eq "failed pulls left no destination" "" "$(ls -A | grep -xE '(b|\.b\..*)' || true)"
kill $http 2>/dev/null; wait $http 2>/dev/null

# --- harden --user and the image's User -----------------------------------------------
bad "harden --report where it cannot be written" 3 "--report missing-dir/r.json: cannot write there: No such file" $DISTILL harden oci:src oci:hr2 --report missing-dir/r.json
check "... is found before DST is written" test ! -e hr2
bad "harden --report under a file" 3 "--report emptyfile/r.json: cannot write there: Not a directory" $DISTILL harden --dry-run oci:src --report emptyfile/r.json
bad "harden --runtime unknown: a usage error naming it" 2 "--runtime: expected one of auto,runc,crun,podman,docker, got 'dokcer'" $DISTILL harden --dry-run oci:src --runtime dokcer
bad "harden --user a:b:c" 3 "--user 'a:b:c': not NAME\|UID\[:GID\]" $DISTILL harden --dry-run oci:src --user a:b:c
bad "harden --user id out of range" 3 "--user '99999999999999': not NAME" $DISTILL harden --dry-run oci:src --user 99999999999999
bad "harden --user starting with -" 3 "--user '-5': not NAME" $DISTILL harden --dry-run oci:src --user=-5
bad "harden --user with a missing group name" 3 "--user x:nosuchgroup: no group 'nosuchgroup' in /etc/group" $DISTILL harden --dry-run oci:src --user x:nosuchgroup
# A config User that would write a second line into /etc/passwd.
cfg=$(jq -c '.config.User="evil:x:0:0::/:/bin/sh\nroot"' "src/blobs/sha256/$C")
cd_=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
mkm hc "$(jq -c --arg d "sha256:$cd_" --argjson s "${#cfg}" '.config.digest=$d|.config.size=$s' <<< "$orig")"
printf '%s' "$cfg" > "hc/blobs/sha256/$cd_"
bad "harden: hostile config User refused in one line" 3 "the image's config User 'evil:x:0:0::/:/bin/sh.x0aroot': not NAME" $DISTILL harden oci:hc oci:hh
check "harden: no output after the refusal" test ! -e hh
rm -rf hc

# An image with no /etc at all (a rootfs of one binary) still gets its run user.
mkdir -p mini/bin && cp /bin/true mini/bin/
check "harden an image without /etc/passwd" bash -c "$DISTILL copy -q rootfs:mini oci:mini-img > /dev/null && $DISTILL harden oci:mini-img oci:mini-hard > /dev/null 2>&1 && $DISTILL copy -q oci:mini-hard rootfs:mini-tree > /dev/null"
check_eq "... /etc/passwd is created with the run user" "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin" "$(cat mini-tree/etc/passwd 2>/dev/null)"
check_eq "... and /etc/group" "nonroot:x:65532:" "$(cat mini-tree/etc/group 2>/dev/null)"
rm -rf mini mini-img mini-hard mini-tree
# /etc/passwd and /etc/group as symlinks out of the tree: the host's files are not read
# into the image, and the new files are not world-writable (a symlink's mode is 0777).
mkdir -p ev/bin ev/etc && cp /bin/true ev/bin/ && ln -s /etc/shadow ev/etc/passwd && ln -s ../../../../../../../etc/group ev/etc/group
check "harden an image whose /etc/passwd is a symlink out of the tree" bash -c "$DISTILL copy -q rootfs:ev oci:ev-img > /dev/null && $DISTILL harden oci:ev-img oci:ev-hard > /dev/null 2>&1 && $DISTILL copy -q oci:ev-hard rootfs:ev-tree > /dev/null"
check_eq "... the host's files were not read in" "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin|nonroot:x:65532:" \
  "$(cat ev-tree/etc/passwd 2>/dev/null)|$(cat ev-tree/etc/group 2>/dev/null)"
check_eq "... and the new files are 0644 root" "644 0 644 0" "$(stat -c '%a %u' ev-tree/etc/passwd ev-tree/etc/group 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
rm -rf ev ev-img ev-hard ev-tree

# Malformed or crooked entry points in the config.
# mkcfg NAME CONFIG-JSON: a layout of src's layer with this config.
mkcfg() {
  local cd=$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)
  mkm "$1" "$(jq -c --arg d "sha256:$cd" --argjson s "${#2}" '.config.digest=$d|.config.size=$s' <<< "$orig")"
  printf '%s' "$2" > "$1/blobs/sha256/$cd"
}
mkcfg ep '{"architecture":"amd64","os":"linux","config":{"Entrypoint":"/bin/sh"}}'
bad "harden: Entrypoint that is a string" 3 "image config: config.Entrypoint is not a list" $DISTILL harden --dry-run oci:ep
mkcfg ep '{"architecture":"amd64","os":"linux","config":{"Cmd":[5]}}'
bad "harden: Cmd with a number" 3 "image config: config.Cmd\[0\] is not a string" $DISTILL harden --dry-run oci:ep
mkcfg ep '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["../../../../bin/bash"]}}'
bad "harden: entry point spelled with ../ gets a usable --allow hint" 3 "entry point ../../../../bin/bash .* keep it with --allow /usr/bin/bash$" $DISTILL harden --dry-run oci:ep
check "... and that --allow works" bash -c "$DISTILL harden --dry-run oci:ep --allow /usr/bin/bash > /dev/null 2>&1"
mkcfg ep '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/sh"]}}'
bad "harden: a clean entry point path is the hint as written" 3 "entry point /bin/sh would be removed by harden \(rule shell\); keep it with --allow /bin/sh$" $DISTILL harden --dry-run oci:ep
rm -rf ep

# Standard output that cannot be written (a full disk) is an error, not a silent success.
bad "inspect to a full stdout" 3 "oci:src: writing to standard output: No space left on device" bash -c "$DISTILL inspect oci:src > /dev/full"
bad "copy whose digest cannot be printed" 3 "oci:out-full: copied, but the digest could not be written" bash -c "$DISTILL copy -q oci:src oci:out-full > /dev/full"
bad "harden --dry-run to a full stdout" 3 "oci:src: writing the list of changes to standard output" bash -c "$DISTILL harden --dry-run oci:src > /dev/full"
rm -rf out-full

# --- build refuses a destination that is its source before it runs anything -----------------
bad "build into its own source" 3 "oci:src:latest: the destination is the source" $DISTILL build oci:src:latest oci:src:latest -- /bin/true
bad "build into a missing parent" 3 "the parent directory $T/nonexist does not exist" $DISTILL build oci:src:latest oci:$T/nonexist/x:latest -- /bin/true

# --- --help names the flags the man page documents, and the other way round ---------------
for c in copy inspect harden; do
  h=$($DISTILL $c --help | grep -oE -- '(^| )(-q|--[a-z-]+)' | sed 's/^ //' | LC_ALL=C sort -u | tr '\n' ' ')
  # inspect's man page names copy's destination flags only to say they are refused.
  m=$(grep -oE -- '\\-\\-[a-z\\-]+|\\-q' "$TOP/docs/man/distill-$c.1" | sed 's/\\//g' | LC_ALL=C sort -u |
      { if [ $c = inspect ]; then grep -vxE -- '--dest-tls-verify|--dest-creds|--compress'; else cat; fi; } | tr '\n' ' ')
  check_eq "distill $c --help and distill-$c.1 name the same flags" "$m" "$h"
done

src_unchanged "at the end"
