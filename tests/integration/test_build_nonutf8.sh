#!/usr/bin/env bash
# distill build keeps files whose names are not UTF-8 (Latin-1 caf\xe9, garbage \xff\xfe): the app
# (a batch python3 job, no network) reads them and creates one; the result has them with the exact
# bytes, the nonroot user can write where the app wrote, and report.json/Dockerfile carry the names.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "build non-UTF-8: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
py=$(debian_image debian-python3-httpserver --include python3 \
  --cmd '["python3","-m","http.server","8000"]' --port 8000/tcp) || { fail "build non-UTF-8: python fixture"; exit 0; }

# The source: the python image plus a layer with /data (names not UTF-8, one UTF-8, one unused) and a
# batch command, without the exposed port. Blobs are hard links into the shared cache, never written.
S=$T/src; mkdir -p "$S" "$T/layer/data"
cp -al "$py/blobs" "$S/blobs"; cp "$py/oci-layout" "$S/"
printf 'latin1\n'  > "$T/layer/data/$(printf 'caf\xe9')"
printf 'garbage\n' > "$T/layer/data/$(printf '\xff\xfe')"
printf 'utf8\n'    > "$T/layer/data/$(printf 'caf\xc3\xa9')"
printf 'unused\n'  > "$T/layer/data/unused"
chmod 755 "$T/layer/data"
tar --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -C "$T/layer" -cf "$T/layer.tar" data
diffid=$(sha256sum < "$T/layer.tar" | cut -d' ' -f1)
gzip -n -c "$T/layer.tar" > "$T/layer.tgz"
ld=$(sha256sum < "$T/layer.tgz" | cut -d' ' -f1); lsz=$(stat -c %s "$T/layer.tgz")
cp "$T/layer.tgz" "$S/blobs/sha256/$ld"
APP="import sys
d = b'/data/'
want = {b'caf\\xe9': b'latin1\\n', b'\\xff\\xfe': b'garbage\\n', b'caf\\xc3\\xa9': b'utf8\\n'}
for n, v in want.items():
    if open(d + n, 'rb').read() != v: sys.exit(3)
open(d + b'new\\xe9', 'wb').write(b'x')"
man=$(jq -r '.manifests[0].digest' "$py/index.json" | cut -d: -f2)
cfg=$(jq -r .config.digest "$py/blobs/sha256/$man" | cut -d: -f2)
jq -c --arg d "sha256:$diffid" --arg app "$APP" '.rootfs.diff_ids += [$d] | .history += [{"created_by":"non-UTF-8 names"}]
  | .config.Cmd = ["python3","-c",$app] | del(.config.ExposedPorts)' "$py/blobs/sha256/$cfg" > "$T/cfg.json"
cd2=$(sha256sum < "$T/cfg.json" | cut -d' ' -f1); cp "$T/cfg.json" "$S/blobs/sha256/$cd2"
jq -c --arg c "sha256:$cd2" --argjson cs "$(stat -c %s "$T/cfg.json")" --arg l "sha256:$ld" --argjson ls "$lsz" \
  '.config.digest = $c | .config.size = $cs | .layers += [{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":$l,"size":$ls}]' \
  "$py/blobs/sha256/$man" > "$T/man.json"
md=$(sha256sum < "$T/man.json" | cut -d' ' -f1); cp "$T/man.json" "$S/blobs/sha256/$md"
jq -c --arg m "sha256:$md" --argjson ms "$(stat -c %s "$T/man.json")" '.manifests[0].digest = $m | .manifests[0].size = $ms' \
  "$py/index.json" > "$S/index.json"

mkdir -p "$T/out"
"$DISTILL" build "oci:$S:latest" "oci:$T/out/img:v1" ${SENSOR_OVERRIDE:+--sensor "$SENSOR_OVERRIDE"} --network none --out-dir "$T/rep" -q >"$T/digest" 2>"$T/err"
rc=$?
check_eq "non-UTF-8: build exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err" | tail -20
m=$(jq -r '.manifests[0].digest' "$T/out/img/index.json" 2>/dev/null | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$T/out/img/blobs/sha256/$m" 2>/dev/null | cut -d: -f2)
tar --quoting-style=literal -tzf "$T/out/img/blobs/sha256/$layer" 2>/dev/null | sed 's#^\./##; s#/$##' > "$T/files"
# in_result PRINTF-ESCAPED-NAME: that exact byte string is an entry of the result's layer
in_result() { LC_ALL=C grep -qxFa "$(printf "$1")" "$T/files"; }
check "non-UTF-8: Latin-1 name kept with its exact bytes" in_result 'data/caf\xe9'
check "non-UTF-8: ff fe name kept with its exact bytes" in_result 'data/\xff\xfe'
check "non-UTF-8: UTF-8 name kept" in_result 'data/caf\xc3\xa9'
# The app wrote in /data: a data directory is kept whole at every keep level (issue 11).
check "non-UTF-8: /data, where the app wrote, is kept whole" in_result 'data/unused'
check_fails "non-UTF-8: no name mangled to U+FFFD" in_result 'data/caf\xef\xbf\xbd'
check_eq "non-UTF-8: content of the Latin-1 file" latin1 \
  "$(tar -xzOf "$T/out/img/blobs/sha256/$layer" "./data/$(printf 'caf\xe9')" 2>/dev/null || tar -xzOf "$T/out/img/blobs/sha256/$layer" "data/$(printf 'caf\xe9')" 2>/dev/null)"
# The app created /data/new\xe9: the run user must be able to do it again (written_by_app -> chown).
check_eq "non-UTF-8: verified as nonroot (the dir it wrote in is the run user's)" "65532:65532" "$(jq -r .user "$T/rep/report.json" 2>/dev/null)"
check "non-UTF-8: report.json is strict UTF-8 JSON" python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$T/rep/report.json"
check "non-UTF-8: report kept[] has the exact bytes" python3 - "$T/rep/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
kept = {bytes.fromhex(k["path_hex"]) if "path_hex" in k else k["path"].encode(): k for k in r["kept"]}
ok = all(p in kept for p in (b"/data/caf\xe9", b"/data/\xff\xfe", "/data/caf\u00e9".encode()))
ok = ok and kept[b"/data/caf\xe9"]["path"] == "/data/caf\ufffd" and "path_hex" not in kept["/data/caf\u00e9".encode()]
w = r["written_by_app"]; wh = r.get("written_by_app_hex") or [None] * len(w)
written = [bytes.fromhex(h) if h else s.encode() for s, h in zip(w, wh)]
ok = ok and b"/data/new\xe9" in written
sys.exit(0 if ok else 1)
PY
check "non-UTF-8: the Dockerfile's context layer holds the Latin-1 name's exact bytes" python3 - "$T/rep/rootfs.tar" <<'PY'
import sys, tarfile
names = {m.name.encode("utf-8", "surrogateescape").lstrip(b"./") for m in tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape")}
sys.exit(0 if b"data/caf\xe9" in names else 1)
PY
# A command after -- that is not UTF-8 cannot go into the runtime's config.json: refused, not mangled.
"$DISTILL" build "oci:$S:latest" "oci:$T/out2/img:v1" --network none -q -- cat "/data/$(printf 'caf\xe9')" >/dev/null 2>"$T/err2"
check_eq "non-UTF-8 command: usage error" 2 $?
check "non-UTF-8 command: says which argument and why" grep -q 'argument 2 after -- is not UTF-8 (bytes 2f646174612f636166e9)' "$T/err2"
