#!/usr/bin/env bash
# The README's first command on a machine that has nothing but make, git and CA certificates.
#
#   tests/freshbox/run.sh [COMMAND]     (as root; COMMAND defaults to "make demo")
#
# Builds (once, cached in build/cache/freshbox/) a minbase Debian bookworm root with mmdebstrap
# holding only make, git and ca-certificates; then, on a fresh copy of it each run: clones this
# repository at HEAD into /root/distill (a clean clone: uncommitted changes are not in it), gives
# it this machine's apt sources and resolv.conf, enters it with pivot_root in private mount and
# PID namespaces (host network; /sys and /dev bound, a fresh /proc, tmpfs on /run, /tmp and
# /dev/shm), and runs COMMAND once. For "make demo" it must exit 0, show the distilled nginx
# serving and the missing shell. Everything is removed afterwards, pass or fail; the last line
# is the verdict: "freshbox: PASS|FAIL: ... (N s)". Not part of `make test`: it takes minutes.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/freshbox
cmd=${1:-make demo}
start=$(date +%s)
verdict() { echo "freshbox: $1 ($(( $(date +%s) - start )) s)"; }
die() { verdict "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (mount and PID namespaces, pivot_root)"
for t in mmdebstrap unshare git flock findmnt; do
  command -v $t >/dev/null || die "$t is not installed (scripts/install-deps.sh installs it)"
done
head=$(git -C "$top" rev-parse HEAD) || die "$top is not a git checkout"
# The box shares this machine's /dev: a broken one would fail the box for the host's reasons.
[ -c /dev/null ] || die "this machine's /dev/null is not a character device ($(stat -c '%F, owner %u' /dev/null))"

# --- the cached base root: minbase + make, git, ca-certificates -------------------------------
cache=${DISTILL_FRESHBOX_CACHE:-$top/build/cache/freshbox}
mkdir -p "$cache"
pkgs=make,git,ca-certificates
base=$cache/bookworm-minbase-${pkgs//,/-}.tar
# The machine's own apt sources: the box uses the same mirror (and so the same package versions).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || sources=(http://deb.debian.org/debian)
(
  flock 9
  if [ ! -s "$base" ]; then
    echo "freshbox: building the base root (mmdebstrap minbase + $pkgs), once" >&2
    mmdebstrap -q --variant=minbase --include="$pkgs" --mode=root --format=tar \
      --aptopt='Acquire::Retries "3"' bookworm "$base.tmp" "${sources[@]}" >&2
    mv "$base.tmp" "$base"
  fi
) 9>"$cache/.base.lock" || die "mmdebstrap could not build the base root"

# --- a fresh copy each run, on a tmpfs of the box's own mount namespace -----------------------
# enter.sh unpacks the base there, clones this repository into it and runs COMMAND: when the
# namespace's last process ends, the tmpfs, every mount and every process of the box are gone.
mkdir -p "$top/build"
work=$(mktemp -d "$top/build/freshbox.XXXXXX")
cleanup() {
  local rc=$?
  # A box that ended normally has removed its containers; one killed or failed may leave their
  # cgroups (the host's hierarchy): the empty ones it made go.
  [ $rc -eq 0 ] || bash "$here/cgroups.sh" clean "$work/cgroups.before" || true
  # Never delete through a mount point (it could be the host's /sys or /dev): refuse instead.
  if findmnt -rn -o TARGET | grep -qF "$work/"; then
    echo "freshbox: mounts left under $work; not removing it" >&2
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/root"
bash "$here/cgroups.sh" list > "$work/cgroups.before"
echo "freshbox: $head in a fresh bookworm minbase root; running '$cmd'" >&2
log=$work/box.log
set +e
timeout -k 10 "${FRESHBOX_TIMEOUT:-2400}" unshare --mount --pid --fork --kill-child --propagation private \
  bash "$here/enter.sh" "$work/root" "$base" "$top" "$head" "$cmd" "${sources[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
mkdir -p "$top/build/test-logs" && cp "$log" "$top/build/test-logs/freshbox.log"

# --- verdict ---------------------------------------------------------------------------------
[ $rc -ne 124 ] || die "'$cmd' did not finish in ${FRESHBOX_TIMEOUT:-2400} s (FRESHBOX_TIMEOUT; log: build/test-logs/freshbox.log)"
[ $rc -eq 0 ] || die "'$cmd' exited $rc in the fresh box (log: build/test-logs/freshbox.log)"
if [ "$cmd" = "make demo" ]; then
  grep -q '<title>Welcome to nginx!</title>' "$log" || die "the distilled nginx did not serve (no 'Welcome to nginx!')"
  grep -q 'stat /bin/sh: no such file or directory' "$log" || die "no proof that the result has no shell"
  grep -q '(no shell inside: that is the point)' "$log" || die "the demo did not reach its last step"
fi
verdict "PASS: '$cmd' works the first time on a fresh bookworm box"
