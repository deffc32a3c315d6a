/* What the loader of a given machine/class/ABI uses: the multiarch triplet, the
 * default interpreter, the ld.so.cache flags it accepts, glibc-hwcaps subdirectories,
 * $PLATFORM, and musl's architecture name. Nothing here looks at the host. */
#ifndef DS_ELF_ARCH_H
#define DS_ELF_ARCH_H
#include <stdbool.h>
#include <stdint.h>
#include "elf/elf_parse.h"

typedef struct ds_elf_arch {
    const char *triplet;       /* Debian multiarch "x86_64-linux-gnu", or NULL */
    const char *glibc_interp;  /* "/lib64/ld-linux-x86-64.so.2", or NULL */
    const char *musl_arch;     /* "x86_64" (ld-musl-ARCH.so.1), or NULL */
    const char *platform;      /* $PLATFORM */
    const char *libdir;        /* "lib64" or "lib": non-multiarch default ($LIB) */
    int32_t cache_flags;       /* ld.so.cache entry flags the loader wants (-1: any libc6 entry) */
    int32_t cache_flags_alt;   /* another accepted value, or -1 */
    const char *const *hwcaps; /* glibc-hwcaps subdirectories, best first, NULL-terminated */
} ds_elf_arch;

/* Fill *a for the object's class/data/machine/flags. Unknown machines get
 * conservative values (no triplet, any cache entry, class-based libdir). */
void ds_elf_arch_for(const ds_elf_info *info, ds_elf_arch *a);
/* The loader would load `cand` for an object like `ref`: same class, byte order and
 * machine (and for ARM the same float ABI). */
bool ds_elf_compatible(const ds_elf_info *ref, const ds_elf_info *cand);

/* The OCI platform architecture of code for this machine ("amd64", "arm64", "arm", "386",
 * "ppc64le", "s390x", "riscv64", ...), and *variant its variant ("v8", "v7") or NULL; NULL for a
 * machine OCI has no name for. */
const char *ds_elf_oci_arch(const ds_elf_info *info, const char **variant);

#endif
