#!/usr/bin/env bash
# distill harden on images that ran as root: Debian's nginx with its own config (port 80,
# /var/lib/nginx owned by root) and Python's http.server. Interpreters the entry point does not
# run go (perl), the one it runs stays (python3); without --test harden warns about the port
# and nginx's write paths; with --test it runs the hardened image (build's runtime machinery)
# and writes DST only if the tests pass. Servers run in network namespaces of their own.
source "$(dirname "$0")/lib.sh"
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
[ "$(id -u)" = 0 ] || { fail "harden nonroot: needs root (runc)"; exit 1; }
ng=$(debian_image lp-nginx-default --include nginx-light \
  --entrypoint '["/usr/sbin/nginx","-g","daemon off;"]' --port 80/tcp) || { fail "harden nonroot: nginx fixture"; exit 1; }
py=$(debian_image debian-python3-httpserver --include python3 --cmd '["python3","-m","http.server","8000"]' \
  --port 8000/tcp) || { fail "harden nonroot: python fixture"; exit 1; }
netns() { unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"; }

# nginx, no --test: written, with warnings that say why it will not start as nonroot.
$DISTILL harden "oci:$ng:latest" "oci:$T/ng:latest" --report "$T/ng.json" >"$T/ng.txt" 2>"$T/ng.err"
check_eq "nginx: harden without --test exits 0" 0 $?
check "nginx: warns about port 80" grep -q '^distill harden: WARNING: the image ran as root and now runs as nonroot (uid 65532): it exposes port 80/tcp, below 1024' "$T/ng.err"
check "nginx: warns that /var/lib/nginx/body cannot be created" \
  grep -q 'WARNING: entry point /usr/sbin/nginx writes /var/lib/nginx/body (client_body_temp_path, its default): it does not exist and /var/lib/nginx is owned by 0:0, mode 0755' "$T/ng.err"
check "nginx: the report carries the warnings" jq -e '[.warnings[] | select(test("port 80/tcp") or test("/var/lib/nginx/body"))] | length == 2' "$T/ng.json"
check "nginx: perl (not run by the entry point) removed as an interpreter" \
  jq -e '[.changes[] | select(.rule == "interpreter" and .path == "/usr/bin/perl")] | length == 1' "$T/ng.json"
check "nginx: nginx itself stays" jq -e '[.changes[] | select(.path == "/usr/sbin/nginx")] | length == 0' "$T/ng.json"

# nginx, --test: the hardened nginx cannot mkdir /var/lib/nginx/body as nonroot: DST not written.
netns $DISTILL harden "oci:$ng:latest" "oci:$T/ng-t:latest" --runtime runc \
  --test 'curl -sf http://127.0.0.1:80/ >/dev/null' >"$T/ngt.txt" 2>"$T/ngt.err"
check_eq "nginx --test: exits 1 (a test failed)" 1 $?
check_fails "nginx --test: DST not written" test -e "$T/ng-t"
check "nginx --test: the container said why" grep -q 'mkdir() "/var/lib/nginx/body" failed (13: Permission denied)' "$T/ngt.err"
check "nginx --test: one line names the failure and DST" grep -q '^distill harden: start .* failed on the hardened image (exit -1): DST not written$' "$T/ngt.err"
check_fails "nginx --test: no warnings (the test decided)" grep -q WARNING "$T/ngt.err"

# python3 -m http.server: python3 is the entry point's interpreter and stays; perl goes.
netns $DISTILL harden "oci:$py:latest" "oci:$T/py:latest" --runtime runc --report "$T/py.json" \
  --test 'curl -sf http://127.0.0.1:8000/ | grep -q "Directory listing"' >"$T/py.txt" 2>"$T/py.err"
rc=$?
check_eq "python --test: the hardened image passes and is written" 0 $rc
[ $rc = 0 ] || tail -5 "$T/py.err"
check "python --test: says the tests passed" grep -q '^distill harden: 1 test(s) passed on the hardened image (runc)$' "$T/py.err"
check "python: python3 kept (the entry point runs it)" \
  jq -e '[.changes[] | select(.path | test("^/usr/bin/python3"))] | length == 0' "$T/py.json"
check "python: perl removed" jq -e '[.changes[] | select(.rule == "interpreter") | .path] | index("/usr/bin/perl") != null' "$T/py.json"
check_eq "python: DST runs as nonroot" "65532:65532" \
  "$($DISTILL inspect "oci:$T/py:latest" | jq -r '.config.user')"
netns $DISTILL harden "oci:$py:latest" "oci:$T/py-bad:latest" --runtime runc \
  --test 'curl -sf http://127.0.0.1:8000/no-such-page >/dev/null' >/dev/null 2>"$T/pybad.err"
check_eq "python --test failing: exits 1" 1 $?
check_fails "python --test failing: DST not written" test -e "$T/py-bad"
check_eq "python --test failing: the test it ran, then one line naming the failure" \
  "distill harden: test: curl -sf http://127.0.0.1:8000/no-such-page >/dev/null|distill harden: test \`curl -sf http://127.0.0.1:8000/no-such-page >/dev/null\` failed on the hardened image (exit 22): DST not written" \
  "$(paste -sd'|' "$T/pybad.err")"
