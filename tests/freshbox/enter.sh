#!/usr/bin/env bash
# Called by run.sh as PID 1 of fresh mount and PID namespaces (unshare --mount --pid --fork):
#   enter.sh ROOT COMMAND
# Mounts what a booted machine has, makes ROOT the root with pivot_root (runc needs a real
# mount as /, a chroot is not enough), detaches the host's tree and runs COMMAND in
# /root/distill as a login-less root shell would. When this process ends, the kernel kills
# everything left in the PID namespace and the mounts go with the mount namespace.
set -euo pipefail
root=$1 cmd=$2
mount --make-rprivate /
mount --bind "$root" "$root"                     # pivot_root needs a mount point
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
env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /root/distill && eval "$1"' box "$cmd"
