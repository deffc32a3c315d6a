#!/usr/bin/env bash
# Installs the Debian packages distill needs. Idempotent and quiet when everything is there.
#   scripts/install-deps.sh          everything: build, demo and every test (make test, CI)
#   scripts/install-deps.sh --demo   only what `make demo` needs: the compiler and libraries,
#                                    runc, podman, skopeo, mmdebstrap, curl, jq
#   ... --print                      print the set's packages, one a line, and install nothing
# tests/freshbox/run.sh proves the demo set is enough: it runs `make demo` on a bookworm box
# that starts with nothing but make, git and ca-certificates.
set -euo pipefail
# Build distill (make all) and run scripts/demo.sh.
DEMO=(build-essential pkg-config
  libarchive-dev libcurl4-openssl-dev libjansson-dev libssl-dev libseccomp-dev
  libelf-dev libzstd-dev libdeflate-dev libyaml-dev zlib1g-dev libsqlite3-dev
  runc podman skopeo mmdebstrap curl ca-certificates jq)
# The tests on top: unit tests (cmocka), sanitizers, valgrind, libFuzzer (clang), the peers the
# tests compare with (strace, umoci, pax-utils, rpm, trivy and ajv through npm), the programs
# they trace or build from (nginx, musl, static cross compilers under qemu), the HTML report
# under chromium, a local registry.
TEST=(clang libclang-rt-14-dev valgrind libcmocka-dev
  crun umoci docker-registry docker.io strace pax-utils uidmap iproute2 file
  apache2-utils openssl python3 python3-pyelftools chromium musl-tools rpm nginx
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm cpio
  gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-system-misc)
demo="" print=""
for a in "$@"; do
  case $a in
    --demo) demo=1;; --print) print=1;;
    *) echo "usage: install-deps.sh [--demo] [--print]" >&2; exit 2;;
  esac
done
if [ -n "$demo" ]; then PKGS=("${DEMO[@]}"); else
  PKGS=("${DEMO[@]}" "${TEST[@]}")
  # The scan tests install ajv and trivy with npm; a machine may have it from nodejs's own packages.
  command -v npm >/dev/null && [ -z "$print" ] || PKGS+=(npm)
fi
if [ -n "$print" ]; then printf '%s\n' "${PKGS[@]}"; exit 0; fi
# One dpkg-query for all: `make` calls this before every entry point. (It exits 1 when a
# package is unknown to dpkg: that is the fresh machine's case.)
installed=" $(dpkg-query -W -f='${Package}\t${Status}\n' "${PKGS[@]}" 2>/dev/null | awk -F'\t' '$2 == "install ok installed" {printf "%s ", $1}' || true) "
missing=()
for p in "${PKGS[@]}"; do
  [[ $installed == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Packages with a service (nginx on port 80, docker-registry on 5000, docker.io's dockerd with
  # its bridge and firewall rules) are not started: the
  # tests start their own on their own ports. Only while we install, and only if the machine
  # has no policy of its own.
  policy=/usr/sbin/policy-rc.d ours=""
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\n# written by distill scripts/install-deps.sh while it installs; removed after\nexit 101\n' | $SUDO tee $policy >/dev/null
    $SUDO chmod 755 $policy; ours=1
    trap '$SUDO rm -f $policy' EXIT
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ -n "$ours" ]; then $SUDO rm -f $policy; trap - EXIT; fi
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
