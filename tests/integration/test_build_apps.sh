#!/usr/bin/env bash
# distill build on two more Debian stacks built from packages: an interpreted web app
# (python3 -m http.server) and a cache server (memcached). Each result: exit 0, no shell,
# non-root, about the size of what the app used, and it passes the same test under podman.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build apps: needs root and runc (CI runs as root with runc installed)"; exit 0
fi

# distill_app LABEL IMAGE_PATH TEST
distill_app() {
  local label=$1 img=$2 test=$3 out=$T/$1
  mkdir -p "$out"   # distill, like copy, writes into an existing folder only
  # --keep-level file: the sizes asserted below are the file level's (the package level is
  # measured by tests/integration/test_build_heldout.sh and bench/bench_keep_level.sh).
  "$DISTILL" build "oci:$img:latest" "oci:$out/img:v1" --keep-level file --test "$test" --out-dir "$out/rep" -q \
    >"$out.digest" 2>"$out.err"
  local rc=$?
  check_eq "$label: build exits 0" 0 $rc
  if [ $rc != 0 ]; then sed 's/^/  | /' "$out.err" | tail -15; return; fi
  local man layer
  man=$(jq -r '.manifests[0].digest' "$out/img/index.json" | cut -d: -f2)
  layer=$(jq -r '.layers[0].digest' "$out/img/blobs/sha256/$man" | cut -d: -f2)
  tar -tzf "$out/img/blobs/sha256/$layer" | sed 's#^\./##; s#/$##' > "$out.files"
  check_fails "$label: no shell in the result" grep -qE '^(usr/)?bin/(sh|dash|bash)$' "$out.files"
  check_eq "$label: runs as nonroot" "65532:65532" "$(jq -r .user "$out/rep/report.json")"
  local before after used
  before=$(jq .before.size "$out/rep/report.json"); after=$(jq .after.size "$out/rep/report.json")
  used=$(jq .used_size "$out/rep/report.json")
  echo "  $label sizes: source $before B, result $after B, used $used B"
  check "$label: within 15% of the bytes used" test "$after" -le $(( used * 115 / 100 ))
  check "$label: at least 5x smaller than the source" test $(( before / after )) -ge 5
  if command -v podman >/dev/null && command -v skopeo >/dev/null; then
    local name=distill-test-$label-$$
    skopeo copy -q "oci:$out/img:v1" "containers-storage:localhost/$name:v1" >/dev/null 2>"$out.podman"
    podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$out.podman"
    local okp=1 t=${test//\{LOCALHOST\}/127.0.0.1}
    for _ in $(seq 50); do sh -c "$t" >/dev/null 2>&1 && { okp=0; break; }; sleep 0.2; done
    check_eq "$label: result passes the test under podman" 0 $okp
    [ $okp = 0 ] || sed 's/^/  | /' "$out.podman"
    podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
    podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
  else
    fail "$label: podman/skopeo not installed"
  fi
}

py=$(debian_image debian-python3-httpserver --include python3 \
  --cmd '["python3","-m","http.server","8000"]' --port 8000/tcp) || fail "python fixture"
[ -n "${py:-}" ] && distill_app python "$py" 'curl -fsS http://{LOCALHOST}:8000/ -o /dev/null'

mc=$(debian_image debian-memcached --include memcached \
  --entrypoint '["/usr/bin/memcached","-u","memcache","-p","11211","-l","127.0.0.1"]' --port 11211/tcp) \
  || fail "memcached fixture"
[ -n "${mc:-}" ] && distill_app memcached "$mc" \
  "bash -c 'exec 3<>/dev/tcp/{LOCALHOST}/11211; printf \"set k 0 0 5\\r\\nhello\\r\\nget k\\r\\nquit\\r\\n\" >&3; grep -q hello <&3'"

# The same build with crun instead of runc: the same image, to the byte. (crun 1.8 refuses this
# host's cgroup v1/v2 hybrid; distill runs it in a private mount namespace that shows it cgroup2.)
if [ -n "${mc:-}" ] && command -v crun >/dev/null && [ -s "$T/memcached.digest" ]; then
  mkdir -p "$T/mc-crun"
  cg_before=$(stat -f -c %T /sys/fs/cgroup; mount | grep -c cgroup)
  "$DISTILL" build --runtime crun --keep-level file "oci:$mc:latest" "oci:$T/mc-crun/img:v1" -q \
    --test "bash -c 'exec 3<>/dev/tcp/{LOCALHOST}/11211; printf \"set k 0 0 5\\r\\nhello\\r\\nget k\\r\\nquit\\r\\n\" >&3; grep -q hello <&3'" \
    >"$T/mc-crun.digest" 2>"$T/mc-crun.err"; rc=$?
  check_eq "crun: build exits 0" 0 $rc
  [ $rc = 0 ] || sed 's/^/  | /' "$T/mc-crun.err" | tail -5
  check_eq "crun: same image digest as runc" "$(cat "$T/memcached.digest")" "$(cat "$T/mc-crun.digest")"
  check_eq "crun: no container left" "" "$(crun list -q 2>/dev/null | grep distill-build || true)"
  check_eq "crun: the host's cgroup mounts untouched" "$cg_before" "$(stat -f -c %T /sys/fs/cgroup; mount | grep -c cgroup)"
elif ! command -v crun >/dev/null; then
  fail "crun: not installed (scripts/install-deps.sh installs it)"
fi

# Least privilege that still passes: a server on port 80 cannot bind it as plain nonroot (the
# host's unprivileged port floor is 1024), so --user auto gives exactly the program whose bind was
# refused (python3.11) cap_net_bind_service and keeps nonroot, and says why.
if [ -n "${py:-}" ] && [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null)" -gt 80 ] \
   && ! curl -s -o /dev/null http://127.0.0.1:80/; then
  "$DISTILL" build "oci:$py:latest" "oci:$T/p80:v1" --ready-cmd 'curl -fsS -o /dev/null http://127.0.0.1:80/' \
    --ready-timeout 20 --test 'curl -fsS http://{LOCALHOST}:80/ -o /dev/null' --out-dir "$T/p80rep" -q \
    -- python3 -m http.server 80 >/dev/null 2>"$T/p80.err"
  check_eq "port 80 app: build exits 0" 0 $?
  check_eq "port 80 app: stays nonroot" "65532:65532" "$(jq -r .user "$T/p80rep/report.json" 2>/dev/null)"
  check_eq "port 80 app: python3.11 has cap_net_bind_service" '[{"path":"/usr/bin/python3.11","capability":"cap_net_bind_service","port":80}]' \
    "$(jq -c .file_capabilities "$T/p80rep/report.json" 2>/dev/null)"
  check "port 80 app: the report says why" grep -q 'cap_net_bind_service on /usr/bin/python3.11 (port 80)' <(jq -r .user_reason "$T/p80rep/report.json")
  check "port 80 app: -- command is the entrypoint" grep -q '^ENTRYPOINT \["python3","-m","http.server","80"\]' "$T/p80rep/Dockerfile"
else
  fail "port 80 app: port 80 busy or unprivileged ports start at 80 or below on this host"
fi
