#!/usr/bin/env bash
# docker:// transport against a REAL registry (docker-registry on 127.0.0.1, plain HTTP):
# push, pull back, skopeo interop, tampered blobs, Basic auth (htpasswd) and Bearer token auth
# (docker-registry `auth: token:` + the test token server registry_token_server.py).
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
PIDS=()
cleanup() { for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

for tool in docker-registry skopeo openssl htpasswd python3; do
  command -v $tool >/dev/null || { fail "setup: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

# push LAYOUT REF [flags] / pull REF LAYOUT [flags]: `distill copy` to and from a plain-HTTP registry.
push() { "$DISTILL" copy -q "oci:$1:latest" "$2" --dest-tls-verify=false "${@:3}"; }
pull() { "$DISTILL" copy -q "$1" "oci:$2:latest" --src-tls-verify=false "${@:3}"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_registry NAME AUTH_YAML: a registry on a free port; sets PORT.
start_registry() {
  local name=$1 auth=$2
  PORT=$(free_port)
  mkdir -p "$T/$name"
  cat > "$T/$name/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $T/$name/data
http:
  addr: 127.0.0.1:$PORT
$auth
CONF
  docker-registry serve "$T/$name/config.yml" > "$T/$name/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && return 0
    sleep 0.2
  done
  cat "$T/$name/log"; fail "setup: registry $name did not start"; exit 1
}

L=$(debian_image base-apt) || { fail "setup: fixture image base-apt"; exit 1; }
want=$(jq -r '.manifests[0].digest' "$L/index.json")

# ---- anonymous -----------------------------------------------------------------------
start_registry anon ""
R=127.0.0.1:$PORT
got=$(push "$L" docker://$R/test/base:v1)
check_eq "push returns the layout's manifest digest" "$want" "$got"
check_eq "skopeo inspect sees what we pushed" "$want" \
  "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/test/base:v1 2>&1)"
got=$(pull docker://$R/test/base:v1 "$T/pulled")
check_eq "pull back gives the same manifest digest" "$want" "$got"
layer=$(jq -r '.layers[0].digest' "$L/blobs/sha256/${want#sha256:}")
check "pulled layer is byte-identical" cmp "$L/blobs/sha256/${layer#sha256:}" "$T/pulled/blobs/sha256/${layer#sha256:}"
check_eq "pulled blobs are world-readable like any layout's" "644" "$(stat -c %a "$T/pulled/blobs/sha256/${layer#sha256:}")"
check "skopeo reads our pulled layout" skopeo inspect oci:"$T/pulled" --format '{{.Digest}}'
got=$(pull docker://$R/test/base@$want "$T/bydigest")
check_eq "pull by @digest" "$want" "$got"
got=$(push "$L" docker://$R/pinned/base@$want)
check_eq "push by @digest" "$want" "$got"
err=$(push "$L" docker://$R/pinned/base@sha256:$(printf '%064d' 0) 2>&1)
check "push to a different @digest is refused" grep -q "not the one named" <<<"$err"
err=$(push "$L" docker://$R/test/base:v1 2>&1 >/dev/null); rc=$?
check_eq "second push (blobs already there) succeeds" "0" "$rc"

ins=$("$DISTILL" inspect --src-tls-verify=false docker://$R/test/base:v1 2>&1)
check_eq "distill inspect docker:// reads the pushed digest" "$want" "$(jq -r .digest <<<"$ins" 2>/dev/null)"

# docker-archive -> registry -> oci.
check "setup: oci -> docker-archive" "$DISTILL" copy -q "oci:$L:latest" "docker-archive:$T/base.tar:test/base:d1"
dgot=$("$DISTILL" copy -q "docker-archive:$T/base.tar" docker://$R/dock/base:d1 --dest-tls-verify=false)
check_eq "docker-archive -> registry: skopeo sees the same digest" "$dgot" \
  "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/dock/base:d1 2>&1)"
got=$(pull docker://$R/dock/base:d1 "$T/fromdock")
check_eq "docker-archive -> registry -> oci keeps the digest" "$dgot" "$got"

# A Docker v2 schema 2 manifest (skopeo --format v2s2) is pulled and pushed as such.
skopeo copy -q --dest-tls-verify=false --format v2s2 oci:"$L":latest docker://$R/v2s2/base:s2 >/dev/null 2>&1 \
  || fail "setup: skopeo copy --format v2s2"
s2=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/v2s2/base:s2)
ins=$("$DISTILL" inspect --src-tls-verify=false docker://$R/v2s2/base:s2 2>&1)
check_eq "inspect of a Docker v2 manifest: its digest" "$s2" "$(jq -r .digest <<<"$ins" 2>/dev/null)"
check_eq "inspect of a Docker v2 manifest: its media type" "application/vnd.docker.distribution.manifest.v2+json" \
  "$(jq -r .media_type <<<"$ins" 2>/dev/null)"
# registry -> registry keeps the Docker v2 manifest byte for byte
got=$("$DISTILL" copy -q --tls-verify=false docker://$R/v2s2/base:s2 docker://$R/v2s2copy/base:s2)
check_eq "registry -> registry copy of a Docker v2 manifest keeps its digest" "$s2" "$got"
check_eq "the registry serves the copy as Docker v2" "application/vnd.docker.distribution.manifest.v2+json" \
  "$(skopeo inspect --tls-verify=false --raw docker://$R/v2s2copy/base:s2 | jq -r .mediaType)"

got=$("$DISTILL" copy -q --tls-verify=false docker://$R/test/base:v1 docker://$R/mounted/base:v1)
check_eq "registry -> registry copy (blobs mounted across repositories)" "$want" "$got"
check_eq "skopeo sees the mounted copy" "$want" \
  "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/mounted/base:v1 2>&1)"

# A multi-arch index in the registry: the platform's manifest is fetched by digest.
mA=$L/blobs/sha256/${want#sha256:}
push "$L" docker://$R/multi/base:a >/dev/null || fail "setup: push into multi/base"
jq -c '. + {annotations: {"distill.test": "other"}}' "$mA" > "$T/mB.json"
mB=sha256:$(sha256sum < "$T/mB.json" | cut -d' ' -f1)
curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary @"$T/mB.json" \
  "http://$R/v2/multi/base/manifests/$mB" >/dev/null || fail "setup: PUT the second manifest"
arch=$(dpkg --print-architecture); other=s390x; [ "$arch" = s390x ] && other=arm64
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$mB\",\"size\":$(stat -c %s "$T/mB.json"),\"platform\":{\"os\":\"linux\",\"architecture\":\"$other\"}}" \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$want\",\"size\":$(stat -c %s "$mA"),\"platform\":{\"os\":\"linux\",\"architecture\":\"$arch\"}}" \
  > "$T/index.json"
curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary @"$T/index.json" \
  "http://$R/v2/multi/base/manifests/1" >/dev/null || fail "setup: PUT the index"
check_eq "index: this machine's platform is picked" "$want" \
  "$("$DISTILL" inspect --src-tls-verify=false docker://$R/multi/base:1 | jq -r .digest)"
got=$(pull docker://$R/multi/base:1 "$T/multi")
check_eq "index: pull gives the platform's manifest" "$want" "$got"

# An image that skopeo pushed is pulled by us.
skopeo copy -q --dest-tls-verify=false oci:"$L":latest docker://$R/bysko/base:s1 >/dev/null 2>&1 \
  || fail "setup: skopeo copy to the registry"
sk=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' docker://$R/bysko/base:s1)
got=$(pull docker://$R/bysko/base:s1 "$T/fromsko")
check_eq "pull of a skopeo-pushed image gives skopeo's digest" "$sk" "$got"

# Clear errors.
err=$(pull docker://$R/test/base:nope "$T/x" 2>&1)
check "missing tag: manifest unknown, names the tag" grep -q "test/base:nope: manifest unknown" <<<"$err"
dead=$(free_port)
err=$(pull docker://127.0.0.1:$dead/test/base:v1 "$T/x" 2>&1)
check "refused connection names the host" grep -q "cannot connect to registry 127.0.0.1:$dead" <<<"$err"
err=$("$DISTILL" copy docker://$R/test/base:v1 "oci:$T/x:latest" 2>&1)
check "TLS verification on a plain-HTTP registry fails with a hint" grep -q "tls-verify=false" <<<"$err"
# Tamper with the stored config blob: same size, other bytes -> digest mismatch.
cfg=$(jq -r '.config.digest' "$L/blobs/sha256/${want#sha256:}")
h=${cfg#sha256:}
stored=$T/anon/data/docker/registry/v2/blobs/sha256/${h:0:2}/$h/data
if [ -f "$stored" ]; then
  sz=$(stat -c %s "$stored"); head -c "$sz" /dev/zero | tr '\0' 'x' > "$stored"
  mkdir -p "$T/tmp"
  err=$(TMPDIR=$T/tmp pull docker://$R/test/base:v1 "$T/tampered" 2>&1)
  check "tampered blob: digest mismatch is an error" grep -q "blob $cfg: digest mismatch" <<<"$err"
  check_eq "tampered blob: no temp file left" "" "$(ls "$T/tmp")"
else
  fail "tampered blob: registry storage layout not found at $stored"
fi

# ---- Basic auth (htpasswd, bcrypt) ----------------------------------------------------
htpasswd -Bbn alice s3cret > "$T/htpasswd"
start_registry basic "auth:
  htpasswd:
    realm: test-realm
    path: $T/htpasswd"
R=127.0.0.1:$PORT
err=$(push "$L" docker://$R/priv/base:v1 2>&1)
check "basic: no credentials -> says they are missing" grep -q "requires authentication" <<<"$err"
err=$(push "$L" docker://$R/priv/base:v1 --dest-creds alice:wrong 2>&1)
check "basic: wrong password -> rejected" grep -q "rejected the credentials" <<<"$err"
check_fails "basic: error never shows the password" grep -q wrong <<<"$err"
got=$(push "$L" docker://$R/priv/base:v1 --dest-creds alice:s3cret)
check_eq "basic: push with --dest-creds" "$want" "$got"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf alice:s3cret | base64)" > "$T/auth.json"
got=$(pull docker://$R/priv/base:v1 "$T/basicpull" --authfile "$T/auth.json")
check_eq "basic: pull with --authfile" "$want" "$got"
got=$(REGISTRY_AUTH_FILE=$T/auth.json pull docker://$R/priv/base:v1 "$T/basicpull2")
check_eq "basic: pull with \$REGISTRY_AUTH_FILE" "$want" "$got"
mkdir -p "$T/home/.docker"
printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}' "$R" "$(printf alice:s3cret | base64)" > "$T/home/.docker/config.json"
got=$(env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME=$T/home "$DISTILL" copy -q --src-tls-verify=false docker://$R/priv/base:v1 "oci:$T/basicpull3:latest")
check_eq "basic: pull with ~/.docker/config.json" "$want" "$got"
mkdir -p "$T/bin" "$T/home2/.docker"
cat > "$T/bin/docker-credential-distilltest" <<'HELPER'
#!/bin/sh
read server
[ "$1" = get ] && [ "$server" = "$EXPECT_SERVER" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\n' "$server"
HELPER
chmod +x "$T/bin/docker-credential-distilltest"
printf '{"auths":{},"credHelpers":{"%s":"distilltest"}}' "$R" > "$T/home2/.docker/config.json"
got=$(env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME=$T/home2 PATH="$T/bin:$PATH" EXPECT_SERVER=$R \
  "$DISTILL" copy -q --src-tls-verify=false docker://$R/priv/base:v1 "oci:$T/helperpull:latest")
check_eq "basic: credentials from a docker credential helper" "$want" "$got"
check_eq "basic: skopeo sees the pushed image" "$want" \
  "$(skopeo inspect --tls-verify=false --creds alice:s3cret --format '{{.Digest}}' docker://$R/priv/base:v1 2>&1)"

# ---- Bearer token auth (docker-registry auth: token + our token server) ------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tok.key" -out "$T/tok.crt" -days 2 \
  -subj /CN=distill-test-token >/dev/null 2>&1 || { fail "setup: token signing cert"; exit 1; }
python3 "$TOP/tests/integration/registry_token_server.py" "$T/tok.key" "$T/tok.crt" distill-test bob:t0ken \
  "$T/tokport" 2> "$T/token-server.log" &
PIDS+=($!)
for _ in $(seq 50); do [ -f "$T/tokport" ] && break; sleep 0.1; done
TP=$(cat "$T/tokport" 2>/dev/null) || { fail "setup: token server did not start"; exit 1; }
start_registry token "auth:
  token:
    realm: http://127.0.0.1:$TP/token
    service: distill-test-registry
    issuer: distill-test
    rootcertbundle: $T/tok.crt"
R=127.0.0.1:$PORT
check "bearer: the registry challenges with Bearer" bash -c \
  "curl -s -D- -o /dev/null http://$R/v2/ | grep -qi 'www-authenticate: Bearer realm=\"http://127.0.0.1:$TP/token\"'"
err=$(push "$L" docker://$R/tok/base:v1 2>&1)
check "bearer: no credentials -> token server requires them" grep -q "requires credentials" <<<"$err"
err=$(push "$L" docker://$R/tok/base:v1 --dest-creds bob:nope 2>&1)
check "bearer: wrong credentials -> rejected" grep -q "rejected the credentials" <<<"$err"
got=$(push "$L" docker://$R/tok/base:v1 --dest-creds bob:t0ken)
check_eq "bearer: push with a token" "$want" "$got"
got=$(pull docker://$R/tok/base:v1 "$T/tokpull" --src-creds bob:t0ken)
check_eq "bearer: pull back with a token" "$want" "$got"
got=$("$DISTILL" copy -q --tls-verify=false --src-creds bob:t0ken --dest-creds bob:t0ken \
  docker://$R/tok/base:v1 docker://$R/tok2/base:v1)
check_eq "bearer: registry -> registry copy to another repository" "$want" "$got"
check "bearer: the copy mounted blobs (a token with pull on the source repository)" \
  bash -c "grep 'scope=repository%3Atok2%2Fbase%3Apull%2Cpush' '$T/token-server.log' | grep -q 'scope=repository%3Atok%2Fbase%3Apull\\([& ]\\|$\\)'"
# The registry lists a challenge's actions in Go map order: the token request must not repeat our
# own scope as "push,pull" (one request per token, each scope once).
check_fails "bearer: our own scope asked for once" grep -q 'scope=repository%3Atok2%2Fbase%3Apush%2Cpull' "$T/token-server.log"
check_eq "bearer: skopeo sees the pushed image" "$want" \
  "$(skopeo inspect --tls-verify=false --creds bob:t0ken --format '{{.Digest}}' docker://$R/tok/base:v1 2>&1)"
