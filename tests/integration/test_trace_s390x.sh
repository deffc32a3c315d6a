#!/usr/bin/env bash
# The sensor on big-endian s390x (the BPF filter's argument words at big-endian offsets, the audit
# arch, NT_S390_SYSTEM_CALL, old_mmap's argument block, socketcall, the old open/stat calls s390x
# still has) really run on Debian's s390x kernel under qemu-system-s390x (TCG): see trace/qemu_guest.sh.
GUEST_ARCH=s390x
source "$(dirname "$0")/trace/qemu_guest.sh"
