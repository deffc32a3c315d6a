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
