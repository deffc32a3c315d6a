#!/usr/bin/env bash
# distill build --entrypoint on a real Debian nginx image whose entry point is a script in the
# style of the official images (docker-entrypoint.sh runs /docker-entrypoint.d/*.sh: mkdir -p, an
# envsubst-rendered config template; then exec "$@"): the result starts nginx directly, has no
# shell and no coreutils, serves the same responses under runc (distill's verify) and podman, and
# is reproducible with its baked files. A setpriv privilege drop gives the dropped-to user. A
# script that initialises its declared volume, one that backgrounds nginx and waits, and one whose
# command line holds a run-time variable (sh -c) keep their script and shell, and say why.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  fail "entrypoint: needs root and runc (CI runs as root with runc installed)"; exit 0
fi
PORT=18310
img=$(debian_image ep-nginx-$PORT --include nginx-light,gettext-base \
  --entrypoint '["/docker-entrypoint.sh"]' --cmd '["nginx","-g","daemon off;"]' --port $PORT/tcp \
  --env NGINX_PORT=$PORT --env NGINX_WORKERS=1 --volume /var/lib/app \
  --hook "$FIXTURE/entrypoint/hook.sh \"\$1\"") || { fail "entrypoint: fixture image"; exit 0; }
SRC="oci:$img:latest"
T1="curl -fsS http://{LOCALHOST}:$PORT/ | grep -qx 'port $PORT GET'"
T2="curl -fsS http://{LOCALHOST}:$PORT/static/index.html | grep -q static"

# The files of a result: its one layer's paths.
files_of() { # LAYOUT TAG OUT
  local man layer
  man=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  layer=$(jq -r '.layers[0].digest' "$1/blobs/sha256/$man" | cut -d: -f2)
  tar -tzf "$1/blobs/sha256/$layer" | sed 's#^\./##; s#/$##' > "$3"
}
config_of() { # LAYOUT
  local man cfg
  man=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
  cfg=$(jq -r '.config.digest' "$1/blobs/sha256/$man" | cut -d: -f2)
  cat "$1/blobs/sha256/$cfg"
}

# 1. The official style: flattened.
"$DISTILL" build "$SRC" "oci:$T/flat:v1" --test "$T1" --test "$T2" --out-dir "$T/rep" >"$T/digest1" 2>"$T/err1"
rc=$?
check_eq "flatten: build exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err1" | tail -25
R=$T/rep/report.json
check_eq "flatten: report verdict" flattened "$(jq -r .entrypoint.verdict "$R" 2>/dev/null)"
check_eq "flatten: report names the script" /docker-entrypoint.sh "$(jq -r .entrypoint.script "$R" 2>/dev/null)"
check "flatten: summary line says so" grep -q 'entry point flattened: /docker-entrypoint.sh -> /usr/sbin/nginx' "$T/err1"
config_of "$T/flat" > "$T/cfg1"
check_eq "flatten: Entrypoint is nginx's argv" '["/usr/sbin/nginx","-g","daemon off;"]' "$(jq -c .config.Entrypoint "$T/cfg1")"
check_eq "flatten: no Cmd" null "$(jq -c .config.Cmd "$T/cfg1")"
check_eq "flatten: Env carries NGINX_PORT, no HOSTNAME/HOME" "true" \
  "$(jq '(.config.Env | index("NGINX_PORT='$PORT'") != null) and ([.config.Env[] | select(startswith("HOSTNAME=") or startswith("HOME="))] | length == 0)' "$T/cfg1")"
check_eq "flatten: WorkingDir" / "$(jq -r .config.WorkingDir "$T/cfg1")"
check_eq "flatten: User is nginx's (root: it drops to workers itself)" 0:0 "$(jq -r .config.User "$T/cfg1")"
check_eq "flatten: the rendered config is baked" true "$(jq '[.entrypoint.baked[].path] | index("/etc/nginx/nginx.conf") != null' "$R")"
check_eq "flatten: the created dirs are baked" true "$(jq '[.entrypoint.baked[].path] | index("/var/cache/nginx/client_temp") != null and index("/run/nginx") != null' "$R")"
check_eq "flatten: the template's variable is listed as baked" true "$(jq '.entrypoint.baked_variables | index("NGINX_PORT") != null' "$R")"
files_of "$T/flat" v1 "$T/files1"
check "flatten: result has nginx" grep -qx usr/sbin/nginx "$T/files1"
check "flatten: result has the rendered nginx.conf" grep -qx etc/nginx/nginx.conf "$T/files1"
check "flatten: result has /var/cache/nginx/client_temp" grep -qx var/cache/nginx/client_temp "$T/files1"
check_fails "flatten: no /bin/sh" grep -qE '^(usr/)?bin/sh$' "$T/files1"
check_fails "flatten: no dash" grep -qE '(^|/)dash$' "$T/files1"
check_fails "flatten: no coreutils (mkdir, date, cut, env, basename)" grep -qE '^(usr/)?bin/(mkdir|date|cut|env|basename)$' "$T/files1"
check_fails "flatten: no coreutils package metadata" grep -qE 'var/lib/dpkg/.*coreutils' "$T/files1"
check_fails "flatten: no envsubst" grep -q 'bin/envsubst$' "$T/files1"
check_fails "flatten: no entry point script" grep -qx docker-entrypoint.sh "$T/files1"
check "flatten: Dockerfile has the flattened ENTRYPOINT" grep -qx 'ENTRYPOINT \["/usr/sbin/nginx","-g","daemon off;"\]' "$T/rep/Dockerfile"
check_fails "flatten: Dockerfile has no CMD" grep -q '^CMD' "$T/rep/Dockerfile"
check "flatten: Dockerfile context holds the baked config" bash -c "tar -tf '$T/rep/rootfs.tar' | grep -qE '^(\./)?etc/nginx/nginx.conf$'"
tar -xOf "$T/rep/rootfs.tar" ./etc/nginx/nginx.conf 2>/dev/null > "$T/conf" || tar -xOf "$T/rep/rootfs.tar" etc/nginx/nginx.conf > "$T/conf"
check "flatten: baked config has the final content" grep -q "listen $PORT;" "$T/conf"

# 1b. The same responses under podman as from the source (verified under runc by the build).
if command -v podman >/dev/null && command -v skopeo >/dev/null; then
  name=distill-test-ep-$$
  skopeo copy -q "oci:$T/flat:v1" "containers-storage:localhost/$name:v1" >/dev/null 2>"$T/podman.err"
  podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$T/podman.err"
  okp=1
  for _ in $(seq 50); do curl -fsS http://127.0.0.1:$PORT/ -o /dev/null 2>/dev/null && { okp=0; break; }; sleep 0.2; done
  check_eq "flatten: serves under podman" 0 $okp
  check_eq "flatten: podman: same / response" "port $PORT GET" "$(curl -fsS http://127.0.0.1:$PORT/ 2>/dev/null)"
  check_eq "flatten: podman: same static response" "<h1>static</h1>" "$(curl -fsS http://127.0.0.1:$PORT/static/index.html 2>/dev/null)"
  check_fails "flatten: podman: no /bin/sh to exec" podman exec "$name" /bin/sh -c true
  [ $okp = 0 ] || sed 's/^/  | /' "$T/podman.err"
  podman stop -t 2 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
else
  fail "entrypoint: podman and skopeo needed"
fi

# 1c. Reproducible, baked files included.
"$DISTILL" build "$SRC" "oci:$T/flat2:v1" --test "$T1" --test "$T2" >"$T/digest2" 2>"$T/err2"
check_eq "flatten: same digest twice" "$(cat "$T/digest1")" "$(cat "$T/digest2")"

# 2. A privilege drop with setpriv: the result runs as the dropped-to user.
"$DISTILL" build "$SRC" "oci:$T/priv:v1" --test "$T1" --out-dir "$T/rep2" -- /entry-setpriv.sh >/dev/null 2>"$T/err3"
rc=$?
check_eq "setpriv: build exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err3" | tail -25
config_of "$T/priv" > "$T/cfg2"
check_eq "setpriv: User is www-data's uid:gid" 33:33 "$(jq -r .config.User "$T/cfg2")"
check_eq "setpriv: Entrypoint is nginx's argv" '["/usr/sbin/nginx","-g","daemon off;"]' "$(jq -c .config.Entrypoint "$T/cfg2")"
check_eq "setpriv: chain goes through setpriv" '["/entry-setpriv.sh","/usr/bin/setpriv","/usr/sbin/nginx"]' "$(jq -c .entrypoint.chain "$T/rep2/report.json")"
files_of "$T/priv" v1 "$T/files2"
check_fails "setpriv: no setpriv in the result" grep -q 'bin/setpriv$' "$T/files2"
check_fails "setpriv: no chown" grep -qE '^(usr/)?bin/chown$' "$T/files2"
check_fails "setpriv: no shell" grep -qE '^(usr/)?bin/(sh|dash)$' "$T/files2"
man=$(jq -r '.manifests[0].digest' "$T/priv/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$T/priv/blobs/sha256/$man" | cut -d: -f2)
check_eq "setpriv: the chowned /run/nginx is baked with its owner" 33/33 \
  "$(tar -tvzf "$T/priv/blobs/sha256/$layer" | awk '$NF ~ /^(\.\/)?run\/nginx\/?$/ {print $2}')"

# 3. First-start initialisation of the declared volume: script and shell kept, reason given.
"$DISTILL" build "$SRC" "oci:$T/vol:v1" --test "$T1" --out-dir "$T/rep3" -- /entry-volume.sh >/dev/null 2>"$T/err4"
check_eq "volume: build exits 0" 0 $?
check_eq "volume: verdict kept" kept "$(jq -r .entrypoint.verdict "$T/rep3/report.json" 2>/dev/null)"
check "volume: report says it writes into the volume" bash -c "jq -r .entrypoint.reason '$T/rep3/report.json' | grep -q 'declared volume /var/lib/app'"
check "volume: summary line says so" grep -q 'entry point script kept: .*declared volume /var/lib/app' "$T/err4"
files_of "$T/vol" v1 "$T/files3"
check "volume: the shell is kept" grep -qE '^(usr/)?bin/(sh|dash)$' "$T/files3"
check_eq "volume: Entrypoint is the script" '["/entry-volume.sh"]' "$(config_of "$T/vol" | jq -c .config.Entrypoint)"
"$DISTILL" build "$SRC" "oci:$T/volf:v1" --test "$T1" --entrypoint flatten -- /entry-volume.sh >/dev/null 2>"$T/err5"
check_eq "volume: --entrypoint flatten fails the build (exit 3)" 3 $?
check "volume: --entrypoint flatten names the reason" grep -q 'entrypoint flatten: cannot leave the script out: .*declared volume' "$T/err5"
check_fails "volume: --entrypoint flatten writes no DST" test -e "$T/volf/index.json"

# 4. The script backgrounds nginx and waits: kept, explained.
"$DISTILL" build "$SRC" "oci:$T/bg:v1" --test "$T1" --out-dir "$T/rep4" -- /entry-background.sh >/dev/null 2>"$T/err6"
check_eq "background: build exits 0" 0 $?
check_eq "background: verdict kept" kept "$(jq -r .entrypoint.verdict "$T/rep4/report.json" 2>/dev/null)"
check "background: report says the script stays the parent of nginx" bash -c "jq -r .entrypoint.reason '$T/rep4/report.json' | grep -q 'stays the parent of /usr/sbin/nginx'"
files_of "$T/bg" v1 "$T/files4"
check "background: the shell is kept" grep -qE '^(usr/)?bin/(sh|dash)$' "$T/files4"

# 5. The command line holds a variable a user may set at run time: kept, the variable named.
ARGENV='/docker-entrypoint.d/10-dirs.sh; /docker-entrypoint.d/20-envsubst-on-templates.sh; exec nginx -g "daemon off; worker_priority ${NGINX_WORKERS};"'
"$DISTILL" build "$SRC" "oci:$T/var:v1" --test "$T1" --out-dir "$T/rep5" -- /bin/sh -c "$ARGENV" >/dev/null 2>"$T/err7"
rc=$?
check_eq "run-time variable: build exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err7" | tail -25
check_eq "run-time variable: named" NGINX_WORKERS "$(jq -r .entrypoint.runtime_variable "$T/rep5/report.json" 2>/dev/null)"
check "run-time variable: summary line names it" grep -q 'entry point script kept: .*\$NGINX_WORKERS' "$T/err7"

# 5b. The script leaves a helper running that the server needs (a background job writes a file a
#     little later): the flattened result fails that test, so the build keeps the script.
HELPER='/docker-entrypoint.d/10-dirs.sh; /docker-entrypoint.d/20-envsubst-on-templates.sh; (sleep 2; echo tick > /srv/static/tick.txt) & exec nginx -g "daemon off;"'
T3="sleep 3; curl -fsS http://{LOCALHOST}:$PORT/static/tick.txt | grep -qx tick"
"$DISTILL" build "$SRC" "oci:$T/helper:v1" --test "$T3" --out-dir "$T/rep7" -- /bin/sh -c "$HELPER" >/dev/null 2>"$T/err9"
rc=$?
check_eq "fallback: build exits 0" 0 $rc
[ $rc = 0 ] || sed 's/^/  | /' "$T/err9" | tail -25
check_eq "fallback: verdict kept" kept "$(jq -r .entrypoint.verdict "$T/rep7/report.json" 2>/dev/null)"
check "fallback: report names the test that failed without the script" bash -c "jq -r .entrypoint.failed_without_script '$T/rep7/report.json' | grep -q 'tick.txt'"
check_eq "fallback: Entrypoint is the shell command line" '"/bin/sh"' "$(config_of "$T/helper" | jq -c '.config.Entrypoint[0]')"
files_of "$T/helper" v1 "$T/files7"
check "fallback: the shell is kept" grep -qE '^(usr/)?bin/(sh|dash)$' "$T/files7"

# 6. --entrypoint keep: the source's entry point, as before.
"$DISTILL" build "$SRC" "oci:$T/keep:v1" --test "$T1" --entrypoint keep --out-dir "$T/rep6" >/dev/null 2>"$T/err8"
check_eq "keep: build exits 0" 0 $?
check_eq "keep: Entrypoint is the script" '["/docker-entrypoint.sh"]' "$(config_of "$T/keep" | jq -c .config.Entrypoint)"
check_eq "keep: report mode" keep "$(jq -r .entrypoint.mode "$T/rep6/report.json" 2>/dev/null)"

# 7. distill harden says whether the shell is removable.
"$DISTILL" harden --dry-run "$SRC" >/dev/null 2>"$T/h1"
check "harden: says the script's shell is removable with --entrypoint" grep -q "shell: the entry point script /docker-entrypoint.sh ends by exec'ing its command: the shell is removable" "$T/h1"
