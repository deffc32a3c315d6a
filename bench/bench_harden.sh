#!/usr/bin/env bash
# distill harden vs the hand-made way (the seed's prep script): umoci unpack, a shell script
# that removes shells/package managers, drops setuid bits, locks accounts, then umoci repack.
# Same input image; prints wall time, size of the added layer, and what `distill scan` says.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DISTILL=${DISTILL:-$top/build/distill}
img=$(bash "$top/tests/fixtures/debian-image.sh" harden-nginx-light-8080 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
  --hook 'sed -i -e "s/listen 80 default_server/listen 8080 default_server/" -e "s/listen \[::\]:80 default_server/listen [::]:8080 default_server/" "$1/etc/nginx/sites-available/default" && sed -i "s|^pid .*|pid /tmp/nginx.pid;|" "$1/etc/nginx/nginx.conf" && chown -R 33:33 "$1/var/lib/nginx" "$1/var/log/nginx"')
T=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench-harden.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
last_layer_size() { local m; m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  jq -r '.layers[-1].size' "$1/blobs/sha256/$m"; }

t0=$(now)
"$DISTILL" harden "oci:$img:latest" "oci:$T/ours:latest" --user www-data >/dev/null 2>&1 || { echo "distill harden failed"; exit 1; }
t1=$(now)

# The peer: a prep script in the spirit of the seed's kcore-baseline/files/prep.
mkdir -p "$T/peer/blobs/sha256"; cp -l "$img"/blobs/sha256/* "$T/peer/blobs/sha256/"
cp "$img/index.json" "$img/oci-layout" "$T/peer/"
t2=$(now)
umoci unpack --image "$T/peer:latest" "$T/bundle" >/dev/null 2>&1
r=$T/bundle/rootfs
for b in sh bash rbash dash apt apt-get apt-cache apt-config apt-mark apt-key apt-cdrom dpkg dpkg-deb dpkg-query \
         dpkg-divert dpkg-split dpkg-trigger dpkg-statoverride dpkg-maintscript-helper dpkg-realpath ln; do
  rm -f "$r/usr/bin/$b"
done
rm -f "$r"/usr/sbin/dpkg-*; rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*
find "$r" -xdev -type f -perm /6000 -exec chmod ug-s {} +
sed -i -e '/^root:/d' -e 's#:[^:]*$#:/usr/sbin/nologin#' "$r/etc/passwd"
sed -i -e '/^root:/d' -e 's#^\([^:]*\):[^:]*:#\1:!:#' "$r/etc/shadow"
umoci repack --image "$T/peer:latest" "$T/bundle" >/dev/null 2>&1
umoci config --image "$T/peer:latest" --config.user 33:33 >/dev/null 2>&1
t3=$(now)

calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
ours_t=$(calc "$t1 - $t0"); peer_t=$(calc "$t3 - $t2")
ours_l=$(last_layer_size "$T/ours"); peer_l=$(last_layer_size "$T/peer")
verdict() { "$DISTILL" scan --json "oci:$1:latest" 2>/dev/null | jq -r '"distroless=\(.verdict.distroless) root=\(.verdict.run_user.root)"'; }
printf '%-34s %12s %14s  %s\n' "" "wall (s)" "new layer (B)" "distill scan"
printf '%-34s %12.2f %14s  %s\n' "distill harden" "$ours_t" "$ours_l" "$(verdict "$T/ours")"
printf '%-34s %12.2f %14s  %s\n' "umoci + prep script (seed style)" "$peer_t" "$peer_l" "$(verdict "$T/peer")"
printf 'ratio time ours/peer: %.2f   ratio layer ours/peer: %.2f\n' \
  "$(calc "$ours_t / $peer_t")" "$(calc "$ours_l / $peer_l")"
