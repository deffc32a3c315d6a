#!/usr/bin/env bash
# distill build --runtime docker against a REAL Docker Engine: a private dockerd (Debian's
# docker.io; socket, data and exec roots under this test's folder, no firewall changes).
#  - docker-daemon:app:src -> docker-daemon:app:min with a test: the trace and verify runs are
#    containers of that engine (a test sees them in `docker ps`), the result serves under
#    `docker run --network host`, the engine keeps only app:src and app:min (no container,
#    temporary image or volume left);
#  - a server whose user reads its site through a supplementary group builds and serves;
#  - the default runtime is the first that works: with runc broken and crun/podman absent it
#    is docker, and report.json says why;
#  - ^C during the run: exit 130, the container and its image removed;
#  - bad input: --runtime docker with no engine, an unknown --runtime: one-line errors,
#    nothing written.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}

for tool in dockerd docker jq curl; do
  command -v $tool >/dev/null || { fail "build docker setup: $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { fail "build docker setup: needs root (dockerd)"; exit 1; }
PORT=18100 GPORT=18110
for p in $PORT $GPORT; do
  if curl -s -o /dev/null "http://127.0.0.1:$p/"; then fail "build docker setup: port $p is busy on this machine"; exit 1; fi
done

D=$T/docker
SOCK=$D/docker.sock
DPID=""
cleanup() {
  if [ -n "$DPID" ]; then
    kill "$DPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
  fi
  awk -v t="$T" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

img=$(debian_image docker-python3-http-18100 --include python3 \
  --cmd "[\"python3\",\"-m\",\"http.server\",\"$PORT\"]" --port $PORT/tcp) || { fail "build docker: http fixture"; exit 1; }
# /srv/site is readable only through the group "site" that lists the user "web" as a member.
hook='chroot "$1" groupadd -g 2000 site && chroot "$1" useradd -u 1500 -U -d /home/web -M web && chroot "$1" usermod -aG site web && mkdir -p "$1/srv/site" && echo group-only > "$1/srv/site/index.html" && chown -R 0:2000 "$1/srv/site" && chmod 0750 "$1/srv/site" && chmod 0640 "$1/srv/site/index.html"'
gimg=$(debian_image docker-groups-python3-site-18110 --include python3,passwd --user web \
  --cmd "[\"python3\",\"-c\",\"import os,http.server as h; os.chdir('/srv/site'); h.test(h.SimpleHTTPRequestHandler, port=$GPORT, bind='127.0.0.1')\"]" \
  --port $GPORT/tcp --hook "$hook") || { fail "build docker: groups fixture"; exit 1; }

# err1 NAME FILE PATTERN: the error is exactly one line and says PATTERN.
err1() {
  local n; n=$(wc -l < "$2")
  if [ "$n" = 1 ] && grep -qE "$3" "$2"; then ok "$1"; else fail "$1: $n lines: $(head -c 400 "$2")"; fi
}

# --- bad input, before any engine runs -------------------------------------------------
DOCKER_HOST=unix://$T/no-engine.sock "$DISTILL" build "oci:$img:latest" "oci:$T/bad:v1" --runtime docker \
  --out-dir "$T/bad-rep" -q >"$T/bad.out" 2>"$T/bad.err"
check_eq "no engine: exit 3" 3 $?
err1 "no engine: one line naming the socket" "$T/bad.err" "^distill build: --runtime docker: no Docker engine: $T/no-engine.sock does not exist"
check_fails "no engine: nothing written" test -e "$T/bad"
check_fails "no engine: no out-dir written" test -e "$T/bad-rep"
check_eq "no engine: nothing on stdout" "" "$(cat "$T/bad.out")"
"$DISTILL" build "oci:$img:latest" "oci:$T/bad:v1" --runtime dokcer -q >"$T/bad2.out" 2>"$T/bad2.err"
check_eq "unknown --runtime: usage error (exit 2)" 2 $?
check "unknown --runtime: the error names the value and the choices" \
  grep -q "^distill build: --runtime: expected one of auto,runc,crun,podman,docker, got 'dokcer'" "$T/bad2.err"
check_fails "unknown --runtime: nothing written" test -e "$T/bad"

# --- a private Docker engine -------------------------------------------------------------
start_dockerd "$D" "$SOCK" "build docker"
export DOCKER_HOST=unix://$SOCK
DK=(docker -H "unix://$SOCK")
# What the engine holds: images by name, every container, every volume, the networks.
state() {
  { "${DK[@]}" images -a --format 'image {{.Repository}}:{{.Tag}}'; "${DK[@]}" ps -a --format 'container {{.Names}}'
    "${DK[@]}" volume ls -q | sed 's/^/volume /'; "${DK[@]}" network ls --format 'network {{.Name}}'; } | sort
}
nets=$("${DK[@]}" network ls --format 'network {{.Name}}' | sort)

"$DISTILL" copy -q "oci:$img:latest" docker-daemon:app:src >/dev/null
check_eq "copy the fixture into the engine as app:src" 0 $?
before=$(state)
# The second test proves where the app runs: a container of this engine, named by distill.
INENGINE="docker -H unix://$SOCK ps --format '{{.Names}}' | grep -q '^distill-build-'"
start=$(date +%s.%N)
"$DISTILL" build docker-daemon:app:src docker-daemon:app:min --runtime docker \
  --test "curl -fsS http://{LOCALHOST}:$PORT/ | grep -q 'Directory listing'" --test "$INENGINE" \
  --out-dir "$T/rep" -q >"$T/build.out" 2>"$T/build.err"
rc=$?
docker_secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
check_eq "build docker-daemon:app:src -> docker-daemon:app:min --runtime docker" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/build.err" | tail -15
check_eq "report: runtime docker" docker "$(jq -r .runtime "$T/rep/report.json" 2>/dev/null)"
check_eq "report: why docker (asked for)" "asked for (--runtime docker)" "$(jq -r .runtime_reason "$T/rep/report.json" 2>/dev/null)"
check_eq "the app ran in the engine in trace and verify (tests passed in both)" 4 \
  "$(jq '[.tests[] | select(.kind == "test" and .passed)] | length' "$T/rep/report.json" 2>/dev/null)"
check "summary names the runtime and why" grep -q '^distill build: runtime docker: asked for (--runtime docker)' "$T/build.err"
check "summary line says runtime docker" grep -q '; runtime docker; sha256:' "$T/build.err"
check_eq "the result runs as nonroot" "65532:65532" "$(jq -r .user "$T/rep/report.json" 2>/dev/null)"
check_eq "the engine holds app:min and nothing else new (no container, temporary image, volume or network)" \
  "$(printf '%s\nimage app:min\n' "$before" | sort)" "$(state)"
check_eq "no network created" "$nets" "$("${DK[@]}" network ls --format 'network {{.Name}}' | sort)"
check_eq "app:min is smaller than app:src" 1 \
  "$(( $("${DK[@]}" image inspect -f '{{.Size}}' app:min) < $("${DK[@]}" image inspect -f '{{.Size}}' app:src) ))"
"${DK[@]}" run -d --name dt-min --network host app:min >/dev/null 2>"$T/run.err"
served=1
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/" 2>/dev/null | grep -q 'Directory listing' && { served=0; break; }; sleep 0.2; done
check_eq "docker run --network host app:min serves" 0 $served
[ $served = 0 ] || { sed 's/^/  | /' "$T/run.err"; "${DK[@]}" logs dt-min 2>&1 | tail -5 | sed 's/^/  | /'; }
"${DK[@]}" rm -f dt-min >/dev/null 2>&1

# --- the same build with the default runtime: runc on this machine; the time ratio ----------
start=$(date +%s.%N)
"$DISTILL" build docker-daemon:app:src "oci:$T/runc-out:v1" --out-dir "$T/rrep" \
  --test "curl -fsS http://{LOCALHOST}:$PORT/ | grep -q 'Directory listing'" -q >"$T/runc.out" 2>"$T/runc.err"
rc=$?
runc_secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
check_eq "the same build with the default runtime" 0 $rc
check_eq "default runtime: with this machine's PATH (runc works) it is runc" runc \
  "$(jq -r .runtime "$T/rrep/report.json" 2>/dev/null)"
check_eq "default runtime: why runc" 'the first of runc, crun, podman, docker that works (`runc list` answers as root)' \
  "$(jq -r .runtime_reason "$T/rrep/report.json" 2>/dev/null)"
check_eq "docker and runc runs give the same image (same manifest digest)" "$(cat "$T/build.out")" "$(cat "$T/runc.out")"
echo "  (build time: docker ${docker_secs}s, runc ${runc_secs}s, ratio $(awk -v a="$docker_secs" -v b="$runc_secs" 'BEGIN {printf "%.2f", a / b}'))"

# --- a server reading its site through a supplementary group ----------------------------
"$DISTILL" copy -q "oci:$gimg:latest" docker-daemon:grp:src >/dev/null
check_eq "copy the groups fixture into the engine as grp:src" 0 $?
GTEST="curl -fsS http://{LOCALHOST}:$GPORT/index.html | grep -qx group-only"
"$DISTILL" build docker-daemon:grp:src docker-daemon:grp:min --runtime docker --test "$GTEST" \
  --out-dir "$T/grep" -q >/dev/null 2>"$T/gbuild.err"
rc=$?
check_eq "groups: the group-readable site builds under docker" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/gbuild.err" | tail -15
check_eq "groups: nonroot cannot read the site: back to the source's user, by name" web \
  "$(jq -r .user "$T/grep/report.json" 2>/dev/null)"
"${DK[@]}" run -d --name dt-grp --network host grp:min >/dev/null 2>"$T/grun.err"
served=1
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$GPORT/index.html" 2>/dev/null | grep -qx group-only && { served=0; break; }; sleep 0.2; done
check_eq "groups: docker run grp:min serves the group-readable site" 0 $served
[ $served = 0 ] || sed 's/^/  | /' "$T/grun.err"
"${DK[@]}" rm -f dt-grp >/dev/null 2>&1

# --- the default runtime: the first that works -------------------------------------------
# A PATH with every program of this machine except crun and podman, and a runc that does not
# work (a broken install: it is there, but `runc list` fails).
mkdir -p "$T/bin"
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    b=${f##*/}
    case $b in runc|crun|podman) continue;; esac
    [ -e "$T/bin/$b" ] || ln -s "$f" "$T/bin/$b"
  done
done
printf '#!/bin/sh\necho "runc: broken install" >&2\nexit 1\n' > "$T/bin/runc"; chmod +x "$T/bin/runc"
before=$(state)
PATH=$T/bin "$DISTILL" build docker-daemon:app:src "oci:$T/auto:v1" \
  --test "curl -fsS http://{LOCALHOST}:$PORT/ | grep -q 'Directory listing'" --test "$INENGINE" \
  --out-dir "$T/arep" -q >/dev/null 2>"$T/auto.err"
rc=$?
check_eq "default runtime: builds" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/auto.err" | tail -15
check_eq "default runtime: docker when runc fails and crun, podman are absent" docker \
  "$(jq -r .runtime "$T/arep/report.json" 2>/dev/null)"
why=$(jq -r .runtime_reason "$T/arep/report.json" 2>/dev/null)
case $why in
  "the first of runc, crun, podman, docker that works (the Docker engine "*" answers at $SOCK; not runc: \`runc list\` failed; crun: crun is not in PATH; podman: podman is not in PATH)")
    ok "default runtime: the report says why ($why)";;
  *) fail "default runtime: the reason: '$why'";;
esac
check_eq "default runtime: the engine is as before" "$before" "$(state)"

# --- ^C during the trace run ---------------------------------------------------------------
before=$(state)
mkdir -p "$T/int" "$T/tmp-int"
seen=0
for attempt in 1 2 3; do
  rm -rf "$T/int/out" "$T/int/tracing"
  TMPDIR=$T/tmp-int env --default-signal=INT,TERM,HUP "$DISTILL" build -q docker-daemon:app:src "oci:$T/int/out:v1" \
    --runtime docker --test "touch $T/int/tracing; curl -fsS http://{LOCALHOST}:$PORT/ -o /dev/null; sleep 67.4321" \
    >"$T/int.out" 2>"$T/int.err" &
  pid=$!
  for _ in $(seq 1200); do
    [ -e "$T/int/tracing" ] && { seen=1; break; }
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  [ $seen = 1 ] && { running=$("${DK[@]}" ps --format '{{.Names}}' | grep -c '^distill-build-'); kill -INT $pid; }
  wait $pid; rc=$?
  [ $seen = 1 ] && break
done
check_eq "^C: the build was interrupted while its container ran in the engine" "1 1" "$seen ${running:-0}"
check_eq "^C: exit status 130" 130 $rc
check_eq "^C: no container, image, volume or network left in the engine" "$before" "$(state)"
check_eq "^C: docker ps -a shows no distill container" "" "$("${DK[@]}" ps -a -q --filter name=distill)"
check_eq "^C: docker volume ls is empty" "" "$("${DK[@]}" volume ls -q)"
check_eq "^C: no temp path left in \$TMPDIR" "" "$(find "$T/tmp-int" -mindepth 1 -maxdepth 1)"
check_fails "^C: destination absent" test -e "$T/int/out"
check "^C: says it stopped the container" grep -q 'interrupted' "$T/int.err"

# --- ^C while the tree is being imported into the engine ------------------------------------
before=$(state)
rm -rf "$T/int/out" "$T/tmp-int2"; mkdir -p "$T/tmp-int2"
seen=0
TMPDIR=$T/tmp-int2 env --default-signal=INT,TERM,HUP "$DISTILL" build -q docker-daemon:app:src "oci:$T/int/out:v1" \
  --runtime docker --test "curl -fsS http://{LOCALHOST}:$PORT/" >"$T/int2.out" 2>"$T/int2.err" &
pid=$!
for _ in $(seq 6000); do
  compgen -G "$T/tmp-int2/distill-engine-run-*" >/dev/null && { seen=1; break; }
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
[ $seen = 1 ] && kill -INT $pid
wait $pid; rc=$?
check_eq "^C during the import: signalled while the run's temp dir existed" 1 $seen
check_eq "^C during the import: exit status 130" 130 $rc
check_eq "^C during the import: no container, image, volume or network left in the engine" "$before" "$(state)"
check_eq "^C during the import: no temp path left in \$TMPDIR" "" "$(find "$T/tmp-int2" -mindepth 1 -maxdepth 1)"
check_fails "^C during the import: destination absent" test -e "$T/int/out"
