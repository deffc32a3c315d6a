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

# --- a fresh copy, cleaned up whatever happens -----------------------------------------------
mkdir -p "$top/build"
work=$(mktemp -d "$top/build/freshbox.XXXXXX")
root=$work/root
cleanup() {
  local rc=$?
  # The box's mounts live in its own mount namespace, which died with its last process.
  # Never delete through a mount point (that would be the host's /sys or /dev): refuse instead.
  if findmnt -rn -o TARGET | grep -qF "$work/"; then
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi
  if findmnt -rn -o TARGET | grep -qF "$work/"; then
    echo "freshbox: mounts left under $work; not removing it" >&2
  else
    rm -rf "$work"
  fi
  bash "$here/cgroups.sh" clean "$work/cgroups.before" 2>/dev/null || true
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$root"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$base"

# apt configuration and name resolution of this machine; nothing else of the host.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
for f in "${sources[@]}"; do
  [ -f "$f" ] || continue
  case $f in /etc/apt/sources.list) cp "$f" "$root/etc/apt/sources.list";;
              *) cp "$f" "$root/etc/apt/sources.list.d/";; esac
  # Keyrings a source names with Signed-By must exist in the box too.
  for k in $(grep -ohE '(Signed-By:|signed-by=)[ ]*/[^] ]+' "$f" | sed -E 's/^(Signed-By:|signed-by=)[ ]*//'); do
    [ -f "$k" ] && [ ! -e "$root$k" ] && install -D -m 0644 "$k" "$root$k"
  done
done
for f in /etc/apt/apt.conf.d/*; do [ -f "$f" ] && cp "$f" "$root/etc/apt/apt.conf.d/"; done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"

# A clean clone of this repository at HEAD, as a new user gets it.
git clone -q --no-hardlinks "$top" "$root/root/distill"
git -C "$root/root/distill" checkout -q --detach "$head"

# --- run COMMAND once inside -----------------------------------------------------------------
bash "$here/cgroups.sh" list > "$work/cgroups.before"
echo "freshbox: $head in a fresh bookworm minbase root; running '$cmd'" >&2
log=$work/box.log
set +e
timeout -k 10 ${FRESHBOX_TIMEOUT:-2400} unshare --mount --pid --fork --kill-child --propagation private \
  bash "$here/enter.sh" "$root" "$cmd" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - start ))
mkdir -p "$top/build/test-logs" && cp "$log" "$top/build/test-logs/freshbox.log"

# --- verdict ---------------------------------------------------------------------------------
[ $rc -eq 0 ] || die "'$cmd' exited $rc in the fresh box (log: build/test-logs/freshbox.log)"
if [ "$cmd" = "make demo" ]; then
  grep -q '<title>Welcome to nginx!</title>' "$log" || die "the distilled nginx did not serve (no 'Welcome to nginx!')"
  grep -q 'stat /bin/sh: no such file or directory' "$log" || die "no proof that the result has no shell"
  grep -q '(no shell inside: that is the point)' "$log" || die "the demo did not reach its last step"
fi
verdict "PASS: '$cmd' works the first time on a fresh bookworm box"
