# Log checks shared by test_trace.sh and the qemu guest tests (trace/qemu_guest.sh), sourced after lib.sh.
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

# has_ops LOG PATH OP...: PATH recorded as used with every one of the OPs.
has_ops() { local log=$1 p=$2; shift 2; jq -e --arg p "$p" --args '.files[] | select(.path == $p and .ok) | .ops as $o | $ARGS.positional | all(. as $x | $o | index($x))' "$@" < "$log" >/dev/null 2>&1; }
# filter_arg_checks [MORE_MMAP_RUNS...]: the seccomp filter's argument checks on the runs of the
# golden program's modes fstats, nofollow, mmap, sock (NAME and NAME-syscalls, the default mode with
# DISTILL_SENSOR_STATS=1). The caller defines L NAME (the log), rc NAME (exit status) and stops NAME
# (the stop count the sensor printed).
filter_arg_checks() {
  # The seccomp filter's argument checks (the low/high words of a 64-bit argument sit at offsets that
  # depend on the byte order). 500 fstat (newfstatat/statx with AT_EMPTY_PATH) and 500 futimens
  # (utimensat with a NULL path) must all pass the filter: no stop for them (a wrong word: 500+ stops).
  check_eq "fstats: exit 0" 0 "$(rc fstats)"
  check "fstats: fstat/futimens do not stop (stops: $(stops fstats))" test "$(stops fstats)" -lt 60
  check "fstats: the open logged" has "$(L fstats)" "$D/plain" file open
  check "fstats --syscalls: the fstat and futimens calls stop there" \
    jq -e '.syscalls | (index("utimensat")) and (index("newfstatat") or index("statx") or index("fstat"))' "$(L fstats-syscalls)"
  # newfstatat(AT_SYMLINK_NOFOLLOW) stats the link itself; stat() follows it.
  for v in nofollow nofollow-syscalls; do
    check_eq "$v: exit 0" 0 "$(rc $v)"
    check "$v: the link stat'ed, not followed" jq -e --arg p "$D/link1" '.files[] | select(.path == $p and .ok and .kind == "symlink" and .ops == ["stat"])' "$(L $v)"
    check "$v: stat() follows link2 to its target" has "$(L $v)" "$D/sub/target" file stat
    only_expected "$v: no invented path" "$(L $v)" link1 link2 sub/target
  done
  # mmap: a file mapped PROT_EXEC is "map", one mapped for data is not (s390x: old_mmap, read from memory).
  for v in mmap mmap-syscalls "$@"; do
    check_eq "$v: exit 0" 0 "$(rc $v)"
    check "$v: PROT_EXEC mapping logged" has "$(L $v)" "$D/exec_map" file map
    check "$v: data mapping only opened" jq -e --arg p "$D/data_map" '.files[] | select(.path == $p and .ok and .ops == ["open"])' "$(L $v)"
    only_expected "$v: no invented path" "$(L $v)" exec_map data_map
  done
  # Unix socket paths: bind creates, sendto and connect use it (s390x's glibc: through socketcall).
  for v in sock sock-syscalls; do
    check_eq "$v: exit 0" 0 "$(rc $v)"
    check "$v: bind, connect and unlink of the socket path" has_ops "$(L $v)" "$D/sock" create connect unlink
    only_expected "$v: no invented path" "$(L $v)" sock
  done
  check "sock: the socket calls pass the filter except the three with a path (stops: $(stops sock))" test "$(stops sock)" -lt 60
}
