#include "elf/elf_parse.h"
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Reads [off, off+len) into buf; -1 unless the whole range is inside the file. */
static int src_read(const ds_elf_src *s, uint64_t off, void *buf, size_t len) {
    if (off > s->size || len > s->size - off) return -1;
    if (s->mem) { memcpy(buf, s->mem + off, len); return 0; }
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        done += (size_t)r;
    }
    return 0;
}

int ds_elf_is_elf(const ds_elf_src *src) {
    unsigned char m[4];
    if (src_read(src, 0, m, 4) < 0) return 0;
    return memcmp(m, ELFMAG, SELFMAG) == 0;
}

/* Endian/class-aware field access on raw header bytes. */
typedef struct rd { bool be; bool is64; } rd;
static uint16_t u16(const rd *r, const uint8_t *p) {
    return r->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}
static uint32_t u32(const rd *r, const uint8_t *p) {
    return r->be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                 : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static uint64_t u64(const rd *r, const uint8_t *p) {
    return r->be ? (uint64_t)u32(r, p) << 32 | u32(r, p + 4) : (uint64_t)u32(r, p + 4) << 32 | u32(r, p);
}
/* A word: 4 bytes in ELF32, 8 in ELF64. */
static uint64_t uw(const rd *r, const uint8_t *p) { return r->is64 ? u64(r, p) : u32(r, p); }

typedef struct seg { uint32_t type; uint64_t off, vaddr, filesz; } seg;

/* File offset of virtual address `addr` through the PT_LOAD segments; the number of
 * file-backed bytes available from there in *avail. */
static int vaddr_to_off(const seg *ph, size_t n, uint64_t addr, uint64_t *off, uint64_t *avail) {
    for (size_t i = 0; i < n; i++) {
        if (ph[i].type != PT_LOAD) continue;
        if (addr < ph[i].vaddr || addr - ph[i].vaddr >= ph[i].filesz) continue;
        *off = ph[i].off + (addr - ph[i].vaddr);
        *avail = ph[i].filesz - (addr - ph[i].vaddr);
        return 0;
    }
    return -1;
}

static int dup_str(const char *tab, uint64_t tabsz, uint64_t at, const char *what, const char *name,
                   char **out, ds_err *err) {
    if (at >= tabsz) return ds_fail(err, "%s: %s string offset %llu is past the string table (%llu bytes)",
                                    name, what, (unsigned long long)at, (unsigned long long)tabsz);
    const char *s = tab + at;
    const char *end = memchr(s, 0, tabsz - at);
    if (!end) return ds_fail(err, "%s: %s string at offset %llu is not terminated", name, what, (unsigned long long)at);
    *out = ds_xstrndup(s, (size_t)(end - s));
    return 0;
}

int ds_elf_parse(const ds_elf_src *src, const char *name, ds_elf_info *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    uint8_t eh[64];
    if (src->size < EI_NIDENT || src_read(src, 0, eh, EI_NIDENT) < 0 || memcmp(eh, ELFMAG, SELFMAG) != 0)
        return ds_fail(err, "%s: not an ELF file", name);
    if (eh[EI_CLASS] != ELFCLASS32 && eh[EI_CLASS] != ELFCLASS64)
        return ds_fail(err, "%s: bad ELF class %u", name, eh[EI_CLASS]);
    if (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB)
        return ds_fail(err, "%s: bad ELF byte order %u", name, eh[EI_DATA]);
    rd r = {.be = eh[EI_DATA] == ELFDATA2MSB, .is64 = eh[EI_CLASS] == ELFCLASS64};
    size_t ehsize = r.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (src_read(src, 0, eh, ehsize) < 0) return ds_fail(err, "%s: truncated ELF header", name);
    out->cls = eh[EI_CLASS]; out->data = eh[EI_DATA]; out->osabi = eh[EI_OSABI];
    out->type = u16(&r, eh + 16);
    out->machine = u16(&r, eh + 18);
    uint64_t phoff = r.is64 ? u64(&r, eh + 32) : u32(&r, eh + 28);
    out->flags = r.is64 ? u32(&r, eh + 48) : u32(&r, eh + 36);
    uint16_t phentsize = r.is64 ? u16(&r, eh + 54) : u16(&r, eh + 42);
    uint16_t phnum = r.is64 ? u16(&r, eh + 56) : u16(&r, eh + 44);
    size_t want_phent = r.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (phnum == 0) return 0; /* nothing to load: no dependencies */
    if (phentsize != want_phent) return ds_fail(err, "%s: program header size %u, expected %zu", name, phentsize, want_phent);
    if (phnum > DS_ELF_MAX_PHNUM) return ds_fail(err, "%s: too many program headers (%u)", name, phnum);
    if (phoff < ehsize) return ds_fail(err, "%s: program header table overlaps the ELF header", name);
    if (phoff > src->size || (uint64_t)phnum * phentsize > src->size - phoff)
        return ds_fail(err, "%s: program header table (offset %llu, %u entries) runs past the end of the file (%llu bytes)",
                       name, (unsigned long long)phoff, phnum, (unsigned long long)src->size);

    uint8_t *raw = ds_xmalloc((size_t)phnum * phentsize);
    seg *ph = ds_xcalloc(phnum, sizeof *ph);
    int rc = -1;
    uint8_t *dyn = NULL;
    char *strtab = NULL;
    uint64_t *needed_off = NULL;
    if (src_read(src, phoff, raw, (size_t)phnum * phentsize) < 0) { ds_fail(err, "%s: cannot read program headers", name); goto out; }
    const seg *interp = NULL, *dynseg = NULL;
    for (size_t i = 0; i < phnum; i++) {
        const uint8_t *p = raw + i * phentsize;
        ph[i].type = u32(&r, p);
        if (r.is64) { ph[i].off = u64(&r, p + 8); ph[i].vaddr = u64(&r, p + 16); ph[i].filesz = u64(&r, p + 32); }
        else { ph[i].off = u32(&r, p + 4); ph[i].vaddr = u32(&r, p + 8); ph[i].filesz = u32(&r, p + 16); }
        if (ph[i].type == PT_INTERP && !interp) interp = &ph[i];
        if (ph[i].type == PT_DYNAMIC && !dynseg) dynseg = &ph[i];
        if (ph[i].type == PT_LOAD && (ph[i].off > src->size || ph[i].filesz > src->size - ph[i].off)) {
            ds_fail(err, "%s: PT_LOAD segment %zu (offset %llu, size %llu) runs past the end of the file",
                    name, i, (unsigned long long)ph[i].off, (unsigned long long)ph[i].filesz);
            goto out;
        }
    }
    if (interp) {
        if (interp->filesz == 0 || interp->filesz > DS_ELF_MAX_INTERP) { ds_fail(err, "%s: bad PT_INTERP size %llu", name, (unsigned long long)interp->filesz); goto out; }
        char buf[DS_ELF_MAX_INTERP + 1];
        if (src_read(src, interp->off, buf, (size_t)interp->filesz) < 0) { ds_fail(err, "%s: PT_INTERP runs past the end of the file", name); goto out; }
        buf[interp->filesz] = 0;
        if (!memchr(buf, 0, (size_t)interp->filesz)) { ds_fail(err, "%s: PT_INTERP is not terminated", name); goto out; }
        if (!buf[0]) { ds_fail(err, "%s: PT_INTERP is empty", name); goto out; }
        out->interp = ds_xstrdup(buf);
    }
    if (!dynseg) { rc = 0; goto out; }
    out->dynamic = true;
    size_t dsz = r.is64 ? 16 : 8;
    uint64_t ndyn = dynseg->filesz / dsz;
    if (ndyn > DS_ELF_MAX_DYN) { ds_fail(err, "%s: dynamic section too large (%llu entries)", name, (unsigned long long)ndyn); goto out; }
    if (dynseg->off > src->size || ndyn * dsz > src->size - dynseg->off) {
        ds_fail(err, "%s: dynamic section (offset %llu, size %llu) runs past the end of the file",
                name, (unsigned long long)dynseg->off, (unsigned long long)dynseg->filesz);
        goto out;
    }
    dyn = ds_xmalloc(ndyn * dsz + 1);
    if (src_read(src, dynseg->off, dyn, ndyn * dsz) < 0) { ds_fail(err, "%s: cannot read the dynamic section", name); goto out; }
    uint64_t strtab_addr = 0, strsz = 0, rpath = 0, runpath = 0, soname = 0;
    bool has_strtab = false, has_strsz = false, has_rpath = false, has_runpath = false, has_soname = false;
    size_t n_needed = 0;
    needed_off = ds_xmalloc(sizeof *needed_off);
    for (uint64_t i = 0; i < ndyn; i++) {
        const uint8_t *e = dyn + i * dsz;
        uint64_t tag = uw(&r, e), val = uw(&r, e + dsz / 2);
        if (tag == DT_NULL) break;
        switch (tag) {
        case DT_NEEDED:
            if (n_needed >= DS_ELF_MAX_NEEDED) { ds_fail(err, "%s: too many DT_NEEDED entries", name); goto out; }
            needed_off = ds_xrealloc(needed_off, (n_needed + 1) * sizeof *needed_off);
            needed_off[n_needed++] = val;
            break;
        case DT_STRTAB: strtab_addr = val; has_strtab = true; break;
        case DT_STRSZ: strsz = val; has_strsz = true; break;
        case DT_RPATH: if (!has_rpath) { rpath = val; has_rpath = true; } break;
        case DT_RUNPATH: if (!has_runpath) { runpath = val; has_runpath = true; } break;
        case DT_SONAME: if (!has_soname) { soname = val; has_soname = true; } break;
        case DT_FLAGS_1: out->flags_1 = val; break;
        }
    }
    if (n_needed || has_rpath || has_runpath || has_soname) {
        if (!has_strtab) { ds_fail(err, "%s: dynamic section has strings but no DT_STRTAB", name); goto out; }
        uint64_t off, avail;
        if (vaddr_to_off(ph, phnum, strtab_addr, &off, &avail) < 0) {
            ds_fail(err, "%s: DT_STRTAB address 0x%llx is not inside any loaded segment", name, (unsigned long long)strtab_addr);
            goto out;
        }
        uint64_t len = has_strsz && strsz < avail ? strsz : avail;
        if (len > DS_ELF_MAX_STRTAB) { ds_fail(err, "%s: string table too large (%llu bytes)", name, (unsigned long long)len); goto out; }
        strtab = ds_xmalloc((size_t)len + 1);
        if (src_read(src, off, strtab, (size_t)len) < 0) { ds_fail(err, "%s: string table runs past the end of the file", name); goto out; }
        out->needed = ds_xcalloc(n_needed ? n_needed : 1, sizeof *out->needed);
        for (size_t i = 0; i < n_needed; i++) {
            if (dup_str(strtab, len, needed_off[i], "DT_NEEDED", name, &out->needed[i], err) < 0) goto out;
            out->n_needed++;
            if (!out->needed[i][0]) { ds_fail(err, "%s: empty DT_NEEDED name", name); goto out; }
        }
        if (has_rpath && dup_str(strtab, len, rpath, "DT_RPATH", name, &out->rpath, err) < 0) goto out;
        if (has_runpath && dup_str(strtab, len, runpath, "DT_RUNPATH", name, &out->runpath, err) < 0) goto out;
        if (has_soname && dup_str(strtab, len, soname, "DT_SONAME", name, &out->soname, err) < 0) goto out;
    }
    rc = 0;
out:
    free(raw); free(ph); free(dyn); free(strtab); free(needed_off);
    if (rc < 0) ds_elf_info_free(out);
    return rc;
}

void ds_elf_info_free(ds_elf_info *info) {
    if (!info) return;
    free(info->interp);
    for (size_t i = 0; i < info->n_needed; i++) free(info->needed[i]);
    free(info->needed);
    free(info->rpath); free(info->runpath); free(info->soname);
    memset(info, 0, sizeof *info);
}

const char *ds_elf_machine_name(uint16_t m) {
    switch (m) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_PPC64: return "PowerPC64";
    case EM_PPC: return "PowerPC";
    case EM_S390: return "S/390";
    case EM_RISCV: return "RISC-V";
    case EM_MIPS: return "MIPS";
    case EM_SPARCV9: return "SPARC V9";
    case EM_SPARC: return "SPARC";
    case 258: return "LoongArch";
    case EM_IA_64: return "IA-64";
    case EM_ALPHA: return "Alpha";
    case EM_PARISC: return "PA-RISC";
    case EM_68K: return "m68k";
    case EM_SH: return "SuperH";
    default: return "unknown machine";
    }
}
