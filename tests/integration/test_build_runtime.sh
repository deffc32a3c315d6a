#!/usr/bin/env bash
# distill build on a tiny tree (rootfs: source) holding one static program: the runtime leaves the
# source tree untouched (overlay), a batch job that exits 0 is fine, a non-zero exit fails the
# build, --network none isolates, --keep and parents work, the written dir is owned by nonroot.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build runtime: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
cat > "$T/app.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* Reads its config, writes a state file, reports whether it has a network beyond lo. */
int main(int argc, char **argv) {
    FILE *f = fopen("/etc/app.conf", "r");
    if (!f) { perror("/etc/app.conf"); return 2; }
    char buf[64] = "";
    if (!fgets(buf, sizeof buf, f)) return 3;
    fclose(f);
    FILE *o = fopen("/var/lib/app/state", "w");
    if (!o) { perror("/var/lib/app/state"); return 4; }
    fprintf(o, "%s", buf);
    fclose(o);
    if (argc > 1 && !strcmp(argv[1], "fail")) return 9;
    printf("uid=%d\n", (int)getuid());
    return 0;
}
EOF
if ! cc -static -O1 -o "$T/app" "$T/app.c" 2>"$T/cc.err"; then fail "build runtime: static cc failed"; exit 0; fi
tree=$T/tree
mkdir -p "$tree/usr/bin" "$tree/etc" "$tree/var/lib/app" "$tree/usr/share/doc/app"
cp "$T/app" "$tree/usr/bin/app"
echo "mode=fast" > "$tree/etc/app.conf"
echo "never read" > "$tree/etc/unused.conf"
echo "docs" > "$tree/usr/share/doc/app/README"
printf 'root:x:0:0:root:/root:/sbin/nologin\n' > "$tree/etc/passwd"
printf 'root:x:0:\n' > "$tree/etc/group"
ln -s usr/bin "$tree/bin"
(cd "$tree" && find . | sort > "$T/tree.before")

"$DISTILL" build "rootfs:$tree" "oci:$T/out:v1" --out-dir "$T/rep" -q -- /bin/app >"$T/d1" 2>"$T/e1"
rc=$?
check_eq "batch job exiting 0 builds" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/e1" | tail -10
(cd "$tree" && find . | sort > "$T/tree.after")
check "source tree untouched by the runs" cmp -s "$T/tree.before" "$T/tree.after"
check_fails "no state file leaked into the source" test -e "$tree/var/lib/app/state"
kept() { jq -e --arg p "$1" '[.kept[].path] | index($p) != null' "$T/rep/report.json" >/dev/null; }
check "kept the program" kept /usr/bin/app
check "kept the /bin symlink on the way" kept /bin
check "kept the config it read" kept /etc/app.conf
check "kept the dir it wrote in" kept /var/lib/app
check_fails "dropped the config it never read" kept /etc/unused.conf
check_fails "dropped the docs" kept /usr/share/doc/app/README
check_eq "ran as nonroot" "65532:65532" "$(jq -r .user "$T/rep/report.json")"
check_eq "entrypoint is the -- command" '["/bin/app"]' "$(jq -c .command "$T/rep/report.json")"
man=$(jq -r '.manifests[0].digest' "$T/out/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$T/out/blobs/sha256/$man" | cut -d: -f2)
check "state dir owned by 65532 in the layer" bash -c "tar -tvzf '$T/out/blobs/sha256/$layer' | grep -E ' 65532/65532 .*var/lib/app/?\$' >/dev/null"
check "/tmp is 1777 in the layer" bash -c "tar -tvzf '$T/out/blobs/sha256/$layer' | grep -E '^drwxrwxrwt .* (\\./)?tmp/?\$' >/dev/null"

# --keep brings the docs; --network none still runs a batch job.
"$DISTILL" build "rootfs:$tree" "oci:$T/out2:v1" --keep '/usr/share/doc/*' --network none --out-dir "$T/rep2" -q -- /bin/app >/dev/null 2>"$T/e2"
check_eq "--network none batch build" 0 $?
kept2() { jq -e --arg p "$1" '[.kept[].path] | index($p) != null' "$T/rep2/report.json" >/dev/null; }
check "--keep kept the docs" kept2 /usr/share/doc/app/README

# A non-zero exit is a failure on the source: exit 1, nothing written.
"$DISTILL" build "rootfs:$tree" "oci:$T/out3:v1" -q -- /bin/app fail >/dev/null 2>"$T/e3"
check_eq "app exiting 9 fails the build" 1 $?
check "the exit status is named" grep -q 'exited with status 9' "$T/e3"
check_fails "nothing written" test -e "$T/out3"

# Unknown runtime and bad flags are usage/config errors.
"$DISTILL" build "rootfs:$tree" "oci:$T/x" --runtime nosuch -q -- /bin/app >/dev/null 2>"$T/rt.err"
check_eq "unknown runtime is a usage error (exit 2)" 2 $?
check "unknown runtime: the error names the value" grep -q "^distill build: --runtime: expected one of .*, got 'nosuch'" "$T/rt.err"
"$DISTILL" build "rootfs:$tree" "oci:$T/x" --ready-timeout abc -- /bin/app >/dev/null 2>&1
check_eq "bad --ready-timeout exits 2" 2 $?

# Placeholders and their environment twins, from the source name or --name/--tag.
"$DISTILL" build "rootfs:$tree" "oci:$T/out4:v1" -q \
  --test 'test "{NAME}:{CONTAINER_TAG}:{LOCALHOST}" = "tree:latest:127.0.0.1" && test "$DISTILL_NAME:$DISTILL_TAG:$DISTILL_HOST" = "tree:latest:127.0.0.1"' \
  -- /bin/app >/dev/null 2>"$T/e4"
check_eq "placeholders from the source name" 0 $?
"$DISTILL" build "rootfs:$tree" "oci:$T/out5:v1" -q --name web --tag v9 \
  --test 'test "{NAME}:{CONTAINER_TAG}" = "web:v9" && test "$DISTILL_NAME:$DISTILL_TAG" = "web:v9"' -- /bin/app >/dev/null 2>"$T/e5"
check_eq "placeholders from --name/--tag" 0 $?
# The recipe in a project file; the command line still wins for single values.
cat > "$T/distill.yaml" <<YAML
name: fromyaml
tag: y1
test:
  - 'test "{NAME}:{CONTAINER_TAG}" = "fromyaml:y2"'
command: ["/bin/app"]
YAML
"$DISTILL" build "rootfs:$tree" "oci:$T/out6:v1" -q --config "$T/distill.yaml" --tag y2 >/dev/null 2>"$T/e6"
check_eq "distill.yaml recipe, --tag overrides it" 0 $?

# --harden: the harden rules on the candidate (a kept setuid file loses its bit), then verify.
cp "$T/app" "$tree/usr/bin/suidtool" && chmod 4755 "$tree/usr/bin/suidtool"
"$DISTILL" build "rootfs:$tree" "oci:$T/out7:v1" -q --harden --keep /usr/bin/suidtool --out-dir "$T/rep7" \
  -- /bin/app >/dev/null 2>"$T/e7"
check_eq "--harden build exits 0" 0 $?
check_eq "--harden applied" true "$(jq -r .harden.applied "$T/rep7/report.json" 2>/dev/null)"
man7=$(jq -r '.manifests[0].digest' "$T/out7/index.json" 2>/dev/null | cut -d: -f2)
layer7=$(jq -r '.layers[0].digest' "$T/out7/blobs/sha256/$man7" 2>/dev/null | cut -d: -f2)
check "--harden dropped the setuid bit" bash -c "tar -tvzf '$T/out7/blobs/sha256/$layer7' | grep -E '^-rwxr-xr-x .*usr/bin/suidtool\$' >/dev/null"
