/* One walk of the image root into a sorted index: every later question (shells,
 * setuid, globs of a policy, sizes, binaries to inspect) is answered from it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "scan/scan.h"

/* Kernel pseudo filesystems mounted in a live container's root. */
static bool pseudo_fs(int fd) {
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0) return false;
    switch ((unsigned long)sf.f_type) {
    case 0x9fa0:     /* proc */
    case 0x62656572: /* sysfs */
    case 0x1cd1:     /* devpts */
    case 0x27e0eb:   /* cgroup */
    case 0x63677270: /* cgroup2 */
    case 0x73636673: /* securityfs */
    case 0x64626720: /* debugfs */
    case 0x74726163: /* tracefs */
    case 0xcafe4a11: /* bpf */
    case 0x19800202: /* mqueue */
        return true;
    default:
        return false;
    }
}

/* Whether this process may read the file or directory NAME in dfd. The permission bits
 * answer most cases at no cost (owner, then group, then other, as the kernel checks);
 * where they say no, capabilities (root's CAP_DAC_OVERRIDE) may still allow it, so an
 * open decides. ACLs and LSMs that deny what the bits allow are not seen. */
typedef struct { uid_t uid; gid_t gid; gid_t groups[256]; int n_groups; } creds;

static bool in_groups(const creds *c, gid_t g) {
    if (g == c->gid) return true;
    for (int i = 0; i < c->n_groups; i++)
        if (c->groups[i] == g) return true;
    return false;
}

static bool may_read(const creds *c, int dfd, const char *name, const struct stat *st) {
    mode_t need = S_ISDIR(st->st_mode) ? 05 : 04; /* a directory must be listed and entered */
    mode_t bits = st->st_uid == c->uid ? (st->st_mode >> 6) & 07
                  : in_groups(c, st->st_gid) ? (st->st_mode >> 3) & 07 : st->st_mode & 07;
    if ((bits & need) == need) return true;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno != EACCES && errno != EPERM;
    close(fd);
    return true;
}

static void note_unreadable(ds_tree *t, const char *path, bool dir) {
    ds_strlist_addf(&t->unreadable, "%s%s", path, dir ? "/" : "");
}

static creds my_creds;

static ds_fentry *tree_add(ds_tree *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->e = ds_xrealloc(t->e, t->cap * sizeof *t->e);
    }
    ds_fentry *e = &t->e[t->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* dirfd-relative walk: a directory is opened with O_NOFOLLOW|O_DIRECTORY, so a
 * symlink can never lead the walk out of the root. */
static int walk_dir(ds_tree *t, int dfd, const char *img_path, int depth, ds_err *err) {
    /* Deeper than any real image: list the directory, do not descend (a hostile tree must not stop the scan). */
    if (depth > 256) { close(dfd); return 0; }
    DIR *d = fdopendir(dfd);
    if (!d) { close(dfd); return ds_fail_errno(err, "opendir %s", img_path); }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        struct stat st;
        char *p = ds_xasprintf("%s/%s", strcmp(img_path, "/") == 0 ? "" : img_path, de->d_name);
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == EACCES || errno == EPERM) note_unreadable(t, p, false);
            free(p);
            continue;
        }
        if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && !may_read(&my_creds, dirfd(d), de->d_name, &st))
            note_unreadable(t, p, S_ISDIR(st.st_mode));
        ds_fentry *e = tree_add(t);
        e->path = p;
        e->mode = st.st_mode;
        e->uid = st.st_uid;
        e->gid = st.st_gid;
        e->size = st.st_size;
        e->ino = st.st_ino;
        e->nlink = st.st_nlink;
        if (S_ISLNK(st.st_mode)) {
            char buf[PATH_MAX];
            ssize_t n = readlinkat(dirfd(d), de->d_name, buf, sizeof buf - 1);
            if (n >= 0) { buf[n] = 0; e->link = ds_xstrdup(buf); }
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            /* Not readable (noted above): its entries are missing from the index. */
            if (sub >= 0 && pseudo_fs(sub)) {
                /* /proc, /sys, ... of a running container (rootfs:/proc/PID/root): not image content. */
                close(sub);
                sub = -1;
            }
            if (sub >= 0) {
                char *pp = ds_xstrdup(p); /* e may move when the array grows */
                rc = walk_dir(t, sub, pp, depth + 1, err);
                free(pp);
                if (rc < 0) break;
            }
        }
    }
    closedir(d);
    return rc;
}

static int ent_cmp(const void *a, const void *b) {
    return strcmp(((const ds_fentry *)a)->path, ((const ds_fentry *)b)->path);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ino_cmp(const void *a, const void *b) {
    ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;
    return x < y ? -1 : x > y;
}

int ds_tree_load(const char *root, ds_tree *t, ds_err *err) {
    memset(t, 0, sizeof *t);
    t->root = ds_xstrdup(root);
    my_creds.uid = geteuid();
    my_creds.gid = getegid();
    my_creds.n_groups = getgroups(256, my_creds.groups);
    if (my_creds.n_groups < 0) my_creds.n_groups = 0;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "rootfs %s", root);
    if (walk_dir(t, fd, "/", 0, err) < 0) return -1;
    if (t->n) qsort(t->e, t->n, sizeof *t->e, ent_cmp);
    if (t->unreadable.n) qsort(t->unreadable.v, t->unreadable.n, sizeof *t->unreadable.v, str_cmp);
    /* Hard links count once in the total: sort (inode, size) pairs, add each inode once. */
    struct hl { ino_t ino; off_t size; } *hl = NULL;
    size_t nh = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *e = &t->e[i];
        if (!S_ISREG(e->mode)) continue;
        if (e->nlink > 1) {
            hl = ds_xrealloc(hl, (nh + 1) * sizeof *hl);
            hl[nh].ino = e->ino;
            hl[nh++].size = e->size;
            continue;
        }
        t->total_size += (uint64_t)e->size;
    }
    if (nh) qsort(hl, nh, sizeof *hl, ino_cmp);
    for (size_t i = 0; i < nh; i++)
        if (i == 0 || hl[i].ino != hl[i - 1].ino) t->total_size += (uint64_t)hl[i].size;
    free(hl);
    return 0;
}

void ds_tree_free(ds_tree *t) {
    for (size_t i = 0; i < t->n; i++) { free(t->e[i].path); free(t->e[i].link); }
    free(t->e);
    free(t->root);
    ds_strlist_free(&t->unreadable);
    memset(t, 0, sizeof *t);
}

size_t ds_tree_lower_bound(const ds_tree *t, const char *path) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(t->e[mid].path, path) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
}

const ds_fentry *ds_tree_find(const ds_tree *t, const char *path) {
    size_t i = ds_tree_lower_bound(t, path);
    return i < t->n && !strcmp(t->e[i].path, path) ? &t->e[i] : NULL;
}
