/* A stored layer's manifest: every path of its tree with type, mode, size, mtime and owner
 * (and the sha256 of each regular file), checked cheaply (metadata) every time the layer is
 * reused and fully (content) with --verify-store. The walk holds one directory descriptor at a
 * time (a 2000-level tree needs no more under ulimit -n 1024) and opens paths relative to the
 * tree, so a path as long as PATH_MAX below it still works. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "store/store_int.h"
#include "util/digest.h"
#include "util/fsutil.h"
#include "util/strmap.h"
#include "util/strvec.h"

static char type_of(int dfd, const char *name, const struct stat *st) {
    switch (st->st_mode & S_IFMT) {
    case S_IFREG: return 'f';
    case S_IFLNK: return 'l';
    case S_IFCHR: return st->st_rdev == makedev(0, 0) ? 'w' : 'c'; /* 'w': an overlay whiteout */
    case S_IFBLK: return 'b';
    case S_IFIFO: return 'p';
    case S_IFSOCK: return 's';
    case S_IFDIR: {
        char v[4];
        char p[64];
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return 'd';
        snprintf(p, sizeof p, "trusted.overlay.opaque");
        ssize_t n = fgetxattr(fd, p, v, sizeof v);
        close(fd);
        return n == 1 && v[0] == 'y' ? 'o' : 'd'; /* 'o': an opaque directory */
    }
    default: return '?';
    }
}

static int hash_file(int dfd, const char *name, char out[DS_DIGEST_LEN + 1]) {
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    ds_sha256 h;
    ds_sha256_init(&h);
    static char buf[1 << 17];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { int e = errno; close(fd); ds_sha256_final(&h, out); errno = e; return -1; }
        if (n == 0) break;
        ds_sha256_update(&h, buf, (size_t)n);
    }
    close(fd);
    ds_sha256_final(&h, out);
    return 0;
}

void ds_store_known_add(ds_strmap *known, int fd, const char *sha256) {
    struct stat st;
    if (fstat(fd, &st) < 0) return;
    char key[24];
    snprintf(key, sizeof key, "%ju", (uintmax_t)st.st_ino);
    ds_store_known *k = ds_strmap_get(known, key);
    if (!k) k = ds_xmalloc(sizeof *k);
    snprintf(k->sha256, sizeof k->sha256, "%s", sha256);
    k->size = st.st_size;
    k->ctime = st.st_ctim;
    ds_strmap_put(known, key, k);
}

static const char *known_hash(const ds_strmap *known, const struct stat *st) {
    if (!known || st->st_nlink != 1) return NULL;
    char key[24];
    snprintf(key, sizeof key, "%ju", (uintmax_t)st->st_ino);
    const ds_store_known *k = ds_strmap_get(known, key);
    if (!k || k->size != st->st_size || k->ctime.tv_sec != st->st_ctim.tv_sec || k->ctime.tv_nsec != st->st_ctim.tv_nsec)
        return NULL;
    return k->sha256;
}

int ds_store_manifest_make(const char *tree, bool hashes, const ds_strmap *known, json_t **out, ds_err *err) {
    int rootfd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return ds_fail_errno(err, "%s", tree);
    json_t *entries = json_array();
    ds_strvec todo = {0};
    ds_strvec_push(&todo, "");
    uint64_t size = 0, disk = 0;
    int rc = 0;
    while (todo.n && rc == 0) {
        char *rel = todo.v[--todo.n];
        todo.v[todo.n] = NULL;
        int dfd = *rel ? openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                       : openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
            rc = ds_fail_errno(err, "%s/%s", tree, rel);
            if (dfd >= 0) close(dfd);
            free(rel);
            break;
        }
        struct dirent *de;
        while ((de = readdir(d)) && rc == 0) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            struct stat st;
            char *p = ds_rel_join(rel, de->d_name);
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                rc = ds_fail_errno(err, "%s/%s", tree, p);
                free(p);
                break;
            }
            char t = type_of(dirfd(d), de->d_name, &st);
            char ts[2] = {t, 0};
            json_t *hv = json_null();
            if (t == 'f') {
                size += (uint64_t)st.st_size;
                const char *kh = hashes ? known_hash(known, &st) : NULL;
                if (kh) {
                    hv = json_string(kh + 7);
                } else if (hashes) {
                    char h[DS_DIGEST_LEN + 1];
                    if (hash_file(dirfd(d), de->d_name, h) < 0) {
                        rc = ds_fail_errno(err, "%s/%s", tree, p);
                        free(p);
                        break;
                    }
                    hv = json_string(h + 7);
                }
            }
            disk += (uint64_t)st.st_blocks * 512;
            json_array_append_new(entries, json_pack("[s s i I I I i i o]", p, ts, (int)(st.st_mode & 07777),
                                                     (json_int_t)(t == 'f' || t == 'l' ? st.st_size : 0),
                                                     (json_int_t)st.st_mtim.tv_sec, (json_int_t)st.st_mtim.tv_nsec,
                                                     (int)st.st_uid, (int)st.st_gid, hv));
            if (t == 'd' || t == 'o') ds_strvec_take(&todo, p);
            else free(p);
        }
        closedir(d);
        free(rel);
    }
    ds_strvec_free(&todo);
    close(rootfd);
    if (rc < 0) { json_decref(entries); return -1; }
    *out = json_pack("{s:i, s:I, s:I, s:I, s:o}", "version", 1, "size", (json_int_t)size, "disk", (json_int_t)disk,
                     "files", (json_int_t)json_array_size(entries), "entries", entries);
    return 0;
}

int ds_store_manifest_check(const char *tree, json_t *manifest, bool verify, char *why, size_t why_len, ds_err *err) {
    json_t *want = json_object_get(manifest, "entries");
    if (!json_is_array(want)) { snprintf(why, why_len, "the manifest has no entries"); return 1; }
    json_t *now = NULL;
    if (ds_store_manifest_make(tree, verify, NULL, &now, err) < 0) {
        /* A directory gone or made unreadable behind our back is a changed layer, not ours to fail on. */
        snprintf(why, why_len, "%s", err->msg);
        return 1;
    }
    json_t *have = json_object_get(now, "entries");
    ds_strmap m;
    ds_strmap_init(&m);
    size_t i;
    json_t *e;
    json_array_foreach(have, i, e) ds_strmap_put(&m, json_string_value(json_array_get(e, 0)), e);
    int r = 0;
    if (json_array_size(have) != json_array_size(want))
        snprintf(why, why_len, "%zu paths where the manifest has %zu", json_array_size(have), json_array_size(want)), r = 1;
    json_array_foreach(want, i, e) {
        if (r) break;
        const char *p = json_string_value(json_array_get(e, 0));
        json_t *h = p ? ds_strmap_get(&m, p) : NULL;
        if (!h) { snprintf(why, why_len, "'%s' is missing", p ? p : "?"); r = 1; break; }
        /* type, mode, size, mtime s/ns, uid, gid; the hash only when both have one */
        for (size_t k = 1; k < 8 && !r; k++)
            if (!json_equal(json_array_get(e, k), json_array_get(h, k))) {
                static const char *const what[] = {"", "type", "mode", "size", "mtime", "mtime", "owner", "group"};
                snprintf(why, why_len, "'%s': %s changed", p, what[k]);
                r = 1;
            }
        if (!r && verify && json_is_string(json_array_get(e, 8)) && !json_equal(json_array_get(e, 8), json_array_get(h, 8))) {
            snprintf(why, why_len, "'%s': content changed", p);
            r = 1;
        }
    }
    ds_strmap_free(&m, NULL);
    json_decref(now);
    return r;
}
