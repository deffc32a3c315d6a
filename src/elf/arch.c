#include "elf/arch.h"
#include <elf.h>
#include <string.h>

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif
/* ld.so.cache flags (glibc elf/cache.h / ldconfig.h). */
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_X8664_LIB64 0x0300
#define FLAG_S390_LIB64 0x0400
#define FLAG_POWERPC_LIB64 0x0500
#define FLAG_MIPS64_LIBN32 0x0600
#define FLAG_MIPS64_LIBN64 0x0700
#define FLAG_X8664_LIBX32 0x0800
#define FLAG_ARM_LIBHF 0x0900
#define FLAG_AARCH64_LIB64 0x0a00
#define FLAG_ARM_LIBSF 0x0b00
#define FLAG_RISCV_FLOAT_ABI_SOFT 0x0f00
#define FLAG_RISCV_FLOAT_ABI_DOUBLE 0x1000
#define FLAG_LARCH_FLOAT_ABI_DOUBLE 0x1200
#define FLAG_SPARC_LIB64 0x0100

static const char *const hw_x86_64[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2", NULL};
static const char *const hw_ppc64le[] = {"power10", "power9", NULL};
static const char *const hw_s390x[] = {"z16", "z15", "z14", "z13", NULL};
static const char *const hw_none[] = {NULL};

void ds_elf_arch_for(const ds_elf_info *in, ds_elf_arch *a) {
    bool b64 = in->cls == ELFCLASS64, le = in->data == ELFDATA2LSB;
    memset(a, 0, sizeof *a);
    a->libdir = b64 ? "lib64" : "lib";
    a->cache_flags = -1;
    a->cache_flags_alt = -1;
    a->hwcaps = hw_none;
    switch (in->machine) {
    case EM_X86_64:
        if (b64) {
            *a = (ds_elf_arch){"x86_64-linux-gnu", "/lib64/ld-linux-x86-64.so.2", "x86_64", "x86_64", "lib64",
                               FLAG_ELF_LIBC6 | FLAG_X8664_LIB64, -1, hw_x86_64};
        } else {
            *a = (ds_elf_arch){"x86_64-linux-gnux32", "/libx32/ld-linux-x32.so.2", "x32", "x86_64", "libx32",
                               FLAG_ELF_LIBC6 | FLAG_X8664_LIBX32, -1, hw_x86_64};
        }
        break;
    case EM_386:
        *a = (ds_elf_arch){"i386-linux-gnu", "/lib/ld-linux.so.2", "i386", "i686", "lib", FLAG_ELF_LIBC6, -1, hw_none};
        break;
    case EM_AARCH64:
        *a = (ds_elf_arch){le ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu", le ? "/lib/ld-linux-aarch64.so.1" : "/lib/ld-linux-aarch64_be.so.1",
                           le ? "aarch64" : "aarch64_be", le ? "aarch64" : "aarch64_be", "lib64",
                           FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64, -1, hw_none};
        break;
    case EM_ARM: {
        bool hf = (in->flags & EF_ARM_ABI_FLOAT_HARD) != 0;
        *a = (ds_elf_arch){hf ? "arm-linux-gnueabihf" : "arm-linux-gnueabi", hf ? "/lib/ld-linux-armhf.so.3" : "/lib/ld-linux.so.3",
                           hf ? "armhf" : "arm", le ? "v7l" : "v7b", "lib",
                           FLAG_ELF_LIBC6 | (hf ? FLAG_ARM_LIBHF : FLAG_ARM_LIBSF), FLAG_ELF_LIBC6, hw_none};
        break;
    }
    case EM_PPC64:
        *a = (ds_elf_arch){le ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu", le ? "/lib64/ld64.so.2" : "/lib64/ld64.so.1",
                           le ? "powerpc64le" : "powerpc64", le ? "power8" : "power4", "lib64",
                           FLAG_ELF_LIBC6 | FLAG_POWERPC_LIB64, -1, le ? hw_ppc64le : hw_none};
        break;
    case EM_PPC:
        *a = (ds_elf_arch){"powerpc-linux-gnu", "/lib/ld.so.1", "powerpc", "ppc", "lib", FLAG_ELF_LIBC6, -1, hw_none};
        break;
    case EM_S390:
        if (b64) *a = (ds_elf_arch){"s390x-linux-gnu", "/lib/ld64.so.1", "s390x", "z900", "lib64", FLAG_ELF_LIBC6 | FLAG_S390_LIB64, -1, hw_s390x};
        else *a = (ds_elf_arch){"s390-linux-gnu", "/lib/ld.so.1", NULL, "s390", "lib", FLAG_ELF_LIBC6, -1, hw_none};
        break;
    case EM_RISCV: {
        bool dbl = (in->flags & EF_RISCV_FLOAT_ABI) == EF_RISCV_FLOAT_ABI_DOUBLE;
        if (b64) *a = (ds_elf_arch){"riscv64-linux-gnu", dbl ? "/lib/ld-linux-riscv64-lp64d.so.1" : "/lib/ld-linux-riscv64-lp64.so.1",
                                    dbl ? "riscv64" : "riscv64-sf", "riscv64", "lib64",
                                    FLAG_ELF_LIBC6 | (dbl ? FLAG_RISCV_FLOAT_ABI_DOUBLE : FLAG_RISCV_FLOAT_ABI_SOFT), -1, hw_none};
        else *a = (ds_elf_arch){"riscv32-linux-gnu", dbl ? "/lib/ld-linux-riscv32-ilp32d.so.1" : "/lib/ld-linux-riscv32-ilp32.so.1",
                                "riscv32", "riscv32", "lib32", -1, -1, hw_none};
        break;
    }
    case EM_MIPS:
        /* o32 (ELF32) or n64 (ELF64); n32 is left to the generic cache match. */
        if (b64) *a = (ds_elf_arch){le ? "mips64el-linux-gnuabi64" : "mips64-linux-gnuabi64", "/lib64/ld.so.1",
                                    le ? "mips64el" : "mips64", "mips64", "lib64", FLAG_ELF_LIBC6 | FLAG_MIPS64_LIBN64, -1, hw_none};
        else *a = (ds_elf_arch){le ? "mipsel-linux-gnu" : "mips-linux-gnu", "/lib/ld.so.1", le ? "mipsel" : "mips", "mips", "lib", -1, -1, hw_none};
        break;
    case EM_LOONGARCH:
        *a = (ds_elf_arch){"loongarch64-linux-gnu", "/lib64/ld-linux-loongarch-lp64d.so.1", "loongarch64", "loongarch64", "lib64",
                           FLAG_ELF_LIBC6 | FLAG_LARCH_FLOAT_ABI_DOUBLE, -1, hw_none};
        break;
    case EM_SPARCV9:
        *a = (ds_elf_arch){"sparc64-linux-gnu", "/lib64/ld-linux.so.2", NULL, "sparc64", "lib64", FLAG_ELF_LIBC6 | FLAG_SPARC_LIB64, -1, hw_none};
        break;
    default:
        break;
    }
}

bool ds_elf_compatible(const ds_elf_info *ref, const ds_elf_info *c) {
    if (ref->cls != c->cls || ref->data != c->data || ref->machine != c->machine) return false;
    if (ref->machine == EM_ARM) {
        /* An armhf loader rejects soft-float objects and the reverse. */
        uint32_t m = EF_ARM_ABI_FLOAT_HARD | EF_ARM_ABI_FLOAT_SOFT;
        if ((ref->flags & m) && (c->flags & m) && (ref->flags & m) != (c->flags & m)) return false;
    }
    if (ref->machine == EM_RISCV && (ref->flags & EF_RISCV_FLOAT_ABI) != (c->flags & EF_RISCV_FLOAT_ABI)) return false;
    return true;
}

const char *ds_elf_oci_arch(const ds_elf_info *in, const char **variant) {
    bool b64 = in->cls == ELFCLASS64, le = in->data == ELFDATA2LSB;
    *variant = NULL;
    switch (in->machine) {
    case EM_X86_64: return b64 ? "amd64" : NULL; /* x32 has no OCI name */
    case EM_386: return "386";
    case EM_AARCH64: if (!le) return NULL; *variant = "v8"; return "arm64";
    case EM_ARM:
        if (!le) return NULL;
        /* Debian's armhf is ARMv7, its armel ARMv5 (OCI: arm/v7, arm/v5). */
        *variant = (in->flags & EF_ARM_ABI_FLOAT_HARD) ? "v7" : "v5";
        return "arm";
    case EM_PPC64: return le ? "ppc64le" : "ppc64";
    case EM_S390: return b64 ? "s390x" : NULL;
    case EM_RISCV: return b64 ? "riscv64" : NULL;
    case EM_MIPS: return b64 ? (le ? "mips64le" : "mips64") : (le ? "mipsle" : "mips");
    case EM_LOONGARCH: return "loong64";
    default: return NULL;
    }
}
