/* Just enough ELF reading for the scanner, for any class, endianness and
 * machine: the PT_INTERP string and the bytes of one named section. The files
 * are only read, never loaded or run. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scan/scan_internal.h"

typedef struct elfv {
    const unsigned char *d;
    size_t len;
    int is64, be;
} elfv;

static uint64_t rd(const elfv *e, size_t off, int n) {
    if (off > e->len || e->len - off < (size_t)n) return 0;
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        unsigned b = e->d[off + (e->be ? (size_t)i : (size_t)(n - 1 - i))];
        v = (v << 8) | b;
    }
    return v;
}

static int elf_init(elfv *e, const unsigned char *d, size_t len) {
    if (len < 52 || memcmp(d, "\177ELF", 4) != 0) return -1;
    e->d = d; e->len = len;
    e->is64 = d[4] == 2;
    e->be = d[5] == 2;
    if ((d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2)) return -1;
    if (e->is64 && len < 64) return -1;
    return 0;
}

static char *find_interp(const elfv *e) {
    uint64_t phoff = e->is64 ? rd(e, 32, 8) : rd(e, 28, 4);
    unsigned phentsize = (unsigned)rd(e, e->is64 ? 54 : 42, 2);
    unsigned phnum = (unsigned)rd(e, e->is64 ? 56 : 44, 2);
    if (phentsize < (e->is64 ? 56u : 32u)) return NULL;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t ph = phoff + (uint64_t)i * phentsize;
        if (ph >= e->len) break;
        if (rd(e, (size_t)ph, 4) != 3) continue; /* PT_INTERP */
        uint64_t off = e->is64 ? rd(e, (size_t)ph + 8, 8) : rd(e, (size_t)ph + 4, 4);
        uint64_t sz = e->is64 ? rd(e, (size_t)ph + 32, 8) : rd(e, (size_t)ph + 16, 4);
        if (off >= e->len || sz == 0 || sz > 4096 || e->len - off < sz) return NULL;
        return ds_xstrndup((const char *)e->d + off, (size_t)sz);
    }
    return NULL;
}

static int map_file(const char *host, unsigned char **d, size_t *len) {
    int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 52) { close(fd); return -1; }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return -1;
    *d = m;
    *len = (size_t)st.st_size;
    return 0;
}

int ds_elf_peek(const char *host, bool *is_elf, char **interp) {
    *is_elf = false;
    *interp = NULL;
    unsigned char hdr[4];
    int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    ssize_t n = read(fd, hdr, 4);
    close(fd);
    if (n != 4 || memcmp(hdr, "\177ELF", 4) != 0) return 0;
    unsigned char *d;
    size_t len;
    if (map_file(host, &d, &len) < 0) return -1;
    elfv e;
    if (elf_init(&e, d, len) == 0) {
        *is_elf = true;
        *interp = find_interp(&e);
    }
    munmap(d, len);
    return 0;
}

int ds_elf_section(const char *host, const char *name, unsigned char **data, size_t *dlen) {
    *data = NULL;
    *dlen = 0;
    unsigned char *d;
    size_t len;
    if (map_file(host, &d, &len) < 0) return -1;
    elfv e;
    int rc = -1;
    if (elf_init(&e, d, len) < 0) goto out;
    uint64_t shoff = e.is64 ? rd(&e, 40, 8) : rd(&e, 32, 4);
    unsigned shentsize = (unsigned)rd(&e, e.is64 ? 58 : 46, 2);
    unsigned shnum = (unsigned)rd(&e, e.is64 ? 60 : 48, 2);
    unsigned shstrndx = (unsigned)rd(&e, e.is64 ? 62 : 50, 2);
    if (shnum == 0 || shoff == 0) { rc = -2; goto out; }
    if (shentsize < (e.is64 ? 64u : 40u) || shstrndx >= shnum || shoff >= len) goto out;
    uint64_t strsh = shoff + (uint64_t)shstrndx * shentsize;
    uint64_t stroff = e.is64 ? rd(&e, (size_t)strsh + 24, 8) : rd(&e, (size_t)strsh + 16, 4);
    uint64_t strsz = e.is64 ? rd(&e, (size_t)strsh + 32, 8) : rd(&e, (size_t)strsh + 20, 4);
    if (stroff >= len || len - stroff < strsz) goto out;
    size_t nl = strlen(name);
    for (unsigned i = 0; i < shnum; i++) {
        uint64_t sh = shoff + (uint64_t)i * shentsize;
        if (sh >= len) break;
        uint64_t nm = rd(&e, (size_t)sh, 4);
        if (nm + nl + 1 > strsz) continue;
        if (memcmp(d + stroff + nm, name, nl + 1) != 0) continue;
        uint64_t type = rd(&e, (size_t)sh + 4, 4);
        uint64_t off = e.is64 ? rd(&e, (size_t)sh + 24, 8) : rd(&e, (size_t)sh + 16, 4);
        uint64_t sz = e.is64 ? rd(&e, (size_t)sh + 32, 8) : rd(&e, (size_t)sh + 20, 4);
        if (type == 8 /* SHT_NOBITS */ || off >= len || len - off < sz || sz > (64u << 20)) break;
        *data = ds_xmalloc(sz ? (size_t)sz : 1);
        memcpy(*data, d + off, (size_t)sz);
        *dlen = (size_t)sz;
        rc = 0;
        break;
    }
out:
    munmap(d, len);
    return rc;
}
