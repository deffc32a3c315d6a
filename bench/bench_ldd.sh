#!/usr/bin/env bash
# distill ldd vs the peers on every ELF file of a real Debian tree (python3 + nginx-light +
# libssl3 + curl): `ldd` run in a chroot of the tree, one process per file as users do;
# `lddtree --root` (pax-utils) given all files in one process (its best case); distill ldd
# once per file, and once for the whole tree (--all). Prints times and ratios.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
DISTILL=${DISTILL:-$top/build/distill}
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$top/build/cache/images}
source "$top/tests/integration/ldd_lib.sh"
d=$(ldd_tree ldd-python3-nginx-ssl --include python3,nginx-light,libssl3,openssl,curl) || { echo "bench_ldd: no tree"; exit 1; }
mapfile -t files < <("$DISTILL" ldd --root "$d" --all 2>/dev/null | grep ':$' | tr -d :)
n=${#files[@]}
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
t0=$(now); "$DISTILL" ldd --root "$d" --all > /dev/null 2>&1; t1=$(now)
all=$(calc "$t1 - $t0")
t0=$(now); for f in "${files[@]}"; do "$DISTILL" ldd --root "$d" "$f" > /dev/null 2>&1; done; t1=$(now)
each=$(calc "$t1 - $t0")
t0=$(now); for f in "${files[@]}"; do chroot "$d" /usr/bin/ldd "$f" > /dev/null 2>&1; done; t1=$(now)
ldd=$(calc "$t1 - $t0")
lt="n/a"
if /usr/bin/python3 -c 'import elftools' 2>/dev/null; then
  t0=$(now); /usr/bin/python3 /usr/bin/lddtree --root "$d" "${files[@]}" > /dev/null 2>&1; t1=$(now)
  lt=$(calc "$t1 - $t0")
fi
printf 'ELF files resolved: %d (tree %s)\n' "$n" "$d"
printf '%-44s %9s %12s\n' "tool" "seconds" "vs distill"
printf '%-44s %9.3f %12s\n' "distill ldd --all (one process)" "$all" "1.0x"
printf '%-44s %9.3f %11.1fx\n' "distill ldd FILE (one process per file)" "$each" "$(calc "$each / $all")"
printf '%-44s %9.3f %11.1fx\n' "ldd in a chroot (one process per file)" "$ldd" "$(calc "$ldd / $all")"
[ "$lt" != n/a ] && printf '%-44s %9.3f %11.1fx\n' "lddtree --root (all files, one process)" "$lt" "$(calc "$lt / $all")"
printf 'distill ldd --all is %.0fx faster than ldd; one distill process per file is %.1fx faster than ldd\n' \
  "$(calc "$ldd / $all")" "$(calc "$ldd / $each")"
