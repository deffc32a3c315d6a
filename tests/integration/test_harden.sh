#!/usr/bin/env bash
# distill harden on a real Debian image: nginx-light set up to run as www-data on port 8080.
# After harden: no shell, no package manager, no setuid file, a non-root user, package
# metadata still readable by dpkg-query, and nginx still answers under podman.
source "$(dirname "$0")/lib.sh"

img=$(debian_image harden-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook 'sed -i -e "s/listen 80 default_server/listen 8080 default_server/" -e "s/listen \[::\]:80 default_server/listen [::]:8080 default_server/" "$1/etc/nginx/sites-available/default" && sed -i "s|^pid .*|pid /tmp/nginx.pid;|" "$1/etc/nginx/nginx.conf" && chown -R 33:33 "$1/var/lib/nginx" "$1/var/log/nginx"')
if [ ! -f "$img/index.json" ]; then fail "fixture image harden-nginx-light-8080 could not be built"; exit 0; fi
src=oci:$img:latest
layout_digest() { cat "$1/index.json" "$1/oci-layout" | sha256sum | cut -d' ' -f1; }
manifest_of() { jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2; }
config_of() { jq -r .config.digest "$1/blobs/sha256/$(manifest_of "$1")" | cut -d: -f2; }
before=$(layout_digest "$img")

# --dry-run: every change listed, nothing written, digests unchanged.
$DISTILL harden "$src" "oci:$T/dry:latest" --user www-data --dry-run >"$T/dry.txt" 2>"$T/dry.err"
check_eq "dry-run exits 0" 0 $?
check "dry-run lists the shell removals" grep -Eq '^shell +remove +/usr/bin/bash' "$T/dry.txt"
check "dry-run lists the setuid changes" grep -Eq '^setuid +chmod +/usr/bin/passwd' "$T/dry.txt"
check_fails "dry-run writes no destination" test -e "$T/dry"
check_eq "dry-run leaves the source digests equal" "$before" "$(layout_digest "$img")"

$DISTILL harden "$src" "oci:$T/bad:latest" --user root 2>/dev/null
check_eq "--user root is refused" 2 $?

# The real thing.
$DISTILL harden "$src" "oci:$T/hard:latest" --user www-data --report "$T/report.json" >"$T/hard.txt" 2>"$T/hard.err"
rc=$?
check_eq "harden exits 0" 0 $rc
[ $rc -eq 0 ] || cat "$T/hard.err"
check_eq "the source is unchanged" "$before" "$(layout_digest "$img")"
man=$T/hard/blobs/sha256/$(manifest_of "$T/hard")
check_eq "one layer added on top of the source" 2 "$(jq '.layers | length' "$man")"
cfg=$T/hard/blobs/sha256/$(config_of "$T/hard")
check_eq "config User is www-data's uid:gid" "33:33" "$(jq -r .config.User "$cfg")"
check_eq "config diff_ids match the layers" 2 "$(jq '.rootfs.diff_ids | length' "$cfg")"
check "report lists changes with rules" jq -e '(.changes | length) > 20 and all(.changes[]; .rule != "" and .path != "")' "$T/report.json"

# Look at the result through another tool (umoci applies our whiteouts).
umoci raw unpack --image "$T/hard:latest" "$T/tree" >/dev/null 2>&1
check "umoci unpacks the result" test -f "$T/tree/etc/passwd"
for f in sh bash dash rbash apt apt-get dpkg dpkg-query ln; do
  check_fails "no /usr/bin/$f" test -e "$T/tree/usr/bin/$f" -o -L "$T/tree/usr/bin/$f"
done
check "nginx is still there" test -x "$T/tree/usr/sbin/nginx"
check_eq "no setuid or setgid file" "" "$(find "$T/tree" -xdev -type f -perm /6000 | head -3)"
check_eq "no world-writable file or non-sticky dir" "" \
  "$(find "$T/tree" -xdev \( -type f -o -type d \) -perm -o+w ! \( -type d -perm -1000 \) | head -3)"
check_fails "no root in /etc/passwd" grep -q '^root:' "$T/tree/etc/passwd"
check_fails "no root in /etc/shadow" grep -q '^root:' "$T/tree/etc/shadow"
check_eq "no password hash in /etc/shadow" "" "$(awk -F: '$2 !~ /^(\*|!|!\*|!!)$/' "$T/tree/etc/shadow")"
check_eq "no login shell left" "" "$(awk -F: '$7 !~ /(nologin|false)$/' "$T/tree/etc/passwd")"
check "www-data exists" grep -q '^www-data:x:33:33:' "$T/tree/etc/passwd"
check_eq "apt lists emptied" "" "$(ls -A "$T/tree/var/lib/apt/lists" 2>/dev/null)"
n=$(dpkg-query -W --admindir="$T/tree/var/lib/dpkg" 2>/dev/null | wc -l)
check "dpkg-query still lists the packages ($n)" test "$n" -gt 80
check "nginx-light still listed" sh -c "dpkg-query -W --admindir='$T/tree/var/lib/dpkg' nginx-light >/dev/null"
check_fails "bash.list no longer lists /bin/bash" grep -qx /bin/bash "$T/tree/var/lib/dpkg/info/bash.list"
check "bash.list keeps its other files" grep -q '^/usr/share/doc/bash' "$T/tree/var/lib/dpkg/info/bash.list"

# distill scan agrees: distroless verdict, non-root user, packages still listed without the removed files.
$DISTILL scan --json --files "$src" >"$T/scan-before.json" 2>/dev/null
$DISTILL scan --json --files "oci:$T/hard:latest" >"$T/scan.json" 2>"$T/scan.err"
check "scan: the source was not distroless" jq -e '.verdict.distroless == false' "$T/scan-before.json"
check "scan: hardened image is distroless (no shell, no package manager)" \
  jq -e '.verdict.distroless and (.verdict.shells | length) == 0 and (.verdict.package_managers | length) == 0' "$T/scan.json"
check "scan: no setuid file, no world-writable path" \
  jq -e '(.verdict.setuid_setgid | length) == 0 and (.verdict.world_writable | length) == 0' "$T/scan.json"
check "scan: run user is not root" jq -e '.verdict.run_user.root == false' "$T/scan.json"
check_eq "scan: the same packages as before" "$(jq '.package_count' "$T/scan-before.json")" "$(jq '.package_count' "$T/scan.json")"
check "scan: bash no longer lists /bin/bash but keeps bashbug" \
  jq -e '[.packages[] | select(.name == "bash") | .files[]] | (index("/bin/bash") == null) and (index("/usr/bin/bashbug") != null)' "$T/scan.json"

# The hardened image still serves: podman in its own network namespace, probed from inside it.
name=distill-harden-$$
ln -sfn "$T/hard" "/var/tmp/$name"   # podman names an oci: image after its path, which must be lowercase
if podman run -d --name "$name" --network=none "oci:/var/tmp/$name:latest" >"$T/podman.out" 2>&1; then
  pid=$(podman inspect -f '{{.State.Pid}}' "$name")
  body=""
  for _ in $(seq 1 40); do
    body=$(nsenter -t "$pid" -n curl -sf --max-time 2 http://127.0.0.1:8080/ 2>/dev/null) && break
    sleep 0.25
  done
  check "hardened nginx answers HTTP on 8080" grep -qi nginx <<<"$body"
  check_eq "nginx runs as www-data" "www-data" "$(podman top "$name" user 2>/dev/null | sed -n 2p | tr -d " ")"
  check_fails "no shell to exec into" podman exec "$name" /bin/sh -c true
  podman logs "$name" >"$T/podman.log" 2>&1
else
  fail "podman run: $(tail -3 "$T/podman.out")"
fi
podman rm -f "$name" >/dev/null 2>&1
podman rmi -f "localhost/var/tmp/$name:latest" >/dev/null 2>&1 || true
rm -f "/var/tmp/$name"

# An entry point that is a shell script: refused, unless --allow /bin/sh.
# (/usr/bin/which is a "#! /bin/sh" script in Debian.)
mkdir -p "$T/script/blobs/sha256"
cp -l "$img"/blobs/sha256/* "$T/script/blobs/sha256/"
cp "$img/oci-layout" "$T/script/"
jq -c '.config.Entrypoint = ["/usr/bin/which"] | .config.Cmd = ["nginx"]' "$img/blobs/sha256/$(config_of "$img")" >"$T/cfg.json"
cd_=$(sha256sum "$T/cfg.json" | cut -d' ' -f1); cs=$(stat -c %s "$T/cfg.json")
mv "$T/cfg.json" "$T/script/blobs/sha256/$cd_"
jq -c --arg d "sha256:$cd_" --argjson s "$cs" '.config.digest = $d | .config.size = $s' \
  "$img/blobs/sha256/$(manifest_of "$img")" >"$T/man.json"
md=$(sha256sum "$T/man.json" | cut -d' ' -f1); ms=$(stat -c %s "$T/man.json")
mv "$T/man.json" "$T/script/blobs/sha256/$md"
jq -c --arg d "sha256:$md" --argjson s "$ms" '.manifests[0].digest = $d | .manifests[0].size = $s' "$img/index.json" >"$T/script/index.json"
$DISTILL harden "oci:$T/script:latest" "oci:$T/script-hard:latest" >/dev/null 2>"$T/script.err"
check_eq "script entry point: exit 3" 3 $?
check "script entry point: the error names the script and /bin/sh" \
  grep -q 'entry point /usr/bin/which is a script run by /bin/sh.*--allow /bin/sh' "$T/script.err"
check_fails "script entry point: nothing written" test -e "$T/script-hard"
$DISTILL harden "oci:$T/script:latest" "oci:$T/script-hard:latest" --allow /bin/sh --dry-run >"$T/script-allow.txt" 2>&1
check_eq "script entry point with --allow /bin/sh: accepted" 0 $?
check_fails "--allow /bin/sh keeps dash" grep -Eq '^shell +remove +/usr/bin/dash' "$T/script-allow.txt"
check "without --user the run user is nonroot 65532" grep -Eq '^run-user .*nonroot \(65532:65532\) added' "$T/script-allow.txt"

# --squash: one layer.
$DISTILL harden "$src" "oci:$T/squash:latest" --user www-data --squash >/dev/null 2>"$T/squash.err"
check_eq "--squash exits 0" 0 $?
check_eq "--squash writes one layer" 1 "$(jq '.layers | length' "$T/squash/blobs/sha256/$(manifest_of "$T/squash")" 2>/dev/null)"
