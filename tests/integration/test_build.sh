#!/usr/bin/env bash
# distill build end to end on a real Debian nginx image built from packages: the result has no
# shell, runs as non-root, serves under podman too, is about the size of what nginx used, is
# reproducible; a test the candidate fails leaves DST untouched and names the missing file.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
img=$(debian_image debian-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\"") || { fail "build: fixture image"; exit 0; }
SRC="oci:$img:latest"
TEST='curl -fsS http://{LOCALHOST}:8080/ -o /dev/null'

# 1. The main job.
# --keep-level file: the size claim below (within 15% of what nginx used) is the file level's.
"$DISTILL" build "$SRC" "oci:$T/out:v1" --keep-level file --test "$TEST" --out-dir "$T/rep" -q >"$T/digest1" 2>"$T/err1"
rc=$?
check_eq "build nginx exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err1" | tail -20
check "DST is an OCI layout" test -f "$T/out/index.json"
check_eq "report.json written" written "$(jq -r .result "$T/rep/report.json" 2>/dev/null)"
check_eq "seccomp.json allows what nginx used" true "$(jq '.defaultAction == "SCMP_ACT_ERRNO" and (.syscalls[0].names | index("accept4") != null)' "$T/rep/seccomp.json" 2>/dev/null)"
check "Dockerfile: FROM scratch, ADD of the layer, USER" bash -c "grep -q '^FROM scratch' '$T/rep/Dockerfile' && grep -qx 'ADD rootfs.tar /' '$T/rep/Dockerfile' && grep -q '^USER 65532:65532' '$T/rep/Dockerfile'"
check_fails "Dockerfile: no COPY (it follows the /lib -> usr/lib link)" grep -q '^COPY' "$T/rep/Dockerfile"

man=$(jq -r '.manifests[0].digest' "$T/out/index.json" | cut -d: -f2)
cfg=$(jq -r '.config.digest' "$T/out/blobs/sha256/$man" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$T/out/blobs/sha256/$man" | cut -d: -f2)
check_eq "one layer" 1 "$(jq '.layers | length' "$T/out/blobs/sha256/$man")"
check_eq "runs as nonroot" "65532:65532" "$(jq -r '.config.User' "$T/out/blobs/sha256/$cfg")"
check_eq "entrypoint carried over" '["/usr/sbin/nginx","-g","daemon off;"]' "$(jq -c '.config.Entrypoint' "$T/out/blobs/sha256/$cfg")"
check_eq "annotation names the source" true "$(jq '.annotations["org.opencontainers.image.base.digest"] | startswith("sha256:")' "$T/out/blobs/sha256/$man" 2>/dev/null)"
tar -tzf "$T/out/blobs/sha256/$layer" | sed 's#^\./##; s#/$##' > "$T/files"
check "result has nginx" grep -qx 'usr/sbin/nginx' "$T/files"
check_fails "result has no shell" grep -qE '^(usr/)?bin/(sh|dash|bash)$' "$T/files"
check_fails "result has no package manager" grep -qE '^usr/bin/(dpkg|apt|apt-get)$' "$T/files"
check "passwd has nonroot" bash -c "tar -xzOf '$T/out/blobs/sha256/$layer' ./etc/passwd 2>/dev/null | grep -q '^nonroot:x:65532:65532:' || tar -xzOf '$T/out/blobs/sha256/$layer' etc/passwd | grep -q '^nonroot:x:65532:65532:'"
before=$(jq .before.size "$T/rep/report.json"); after=$(jq .after.size "$T/rep/report.json"); used=$(jq .used_size "$T/rep/report.json")
echo "  sizes: source $before B, result $after B, used by nginx $used B"
check "result within 15% of the bytes nginx used" test "$after" -le $(( used * 115 / 100 ))
check "result at least 10x smaller than the source" test $(( before / after )) -ge 10

# 2. The result runs under podman (not only under distill) and serves.
if command -v podman >/dev/null; then
  name=distill-test-build-$$
  # podman names an oci: image after its path, which may hold capitals; give it a proper name.
  skopeo copy -q "oci:$T/out:v1" "containers-storage:localhost/$name:v1" >/dev/null 2>"$T/podman.err"
  podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$T/podman.err"
  okp=1
  for _ in $(seq 50); do curl -fsS http://127.0.0.1:8080/ -o /dev/null 2>/dev/null && { okp=0; break; }; sleep 0.2; done
  check_eq "result serves under podman" 0 $okp
  [ $okp = 0 ] || sed 's/^/  | /' "$T/podman.err"
  check_eq "podman: runs as uid 65532" 65532 "$(podman inspect -f '{{.State.Pid}}' "$name" 2>/dev/null | xargs -I{} stat -c %u /proc/{} 2>/dev/null)"
  podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
else
  fail "build: podman not installed"
fi

# 2b. The generated Dockerfile rebuilds the same file tree (paths, types, modes, owners, link
#     targets, link counts, sizes): podman build of --out-dir vs the distilled image itself.
if command -v podman >/dev/null; then
  name=distill-test-build-df-$$
  podman build -q -t "localhost/$name:df" "$T/rep" >/dev/null 2>"$T/df.err"
  check_eq "podman build of the generated Dockerfile" 0 $?
  skopeo copy -q "containers-storage:localhost/$name:df" "oci:$T/df-img:latest" >/dev/null 2>>"$T/df.err"
  "$DISTILL" copy -q "oci:$T/df-img:latest" "rootfs:$T/df-tree" 2>>"$T/df.err"
  "$DISTILL" copy -q "oci:$T/out:v1" "rootfs:$T/res-tree" 2>>"$T/df.err"
  tree_list() { (cd "$1" && find . -printf '%p %y %m %U %G %l %n %s\n' | LC_ALL=C sort); }
  tree_list "$T/res-tree" > "$T/res.list"; tree_list "$T/df-tree" > "$T/df.list"
  check "Dockerfile rebuild: same file tree as the distilled image" diff "$T/res.list" "$T/df.list"
  check "Dockerfile rebuild: /lib is still a symlink" test -L "$T/df-tree/lib"
  check_eq "Dockerfile rebuild: same size" "$(du -sb "$T/res-tree" | cut -f1)" "$(du -sb "$T/df-tree" | cut -f1)"
  check_eq "Dockerfile rebuild: same user and entry point" "65532:65532 [/usr/sbin/nginx -g daemon off;]" \
    "$(podman image inspect -f '{{.Config.User}} {{.Config.Entrypoint}}' "localhost/$name:df" 2>/dev/null)"
  podman rmi -f "localhost/$name:df" >/dev/null 2>&1
  rm -rf "$T/df-tree" "$T/res-tree" "$T/df-img"
fi

# 3. Same source, same tests -> same manifest digest.
"$DISTILL" build "$SRC" "oci:$T/out2:v2" --keep-level file --test "$TEST" --seccomp-verify -q >"$T/digest2" 2>"$T/err2"
rc=$?
check_eq "second build (verify under the seccomp profile) exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err2" | tail -20
check_eq "build twice, same digest" "$(cat "$T/digest1")" "$(cat "$T/digest2")"

# 4. A test the first run passes without touching extra.html and the candidate fails on it
#    (--keep-level file: at the package level the web root, the app's own tree, is kept whole).
cp -a "$T/out" "$T/keep"
sum_before=$(cd "$T/out" && find . -type f | sort | xargs sha256sum | sha256sum)
TWO='if [ "$DISTILL_STAGE" = trace ]; then curl -fsS http://{LOCALHOST}:8080/ -o /dev/null; else curl -fsS http://{LOCALHOST}:8080/extra.html -o /dev/null; fi'
"$DISTILL" build "$SRC" "oci:$T/out:v1" --keep-level file --test "$TWO" --user 65532 -q >/dev/null 2>"$T/err3"
check_eq "candidate failing a test exits 1" 1 $?
sum_after=$(cd "$T/out" && find . -type f | sort | xargs sha256sum | sha256sum)
check_eq "DST untouched after a failed verify" "$sum_before" "$sum_after"
check "the missing path is named" grep -q 'missing: /var/www/html/extra.html' "$T/err3"
check "the failing test is named" grep -q 'FAILED on the candidate: test' "$T/err3"

# 4b. --user auto (the default): nonroot fails on a missing file, which no user change fixes:
#     the file is named after one verify run, without a retry as the source's user.
"$DISTILL" build "$SRC" "oci:$T/out:v1" --keep-level file --test "$TWO" --out-dir "$T/rep3b" -q >/dev/null 2>"$T/err3b"
check_eq "user auto, missing file: exits 1" 1 $?
check "user auto, missing file: the missing path is named" grep -q 'missing: /var/www/html/extra.html' "$T/err3b"
check_eq "user auto, missing file: one verify run, no retry as the source's user" '["trace","verify","diagnose"]' \
  "$(jq -c '[.tests[].stage]' "$T/rep3b/report.json" 2>/dev/null)"
check_fails "user auto, missing file: no fallback message" grep -q "using the source's user" "$T/err3b"
check_eq "user auto, missing file: report lists it" '["/var/www/html/extra.html"]' "$(jq -c .missing "$T/rep3b/report.json" 2>/dev/null)"
sum_after=$(cd "$T/out" && find . -type f | sort | xargs sha256sum | sha256sum)
check_eq "user auto, missing file: DST untouched" "$sum_before" "$sum_after"
check_fails "user auto, missing file: a failed build writes no Dockerfile (nothing to rebuild)" test -e "$T/rep3b/Dockerfile"

# 4c. The same held-out page at the default --keep-level package: the web root is the app's own
#     tree (files no package owns), kept whole, so the page the trace never served is there.
mkdir -p "$T/pkg"
"$DISTILL" build "$SRC" "oci:$T/pkg/out:v1" --test "$TWO" --out-dir "$T/rep3c" -q >/dev/null 2>"$T/err3c"
check_eq "package level: the page the trace never served passes on the candidate" 0 $?
check_eq "package level: the web root is the app's tree" '["/var/www/html"]' "$(jq -c .keep_level.app_trees "$T/rep3c/report.json" 2>/dev/null)"

# 5. A test that fails on the source: exit 1, nothing written.
"$DISTILL" build "$SRC" "oci:$T/none:x" --test 'exit 3' -q >/dev/null 2>"$T/err4"
check_eq "test failing on the source exits 1" 1 $?
check_fails "nothing written when the source fails" test -e "$T/none"

# 6. --keep brings the page along; --keep-shell keeps the shell; the result is pushed to a
#    registry on 127.0.0.1, pulled back with skopeo and run with podman.
DEST="oci:$T/out5:k"; RPID=""
if command -v docker-registry >/dev/null; then
  RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$T/reg"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/reg/data" "$RPORT" > "$T/reg/config.yml"
  docker-registry serve "$T/reg/config.yml" > "$T/reg/log" 2>&1 & RPID=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$RPORT/v2/" && break; sleep 0.2; done
  DEST="docker://127.0.0.1:$RPORT/nginx-min:k"
else
  fail "build: docker-registry not installed (push test)"
fi
"$DISTILL" build "$SRC" "$DEST" --dest-tls-verify=false --test "$TWO" --keep '/var/www/html/*' --keep-shell \
  --out-dir "$T/rep5" -q >/dev/null 2>"$T/err5"
check_eq "--keep makes the two-stage test pass (written to $DEST)" 0 $?
has_dash=$(jq '[.kept[].path] | index("/usr/bin/dash") != null' "$T/rep5/report.json" 2>/dev/null)
check_eq "--keep-shell keeps /usr/bin/dash" true "$has_dash"
if [ -n "$RPID" ] && command -v podman >/dev/null; then
  name=distill-test-build-reg-$$
  skopeo copy -q --src-tls-verify=false "$DEST" "containers-storage:localhost/$name:k" >/dev/null 2>"$T/reg.err"
  check_eq "pushed result pulls back with skopeo" 0 $?
  podman run -d --rm --name "$name" --network host "localhost/$name:k" >/dev/null 2>>"$T/reg.err"
  okp=1
  for _ in $(seq 50); do curl -fsS http://127.0.0.1:8080/extra.html -o /dev/null 2>/dev/null && { okp=0; break; }; sleep 0.2; done
  check_eq "pulled result serves the kept page under podman" 0 $okp
  podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:k" >/dev/null 2>&1
fi
[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
"$DISTILL" build --help > "$T/help" 2>&1; check_eq "build --help" 0 $?
check "build --help is the build usage" grep -q '^Usage: distill build' "$T/help"
"$DISTILL" build "$SRC" 2>/dev/null; check_eq "missing DST is a usage error" 2 $?

# 7. docker-archive output, loaded by `podman load` and run.
if command -v podman >/dev/null; then
  name=distill-test-build-load-$$
  # ... with --sensor given relative to the current directory (the runtime needs it absolute).
  (cd "$(dirname "$DISTILL")" && "$DISTILL" build "$SRC" "docker-archive:$T/nginx.tar:localhost/$name:v1" \
     --sensor ./distill-sensor --test "$TEST" -q >/dev/null 2>"$T/err7")
  check_eq "build to docker-archive (relative --sensor) exits 0" 0 $?
  podman load -i "$T/nginx.tar" >/dev/null 2>"$T/load.err"
  check_eq "podman load reads the archive" 0 $?
  podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$T/load.err"
  okp=1
  for _ in $(seq 50); do curl -fsS http://127.0.0.1:8080/ -o /dev/null 2>/dev/null && { okp=0; break; }; sleep 0.2; done
  check_eq "loaded result serves under podman" 0 $okp
  [ $okp = 0 ] || sed 's/^/  | /' "$T/load.err"
  podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
fi
