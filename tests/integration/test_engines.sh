#!/usr/bin/env bash
# docker-daemon: and containers-storage: against the REAL engines: a private dockerd (Debian's
# docker.io; socket, data and exec roots under this test's folder, no firewall changes) and
# podman with a private store ([overlay@ROOT+RUNROOT]). A Debian nginx image goes in with
# `distill copy`, is checked with docker/podman themselves (images, inspect, run) and with
# skopeo, comes back out with the same config and diff IDs, and is read by scan/layers/inspect.
# Bad input: fake engines on unix sockets (not an engine, not HTTP, an old API, a cut-off
# export), a missing or refused socket, a socket we may not open, a tag that does not exist,
# a copy that fails half-way through the upload: one-line errors, nothing written, the store
# unchanged.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}

for tool in dockerd docker podman skopeo python3 jq setpriv; do
  command -v $tool >/dev/null || { fail "engines setup: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { fail "engines setup: needs root (dockerd, podman's store)"; exit 1; }

D=$T/docker
SOCK=$D/docker.sock
DPID=""; CPID=""; FAKES=()
cleanup() {
  for p in "${FAKES[@]+"${FAKES[@]}"}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ -n "$DPID" ]; then
    kill "$DPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DPID" 2>/dev/null
    [ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
  fi
  # Whatever dockerd or podman left mounted below our folder, deepest first.
  awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

img=$(debian_image debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\"") || { fail "engines: fixture image"; exit 1; }
cfg=$($DISTILL inspect oci:$img | jq -r .config_digest)
diffs=$($DISTILL inspect oci:$img | jq -c '[.layers[].diff_id]')

# --- a private Docker engine ---------------------------------------------------------
start_dockerd "$D" "$SOCK" "engines"
CPID=$(pgrep -P "$DPID" containerd || true)
export DOCKER_HOST=unix://$SOCK
DK=(docker -H "unix://$SOCK")
images() { "${DK[@]}" images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort; }
# err1 NAME FILE PATTERN: the error is exactly one line and says PATTERN.
err1() {
  local n; n=$(wc -l < "$2")
  if [ "$n" = 1 ] && grep -qE "$3" "$2"; then ok "$1"; else fail "$1: $n lines: $(head -c 400 "$2")"; fi
}

out=$($DISTILL copy -q oci:$img:latest docker-daemon:app:src); rc=$?
check_eq "copy oci -> docker-daemon:app:src" 0 $rc
check_eq "copy prints the image ID (the config digest)" "$cfg" "$out"
check_eq "docker images lists app:src with the image's config as ID" "app:src $cfg" \
  "$("${DK[@]}" images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' app:src)"
check_eq "docker inspect: the engine's diff IDs are the image's" "$diffs" \
  "$("${DK[@]}" inspect -f '{{json .RootFS.Layers}}' app:src)"
check_eq "docker inspect: entry point kept" '["/usr/sbin/nginx","-g","daemon off;"]' \
  "$("${DK[@]}" inspect -f '{{json .Config.Entrypoint}}' app:src)"
check_eq "distill inspect docker-daemon:app:src: same config digest as the oci source" "$cfg" \
  "$($DISTILL inspect docker-daemon:app:src | jq -r .config_digest)"
check "copy docker-daemon:app:src -> oci" $DISTILL copy -q docker-daemon:app:src oci:$T/back:x
check_eq "round trip: same diff IDs" "$diffs" "$($DISTILL inspect oci:$T/back | jq -c '[.layers[].diff_id]')"
check "round trip: the config is byte-identical" cmp -s <($DISTILL inspect --config oci:$img) <($DISTILL inspect --config oci:$T/back)
v=$("${DK[@]}" run --rm --network host --entrypoint cat app:src /etc/debian_version 2>"$T/run.err")
if [[ $v =~ ^12\. ]]; then ok "docker run of the image distill loaded ($v)"; else fail "docker run: '$v' $(tail -2 "$T/run.err")"; fi
check_eq "inspect docker-daemon:sha256:ID reads the same image" "$cfg" \
  "$($DISTILL inspect docker-daemon:$cfg | jq -r .config_digest)"
check_eq "layers docker-daemon: same files as the oci source" \
  "$($DISTILL layers --json oci:$img | jq -c '[.layers[] | [.added, .files_size]]')" \
  "$($DISTILL layers --json docker-daemon:app:src | jq -c '[.layers[] | [.added, .files_size]]')"
check_eq "scan docker-daemon: same packages as the oci source" \
  "$($DISTILL scan --json oci:$img | jq -c '[.packages[] | .name + "=" + .version]')" \
  "$($DISTILL scan --json docker-daemon:app:src | jq -c '[.packages[] | .name + "=" + .version]')"
check "skopeo reads what distill loaded: same config" \
  cmp -s <(skopeo inspect --daemon-host "unix://$SOCK" --config docker-daemon:app:src | jq -cS 'del(..|nulls)') <($DISTILL inspect --config oci:$img | jq -cS 'del(..|nulls)')
check "skopeo copy oci -> docker-daemon:sk:1" skopeo copy -q --dest-daemon-host "unix://$SOCK" oci:$img:latest docker-daemon:sk:1
check_eq "distill reads what skopeo loaded" "$diffs" "$($DISTILL inspect docker-daemon:sk:1 | jq -c '[.layers[].diff_id]')"
check "copy docker-daemon -> docker-daemon (another tag)" $DISTILL copy -q docker-daemon:app:src docker-daemon:app:again
check_eq "the new tag names the same image" "$cfg" "$("${DK[@]}" inspect -f '{{.Id}}' app:again)"

# The commands that write images write to the engine too.
check "harden docker-daemon:app:src -> docker-daemon:app:hard" $DISTILL harden docker-daemon:app:src docker-daemon:app:hard
check_eq "the hardened image in the engine has no shell" "[]" \
  "$($DISTILL scan --json docker-daemon:app:hard | jq -c .verdict.shells)"
check_eq "docker inspect: the hardened image runs as non-root" "65532:65532" \
  "$("${DK[@]}" inspect -f '{{.Config.User}}' app:hard)"

# --- bad input, with the store unchanged ---------------------------------------------
before=$(images)
$DISTILL copy -q docker-daemon:app:nope oci:$T/nope 2>"$T/e" >/dev/null
err1 "a tag that does not exist: one line listing the other tags" "$T/e" "docker-daemon:app:nope: no such image.*other tags: .*app:src"
check_fails "... and nothing written" test -e "$T/nope"
$DISTILL inspect docker-daemon:aqp:src 2>"$T/e" >/dev/null
err1 "a name that does not exist: similar names listed" "$T/e" "docker-daemon:aqp:src: no such image.*similar names: .*app:src"
$DISTILL copy -q oci:$img docker-daemon:sha256:${cfg#sha256:} 2>"$T/e" >/dev/null
err1 "an image ID is not a destination" "$T/e" "an image ID cannot be written"
$DISTILL inspect docker-daemon:App:src 2>"$T/e" >/dev/null
err1 "an upper-case name is refused before any request" "$T/e" "bad image name 'App'"
# A two-layer image whose second layer is corrupt: the first is already streamed when the
# second fails its digest check, so the engine sees an upload that breaks off.
bad=$T/bad; cp -r "$img" "$bad"; chmod -R u+w "$bad"
mkdir -p "$T/l2"; echo hello > "$T/l2/hello.txt"; tar -C "$T/l2" -cf "$T/l2.tar" hello.txt
l2diff=sha256:$(sha256sum "$T/l2.tar" | cut -d' ' -f1); gzip -n < "$T/l2.tar" > "$T/l2.gz"
l2=$(sha256sum "$T/l2.gz" | cut -d' ' -f1); l2size=$(stat -c %s "$T/l2.gz")
cp "$T/l2.gz" "$bad/blobs/sha256/$l2"
mdig=$(jq -r '.manifests[0].digest' "$bad/index.json"); m=$bad/blobs/sha256/${mdig#sha256:}
c=$bad/blobs/sha256/$(jq -r .config.digest "$m" | cut -d: -f2)
jq -c --arg d "$l2diff" '.rootfs.diff_ids += [$d] | .config.Labels.bad = "1"' "$c" > "$T/c.json"
cd2=$(sha256sum "$T/c.json" | cut -d' ' -f1); cp "$T/c.json" "$bad/blobs/sha256/$cd2"
jq -c --arg c "sha256:$cd2" --argjson cs "$(stat -c %s "$T/c.json")" --arg l "sha256:$l2" --argjson ls "$l2size" \
  '.config.digest = $c | .config.size = $cs | .layers += [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]' \
  "$m" > "$T/m.json"
md2=$(sha256sum "$T/m.json" | cut -d' ' -f1); cp "$T/m.json" "$bad/blobs/sha256/$md2"
jq -c --arg d "sha256:$md2" --argjson s "$(stat -c %s "$T/m.json")" '.manifests[0].digest = $d | .manifests[0].size = $s' \
  "$img/index.json" > "$bad/index.json"
check "the two-layer image is good before the damage" $DISTILL copy -q oci:$bad oci:$T/good2
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0xff; open(p,'wb').write(b)" "$bad/blobs/sha256/$l2"
$DISTILL copy -q oci:$bad docker-daemon:app:broken 2>"$T/e" >/dev/null
err1 "a source that fails half-way through the upload: one line naming the layer" "$T/e" "$l2"
check_eq "the engine loaded nothing: image list unchanged" "$before" "$(images)"
# The engine is not there, is refused, is not ours to open.
DOCKER_HOST=unix://$T/none.sock $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "no socket: engine not running" "$T/e" "no Docker engine: $T/none.sock does not exist"
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/stale.sock"
DOCKER_HOST=unix://$T/stale.sock $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "a stale socket: engine not running (connection refused)" "$T/e" "not running \(connection refused\)"
chmod 755 "$T" "$D"
setpriv --reuid 65534 --regid 65534 --clear-groups env TMPDIR=/tmp $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "a socket we may not open: permission denied" "$T/e" "permission denied on the Docker engine socket $SOCK"
DOCKER_HOST=tcp://127.0.0.1:2375 $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "DOCKER_HOST tcp:// is refused" "$T/e" "only unix:// sockets"
# Fake engines.
export_tar=$T/export.tar
"${DK[@]}" save -o "$export_tar" app:src
fake() { # fake MODE: start engine_fake.py on $T/MODE.sock
  python3 "$TOP/tests/integration/engine_fake.py" "$1" "$T/$1.sock" "$export_tar" "$cfg" &
  FAKES+=($!)
  for _ in $(seq 50); do [ -S "$T/$1.sock" ] && return 0; sleep 0.1; done
}
for mode in notengine garbage old truncated halftar; do fake $mode; done
DOCKER_HOST=unix://$T/notengine.sock $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "a socket that answers HTTP 404: not a Docker engine" "$T/e" "is not a Docker engine socket: GET /_ping answered HTTP 404"
DOCKER_HOST=unix://$T/garbage.sock $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "a socket that answers garbage: not a Docker engine" "$T/e" "is not a Docker engine socket"
DOCKER_HOST=unix://$T/old.sock $DISTILL inspect docker-daemon:app:src 2>"$T/e" >/dev/null
err1 "an engine with API 1.20: too old" "$T/e" "speaks API 1.20, older than 1.25"
for mode in truncated halftar; do
  mkdir -p "$T/scratch-$mode"
  DOCKER_HOST=unix://$T/$mode.sock TMPDIR=$T/scratch-$mode $DISTILL copy -q docker-daemon:app:src oci:$T/out-$mode 2>"$T/e" >/dev/null
  err1 "an export cut off ($mode): one-line error" "$T/e" "export from the Docker engine .*(ended early|cut short)"
  check_fails "... nothing written at the destination ($mode)" test -e "$T/out-$mode"
  check_eq "... no scratch files left ($mode)" "" "$(ls -A "$T/scratch-$mode")"
done
check_eq "after all the bad input the engine's images are unchanged" "$before" "$(images)"

# --- podman's store, through podman --------------------------------------------------
PR=$T/pod/root; PRR=$T/pod/run
CS="containers-storage:[overlay@$PR+$PRR]"
PM=(podman --root "$PR" --runroot "$PRR" --storage-driver overlay)
check "copy oci -> containers-storage:app:src" $DISTILL copy -q oci:$img:latest "${CS}app:src"
check_eq "podman images lists it with the image's config as ID" "localhost/app:src ${cfg#sha256:}" \
  "$("${PM[@]}" images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sed 's/sha256://')"
check_eq "distill inspect containers-storage: same config digest" "$cfg" \
  "$($DISTILL inspect "${CS}app:src" | jq -r .config_digest)"
check "copy containers-storage -> oci" $DISTILL copy -q "${CS}app:src" oci:$T/pback
check_eq "podman round trip: same diff IDs" "$diffs" "$($DISTILL inspect oci:$T/pback | jq -c '[.layers[].diff_id]')"
v=$("${PM[@]}" run --rm --network host --entrypoint cat localhost/app:src /etc/debian_version 2>"$T/prun.err")
if [[ $v =~ ^12\. ]]; then ok "podman run of the image distill loaded ($v)"; else fail "podman run: '$v' $(tail -2 "$T/prun.err")"; fi
check_eq "layers containers-storage: same files as the oci source" \
  "$($DISTILL layers --json oci:$img | jq -c '[.layers[] | [.added, .files_size]]')" \
  "$($DISTILL layers --json "${CS}app:src" | jq -c '[.layers[] | [.added, .files_size]]')"
check_eq "scan containers-storage: same packages" \
  "$($DISTILL scan --json oci:$img | jq -c '[.packages[] | .name + "=" + .version]')" \
  "$($DISTILL scan --json "${CS}app:src" | jq -c '[.packages[] | .name + "=" + .version]')"
check "docker-daemon -> containers-storage directly" $DISTILL copy -q docker-daemon:app:src "${CS}fromdocker:1"
check_eq "... podman has the same image" "$cfg" "sha256:$("${PM[@]}" image inspect --format '{{.Id}}' fromdocker:1)"
check "containers-storage -> docker-daemon directly" $DISTILL copy -q "${CS}app:src" docker-daemon:frompodman:1
check_eq "... the engine has the same image" "$cfg" "$("${DK[@]}" inspect -f '{{.Id}}' frompodman:1)"
check "squash containers-storage -> containers-storage" $DISTILL squash "${CS}app:src" "${CS}app:squashed"
check_eq "... podman has it, with one layer" 1 \
  "$("${PM[@]}" image inspect --format '{{len .RootFS.Layers}}' app:squashed)"
pbefore=$("${PM[@]}" images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)
$DISTILL copy -q "${CS}app:nope" oci:$T/pnope 2>"$T/e" >/dev/null
err1 "podman: a tag that does not exist, other tags listed" "$T/e" "no such image in podman's store.*other tags: localhost/app:src"
check_fails "... nothing written" test -e "$T/pnope"
$DISTILL copy -q oci:$bad "${CS}app:broken" 2>"$T/e" >/dev/null
err1 "podman: a source that fails half-way through the load" "$T/e" "$l2"
$DISTILL inspect "containers-storage:[overlay@relative/root]app:src" 2>"$T/e" >/dev/null
err1 "a storage spec with a relative root is refused" "$T/e" "is not an absolute path"
check_eq "podman's store unchanged after the bad input" "$pbefore" \
  "$("${PM[@]}" images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort)"
