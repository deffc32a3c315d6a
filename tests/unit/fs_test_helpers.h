/* Shared by the fs unit tests: building layer tars with libarchive, and a
 * listing of everything outside the unpack root to prove nothing escaped. */
#ifndef FS_TEST_HELPERS_H
#define FS_TEST_HELPERS_H
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "util/err.h"

typedef struct tar_ent {
    char type;          /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char dev, 'p' fifo */
    const char *path;
    const char *data;   /* file content, symlink target or hard link target */
    int mode;           /* 0 = default */
    int uid, gid;
    long mtime;
    const char *xattr_name, *xattr_value;
} tar_ent;

/* compress: 'n' none, 'g' gzip, 'z' zstd */
static inline void make_tar(const char *path, char compress, const tar_ent *ents, size_t n) {
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (compress == 'g') archive_write_add_filter_gzip(a);
    if (compress == 'z') archive_write_add_filter_zstd(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK) { fprintf(stderr, "open %s\n", path); abort(); }
    for (size_t i = 0; i < n; i++) {
        const tar_ent *t = &ents[i];
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, t->path);
        archive_entry_set_uid(e, t->uid);
        archive_entry_set_gid(e, t->gid);
        archive_entry_set_mtime(e, t->mtime, 0);
        size_t size = 0;
        switch (t->type) {
        case 'f': archive_entry_set_mode(e, AE_IFREG | (t->mode ? t->mode : 0644)); size = t->data ? strlen(t->data) : 0; break;
        case 'd': archive_entry_set_mode(e, AE_IFDIR | (t->mode ? t->mode : 0755)); break;
        case 'l': archive_entry_set_mode(e, AE_IFLNK | 0777); archive_entry_set_symlink(e, t->data); break;
        case 'h': archive_entry_set_mode(e, AE_IFREG | 0644); archive_entry_set_hardlink(e, t->data); break;
        case 'c': archive_entry_set_mode(e, AE_IFCHR | 0666); archive_entry_set_rdev(e, makedev(1, 3)); break;
        case 'p': archive_entry_set_mode(e, AE_IFIFO | 0644); break;
        }
        archive_entry_set_size(e, (la_int64_t)size);
        if (t->xattr_name) archive_entry_xattr_add_entry(e, t->xattr_name, t->xattr_value, strlen(t->xattr_value));
        if (archive_write_header(a, e) < ARCHIVE_WARN) { fprintf(stderr, "header %s: %s\n", t->path, archive_error_string(a)); abort(); }
        if (size) archive_write_data(a, t->data, size);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

/* Every path below dir (recursive, sorted, one per line), skipping the subtree named skip. */
static inline void list_tree(const char *dir, const char *skip, char **out, size_t *len, size_t *cap) {
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) return;
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            char *p = ds_xasprintf("%s/%s", dir, nm);
            if (!skip || strcmp(p, skip)) {
                size_t l = strlen(p) + 1;
                if (*len + l + 1 > *cap) { *cap = (*cap + l) * 2; *out = ds_xrealloc(*out, *cap); }
                memcpy(*out + *len, p, l - 1);
                (*out)[*len + l - 1] = '\n';
                *len += l;
                (*out)[*len] = 0;
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) list_tree(p, skip, out, len, cap);
            }
            free(p);
        }
        free(names[i]);
    }
    free(names);
}

static inline char *listing(const char *dir, const char *skip) {
    size_t len = 0, cap = 64;
    char *out = ds_xmalloc(cap);
    out[0] = 0;
    list_tree(dir, skip, &out, &len, &cap);
    return out;
}

static inline char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = ds_xmalloc(1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

#endif
