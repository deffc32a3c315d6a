# Log checks shared by test_trace.sh and test_trace_aarch64.sh (sourced after lib.sh).
# D: the directory the golden programs touch. TREE: where the traced paths live on this host ("" for
# this machine; the unpacked guest tree for the aarch64 guest). SKIP_EXIST: a regex of path prefixes
# all_exist does not check (the traced machine's own /proc, /dev...).
TREE=${TREE:-}
SKIP_EXIST=${SKIP_EXIST:-'^/(proc|dev)/'}
ok_paths() { jq -r '.files[] | select(.ok) | .path' "$1"; }
# has LOG PATH [KIND [OP]]: PATH recorded as used (with that kind and op).
has() {
  jq -e --arg p "$2" --arg k "${3:-}" --arg o "${4:-}" \
    '.files[] | select(.path == $p and .ok and ($k == "" or .kind == $k) and ($o == "" or (.ops | index($o))))' "$1" >/dev/null 2>&1
}
# only_expected NAME LOG EXPECTED...: every used path under $D is one of EXPECTED (no invented path).
only_expected() {
  local name=$1 log=$2; shift 2
  local extra
  extra=$(ok_paths "$log" | grep "^$D/" | while read -r p; do
            hit=0; for e in "$@"; do [ "$p" = "$D/$e" ] && hit=1; done; [ $hit = 1 ] || echo "$p"; done)
  if [ -z "$extra" ]; then ok "$name"; else fail "$name: unexpected paths: $extra"; fi
}
# all_exist NAME LOG: every used path exists (lstat) — nothing made up.
all_exist() {
  local missing
  missing=$(ok_paths "$2" | while read -r p; do
              [ -e "$TREE$p" ] || [ -L "$TREE$p" ] || [[ $p =~ $SKIP_EXIST ]] || echo "$p"; done)
  if [ -z "$missing" ]; then ok "$1"; else fail "$1: used paths that do not exist: $missing"; fi
}
