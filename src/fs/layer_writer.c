/* Deterministic layer writer: the tree is walked without following symlinks,
 * entries are sorted by path, and each header carries only what the tree says
 * about content (type, mode, numeric owners, size, link target, xattrs) plus one
 * fixed mtime. The tar's sha256 is the diff_id. gzip compresses the tar as it is
 * written (util/compress's stream, every core; the tar never touches the disk); zstd
 * and none go through a temp tar file. */
#include "fs/layer_writer.h"
#include "util/fsutil.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "util/compress.h"
#include "util/gz_cache.h"
#include "util/progress.h"
#include "util/source_date.h"
#include "util/strmap.h"
#include "util/media_types.h"

void ds_layer_out_free(ds_layer_out *o) {
    if (o) { free(o->blob_path); o->blob_path = NULL; free(o->tar_path); o->tar_path = NULL; }
}

/* ---- walking the tree ---------------------------------------------------- */

typedef struct tree_entry {
    char *rel;
    struct stat st;
} tree_entry;

typedef struct tree_list {
    tree_entry *v;
    size_t n, cap;
} tree_list;

static void list_add(tree_list *l, char *rel, const struct stat *st) {
    if (l->n == l->cap) { l->cap = l->cap ? l->cap * 2 : 256; l->v = ds_xrealloc(l->v, l->cap * sizeof *l->v); }
    l->v[l->n].rel = rel;
    l->v[l->n].st = *st;
    l->n++;
}

/* Lists the directory open as *fdp (prefix is its path in the tree), then descends.
 * Only the current directory is kept open: a child is entered by name and its parent
 * found again through "..", checked to be the same inode. A tree 2000 levels deep
 * (legal in a layer) would otherwise need 2000+ descriptors, past a usual limit of 1024.
 * *fdp may be replaced by an equal descriptor. */
static int collect(int *fdp, const char *prefix, const char *root, tree_list *l, ds_err *err) {
    int fd = *fdp;
    struct stat self;
    if (fstat(fd, &self) < 0) return ds_fail_errno(err, "%s/%.400s", root, prefix);
    int dfd = dup(fd);
    if (dfd < 0) return ds_fail_errno(err, "%s/%.400s", root, prefix);
    DIR *d = fdopendir(dfd);
    if (!d) { close(dfd); return ds_fail_errno(err, "%s/%.400s", root, prefix); }
    size_t first = l->n;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *rel = ds_rel_join(prefix, de->d_name);
        struct stat st;
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = ds_fail_errno(err, "%s/%.400s", root, rel);
            free(rel);
            break;
        }
        list_add(l, rel, &st);
        if (l->n % 4096 == 0) ds_progress("Walking the tree: %zu entries", l->n);
    }
    if (rc == 0 && errno) rc = ds_fail_errno(err, "%s/%.400s: readdir", root, prefix);
    closedir(d);
    size_t last = l->n; /* entries of this directory: [first, last) */
    for (size_t i = first; rc == 0 && i < last; i++) {
        if (!S_ISDIR(l->v[i].st.st_mode)) continue;
        const char *rel = l->v[i].rel, *name = strrchr(rel, '/');
        name = name ? name + 1 : rel;
        int cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) { rc = ds_fail_errno(err, "%s/%.400s", root, rel); break; }
        close(fd);
        fd = -1;
        rc = collect(&cfd, rel, root, l, err);
        fd = openat(cfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(cfd);
        struct stat again;
        if (fd < 0 || fstat(fd, &again) < 0 || again.st_ino != self.st_ino || again.st_dev != self.st_dev) {
            if (rc == 0) rc = ds_fail(err, "%s/%.400s: the tree changed while it was read", root, prefix);
            if (fd >= 0) { close(fd); fd = -1; }
            break;
        }
    }
    *fdp = fd;
    return rc;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const tree_entry *)a)->rel, ((const tree_entry *)b)->rel);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- tar output ------------------------------------------------------------ */

typedef struct tar_sink {
    int fd;              /* the tar file, or -1 when the tar goes to gz */
    int tee_fd;          /* with gz: a copy of the tar asked for (keep_tar), or -1 */
    ds_gz_stream *gz;    /* gzip: compressed as it is written, the tar never on disk */
    ds_err gz_err;
    ds_sha256 h;
    int64_t bytes;
    int write_errno;
    const atomic_bool *cancel;
    size_t raw_only; /* bytes still to come whose member is put in by the writer: hashed, not compressed */
    ds_gz_cache *cache; /* with gz: members made ahead, or NULL */
} tar_sink;

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len) {
    tar_sink *s = ctx;
    const char *p = buf;
    size_t left = len;
    if (s->cancel && atomic_load(s->cancel)) {
        archive_set_error(a, ECANCELED, "cancelled");
        return -1;
    }
    if (s->gz && s->raw_only) {
        if (len > s->raw_only) { /* libarchive passes data through as written (no blocking) */
            archive_set_error(a, EIO, "layer data out of step with its gzip members");
            return -1;
        }
        s->raw_only -= len;
        left = 0;
    } else if (s->gz) {
        if (ds_gz_stream_write(s->gz, buf, len, &s->gz_err) < 0) {
            archive_set_error(a, EIO, "%s", s->gz_err.msg);
            return -1;
        }
        left = 0;
    }
    if (s->tee_fd >= 0) left = len;
    int out_fd = s->gz ? s->tee_fd : s->fd;
    while (left) {
        ssize_t w = write(out_fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            s->write_errno = errno;
            archive_set_error(a, errno, "write: %s", strerror(errno));
            return -1;
        }
        p += w; left -= (size_t)w;
    }
    ds_sha256_update(&s->h, buf, len);
    s->bytes += (int64_t)len;
    ds_progress_bytes((uint64_t)s->bytes);
    return (la_ssize_t)len;
}

/* Extended attributes, in name order. security.selinux is the host's label, not the image's. */
static void add_xattrs(struct archive_entry *ae, const char *path) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n <= 0) return;
    char *names = ds_xmalloc((size_t)n);
    n = llistxattr(path, names, (size_t)n);
    if (n <= 0) { free(names); return; }
    char **list = NULL;
    size_t cnt = 0;
    for (char *p = names; p < names + n; p += strlen(p) + 1) {
        if (!strcmp(p, "security.selinux")) continue;
        list = ds_xrealloc(list, (cnt + 1) * sizeof *list);
        list[cnt++] = p;
    }
    qsort(list, cnt, sizeof *list, cmp_str);
    for (size_t i = 0; i < cnt; i++) {
        ssize_t vl = lgetxattr(path, list[i], NULL, 0);
        if (vl < 0) continue;
        char *v = ds_xmalloc((size_t)vl + 1);
        vl = lgetxattr(path, list[i], v, (size_t)vl);
        if (vl >= 0) archive_entry_xattr_add_entry(ae, list[i], v, (size_t)vl);
        free(v);
    }
    free(list);
    free(names);
}

typedef struct hl_key { dev_t dev; ino_t ino; } hl_key;

/* Reads up to len bytes (less only at the end of the file); -1 with errno. */
static ssize_t read_full(int fd, unsigned char *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* A big file's data (DS_GZ_FILE_ALIGN) in members of its own, each piece's made ahead when
 * the cache has it. The tar bytes are the same as write_data's; -1 with err. */
static int write_aligned(struct archive *a, tar_sink *s, int datafd, int64_t size, unsigned char *buf,
                         const char *root, const char *rel, ds_err *err) {
    if (ds_gz_stream_cut(s->gz, err) < 0) return -1;
    int64_t left = size;
    while (left > 0) {
        size_t want = left < (int64_t)DS_GZ_MEMBER ? (size_t)left : DS_GZ_MEMBER;
        ssize_t n = read_full(datafd, buf, want);
        if (n < 0) return ds_fail_errno(err, "%s/%.400s: read", root, rel);
        if (n == 0) break; /* shrank meanwhile: libarchive pads the rest with zeros */
        size_t mlen = 0;
        const void *m = s->cache ? ds_gz_cache_find(s->cache, buf, (size_t)n, &mlen) : NULL;
        if (m) s->raw_only = (size_t)n;
        if (archive_write_data(a, buf, (size_t)n) < 0) {
            s->raw_only = 0;
            return ds_fail(err, "%s/%.400s: %s", root, rel, archive_error_string(a));
        }
        if (m && (s->raw_only || ds_gz_stream_put_member(s->gz, m, mlen, (size_t)n, err) < 0)) {
            if (s->raw_only) ds_fail(err, "%s/%.400s: layer data out of step with its gzip members", root, rel);
            s->raw_only = 0;
            return -1;
        }
        if (!m && ds_gz_stream_cut(s->gz, err) < 0) return -1;
        left -= n;
    }
    return 0;
}

static int write_entries(struct archive *a, tar_sink *sink, int rootfd, const char *root, tree_list *l,
                         const bool *keep, ds_err *err) {
    int64_t mtime = 0; /* every entry's mtime: SOURCE_DATE_EPOCH or 0 */
    if (ds_source_date_or(0, &mtime, err) < 0) return -1;
    ds_strmap links; /* "dev:ino" -> first path written for that inode */
    ds_strmap_init(&links);
    size_t buf_len = sink->gz ? DS_GZ_MEMBER : 1u << 20;
    unsigned char *buf = ds_xmalloc(buf_len);
    int rc = 0;
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        tree_entry *t = &l->v[i];
        if (!keep[i]) continue;
        mode_t type = t->st.st_mode & S_IFMT;
        if (type == S_IFSOCK) continue; /* sockets have no meaning in an image */
        struct archive_entry *ae = archive_entry_new();
        if (type == S_IFDIR) {
            char *p = ds_xasprintf("%s/", t->rel);
            archive_entry_set_pathname(ae, p);
            free(p);
        } else {
            archive_entry_set_pathname(ae, t->rel);
        }
        archive_entry_set_mode(ae, t->st.st_mode);
        archive_entry_set_uid(ae, t->st.st_uid);
        archive_entry_set_gid(ae, t->st.st_gid);
        archive_entry_set_mtime(ae, mtime, 0);
        char *full = ds_xasprintf("%s/%s", root, t->rel);
        int pfd = -1;
        if (strlen(full) >= PATH_MAX) {
            /* Too long to name from /: name it from its parent's descriptor instead. */
            const char *slash = strrchr(t->rel, '/');
            char *parent = slash ? ds_xstrndup(t->rel, (size_t)(slash - t->rel)) : ds_xstrdup(".");
            pfd = openat(rootfd, parent, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            free(parent);
            free(full);
            full = ds_xasprintf("/proc/self/fd/%d/%s", pfd, slash ? slash + 1 : t->rel);
        }
        add_xattrs(ae, full);
        if (pfd >= 0) close(pfd);
        free(full);
        int datafd = -1;
        if (type == S_IFREG) {
            const char *first = NULL;
            if (t->st.st_nlink > 1) {
                char key[64];
                snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)t->st.st_dev, (unsigned long long)t->st.st_ino);
                first = ds_strmap_get(&links, key);
                if (!first) ds_strmap_put(&links, key, t->rel);
            }
            if (first) {
                archive_entry_set_hardlink(ae, first);
                archive_entry_set_size(ae, 0);
            } else {
                archive_entry_set_size(ae, t->st.st_size);
                datafd = openat(rootfd, t->rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (datafd < 0) rc = ds_fail_errno(err, "%s/%.400s", root, t->rel);
            }
        } else if (type == S_IFLNK) {
            char target[4096];
            ssize_t n = readlinkat(rootfd, t->rel, target, sizeof target - 1);
            if (n < 0) rc = ds_fail_errno(err, "%s/%.400s: readlink", root, t->rel);
            else { target[n] = 0; archive_entry_set_symlink(ae, target); }
        } else if (type == S_IFCHR || type == S_IFBLK) {
            archive_entry_set_rdev(ae, t->st.st_rdev);
        }
        if (rc == 0 && archive_write_header(a, ae) < ARCHIVE_WARN)
            rc = ds_fail(err, "%s/%.400s: %s", root, t->rel, archive_error_string(a));
        int64_t left = t->st.st_size;
        if (rc == 0 && datafd >= 0 && sink->gz && left >= (int64_t)DS_GZ_FILE_ALIGN) {
            rc = write_aligned(a, sink, datafd, left, buf, root, t->rel, err);
            left = 0;
        }
        while (rc == 0 && datafd >= 0 && left > 0) {
            ssize_t n = read(datafd, buf, (size_t)(left < (1 << 20) ? left : (1 << 20)));
            if (n < 0) { if (errno == EINTR) continue; rc = ds_fail_errno(err, "%s/%.400s: read", root, t->rel); break; }
            if (n == 0) break; /* shrank meanwhile: libarchive pads the rest with zeros */
            if (archive_write_data(a, buf, (size_t)n) < 0) rc = ds_fail(err, "%s/%.400s: %s", root, t->rel, archive_error_string(a));
            left -= n;
        }
        if (datafd >= 0) close(datafd);
        if (rc == 0 && archive_write_finish_entry(a) < ARCHIVE_WARN)
            rc = ds_fail(err, "%s/%.400s: %s", root, t->rel, archive_error_string(a));
        archive_entry_free(ae);
    }
    free(buf);
    ds_strmap_free(&links, NULL);
    return rc;
}

/* ---- compression ---------------------------------------------------------- */

/* The tar compressed into a temp blob in out_dir by util/compress (gzip in 4 MiB members
 * on every core, zstd with its workers): the same bytes whatever the core count. */
static int compress_tar(const char *tar_path, ds_compress compress, const char *out_dir, ds_layer_out *out,
                        ds_err *err) {
    char *blob = ds_xasprintf("%s/.layer-blob-XXXXXX", out_dir);
    int bfd = mkstemp(blob);
    if (bfd < 0) { int r = ds_fail_errno(err, "%s", blob); free(blob); return r; }
    close(bfd);
    struct stat st;
    ds_progress("Compressing layer (%s, %.1f MiB)", compress == DS_COMPRESS_GZIP ? "gzip" : "zstd",
                stat(tar_path, &st) == 0 ? (double)st.st_size / 1048576.0 : 0.0);
    if (ds_compress_file(tar_path, compress, blob, out->digest, &out->size, err) < 0) {
        unlink(blob);
        free(blob);
        return -1;
    }
    out->blob_path = blob;
    return 0;
}

/* The tar's size, roughly (headers, data rounded to blocks, each inode once), checked
 * against the free space of out_dir before writing: a sparse file (say, unpacked from
 * a zstd bomb, where 3 MB give 100 GB of zeros) must fail here, not fill the disk. */
static int check_space(const tree_list *l, const bool *keep, const char *out_dir, const char *root_dir, uint64_t *need_out,
                       ds_err *err) {
    *need_out = 0;
    struct statvfs vfs;
    if (statvfs(out_dir, &vfs) < 0) return 0; /* cannot tell: writing will say */
    ds_strmap seen;
    ds_strmap_init(&seen);
    uint64_t need = 1024;
    for (size_t i = 0; i < l->n; i++) {
        const tree_entry *t = &l->v[i];
        if (!keep[i]) continue;
        need += 512 + (strlen(t->rel) > 100 ? 1024 + strlen(t->rel) : 0);
        if (!S_ISREG(t->st.st_mode)) continue;
        if (t->st.st_nlink > 1) {
            char key[64];
            snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)t->st.st_dev, (unsigned long long)t->st.st_ino);
            if (ds_strmap_has(&seen, key)) continue;
            ds_strmap_put(&seen, key, NULL);
        }
        need += ((uint64_t)t->st.st_size + 511) / 512 * 512;
    }
    ds_strmap_free(&seen, NULL);
    *need_out = need;
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (need > avail)
        return ds_fail(err, "%s: the layer tar needs about %llu bytes, only %llu are free in %s", root_dir, (unsigned long long)need,
                       (unsigned long long)avail, out_dir);
    return 0;
}

int ds_layer_write_tree(const char *root_dir, ds_compress compress, const char *out_dir,
                        ds_path_filter filter, void *filter_arg, ds_layer_out *out, ds_err *err) {
    ds_layer_write_opts o = {.filter = filter, .filter_arg = filter_arg};
    return ds_layer_write_tree_with(root_dir, compress, out_dir, &o, out, err);
}

int ds_layer_write_tree_with(const char *root_dir, ds_compress compress, const char *out_dir,
                             const ds_layer_write_opts *opts, ds_layer_out *out, ds_err *err) {
    ds_path_filter filter = opts->filter;
    void *filter_arg = opts->filter_arg;
    bool keep_tar = opts->keep_tar;
    memset(out, 0, sizeof *out);
    int rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return ds_fail_errno(err, "%s", root_dir);
    tree_list l = {0};
    int walkfd = dup(rootfd);
    int rc = walkfd < 0 ? ds_fail_errno(err, "%s", root_dir) : collect(&walkfd, "", root_dir, &l, err);
    if (walkfd >= 0) close(walkfd);
    if (rc == 0) qsort(l.v, l.n, sizeof *l.v, cmp_entry);
    /* The filter is asked once per path (it may count or log). */
    bool *keep = ds_xcalloc(l.n + 1, sizeof *keep);
    for (size_t i = 0; rc == 0 && i < l.n; i++) keep[i] = !filter || filter(l.v[i].rel, filter_arg);
    uint64_t need = 0;
    if (rc == 0) rc = check_space(&l, keep, out_dir, root_dir, &need, err);
    if (rc == 0) ds_progress_task(need, "Writing layer (%zu entries)", l.n);

    /* gzip (the default) is compressed as the tar is written; zstd and none go through a tar file. */
    bool stream = compress == DS_COMPRESS_GZIP;
    char *tar_path = ds_xasprintf("%s/%s", out_dir, stream ? ".layer-blob-XXXXXX" : ".layer-tar-XXXXXX");
    tar_sink sink = {.fd = -1, .tee_fd = -1, .cancel = opts->cancel};
    if (stream && opts->gz_cache && ds_gz_cache_level(opts->gz_cache) == DS_GZIP_LAYER_LEVEL) sink.cache = opts->gz_cache;
    char *tee_path = NULL;
    if (rc == 0) {
        int fd = mkstemp(tar_path);
        if (fd < 0) rc = ds_fail_errno(err, "%s", tar_path);
        else if (stream) {
            close(fd);
            rc = ds_gz_stream_open(tar_path, DS_GZIP_LAYER_LEVEL, &sink.gz, err);
            if (rc == 0 && opts->cancel) ds_gz_stream_set_cancel(sink.gz, opts->cancel);
        }
        else sink.fd = fd;
    }
    if (rc == 0 && stream && keep_tar) {
        tee_path = ds_xasprintf("%s/.layer-tar-XXXXXX", out_dir);
        sink.tee_fd = mkstemp(tee_path);
        if (sink.tee_fd < 0) { rc = ds_fail_errno(err, "%s", tee_path); free(tee_path); tee_path = NULL; }
    }
    if (rc == 0) {
        ds_sha256_init(&sink.h);
        struct archive *a = archive_write_new();
        /* pax only where ustar cannot say it (long names, big ids, xattrs); no padding to 10 KiB. */
        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        /* gzip: each write reaches the sink as it is made, so that a member can end exactly
         * where a big file's data begins (DS_GZ_FILE_ALIGN); the tar's bytes are the same. */
        if (sink.gz) archive_write_set_bytes_per_block(a, 0);
        if (archive_write_open2(a, &sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK)
            rc = ds_fail(err, "%s: %s", tar_path, archive_error_string(a));
        if (rc == 0) rc = write_entries(a, &sink, rootfd, root_dir, &l, keep, err);
        /* Closed after a failure too: libarchive frees its output state there, and
         * archive_write_free no longer closes once a write was fatal (unblocked output,
         * see below, fails at the header a cancel stops). */
        int cr = archive_write_close(a);
        if (rc == 0 && cr != ARCHIVE_OK) rc = ds_fail(err, "%s: %s", tar_path, archive_error_string(a));
        archive_write_free(a);
        ds_sha256_final(&sink.h, out->diff_id);
        out->uncompressed_size = sink.bytes;
    }
    for (size_t i = 0; i < l.n; i++) free(l.v[i].rel);
    free(l.v);
    free(keep);
    close(rootfd);
    if (opts->released) atomic_store(opts->released, true);

    if (sink.tee_fd >= 0) {
        if (close(sink.tee_fd) < 0 && rc == 0) rc = ds_fail_errno(err, "%s", tee_path);
        sink.tee_fd = -1;
    }
    if (sink.gz) {
        int gr = ds_gz_stream_close(sink.gz, rc == 0, out->digest, &out->size, err);
        if (rc == 0 && gr < 0) rc = -1;
        if (rc == 0) {
            out->blob_path = tar_path;
            tar_path = NULL;
            out->media_type = DS_MT_OCI_LAYER_GZIP;
        } else {
            free(tar_path); /* removed by the close */
            tar_path = NULL;
        }
    } else if (rc == 0 && compress == DS_COMPRESS_NONE) {
        if (close(sink.fd) < 0) rc = ds_fail_errno(err, "%s", tar_path);
        sink.fd = -1;
        if (rc == 0) {
            out->blob_path = tar_path;
            tar_path = NULL;
            memcpy(out->digest, out->diff_id, sizeof out->digest);
            out->size = out->uncompressed_size;
            out->media_type = DS_MT_OCI_LAYER;
        }
    } else if (rc == 0 && opts->cancel && atomic_load(opts->cancel)) {
        rc = ds_fail(err, "%s: cancelled", root_dir);
    } else if (rc == 0) {
        rc = compress_tar(tar_path, compress, out_dir, out, err);
        out->media_type = compress == DS_COMPRESS_GZIP ? DS_MT_OCI_LAYER_GZIP : DS_MT_OCI_LAYER_ZSTD;
        if (rc == 0 && keep_tar) { tee_path = tar_path; tar_path = NULL; } /* the file it compressed */
    }
    if (sink.fd >= 0) close(sink.fd);
    if (tar_path) { unlink(tar_path); free(tar_path); }
    if (rc == 0) out->tar_path = tee_path;
    else if (tee_path) { unlink(tee_path); free(tee_path); }
    if (rc < 0) ds_layer_out_free(out);
    ds_progress_done();
    return rc;
}
