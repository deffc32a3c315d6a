#!/usr/bin/env bash
# The box shares the host's cgroup hierarchy (runc and podman inside create their containers'
# cgroups in it). A box killed mid-run can leave empty container cgroups behind:
#   cgroups.sh list           the container cgroup directories now (distill/*, libpod_parent/*)
#   cgroups.sh clean BEFORE   remove those not in BEFORE that have no process left
set -uo pipefail
list() {
  find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d \( -path '*/distill/*' -o -path '*/libpod_parent/*' \) 2>/dev/null | sort
}
case ${1:-} in
  list) list;;
  clean)
    [ -f "${2:-}" ] || exit 0
    # Deepest first, so a parent is empty when its turn comes.
    comm -13 "$2" <(list) | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- | while read -r d; do
      [ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && continue
      rmdir "$d" 2>/dev/null && echo "freshbox: removed leftover cgroup $d" >&2
    done;;
  *) echo "usage: cgroups.sh list | clean BEFORE" >&2; exit 2;;
esac
