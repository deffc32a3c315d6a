#!/usr/bin/env bash
# docker:// transport against a fake registry that misbehaves on purpose (registry_fake.py):
# retries on 503, blob redirects to another host without forwarding credentials, absolute
# upload Locations, a wrong Docker-Content-Digest, a short blob, a token given as access_token.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
PIDS=()
cleanup() { for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
L=$(debian_image base-apt) || { fail "setup: fixture image base-apt"; exit 1; }
want=$(jq -r '.manifests[0].digest' "$L/index.json")

# fake NAME MODES: start a fake registry serving $L; sets R=127.0.0.1:PORT.
fake() {
  rm -f "$T/$1.port"
  python3 "$TOP/tests/integration/registry_fake.py" "$L" "$T/$1.port" "$2" 2> "$T/$1.log" &
  PIDS+=($!)
  for _ in $(seq 50); do [ -f "$T/$1.port" ] && break; sleep 0.1; done
  R=127.0.0.1:$(cat "$T/$1.port" 2>/dev/null) || { fail "setup: fake registry $1 did not start"; exit 1; }
}
pull() { "$DISTILL" copy -q --src-tls-verify=false "docker://$R/$1" "oci:$2:latest"; }
push() { "$DISTILL" copy -q --dest-tls-verify=false "oci:$L:latest" "docker://$R/$1"; }

fake flaky flaky,fresh
got=$(pull x/img:latest "$T/flaky" 2>"$T/flaky.err")
check_eq "503 answers are retried (pull)" "$want" "$got"
check "every path really got a 503 first" grep -q '"GET /v2/x/img/blobs/.* 503' "$T/flaky.log"
got=$(push y/img:t 2>"$T/flaky-push.err")
check_eq "503 answers are retried (push)" "$want" "$got"
check "a retried upload PUT re-sent the whole file" grep -q '"PUT /upload/.*digest=sha256.* 201' "$T/flaky.log"

fake redirect redirect,bearer,abs-location,fresh
got=$(pull x/img:latest "$T/redir" 2>"$T/redir.err")
check_eq "blob redirects to another host are followed (Bearer via access_token)" "$want" "$got"
check "the storage host was used" grep -q 'storage: .*GET /storage/sha256:' "$T/redirect.log"
check_fails "no Authorization header reached the storage host" grep -q 'storage: .* 400 ' "$T/redirect.log"
got=$(push y/img:t2 2>"$T/redir-push.err")
check_eq "push with absolute upload Locations" "$want" "$got"
check "the uploads went to the absolute Location" grep -q 'PUT /upload/.*state=1&digest=sha256' "$T/redirect.log"

# Cross-repository mounts: a blob pulled from x/img in this run is mounted into y/img.
copy() { "$DISTILL" copy -q --tls-verify=false "docker://$R/$1" "docker://$R/$2"; }
fake mount mount,fresh
got=$(copy x/img:latest y/img:m 2>"$T/mount.err")
check_eq "registry -> registry copy with mounts" "$want" "$got"
check "blobs were mounted, not uploaded" grep -q 'POST /v2/y/img/blobs/uploads/?mount=sha256%3A.*&from=x%2Fimg.* 201' "$T/mount.log"
check_fails "nothing was uploaded" grep -q 'PUT /upload/' "$T/mount.log"
fake nomount fresh
got=$(copy x/img:latest y/img:m 2>"$T/nomount.err")
check_eq "a registry that ignores mount gets an upload" "$want" "$got"
check "the upload used the session from the mount request" grep -q 'PUT /upload/.* 201' "$T/nomount.log"

fake denied mount-denied,fresh
got=$(copy x/img:latest y/img:m 2>"$T/denied.err")
check_eq "a refused mount falls back to an upload" "$want" "$got"
check "the refused mount was tried first" grep -q 'POST /v2/y/img/blobs/uploads/?mount=.* 403' "$T/denied.log"

fake baddcd bad-dcd
err=$(pull x/img:latest "$T/baddcd" 2>&1)
check "a wrong Docker-Content-Digest is refused" grep -q "manifest digest mismatch: Docker-Content-Digest" <<<"$err"

fake short short-blob
mkdir -p "$T/tmp"
err=$(TMPDIR=$T/tmp pull x/img:latest "$T/short" 2>&1)
check "a short blob is a size mismatch" grep -q "size mismatch" <<<"$err"
check_eq "a short blob leaves no temp file" "" "$(ls "$T/tmp")"
check "a short blob leaves no destination" test ! -e "$T/short/index.json"
