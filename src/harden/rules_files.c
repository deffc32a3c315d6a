/* File rules: removals (by name, caches, busybox hard links, links to removed files),
 * setuid/setgid bits, file capabilities, world-writable files and directories. */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/xattr.h>
#include "fs/filecap.h"
#include "harden/harden_int.h"

/* Caches whose content goes (the directory itself stays), and caches that go whole. */
static const char *const cache_parents[] = {"var/lib/apt/lists", "var/cache/apt", "var/cache/apk", NULL};
static const char *const cache_dirs[] = {"root/.cache/pip", "home/*/.cache/pip", NULL};

static bool is_cache(const char *rel) {
    const char *slash = strrchr(rel, '/');
    if (slash)
        for (const char *const *p = cache_parents; *p; p++)
            if (strlen(*p) == (size_t)(slash - rel) && !strncmp(rel, *p, (size_t)(slash - rel))) return true;
    for (const char *const *p = cache_dirs; *p; p++)
        if (!fnmatch(*p, rel, FNM_PATHNAME)) return true;
    return false;
}

typedef struct { dev_t dev; ino_t ino; const char *rule; } inode_rule;

static int cmp_inode(const void *a, const void *b) {
    const inode_rule *x = a, *y = b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    return 0;
}

static const char *busybox_or_dangling(const char *target_rel) {
    const char *b = strrchr(target_rel, '/');
    b = b ? b + 1 : target_rel;
    return !strncmp(b, "busybox", 7) ? DS_HR_BUSYBOX : DS_HR_DANGLING;
}

/* Exactly cap_net_bind_service on a program the entry point runs: what distill build gives a
 * server that binds a port below 1024 as nonroot; kept, since removing it breaks the server. */
static bool entry_bind_cap(const hr_ctx *c, const char *rel, const unsigned char *v, ssize_t n) {
    uint64_t perm, inh;
    bool eff;
    ds_err e;
    if (n <= 0 || (size_t)n > 24 || ds_filecap_decode(v, (size_t)n, &perm, &inh, &eff, &e) < 0) return false;
    return perm == 1ull << DS_CAP_NET_BIND_SERVICE && inh == 0 && hr_entry_uses(c, rel);
}

int hr_plan_files(hr_ctx *c, ds_err *err) {
    (void)err;
    /* 1. caches and programs removed by name */
    inode_rule *inodes = NULL;
    size_t n_inodes = 0;
    for (size_t i = 0; i < c->n_ents; i++) {
        const hr_entry *e = &c->ents[i];
        const char *rule = NULL;
        if (is_cache(e->rel)) rule = DS_HR_PKG_CACHE;
        else if (S_ISREG(e->st.st_mode) || S_ISLNK(e->st.st_mode)) {
            char *abs = ds_xasprintf("/%s", e->rel);
            rule = ds_harden_path_rule(abs, c->o->profile);
            free(abs);
        }
        if (!rule || hr_blocks_removal(c, e->rel)) continue;
        if (!strcmp(rule, DS_HR_INTERPRETER) && (c->o->keep_interpreters || hr_entry_uses(c, e->rel))) continue;
        char *detail = S_ISDIR(e->st.st_mode) ? ds_xstrdup("directory and everything below it")
                       : S_ISLNK(e->st.st_mode) ? ds_xstrdup("symlink") : ds_xstrdup("file");
        hr_plan_add(c, rule, e->rel, DS_HA_REMOVE, detail);
        if (S_ISREG(e->st.st_mode) && e->st.st_nlink > 1) {
            inodes = ds_xrealloc(inodes, (n_inodes + 1) * sizeof *inodes);
            inodes[n_inodes++] = (inode_rule){e->st.st_dev, e->st.st_ino, rule};
        }
        /* Skip what lies below a removed directory. */
        if (S_ISDIR(e->st.st_mode)) {
            size_t n = strlen(e->rel);
            while (i + 1 < c->n_ents && !strncmp(c->ents[i + 1].rel, e->rel, n) && c->ents[i + 1].rel[n] == '/') i++;
        }
    }
    hr_index_removed(c);

    /* 2. other hard links of a removed file (busybox applets are often hard links) */
    if (n_inodes) {
        qsort(inodes, n_inodes, sizeof *inodes, cmp_inode);
        for (size_t i = 0; i < c->n_ents; i++) {
            const hr_entry *e = &c->ents[i];
            if (!S_ISREG(e->st.st_mode) || e->st.st_nlink < 2 || hr_planned_remove(c, e->rel)) continue;
            inode_rule key = {e->st.st_dev, e->st.st_ino, NULL};
            inode_rule *hit = bsearch(&key, inodes, n_inodes, sizeof *inodes, cmp_inode);
            if (!hit || hr_blocks_removal(c, e->rel)) continue;
            hr_plan_add(c, !strcmp(hit->rule, DS_HR_BUSYBOX) ? DS_HR_BUSYBOX : DS_HR_DANGLING, e->rel, DS_HA_REMOVE,
                        ds_xstrdup("hard link to a removed file"));
        }
        hr_index_removed(c);
    }
    free(inodes);

    /* 3. symlinks that resolve (inside the root) to something removed */
    size_t before = c->n_items;
    for (size_t i = 0; i < c->n_ents; i++) {
        const hr_entry *e = &c->ents[i];
        if (!S_ISLNK(e->st.st_mode) || hr_planned_remove(c, e->rel)) continue;
        char *target = hr_resolve(c, e->rel, true);
        if (target && *target && hr_planned_remove(c, target) && !hr_blocks_removal(c, e->rel))
            hr_plan_add(c, busybox_or_dangling(target), e->rel, DS_HA_REMOVE, ds_xasprintf("symlink to /%s", target));
        free(target);
    }
    if (c->n_items != before) hr_index_removed(c);

    /* 4. modes and capabilities of what stays */
    for (size_t i = 0; i < c->n_ents; i++) {
        const hr_entry *e = &c->ents[i];
        mode_t m = e->st.st_mode;
        if (!(S_ISREG(m) || S_ISDIR(m)) || hr_planned_remove(c, e->rel) || hr_allowed(c, e->rel)) continue;
        mode_t perm = m & 07777;
        if (S_ISREG(m) && (m & (S_ISUID | S_ISGID))) {
            hr_item *it = hr_plan_add(c, DS_HR_SETUID, e->rel, DS_HA_CHMOD,
                                      ds_xasprintf("mode %04o -> %04o", perm, perm & ~(S_ISUID | S_ISGID)));
            it->mode = S_ISUID | S_ISGID;
            perm &= ~(S_ISUID | S_ISGID);
        }
        if (S_ISREG(m)) {
            char *full = hr_full(c, e->rel);
            unsigned char v[32];
            ssize_t n = lgetxattr(full, DS_FILECAP_XATTR, v, sizeof v);
            if (n < 0 && errno == ERANGE) n = (ssize_t)sizeof v + 1;
            free(full);
            if (n >= 0 && !entry_bind_cap(c, e->rel, v, n))
                hr_plan_add(c, DS_HR_CAPABILITY, e->rel, DS_HA_XATTR, ds_xstrdup(DS_FILECAP_XATTR));
        }
        if ((m & S_IWOTH) && (S_ISREG(m) || !(m & S_ISVTX))) {
            hr_item *it = hr_plan_add(c, DS_HR_WORLD_WRITABLE, e->rel, DS_HA_CHMOD,
                                      ds_xasprintf("mode %04o -> %04o", perm, perm & ~S_IWOTH));
            it->mode = S_IWOTH;
        }
    }
    return 0;
}
