#!/usr/bin/env bash
# Rough edges of copy / inspect (issue 15): archive destinations that exist (refused when unrelated,
# added to when they are archives of the kind), the docker-archive digest copy prints, the platform
# of a rootfs: tree (flag, ELF files, contradiction) and inspect --platform's warning, list-tags.
source "$(dirname "$0")/lib.sh"
cd "$T"
mkdir -p t1/bin t2/bin && echo one > t1/bin/a && echo two > t2/bin/b
$DISTILL copy -q rootfs:t1 oci:lay:one >/dev/null && $DISTILL copy -q rootfs:t2 oci:lay:two >/dev/null || fail "setup: rootfs -> oci"
d1=$($DISTILL inspect oci:lay:one | jq -r .digest); d2=$($DISTILL inspect oci:lay:two | jq -r .digest)

# --- an existing unrelated file as an archive destination: refused, one line, left as it was ---
echo '{"not": "an archive"}' > j.json; echo 'some text' > notes.txt; cp j.json j.orig; cp notes.txt notes.orig
for dst in docker-archive:j.json:x/y:1 docker-archive:notes.txt oci-archive:j.json:v1 oci-archive:notes.txt; do
  f=${dst#*:}; f=${f%%:*}
  $DISTILL copy -q oci:lay:one "$dst" >out 2>err; rc=$?
  check_eq "copy to $dst (an unrelated file): exit 3" 3 "$rc"
  check_eq "copy to $dst: one line saying it is not an archive" "1 1" "$(wc -l < err) $(grep -c 'exists and is not an\? \(docker archive\|oci-archive\).*refusing to overwrite it' err)"
  check "copy to $dst: the file is untouched" cmp -s "$f" "${f%.*}.orig"
  check_eq "copy to $dst: no temp file left" "" "$(ls -A | grep -- '\.tmp-' || true)"
done
tar cf other.tar -C t1 bin
cp other.tar other.orig
$DISTILL copy -q oci:lay:one docker-archive:other.tar 2>err; rc=$?
check_eq "copy to docker-archive: a tar without manifest.json is refused" "3 1" "$rc $(grep -c 'no manifest.json' err)"
check "copy to docker-archive: that tar is untouched" cmp -s other.tar other.orig
$DISTILL copy -q oci:lay:one oci-archive:other.tar 2>err; rc=$?
check_eq "copy to oci-archive: a tar of other files is refused" "3 1" "$rc $(grep -c 'is not an oci-archive' err)"
: > empty.tar
check "copy to docker-archive: an empty file is a new archive" bash -c "$DISTILL copy -q oci:lay:one docker-archive:empty.tar:x/one:1 >/dev/null"

# --- a second ref into an existing oci-archive: both are kept -------------------------------
check_eq "oci-archive: first ref" "$d1" "$($DISTILL copy -q oci:lay:one oci-archive:oa.tar:one)"
check_eq "oci-archive: second ref" "$d2" "$($DISTILL copy -q oci:lay:two oci-archive:oa.tar:two)"
check_eq "oci-archive: the first ref is still there" "$d1" "$($DISTILL inspect oci-archive:oa.tar:one | jq -r .digest)"
check_eq "oci-archive: the second ref is there" "$d2" "$($DISTILL inspect oci-archive:oa.tar:two | jq -r .digest)"
check_eq "oci-archive: skopeo reads both" "$d1 $d2" \
  "$(skopeo inspect oci-archive:oa.tar:one | jq -r .Digest) $(skopeo inspect oci-archive:oa.tar:two | jq -r .Digest)"
$DISTILL copy -q oci:lay:two oci-archive:oa.tar:one >/dev/null
check_eq "oci-archive: a ref copied again replaces its own entry only" "one=$d2 two=$d2" \
  "$(tar xOf oa.tar index.json | jq -r '[.manifests[] | "\(.annotations["org.opencontainers.image.ref.name"])=\(.digest)"] | sort | join(" ")')"
check_eq "oci-archive: no entry twice in the tar" "" "$(tar tf oa.tar | sort | uniq -d)"
check "oci-archive: the merged archive copies out with skopeo" skopeo copy -q oci-archive:oa.tar:two oci:sk-out:two

# --- docker-archive: a second image is added; the tag moves; copy prints what inspect says ---
a=$($DISTILL copy -q oci:lay:one docker-archive:da.tar:localhost/edges/one:1)
check_eq "docker-archive: copy prints the digest inspect reports" "$a" "$($DISTILL inspect docker-archive:da.tar | jq -r .digest)"
check "docker-archive: that digest differs from the gzip'd source's (layers are stored plain)" test "$a" != "$d1"
b=$($DISTILL copy -q oci:lay:two docker-archive:da.tar:localhost/edges/two:1)
check_eq "docker-archive: second image's digest = inspect's" "$b" "$($DISTILL inspect docker-archive:da.tar:localhost/edges/two:1 | jq -r .digest)"
check_eq "docker-archive: the first image is kept" "$a" "$($DISTILL inspect docker-archive:da.tar:localhost/edges/one:1 | jq -r .digest)"
check_eq "docker-archive: skopeo sees both tags" "2" \
  "$( (skopeo inspect docker-archive:da.tar:localhost/edges/one:1 && skopeo inspect docker-archive:da.tar:localhost/edges/two:1) | jq -s length)"
$DISTILL copy -q oci:lay:one docker-archive:da.tar:localhost/edges/one:2 >/dev/null
check_eq "docker-archive: same image, another tag: one entry with both tags" '[["localhost/edges/one:1","localhost/edges/one:2"],["localhost/edges/two:1"]]' \
  "$(tar xOf da.tar manifest.json | jq -c '[.[].RepoTags]')"
$DISTILL copy -q oci:lay:two docker-archive:da.tar:localhost/edges/one:1 >/dev/null
check_eq "docker-archive: a tag copied again moves to the new image" '[["localhost/edges/one:2"],["localhost/edges/two:1","localhost/edges/one:1"]]' \
  "$(tar xOf da.tar manifest.json | jq -c '[.[].RepoTags]')"
check_eq "docker-archive: no file twice in the tar" "" "$(tar tf da.tar | sort | uniq -d)"
pod=(podman --cgroup-manager=cgroupfs)
if "${pod[@]}" load -i da.tar >load.out 2>&1; then
  check "podman loads the merged docker-archive: every tag" bash -c "grep -q 'localhost/edges/one:2' load.out && grep -q 'localhost/edges/two:1' load.out"
  "${pod[@]}" rmi -f localhost/edges/one:2 localhost/edges/two:1 localhost/edges/one:1 >/dev/null 2>&1
else
  fail "podman load of the merged docker-archive: $(tail -3 load.out)"
fi
# gzip and zstd sources: the digest copy prints is the one inspect reports of the archive.
# A manifest with annotations (a docker archive cannot keep them): the digest is still inspect's.
$DISTILL copy -q --compress zstd oci:lay:one oci:z:one >/dev/null
jq -c '.annotations = {"org.example.note": "kept in oci, not in docker-archive"}' <($DISTILL inspect --raw oci:lay:one) > ann.json
ad=$(sha256sum ann.json | cut -d' ' -f1); cp ann.json "lay/blobs/sha256/$ad"
jq -c --arg d "sha256:$ad" --argjson s "$(stat -c %s ann.json)" '.manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "ann"}}]' lay/index.json > idx && mv idx lay/index.json
for src in oci:lay:one oci:z:one oci:lay:ann; do
  rm -f dz.tar; c=$($DISTILL copy -q "$src" docker-archive:dz.tar:localhost/z:1)
  check_eq "copy $src -> docker-archive: printed digest = inspect's" "$c" "$($DISTILL inspect docker-archive:dz.tar | jq -r .digest)"
done

sq=$($DISTILL squash oci:lay:one docker-archive:sq.tar:localhost/sq:1 2>/dev/null | sed -n 's/^manifest //p')
check_eq "squash -> docker-archive: printed digest = inspect's" "$sq" "$($DISTILL inspect docker-archive:sq.tar | jq -r .digest)"

# --- the platform of a rootfs: tree --------------------------------------------------------
host=$(dpkg --print-architecture)
echo 'int main(void) { return 0; }' > m.c
mkdir -p arm/usr/bin amd/usr/bin; ln -s usr/bin arm/bin
aarch64-linux-gnu-gcc -static -o arm/usr/bin/prog m.c && cc -o amd/usr/bin/prog m.c || fail "setup: compile"
$DISTILL copy -q rootfs:arm oci:p:arm >/dev/null
check_eq "rootfs: AArch64 programs make a linux/arm64 image" "linux/arm64/v8" "$($DISTILL inspect oci:p:arm | jq -r .platform)"
$DISTILL copy -q --platform linux/arm64 rootfs:arm oci:p:arm-flag >/dev/null
check_eq "rootfs: --platform linux/arm64 is recorded" "arm64" "$($DISTILL inspect oci:p:arm-flag | jq -r .architecture)"
$DISTILL copy -q rootfs:amd oci:p:amd >/dev/null
check_eq "rootfs: x86-64 programs make a linux/amd64 image" "linux/amd64" "$($DISTILL inspect oci:p:amd | jq -r .platform)"
check_eq "rootfs: no ELF file: this machine's platform" "$host" "$($DISTILL inspect oci:lay:one | jq -r .architecture)"
$DISTILL copy -q --platform linux/arm64 rootfs:amd oci:p:bad >out 2>err; rc=$?
check_eq "rootfs: --platform linux/arm64 on x86-64 programs is refused" 3 "$rc"
check_eq "rootfs: the refusal is one line naming a program" "1 1" "$(wc -l < err) $(grep -c 'contradicts.*linux/amd64.*/usr/bin/prog (x86-64)' err)"
check_eq "rootfs: nothing written on a contradiction" "" "$(jq -r '.manifests[] | .annotations["org.opencontainers.image.ref.name"] | select(. == "bad")' p/index.json)"

# --- inspect --platform of a single-platform image of another platform: a warning, as podman's ---
$DISTILL inspect --platform linux/arm64 oci:p:amd >out 2>err; rc=$?
check_eq "inspect --platform mismatch: still exit 0" 0 "$rc"
check_eq "inspect --platform mismatch: podman's warning" \
  "WARNING: image platform (linux/amd64) does not match the expected platform (linux/arm64)" "$(cat err)"
check_eq "inspect --platform mismatch: the image is printed" "linux/amd64" "$(jq -r .platform out)"
check_eq "inspect --platform match: no warning" "" "$($DISTILL inspect --platform linux/amd64 oci:p:amd 2>&1 >/dev/null)"
check_eq "inspect --platform linux/arm64 of arm64/v8: no warning" "" "$($DISTILL inspect --platform linux/arm64 oci:p:arm 2>&1 >/dev/null)"

# --- list-tags: layouts, archives, a registry (with pagination) ---------------------------------
check_eq "list-tags oci:DIR: the ref names" '{"schema":1,"Repository":"oci:lay","Tags":["one","two","ann"]}' "$($DISTILL list-tags oci:lay | jq -c .)"
check_eq "list-tags oci-archive: the ref names" '["one","two"]' "$($DISTILL list-tags oci-archive:oa.tar | jq -c '.Tags | sort')"
check_eq "list-tags docker-archive: every RepoTags entry" '["localhost/edges/one:1","localhost/edges/one:2","localhost/edges/two:1"]' \
  "$($DISTILL list-tags docker-archive:da.tar | jq -c '.Tags | sort')"
check_eq "list-tags docker-archive = skopeo list-tags" "$(skopeo list-tags docker-archive:da.tar | jq -c '.Tags | sort')" \
  "$($DISTILL list-tags docker-archive:da.tar | jq -c '.Tags | sort')"
for bad in oci:lay:one docker-archive:j.json oci-archive:nowhere.tar rootfs:t1 oci:t1; do
  $DISTILL list-tags "$bad" >out 2>err; rc=$?
  check_eq "list-tags $bad: exit 3, one line, nothing on stdout" "3 1 0" "$rc $(wc -l < err) $(wc -c < out)"
done
$DISTILL list-tags 2>/dev/null; check_eq "list-tags without LOCATION: usage error" 2 $?
$DISTILL list-tags --compress gzip oci:lay 2>/dev/null; check_eq "list-tags --compress: usage error" 2 $?
check "list-tags --help" bash -c "$DISTILL list-tags --help | head -1 | grep -q '^Usage: distill list-tags'"
check "distill --help lists list-tags" bash -c "$DISTILL --help | grep -q '^  list-tags '"

if command -v docker-registry >/dev/null; then
  PORT=""
  for p in $(seq 18200 18299); do
    python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$p))" 2>/dev/null && { PORT=$p; break; }
  done
  mkdir -p reg
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/reg/data" "$PORT" > reg/config.yml
  docker-registry serve reg/config.yml > reg/log 2>&1 &
  regpid=$!
  trap 'kill $regpid 2>/dev/null; wait $regpid 2>/dev/null; rm -rf "$T"' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.2; done
  R=127.0.0.1:$PORT
  for t in v1 v2 v3 v4 v5; do $DISTILL copy -q --dest-tls-verify=false oci:lay:one docker://$R/edges/tiny:$t >/dev/null || fail "push tiny:$t"; done
  check_eq "list-tags docker://: the registry's tags, as skopeo prints them" \
    "$(skopeo list-tags --tls-verify=false docker://$R/edges/tiny | jq -c '{Repository, Tags: (.Tags | sort)}')" \
    "$($DISTILL list-tags --tls-verify=false docker://$R/edges/tiny | jq -c '{Repository, Tags: (.Tags | sort)}')"
  $DISTILL list-tags --tls-verify=false docker://$R/edges/none >out 2>err; rc=$?
  check_eq "list-tags of a missing repository: exit 3, one line" "3 1" "$rc $(wc -l < err)"
  check "list-tags of a missing repository: says so" grep -q "repository not found" err
  $DISTILL list-tags --tls-verify=false docker://$R/edges/tiny:v1 >out 2>err; rc=$?
  check_eq "list-tags docker://REPO:TAG: refused (a repository, not an image)" "3 1" "$rc $(grep -c 'not an image' err)"
  kill $regpid 2>/dev/null
else
  fail "docker-registry is not installed (scripts/install-deps.sh installs it)"
fi

# Pagination (docker-registry 2.8 answers in one page): the fake registry pages as the spec says.
python3 "$TOP/tests/integration/registry_fake.py" "$T/lay" "$T/fake.port" "" 2> fake.log & fakepid=$!
trap 'kill $fakepid 2>/dev/null; kill ${regpid:-} 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s fake.port ] && break; sleep 0.1; done
F=127.0.0.1:$(cat fake.port)
for t in a1 b2 c3 d4 e5; do $DISTILL copy -q --dest-tls-verify=false oci:lay:one docker://$F/x/paged:$t >/dev/null || fail "push to the fake: $t"; done
check_eq "list-tags docker:// follows the Link pages (2 tags a page)" '["a1","b2","c3","d4","e5","latest"]' \
  "$(DISTILL_TAGS_PAGE_SIZE=2 $DISTILL list-tags --tls-verify=false docker://$F/x/paged | jq -c '.Tags')"
check_eq "list-tags: the pages were asked for (n=2, then last=...)" 3 "$(grep -c 'GET /v2/x/paged/tags/list?n=2' fake.log)"
check_eq "list-tags docker://: Repository is HOST/REPO" "$F/x/paged" \
  "$($DISTILL list-tags --tls-verify=false docker://$F/x/paged | jq -r .Repository)"
kill $fakepid 2>/dev/null
