/* The platform of a rootfs: tree: --platform when given, else what its ELF files are built for,
 * else this machine's; a --platform that the ELF files contradict is refused. A few directories
 * where programs live are looked at (never through a symlink out of the tree), the first 64
 * ELF files found, each by its header only. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/arch.h"
#include "fs/root_path.h"
#include "image/manifest.h"
#include "image/transport.h"

#define MAX_ELF 64

typedef struct {
    const char *arch, *variant;
    size_t n;
    char example[256];
} arch_count;

/* e_machine and e_flags from the header, in the file's byte order. */
static bool read_header(int fd, ds_elf_info *in) {
    unsigned char h[52];
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG)) return false;
    memset(in, 0, sizeof *in);
    in->cls = h[EI_CLASS];
    in->data = h[EI_DATA];
    bool le = in->data == ELFDATA2LSB;
    in->machine = le ? (uint16_t)(h[18] | h[19] << 8) : (uint16_t)(h[18] << 8 | h[19]);
    size_t fo = in->cls == ELFCLASS64 ? 48 : 36;
    in->flags = le ? (uint32_t)h[fo] | (uint32_t)h[fo + 1] << 8 | (uint32_t)h[fo + 2] << 16 | (uint32_t)h[fo + 3] << 24
                   : (uint32_t)h[fo] << 24 | (uint32_t)h[fo + 1] << 16 | (uint32_t)h[fo + 2] << 8 | (uint32_t)h[fo + 3];
    return in->cls == ELFCLASS32 || in->cls == ELFCLASS64;
}

static void count_dir(const ds_rp *rp, const char *dir, arch_count *c, size_t *nc, size_t *seen) {
    int dfd = ds_rp_open_at(rp, dir, O_RDONLY | O_DIRECTORY, DS_RP_NOFOLLOW); /* bin -> usr/bin: seen once */
    if (dfd < 0) return;
    DIR *d = fdopendir(dfd);
    if (!d) { close(dfd); return; }
    struct dirent *e;
    while (*seen < MAX_ELF && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st;
        ds_elf_info in;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_header(fd, &in)) {
            const char *variant, *arch = ds_elf_oci_arch(&in, &variant);
            if (arch) {
                (*seen)++;
                size_t k = 0;
                while (k < *nc && strcmp(c[k].arch, arch)) k++;
                if (k == *nc && *nc < 16) {
                    c[k] = (arch_count){arch, variant, 0, ""};
                    snprintf(c[k].example, sizeof c[k].example, "%s%.60s/%.150s (%s)", strcmp(dir, ".") ? "/" : "", strcmp(dir, ".") ? dir : "", e->d_name, ds_elf_machine_name(in.machine));
                    (*nc)++;
                }
                if (k < *nc) c[k].n++;
            }
        }
        close(fd);
    }
    closedir(d);
}

int ds_rootfs_platform(const char *tree, const char *name, const char *flag, char *out, size_t n, ds_err *err) {
    static const char *dirs[] = {"usr/bin", "bin", "usr/sbin", "sbin", "usr/local/bin", "app", "."};
    ds_rp rp;
    if (ds_rp_open(&rp, tree, err) < 0) return ds_err_wrap(err, "%s", name);
    arch_count c[16];
    size_t nc = 0, seen = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs && seen < MAX_ELF; i++) count_dir(&rp, dirs[i], c, &nc, &seen);
    ds_rp_close(&rp);
    const arch_count *best = NULL;
    for (size_t k = 0; k < nc; k++)
        if (!best || c[k].n > best->n) best = &c[k];
    if (flag) {
        char want[128];
        snprintf(want, sizeof want, "%s", flag);
        char *arch = strchr(want, '/');
        if (!arch) return ds_fail(err, "%s: bad platform '%s' (want OS/ARCH[/VARIANT])", name, flag);
        arch++;
        char *v = strchr(arch, '/');
        if (v) *v = 0;
        if (best && strcmp(best->arch, arch))
            return ds_fail(err, "%s: --platform %s contradicts the tree's programs: %zu of %zu ELF files looked at are "
                           "for linux/%s, e.g. %s", name, flag, best->n, seen, best->arch, best->example);
        snprintf(out, n, "%s", flag);
        return 0;
    }
    if (best) snprintf(out, n, "linux/%s%s%s", best->arch, best->variant ? "/" : "", best->variant ? best->variant : "");
    else ds_platform_host(out, n);
    return 0;
}
