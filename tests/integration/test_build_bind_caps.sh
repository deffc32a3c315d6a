#!/usr/bin/env bash
# A server that binds a port below 1024 runs as non-root: Debian's nginx on port 80. The nonroot
# candidate fails (bind: EACCES), the diagnose trace names /usr/sbin/nginx, and build retries
# nonroot with the file capability cap_net_bind_service on exactly that file (security.capability,
# VFS_CAP_REVISION_2, in the layer's PAX headers). Built under runc, podman and --runtime docker;
# the result runs as 65532 and serves under podman and under a private Docker engine
# (`docker load`, `docker run --network host`). Port 80 is never the host's: every build and run happens in a
# network namespace of its own (`unshare -n`; dockerd itself runs in one).
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
[ "$(id -u)" = 0 ] || { fail "bind caps: needs root (runc, podman, dockerd)"; exit 1; }
for tool in runc podman dockerd docker unshare nsenter python3 jq curl; do
  command -v $tool >/dev/null || { fail "bind caps setup: $tool is missing"; exit 1; }
done

img=$(debian_image lp-nginx-port80 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 80/tcp \
  --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\" && sed -i 's/listen 8080;/listen 80;/' \"\$1/etc/nginx/nginx.conf\"") \
  || { fail "bind caps: fixture image"; exit 1; }
NGINX_CAP=0100000200040000000000000000000000000000   # what `setcap cap_net_bind_service+ep` writes

D=$T/docker; SOCK=$D/docker.sock; DPID=""; PNAME=distill-bindcap-$$
cleanup() {
  podman rm -f "$PNAME" >/dev/null 2>&1
  podman rmi -f "localhost/var/tmp/$PNAME:latest" >/dev/null 2>&1
  rm -f "/var/tmp/$PNAME"
  if [ -n "$DPID" ]; then
    docker -H "unix://$SOCK" rm -f "$PNAME" >/dev/null 2>&1
    kill "$DPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
  fi
  awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# layer_caps LAYOUT: "path hex" of every file with security.capability in the result's one layer.
layer_caps() {
  local man lay
  man=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  lay=$(jq -r '.layers[0].digest' "$1/blobs/sha256/$man" | cut -d: -f2)
  python3 - "$1/blobs/sha256/$lay" <<'PY'
import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    v = m.pax_headers.get('SCHILY.xattr.security.capability')
    if v is not None: print(m.name, v.encode('latin-1', 'surrogateescape').hex())
PY
}

# build RT: distill build of the port-80 image under runtime RT, in a network namespace of its own.
build() {
  local rt=$1
  unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
    $DISTILL build "oci:$img:latest" "oci:$T/$rt:latest" --runtime "$rt" \
      --test 'curl -sf http://127.0.0.1:80/ | grep -qi nginx' --check 'curl -sf http://127.0.0.1:80/extra.html' \
      --out-dir "$T/$rt-out" >"$T/$rt.log" 2>&1
}

for rt in runc podman; do
  build $rt; rc=$?
  check_eq "$rt: build of nginx on port 80 exits 0" 0 $rc
  [ $rc = 0 ] || tail -15 "$T/$rt.log"
  r=$T/$rt-out/report.json
  check_eq "$rt: the result's user is nonroot" "65532:65532" "$(jq -r .user "$r")"
  check_eq "$rt: report.json names the program and the port" \
    '[{"path":"/usr/sbin/nginx","capability":"cap_net_bind_service","port":80}]' "$(jq -c .file_capabilities "$r")"
  check "$rt: user_reason says why" jq -e '.user_reason | test("cap_net_bind_service on /usr/sbin/nginx")' "$r"
  check "$rt: the nonroot run failed on the bind first (verify, diagnose, verify)" \
    jq -e '[.tests[] | select(.stage == "verify" and .passed == false)] | length == 1' "$r"
  check "$rt: the summary says so" grep -q '^distill build: /usr/sbin/nginx has the file capability cap_net_bind_service (as nonroot its bind to port 80 was refused)' "$T/$rt.log"
  check_eq "$rt: exactly /usr/sbin/nginx carries security.capability in the layer, as setcap writes it" \
    "usr/sbin/nginx $NGINX_CAP" "$(layer_caps "$T/$rt")"
  check "$rt: the config's User is 65532" \
    jq -e '.config.User == "65532:65532"' "$T/$rt/blobs/sha256/$($DISTILL inspect "oci:$T/$rt:latest" | jq -r .config_digest | cut -d: -f2)"
done

# distill harden of the result keeps exactly that capability (it is what makes nginx start).
$DISTILL harden "oci:$T/runc:latest" "oci:$T/hard:latest" --report "$T/hard.json" >/dev/null 2>"$T/hard.err"
check_eq "harden of the result exits 0" 0 $?
check "harden keeps cap_net_bind_service on the entry point's nginx" \
  jq -e '[.changes[] | select(.rule == "file-capability")] | length == 0' "$T/hard.json"

# Running the result (as the engines run it): nonroot, and it serves on port 80.
# serves NAME PID: nginx answers in PID's network namespace, and PID runs as 65532.
serves() {
  local body=""
  for _ in $(seq 1 40); do
    body=$(nsenter -t "$2" -n curl -sf --max-time 2 http://127.0.0.1:80/ 2>/dev/null) && break
    sleep 0.25
  done
  check "$1: the result answers HTTP on port 80" grep -qi nginx <<<"$body"
  check_eq "$1: nginx runs as uid 65532" "65532" "$(awk '/^Uid:/{print $2}' /proc/$3/status 2>/dev/null)"
}

ln -sfn "$T/runc" "/var/tmp/$PNAME"   # podman names an oci: image after its path (lowercase)
if podman run -d --name "$PNAME" --network=none "oci:/var/tmp/$PNAME:latest" >"$T/podman.out" 2>&1; then
  pid=$(podman inspect -f '{{.State.Pid}}' "$PNAME")
  serves "podman run" "$pid" "$pid"
else
  fail "podman run: $(tail -3 "$T/podman.out")"
fi
podman rm -f "$PNAME" >/dev/null 2>&1

# A private Docker engine in a network namespace of its own: --network host is that namespace.
mkdir -p "$D"
unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$D/data" --exec-root "$D/exec" \
  -H "unix://$SOCK" --pidfile "$D/docker.pid" >"$D/log" 2>&1 &
DPID=$!
for _ in $(seq 120); do curl -s --unix-socket "$SOCK" http://x/_ping 2>/dev/null | grep -q OK && break; sleep 0.25; done
DK=(docker -H "unix://$SOCK")
if curl -s --unix-socket "$SOCK" http://x/_ping | grep -q OK; then
  $DISTILL copy -q "oci:$T/podman:latest" "docker-archive:$T/min.tar:app:min" >/dev/null
  check "docker load of the result" "${DK[@]}" load -i "$T/min.tar"
  if "${DK[@]}" run -d --name "$PNAME" --network host app:min >"$T/docker.out" 2>&1; then
    dpid=$(cat "$D/docker.pid")
    cpid=$("${DK[@]}" inspect -f '{{.State.Pid}}' "$PNAME")
    serves "docker run --network host" "$dpid" "$cpid"
  else
    fail "docker run: $(tail -3 "$T/docker.out")"
  fi
  "${DK[@]}" rm -f "$PNAME" >/dev/null 2>&1
  # --runtime docker: the build itself runs the app in that engine (distill in dockerd's namespace).
  DOCKER_HOST=unix://$SOCK nsenter -t "$(cat "$D/docker.pid")" -n \
    $DISTILL build "oci:$img:latest" "docker-daemon:app:min-docker" --runtime docker \
      --test 'curl -sf http://127.0.0.1:80/ | grep -qi nginx' --out-dir "$T/docker-out" >"$T/docker-build.log" 2>&1
  rc=$?
  check_eq "docker: build of nginx on port 80 under --runtime docker exits 0" 0 $rc
  [ $rc = 0 ] || tail -15 "$T/docker-build.log"
  check_eq "docker: the result's user is nonroot, with the capability" \
    '65532:65532 [{"path":"/usr/sbin/nginx","capability":"cap_net_bind_service","port":80}]' \
    "$(jq -r '.user + " " + (.file_capabilities | tostring)' "$T/docker-out/report.json" 2>/dev/null)"
else
  fail "bind caps: dockerd did not start: $(tail -3 "$D/log")"
fi
