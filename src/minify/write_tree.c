/* Writing the kept paths out as a new tree: modes, numeric owners, times, xattrs
 * and hard links as in the source; then the run user and /tmp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/passwd.h"
#include "minify/minify.h"
#include "util/fsutil.h"
#include "util/strmap.h"

typedef struct { dev_t dev; ino_t ino; char *dst; bool into_src; } hl; /* into_src: a link into link_from */

/* A directory of the new tree we may write into: a real directory, not a link out of it. */
static int real_dir(const char *dst_root, const char *rel, ds_err *err) {
    char *p = ds_xasprintf("%s%s", dst_root, rel);
    struct stat st;
    int r = 0;
    if (lstat(p, &st) < 0) {
        if (mkdir(p, 0755) < 0) r = ds_fail_errno(err, "mkdir %s", p);
    } else if (!S_ISDIR(st.st_mode)) {
        r = ds_fail(err, "%s in the image is not a directory (a symlink?): refusing to write through it", rel);
    }
    free(p);
    return r;
}

static void copy_xattrs(const char *src, const char *dst) {
    char names[4096];
    ssize_t n = llistxattr(src, names, sizeof names);
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
        char val[4096];
        ssize_t vl = lgetxattr(src, names + off, val, sizeof val);
        if (vl >= 0) lsetxattr(dst, names + off, val, (size_t)vl, 0);
    }
}

static int copy_data(const char *src, const char *dst, mode_t mode, ds_err *err) {
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) return ds_fail_errno(err, "open %s", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) { close(in); return ds_fail_errno(err, "create %s", dst); }
    struct stat st;
    if (fstat(in, &st) < 0 || ds_copy_fd_data(in, out, st.st_size) < 0) {
        close(in); close(out);
        return ds_fail_errno(err, "copy %s", src);
    }
    close(in);
    if (close(out) < 0) return ds_fail_errno(err, "write %s", dst);
    return 0;
}

/* A hard link at dst to the file or symlink the source tree shows at rel (st), when one of
 * the trees it is made of holds that very inode (see ds_user_setup.link_from). link(2) does
 * not follow a symlink: the link is to the symlink itself. 1 linked, 0 not. */
static int link_same(const char *const *trees, const char *rel, const struct stat *st, const char *dst) {
    for (size_t i = 0; trees[i]; i++) {
        char *p = ds_xasprintf("%s%s", trees[i], rel);
        struct stat lst;
        int r = lstat(p, &lst);
        if (r < 0 && errno == ENOENT) { free(p); continue; } /* in a lower tree, if any */
        /* The topmost tree with the path decides: the same inode, or a copy. */
        bool same = r == 0 && lst.st_ino == st->st_ino && lst.st_mode == st->st_mode &&
                    lst.st_uid == st->st_uid && lst.st_gid == st->st_gid && lst.st_size == st->st_size &&
                    lst.st_mtim.tv_sec == st->st_mtim.tv_sec && lst.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
                    llistxattr(p, NULL, 0) == 0;
        int ok = same && link(p, dst) == 0;
        free(p);
        return ok;
    }
    return 0;
}

/* passwd/group: the source's lines minus any other holder of 65532, plus nonroot. The old
 * file is read inside dst_root (fs/passwd.h: a symlink cannot reach a file of this machine). */
static int add_user_line(const char *dst_root, const char *file, const char *line, const char *fallback, ds_err *err) {
    ds_passwd_file t;
    if (ds_passwd_read(dst_root, file, 0, &t, err) < 0) return -1;
    size_t cap = strlen(line) + strlen(fallback) + 4;
    for (size_t i = 0; i < t.n; i++) cap += strlen(t.rows[i].line) + 1;
    char *out = ds_xmalloc(cap);
    out[0] = 0;
    if (t.present) {
        for (size_t i = 0; i < t.n; i++) {
            const char *l = t.rows[i].line;
            if (!strncmp(l, DS_NONROOT_NAME ":", strlen(DS_NONROOT_NAME) + 1) || strstr(l, ":65532:")) continue;
            strcat(out, l);
            strcat(out, "\n");
        }
    } else {
        strcat(out, fallback);
    }
    ds_passwd_free(&t);
    strcat(out, line);
    char *path = ds_xasprintf("%s%s", dst_root, file);
    struct stat st = {.st_mode = 0644};
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) st.st_mode = 0644;
    unlink(path);
    int r = ds_write_file_atomic(path, out, strlen(out), st.st_mode & 07777, err);
    free(out); free(path);
    return r;
}

/* nonroot:65532 in passwd and group, and its home /home/nonroot 0700. passwd and group are
 * replaced (unlinked, written anew), never written in place: they may be hard links to the
 * source's inodes or to another tree's. */
static int add_nonroot_user(const char *dst_root, ds_err *err) {
    if (real_dir(dst_root, "/etc", err) < 0 || real_dir(dst_root, "/home", err) < 0) return -1;
    if (add_user_line(dst_root, "/etc/passwd", "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
                      "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
                      err) < 0)
        return -1;
    if (add_user_line(dst_root, "/etc/group", "nonroot:x:65532:\n", "root:x:0:\nnobody:x:65534:\n", err) < 0) return -1;
    char *home = ds_xasprintf("%s/home/nonroot", dst_root);
    struct stat hst;
    int r = 0;
    if (lstat(home, &hst) == 0 && !S_ISDIR(hst.st_mode))
        r = ds_fail(err, "/home/nonroot in the image is not a directory: refusing to write through it");
    else if (mkdir(home, 0700) < 0 && errno != EEXIST) r = ds_fail_errno(err, "mkdir %s", home);
    else if (lchown(home, DS_NONROOT_UID, DS_NONROOT_UID) < 0 && errno != EPERM) r = ds_fail_errno(err, "chown %s", home);
    if (r == 0) chmod(home, 0700);
    free(home);
    return r;
}

/* A symlink at dst with the target of the one at src. */
static int copy_symlink(const char *src, const char *dst, ds_err *err) {
    char t[4096];
    ssize_t n = readlink(src, t, sizeof t - 1);
    if (n < 0) return ds_fail_errno(err, "readlink %s", src);
    t[n] = 0;
    return symlink(t, dst) < 0 ? ds_fail_errno(err, "symlink %s", dst) : 0;
}

/* dst gets src's owner, mode and xattrs (st: src's lstat); chmod after chown, which clears
 * setuid. EPERM on the chown (not root) is not an error. */
static int copy_meta(const char *src, const char *dst, const struct stat *st, ds_err *err) {
    int r = 0;
    if (lchown(dst, st->st_uid, st->st_gid) < 0 && errno != EPERM) r = ds_fail_errno(err, "chown %s", dst);
    if (!S_ISLNK(st->st_mode)) chmod(dst, st->st_mode & 07777);
    copy_xattrs(src, dst);
    return r;
}

/* What the app created, renamed or removed: the entry (if kept) and its directory, so the
 * run user can do it again; sticky world-writable dirs (/tmp) need nothing. To uid:gid, or
 * with src_root back to the source's owner, mode and xattrs (a chown clears a file
 * capability). chmod after chown, which clears setuid. */
static void chown_written_paths(const char *src_root, const ds_closure *c, const char *dst_root, uint32_t uid,
                                uint32_t gid) {
    for (size_t i = 0; i < c->n_written; i++) {
        const char *p = c->written[i];
        char *dir = ds_xstrdup(p);
        char *sl = strrchr(dir, '/');
        if (sl) *sl = 0;
        const char *cand[2] = {p, dir};
        for (int k = 0; k < 2; k++) {
            if (!*cand[k] || !strcmp(cand[k], "/") || !ds_pathmap_get(&c->keep, cand[k])) continue;
            char *d = ds_xasprintf("%s%s", dst_root, cand[k]);
            char *s = src_root ? ds_xasprintf("%s%s", src_root, cand[k]) : NULL;
            struct stat st, sst;
            if (lstat(d, &st) == 0 && !(S_ISDIR(st.st_mode) && (st.st_mode & 01002) == 01002)) {
                if (!s) {
                    if (lchown(d, uid, gid) == 0 && !S_ISLNK(st.st_mode)) chmod(d, st.st_mode & 07777);
                } else if (lstat(s, &sst) == 0 && (sst.st_mode & S_IFMT) == (st.st_mode & S_IFMT)) {
                    if (lchown(d, sst.st_uid, sst.st_gid) == 0 && !S_ISLNK(st.st_mode)) chmod(d, sst.st_mode & 07777);
                    copy_xattrs(s, d);
                }
            }
            free(s);
            free(d);
        }
        free(dir);
    }
}

/* A file the nonroot setup replaced (passwd, group), as the main loop writes it: a copy of
 * the source's regular file or symlink. 0, 1 when it is of another type (not handled). */
static int restore_entry(const char *src_root, const char *dst_root, const char *rel, ds_err *err) {
    char *s = ds_xasprintf("%s%s", src_root, rel), *d = ds_xasprintf("%s%s", dst_root, rel);
    struct stat st;
    int r = 0;
    if (lstat(s, &st) < 0) r = ds_fail_errno(err, "%s", s);
    else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) r = 1;
    if (r == 0 && unlink(d) < 0 && errno != ENOENT) r = ds_fail_errno(err, "unlink %s", d);
    if (r == 0) r = S_ISREG(st.st_mode) ? copy_data(s, d, st.st_mode, err) : copy_symlink(s, d, err);
    if (r == 0) r = copy_meta(s, d, &st, err);
    free(s); free(d);
    return r;
}

/* A path the source has and the closure keeps: the main loop wrote it. */
static bool kept_from_source(const char *src_root, const ds_closure *c, const char *rel) {
    if (!ds_pathmap_get(&c->keep, rel)) return false;
    char *s = ds_xasprintf("%s%s", src_root, rel);
    struct stat st;
    bool have = lstat(s, &st) == 0;
    free(s);
    return have;
}

int ds_closure_retarget_tree(const char *src_root, const ds_closure *c, const ds_user_setup *from,
                             const ds_user_setup *to, const char *dst_root, ds_err *err) {
    /* As the main loop's end does it: nonroot added before the chown of what the app wrote. */
    if (to->add_nonroot && !from->add_nonroot && add_nonroot_user(dst_root, err) < 0) return -1;
    if (from->add_nonroot && !to->add_nonroot) {
        /* passwd and group back to the source's (or gone, when the setup wrote them from
         * nothing); /home/nonroot, /home and /etc likewise. */
        static const char *const files[] = {"/etc/passwd", "/etc/group"};
        for (size_t i = 0; i < 2; i++) {
            if (kept_from_source(src_root, c, files[i])) {
                int r = restore_entry(src_root, dst_root, files[i], err);
                if (r) return r;
            } else {
                char *d = ds_xasprintf("%s%s", dst_root, files[i]);
                int r = unlink(d) < 0 && errno != ENOENT ? ds_fail_errno(err, "unlink %s", d) : 0;
                free(d);
                if (r < 0) return -1;
            }
        }
        static const char *const dirs[] = {"/home/nonroot", "/home", "/etc"};
        for (size_t i = 0; i < 3; i++) {
            char *d = ds_xasprintf("%s%s", dst_root, dirs[i]);
            char *s = ds_xasprintf("%s%s", src_root, dirs[i]);
            struct stat sst;
            int r = 0;
            if (kept_from_source(src_root, c, dirs[i])) {
                r = lstat(s, &sst) == 0 && S_ISDIR(sst.st_mode) ? copy_meta(s, d, &sst, err) : 1;
            } else if (rmdir(d) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
                r = ds_fail_errno(err, "rmdir %s", d);
            }
            free(d); free(s);
            if (r) return r;
        }
    }
    if (from->chown_written || to->chown_written) {
        if (to->chown_written) chown_written_paths(NULL, c, dst_root, to->chown_uid, to->chown_gid);
        else chown_written_paths(src_root, c, dst_root, 0, 0);
    }
    return 0;
}

int ds_closure_write_tree(const char *src_root, ds_closure *c, const ds_user_setup *user,
                          const char *dst_root, ds_err *err) {
    if (ds_mkdirs(dst_root, 0755, err) < 0) return -1;
    hl *links = NULL;
    size_t n_links = 0;
    int rc = -1;
    /* What the app wrote is chowned below: never a link into the source's trees. */
    ds_strmap written;
    ds_strmap_init(&written);
    const char *const *link_from = user->link_from;
    for (size_t i = 0; link_from && i < c->n_written; i++) ds_strmap_put(&written, c->written[i], NULL);
    /* Sorted paths: a parent always comes before its children. */
    for (size_t i = 0; i < c->keep.n; i++) {
        const char *p = c->keep.v[i].path;
        char *s = ds_xasprintf("%s%s", src_root, strcmp(p, "/") ? p : "");
        char *d = ds_xasprintf("%s%s", dst_root, strcmp(p, "/") ? p : "");
        struct stat st;
        if (lstat(s, &st) < 0) { free(s); free(d); continue; } /* vanished: nothing to copy */
        int r = 0;
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(d, st.st_mode & 07777) < 0 && errno != EEXIST) r = ds_fail_errno(err, "mkdir %s", d);
        } else if (S_ISLNK(st.st_mode) && link_from && !ds_strmap_has(&written, p) &&
                   link_same(link_from, p, &st, d) == 1) {
            free(s); free(d); /* the source's own symlink inode: its target and owner already */
            continue;
        } else if (S_ISLNK(st.st_mode)) {
            r = copy_symlink(s, d, err);
        } else if (S_ISREG(st.st_mode)) {
            const char *first = NULL;
            if (st.st_nlink > 1)
                for (size_t k = 0; k < n_links; k++)
                    if (links[k].dev == st.st_dev && links[k].ino == st.st_ino) {
                        /* a path the app wrote gets an inode of its own, not the source's */
                        if (!links[k].into_src || !ds_strmap_has(&written, p)) first = links[k].dst;
                        break;
                    }
            if (first) {
                if (link(first, d) < 0) r = ds_fail_errno(err, "link %s", d);
                free(s); free(d);
                if (r < 0) goto out;
                continue;
            }
            bool linked = link_from && !ds_strmap_has(&written, p) && link_same(link_from, p, &st, d) == 1;
            if (!linked) r = copy_data(s, d, st.st_mode, err);
            if (r == 0 && st.st_nlink > 1) {
                links = ds_xrealloc(links, (n_links + 1) * sizeof *links);
                links[n_links++] = (hl){st.st_dev, st.st_ino, ds_xstrdup(d), linked};
            }
            if (linked) { /* the inode's owner, mode and xattrs are the source's already */
                free(s); free(d);
                continue;
            }
        } else if (S_ISFIFO(st.st_mode)) {
            if (mkfifo(d, st.st_mode & 07777) < 0) r = ds_fail_errno(err, "mkfifo %s", d);
        } else {
            free(s); free(d);
            continue; /* devices and sockets: the runtime provides /dev */
        }
        if (r == 0) r = copy_meta(s, d, &st, err);
        free(s); free(d);
        if (r < 0) goto out;
    }

    /* /tmp, sticky and world-writable, always (unless the image made it a link: left as it is). */
    char *tmp = ds_xasprintf("%s/tmp", dst_root);
    struct stat tst;
    if (lstat(tmp, &tst) < 0) {
        if (mkdir(tmp, 01777) < 0) { ds_fail_errno(err, "mkdir %s", tmp); free(tmp); goto out; }
        chmod(tmp, 01777);
    } else if (S_ISDIR(tst.st_mode)) {
        chmod(tmp, 01777);
    }
    free(tmp);

    /* Package metadata of what was kept, before the run user's files (passwd is no package's). */
    json_t *notes = json_array();
    int pm = ds_pkg_meta_write(src_root, c->src_scan, &c->keep, dst_root, notes, NULL, err);
    size_t ni;
    json_t *nv;
    json_array_foreach(notes, ni, nv) {
        const char *t = json_string_value(nv);
        bool dup = false;
        for (size_t k = 0; t && k < c->n_warnings && !dup; k++) dup = !strcmp(c->warnings[k], t);
        if (!t || dup) continue;
        c->warnings = ds_xrealloc(c->warnings, (c->n_warnings + 1) * sizeof *c->warnings);
        c->warnings[c->n_warnings++] = ds_xstrdup(t);
    }
    json_decref(notes);
    if (pm < 0) goto out;

    if (user->add_nonroot && add_nonroot_user(dst_root, err) < 0) goto out;
    if (user->chown_written) chown_written_paths(NULL, c, dst_root, user->chown_uid, user->chown_gid);
    rc = 0;
out:
    ds_strmap_free(&written, NULL);
    for (size_t k = 0; k < n_links; k++) free(links[k].dst);
    free(links);
    return rc;
}

/* ds_closure_clone_tree's walk: directory fds, names relative to them (one path component
 * per syscall), the image path only to look up what the app wrote. */
typedef struct {
    const char *from, *dst;
    ds_strmap written;
    hl *copies; /* written files with more than one link: their first copy */
    size_t n_copies;
    /* Inodes of from_root that what the app wrote shares with other paths (a hard link of the
     * source kept under two names): those paths are copied with it, one inode again. */
    hl *shared;
    size_t n_shared;
    char rel[4096];
    ds_err *err;
} clone_ctx;

static bool shares_written(const clone_ctx *x, int sfd, const char *name) {
    struct stat st;
    if (!x->n_shared || fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_nlink < 2) return false;
    for (size_t k = 0; k < x->n_shared; k++)
        if (x->shared[k].dev == st.st_dev && x->shared[k].ino == st.st_ino) return true;
    return false;
}

/* A copy of what the app wrote (the retarget chowns it: not from's inode), by path. */
static int clone_written(clone_ctx *x, const char *rel) {
    char *s = ds_xasprintf("%s%s", x->from, rel), *d = ds_xasprintf("%s%s", x->dst, rel);
    struct stat st;
    int r = lstat(s, &st) < 0 ? ds_fail_errno(x->err, "lstat %s", s) : 0;
    const char *first = NULL;
    for (size_t k = 0; r == 0 && st.st_nlink > 1 && k < x->n_copies && !first; k++)
        if (x->copies[k].dev == st.st_dev && x->copies[k].ino == st.st_ino) first = x->copies[k].dst;
    if (r == 0 && first) {
        if (link(first, d) < 0) r = ds_fail_errno(x->err, "link %s", d);
    } else if (r == 0) {
        if (S_ISREG(st.st_mode)) r = copy_data(s, d, st.st_mode, x->err);
        else if (S_ISLNK(st.st_mode)) r = copy_symlink(s, d, x->err);
        else if (mkfifo(d, st.st_mode & 07777) < 0) r = ds_fail_errno(x->err, "mkfifo %s", d);
        if (r == 0) r = copy_meta(s, d, &st, x->err);
        if (r == 0 && st.st_nlink > 1) {
            x->copies = ds_xrealloc(x->copies, (x->n_copies + 1) * sizeof *x->copies);
            x->copies[x->n_copies++] = (hl){st.st_dev, st.st_ino, ds_xstrdup(d), false};
        }
    }
    free(s); free(d);
    return r;
}

/* The entries of directory sfd into dfd (x->rel: its image path, "" for the root). */
static int clone_dir(clone_ctx *x, int sfd, int dfd) {
    int lfd = dup(sfd);
    DIR *d = lfd < 0 ? NULL : fdopendir(lfd);
    if (!d) {
        if (lfd >= 0) close(lfd);
        return ds_fail_errno(x->err, "opendir %s%s", x->from, x->rel);
    }
    size_t base = strlen(x->rel);
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d))) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..")) continue;
        if (base + 1 + strlen(n) >= sizeof x->rel) { r = ds_fail(x->err, "%s/%s: path too long", x->rel, n); break; }
        x->rel[base] = '/';
        strcpy(x->rel + base + 1, n);
        unsigned char type = de->d_type;
        struct stat st;
        if (type == DT_UNKNOWN) {
            if (fstatat(sfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) { r = ds_fail_errno(x->err, "lstat %s", x->rel); break; }
            type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
        }
        if (type == DT_DIR) {
            int cs = openat(sfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), cd = -1;
            if (cs < 0 || fstat(cs, &st) < 0) r = ds_fail_errno(x->err, "open %s%s", x->from, x->rel);
            else if (mkdirat(dfd, n, st.st_mode & 07777) < 0) r = ds_fail_errno(x->err, "mkdir %s%s", x->dst, x->rel);
            else if ((cd = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                r = ds_fail_errno(x->err, "open %s%s", x->dst, x->rel);
            if (r == 0) { /* owner, mode and xattrs as the main loop's copy_meta gives them */
                char *s = ds_xasprintf("%s%s", x->from, x->rel), *dd = ds_xasprintf("%s%s", x->dst, x->rel);
                r = copy_meta(s, dd, &st, x->err);
                free(s); free(dd);
            }
            if (r == 0) r = clone_dir(x, cs, cd);
            if (cs >= 0) close(cs);
            if (cd >= 0) close(cd);
        } else if (ds_strmap_has(&x->written, x->rel) || shares_written(x, sfd, n)) {
            r = clone_written(x, x->rel);
        } else if (linkat(sfd, n, dfd, n, 0) < 0) { /* the same inode: nothing changes it */
            r = ds_fail_errno(x->err, "link %s%s", x->dst, x->rel);
        }
    }
    x->rel[base] = 0;
    closedir(d);
    return r;
}

int ds_closure_clone_tree(const ds_closure *c, const char *from_root, const char *dst_root, ds_err *err) {
    int sfd = open(from_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd = -1;
    struct stat st;
    if (sfd < 0 || fstat(sfd, &st) < 0) {
        if (sfd >= 0) close(sfd);
        return ds_fail_errno(err, "%s", from_root);
    }
    int mr = mkdir(dst_root, 0700) < 0 ? ds_fail_errno(err, "mkdir %s", dst_root) : 0; /* a new one: nothing to write through */
    if (mr == 0 && (dfd = open(dst_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) mr = ds_fail_errno(err, "%s", dst_root);
    if (mr < 0) {
        close(sfd);
        return -1;
    }
    clone_ctx x = {.from = from_root, .dst = dst_root, .err = err};
    ds_strmap_init(&x.written);
    for (size_t i = 0; i < c->n_written; i++) {
        ds_strmap_put(&x.written, c->written[i], NULL);
        char *h = ds_xasprintf("%s%s", from_root, c->written[i]);
        struct stat ws;
        if (lstat(h, &ws) == 0 && !S_ISDIR(ws.st_mode) && ws.st_nlink > 1) {
            x.shared = ds_xrealloc(x.shared, (x.n_shared + 1) * sizeof *x.shared);
            x.shared[x.n_shared++] = (hl){ws.st_dev, ws.st_ino, NULL, false};
        }
        free(h);
    }
    int r = copy_meta(from_root, dst_root, &st, err);
    if (r == 0) r = clone_dir(&x, sfd, dfd);
    close(sfd);
    close(dfd);
    for (size_t k = 0; k < x.n_copies; k++) free(x.copies[k].dst);
    free(x.copies);
    free(x.shared);
    ds_strmap_free(&x.written, NULL);
    return r;
}
