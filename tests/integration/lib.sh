# Sourced by tests/integration/test_*.sh. Each check appends one line to $RESULTS:
#   ok NAME | fail NAME: why | skip NAME: why   (skips are reported, never counted as passes)
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DISTILL=${DISTILL:-$TOP/build/distill}
RESULTS=${RESULTS:-/dev/stdout}
FIXTURE=$TOP/tests/fixtures
# A scratch folder per script, removed at exit.
T=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Every command that unpacks goes through a layer store of this script's own (never the
# user's cache): each test starts cold and independent, and the store is exercised everywhere.
# A test that wants no store passes --no-store.
export DISTILL_STORE=$T/store

ok()   { echo "ok $*" >> "$RESULTS"; echo "ok $*"; }
fail() { echo "fail $*" >> "$RESULTS"; echo "FAIL $*"; }
skip() { echo "skip $*" >> "$RESULTS"; echo "SKIP $*"; }
# check NAME CMD...: ok when CMD exits 0.
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n: '$*' exited $?"; fi; }
# check_fails NAME CMD...: ok when CMD exits non-zero.
check_fails() { local n=$1; shift; if "$@"; then fail "$n: '$*' succeeded"; else ok "$n"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi; }
# debian_image NAME [fixture options]: path of a cached OCI layout built from Debian packages.
debian_image() { bash "$FIXTURE/debian-image.sh" "$@"; }

# start_dockerd DIR SOCK NAME: a private Docker engine (no firewall changes, its data and exec root
# under DIR, the API on SOCK); sets DPID; fails the script (NAME: ...) when it does not answer.
start_dockerd() {
  local dir=$1 sock=$2 name=$3
  mkdir -p "$dir"
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$dir/data" --exec-root "$dir/exec" \
    -H "unix://$sock" --pidfile "$dir/docker.pid" > "$dir/log" 2>&1 &
  DPID=$!
  for _ in $(seq 120); do curl -s --unix-socket "$sock" http://x/_ping 2>/dev/null | grep -q OK && break; sleep 0.25; done
  if ! curl -s --unix-socket "$sock" http://x/_ping | grep -q OK; then
    fail "$name: dockerd did not start: $(tail -3 "$dir/log")"; exit 1
  fi
  ok "private dockerd answers on $sock"
}
