#!/usr/bin/env bash
# Called by run.sh as PID 1 of fresh mount and PID namespaces (unshare --mount --pid --fork):
#   enter.sh ROOT BASE_TAR REPO COMMIT COMMAND APT_SOURCE...
# Puts a fresh copy of BASE_TAR on a tmpfs at ROOT, gives it this machine's apt sources and
# resolv.conf, clones REPO at COMMIT into /root/distill, mounts what a booted machine has, makes
# ROOT the root with pivot_root (runc needs a real mount as /: a chroot is not enough), detaches
# the host's tree and runs COMMAND in /root/distill as a new root session would. When this
# process ends the kernel kills everything left in the PID namespace, and the tmpfs and the
# other mounts go with the mount namespace.
set -euo pipefail
root=$1 base=$2 repo=$3 commit=$4 cmd=$5; shift 5
mount --make-rprivate /
# Also the mount point pivot_root needs. The demo leaves about 1 GB; FRESHBOX_TMPFS_SIZE (tmpfs
# size=, e.g. 8g) when half of this machine's memory (tmpfs's default) is less.
mount -t tmpfs -o "mode=755${FRESHBOX_TMPFS_SIZE:+,size=$FRESHBOX_TMPFS_SIZE}" freshbox "$root"
tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$base"

# apt configuration and name resolution of this machine; nothing else of the host.
rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
for f in "$@"; do
  [ -f "$f" ] || continue
  case $f in /etc/apt/sources.list) cp "$f" "$root/etc/apt/sources.list";;
              *) cp "$f" "$root/etc/apt/sources.list.d/";; esac
  # Keyrings a source names with Signed-By must exist in the box too.
  for k in $(grep -ohE '(Signed-By:|signed-by=) */[^] ]+' "$f" | sed -E 's/^(Signed-By:|signed-by=) *//'); do
    if [ -f "$k" ] && [ ! -e "$root$k" ]; then install -D -m 0644 "$k" "$root$k"; fi
  done
done
for f in /etc/apt/apt.conf.d/*; do [ -f "$f" ] && cp "$f" "$root/etc/apt/apt.conf.d/"; done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"

# A clean clone of the repository at COMMIT, as a new user gets it.
git clone -q --no-hardlinks "$repo" "$root/root/distill"
git -C "$root/root/distill" checkout -q --detach "$commit"

mount --rbind /sys "$root/sys"                   # with the host's cgroup hierarchy under it
mount --rbind /dev "$root/dev"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"   # this PID namespace's
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs "$root/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"
mkdir -p "$root/.oldroot"
cd "$root"
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
# A new user's session: no variables of the caller's (CI's DISTILL_*, ASAN_*, ...).
rc=0
env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /root/distill && eval "$1"' box "$cmd" || rc=$?
echo "freshbox: the box holds $(df -m --output=used / | tail -1 | tr -d ' ') MB at the end"
exit $rc
