#!/usr/bin/env bash
# The app runs as docker and podman run it: a server whose user reads its files through a
# supplementary group (Debian's postgres reads its TLS key through ssl-cert) starts under every
# runtime distill drives, the result keeps the user's name (so an engine gives it the same
# groups) and serves under podman; HOME, HOSTNAME and the umask are the engines' too.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build groups: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
PORT=18950
# /srv/site is readable only through the group "site" that lists the user "web" as a member.
# The app also reports HOME, HOSTNAME and the umask it got in a file the test reads back.
hook='chroot "$1" groupadd -g 2000 site && chroot "$1" useradd -u 1500 -U -d /home/web -M web && chroot "$1" usermod -aG site web && mkdir -p "$1/srv/site" && echo group-only > "$1/srv/site/index.html" && chown -R 0:2000 "$1/srv/site" && chmod 0750 "$1/srv/site" && chmod 0640 "$1/srv/site/index.html"'
img=$(debian_image groups-python3-site --include python3,passwd --user web \
  --cmd "[\"python3\",\"-c\",\"import os,sys,http.server as h; os.chdir('/srv/site'); open('/tmp/env','w').write(os.environ.get('HOME','-')+' '+os.environ.get('HOSTNAME','-')+' '+oct(os.umask(0o22))); h.test(h.SimpleHTTPRequestHandler, port=$PORT, bind='127.0.0.1')\"]" \
  --port $PORT/tcp --hook "$hook") || { fail "build groups: fixture image"; exit 0; }
SRC="oci:$img:latest"
TEST="curl -fsS http://{LOCALHOST}:$PORT/index.html | grep -qx group-only"
ENVTEST='test "$(cat /proc/$(pgrep -f -n "^python3 -c import os")/root/tmp/env 2>/dev/null)" = "/home/web $(hostname) 0o22"'

runtimes=(runc)
command -v crun >/dev/null && runtimes+=(crun) || fail "build groups: crun not installed"
command -v podman >/dev/null && runtimes+=(podman) || fail "build groups: podman not installed"
for rt in "${runtimes[@]}"; do
  ( umask 077; "$DISTILL" build "$SRC" "oci:$T/out-$rt:v1" --runtime "$rt" --test "$TEST" --test "$ENVTEST" \
      --out-dir "$T/rep-$rt" -q >"$T/digest-$rt" 2>"$T/err-$rt" )
  rc=$?
  check_eq "$rt: the group-readable site builds (the trace run got the supplementary group)" 0 $rc
  [ $rc = 0 ] || sed 's/^/  | /' "$T/err-$rt" | tail -15
  check_eq "$rt: HOME from passwd, the host's name, umask 022 (even under a 077 caller), in trace and verify" 2 \
    "$(jq '[.tests[] | select(.command | test("proc")) | select(.passed)] | length' "$T/rep-$rt/report.json" 2>/dev/null)"
  check_eq "$rt: nonroot cannot read the site: back to the source's user, by name" "web" \
    "$(jq -r .user "$T/rep-$rt/report.json" 2>/dev/null)"
  check_eq "$rt: the source's user is not root: verified as it straight after nonroot, no traced run between" \
    "0 true" "$(jq -r '"\([.tests[] | select(.stage == "diagnose")] | length) \(.user_reason | test("not root"))"' "$T/rep-$rt/report.json" 2>/dev/null)"
done
[ -s "$T/digest-runc" ] && [ -s "$T/digest-crun" ] && \
  check_eq "runc and crun: same image" "$(cat "$T/digest-runc")" "$(cat "$T/digest-crun")"

# The result names its user, so podman run gives it the group as it did the source.
man=$(jq -r '.manifests[0].digest' "$T/out-runc/index.json" 2>/dev/null | cut -d: -f2)
cfg=$(jq -r '.config.digest' "$T/out-runc/blobs/sha256/$man" 2>/dev/null | cut -d: -f2)
check_eq "result config: User is the name" web "$(jq -r .config.User "$T/out-runc/blobs/sha256/$cfg" 2>/dev/null)"
if command -v podman >/dev/null; then
  name=distill-test-groups-$$
  skopeo copy -q "oci:$T/out-runc:v1" "containers-storage:localhost/$name:v1" >/dev/null 2>"$T/podman.err"
  podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$T/podman.err"
  okp=1
  for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT/index.html" 2>/dev/null | grep -qx group-only && { okp=0; break; }; sleep 0.2; done
  check_eq "result serves the group-readable site under podman run" 0 $okp
  [ $okp = 0 ] || sed 's/^/  | /' "$T/podman.err"
  podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
fi
