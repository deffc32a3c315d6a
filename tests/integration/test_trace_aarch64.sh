#!/usr/bin/env bash
# The sensor's aarch64 code (audit arch in the BPF filter, NT_ARM_SYSTEM_CALL, the asm-generic syscall
# table without the old open/stat calls, a 32-bit ARM program, tagged pointers) really run under
# qemu-system-aarch64 (TCG, ~35 s): see trace/qemu_guest.sh.
GUEST_ARCH=aarch64
source "$(dirname "$0")/trace/qemu_guest.sh"
