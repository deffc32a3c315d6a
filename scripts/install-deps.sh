#!/usr/bin/env bash
# Installs every Debian package distill needs to build, test and run its demo.
# Idempotent and quiet when everything is already there.
set -euo pipefail
PKGS=(build-essential pkg-config clang libclang-rt-14-dev valgrind
  libarchive-dev libcurl4-openssl-dev libjansson-dev libssl-dev libseccomp-dev
  libelf-dev libzstd-dev libdeflate-dev libcmocka-dev libyaml-dev zlib1g-dev
  runc crun podman skopeo umoci docker-registry docker.io mmdebstrap strace pax-utils
  uidmap iproute2 curl ca-certificates jq file
  apache2-utils openssl python3 python3-pyelftools chromium musl-tools libsqlite3-dev rpm
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm cpio
  gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-system-misc)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's postinst would start the system dockerd (a bridge, firewall rules): the tests
  # start a private one. policy-rc.d 101 = "do not start services", as Debian's images have.
  tmp_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
    tmp_policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$tmp_policy"; chmod 755 "$tmp_policy"
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  [ -z "$tmp_policy" ] || rm -f "$tmp_policy"
fi
# podman on this kind of machine: no systemd, cgroupfs manager, no default ulimits.
if [ "$(id -u)" = 0 ] && [ ! -f /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
fi
