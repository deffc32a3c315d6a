/* A bounds-checked reader of the parts of an ELF file the dynamic loader looks at:
 * the ELF header, PT_INTERP and the dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH,
 * DT_SONAME, DT_FLAGS_1). ELF32/ELF64, either byte order, any e_machine. Every
 * offset, size and count is checked against the file; nothing is trusted. */
#ifndef DS_ELF_PARSE_H
#define DS_ELF_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

typedef struct ds_elf_info {
    uint8_t cls;       /* ELFCLASS32 (1) or ELFCLASS64 (2) */
    uint8_t data;      /* ELFDATA2LSB (1) or ELFDATA2MSB (2) */
    uint8_t osabi;
    uint16_t type;     /* ET_EXEC, ET_DYN, ... */
    uint16_t machine;  /* EM_* */
    uint32_t flags;    /* e_flags (ARM float ABI, MIPS ABI, RISC-V float ABI) */
    bool dynamic;      /* has PT_DYNAMIC */
    char *interp;      /* PT_INTERP, or NULL */
    char **needed;     /* DT_NEEDED, in order */
    size_t n_needed;
    char *rpath;       /* DT_RPATH (NULL when absent) */
    char *runpath;     /* DT_RUNPATH (NULL when absent) */
    char *soname;      /* DT_SONAME (NULL when absent) */
    uint64_t flags_1;  /* DT_FLAGS_1 (DF_1_NODEFLIB ...) */
} ds_elf_info;

/* Limits that keep hostile files from costing much. */
#define DS_ELF_MAX_PHNUM 4096
#define DS_ELF_MAX_DYN (1u << 20)      /* dynamic entries */
#define DS_ELF_MAX_NEEDED 4096
#define DS_ELF_MAX_STRTAB (64u << 20)  /* bytes */
#define DS_ELF_MAX_INTERP 4096

/* Where the bytes come from: a memory buffer (mem != NULL) or a file descriptor. */
typedef struct ds_elf_src {
    const uint8_t *mem;
    int fd;
    uint64_t size;
} ds_elf_src;

/* 1 when the first bytes are the ELF magic, 0 otherwise (also for short files). */
int ds_elf_is_elf(const ds_elf_src *src);
/* Parse. Returns 0 and fills *out, or -1 with "NAME: reason" (not ELF, truncated,
 * offset past the end, unterminated string, too many entries...). */
int ds_elf_parse(const ds_elf_src *src, const char *name, ds_elf_info *out, ds_err *err);
void ds_elf_info_free(ds_elf_info *info);
/* Short names for messages: "x86-64", "AArch64", "ELF32"... */
const char *ds_elf_machine_name(uint16_t machine);

#endif
