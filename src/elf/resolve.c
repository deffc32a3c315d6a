/* The loader's search, statically. See resolve.h for the rules followed. */
#include "elf/resolve.h"
#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/arch.h"
#include "elf/elf_parse.h"
#include "elf/ldcache.h"
#include "elf/ldconf.h"
#include "fs/root_path.h"
#include "util/strmap.h"

#ifndef DF_1_NODEFLIB
#define DF_1_NODEFLIB 0x800
#endif

typedef struct cached_elf {
    int status;       /* 0 parsed, 1 not ELF, -1 unreadable or malformed */
    ds_elf_info info;
    char *error;
} cached_elf;

struct ds_elf_ctx {
    ds_root root;
    char *llp;
    ds_strmap elfs;        /* real path -> cached_elf* */
    int cache_state;       /* 0 not read yet, 1 read, -1 absent or unreadable */
    ds_ldcache cache;
    ds_strmap cache_index; /* key -> first entry index + 1 */
    int conf_state;
    ds_dirlist conf;
    ds_strmap musl_paths;  /* arch -> ds_dirlist* */
};

static void cached_elf_free(void *p) {
    cached_elf *c = p;
    if (!c) return;
    ds_elf_info_free(&c->info);
    free(c->error);
    free(c);
}
static void dirlist_free_p(void *p) { ds_dirlist_free(p); free(p); }

int ds_elf_ctx_new(const char *root, const char *ld_library_path, ds_elf_ctx **out, ds_err *err) {
    ds_elf_ctx *c = ds_xcalloc(1, sizeof *c);
    if (ds_root_open(&c->root, root, err) < 0) { free(c); return -1; }
    c->llp = ld_library_path && *ld_library_path ? ds_xstrdup(ld_library_path) : NULL;
    *out = c;
    return 0;
}

void ds_elf_ctx_free(ds_elf_ctx *c) {
    if (!c) return;
    ds_root_close(&c->root);
    free(c->llp);
    ds_strmap_free(&c->elfs, cached_elf_free);
    ds_ldcache_free(&c->cache);
    ds_strmap_free(&c->cache_index, NULL);
    ds_dirlist_free(&c->conf);
    ds_strmap_free(&c->musl_paths, dirlist_free_p);
    free(c);
}

/* Parse (once) the file at canonical in-image path `real`. */
static cached_elf *get_elf(ds_elf_ctx *c, const char *real) {
    int found;
    cached_elf *ce = ds_strmap_find(&c->elfs, real, &found);
    if (found) return ce;
    ce = ds_xcalloc(1, sizeof *ce);
    ds_err e = {0};
    int fd = ds_root_open_file(&c->root, real, &e);
    struct stat st;
    if (fd < 0) { ce->status = -1; ce->error = ds_xstrdup(e.msg); }
    else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { ce->status = -1; ce->error = ds_xasprintf("%s: not a regular file", real); }
    else {
        ds_elf_src src = {.fd = fd, .size = (uint64_t)st.st_size};
        if (!ds_elf_is_elf(&src)) { ce->status = 1; ce->error = ds_xasprintf("%s: not an ELF file", real); }
        else if (ds_elf_parse(&src, real, &ce->info, &e) < 0) { ce->status = -1; ce->error = ds_xstrdup(e.msg); }
    }
    if (fd >= 0) close(fd);
    ds_strmap_put(&c->elfs, real, ce);
    return ce;
}

int ds_elf_ctx_is_elf(ds_elf_ctx *c, const char *file) {
    const ds_rpath_res *x = ds_root_lookup(&c->root, file);
    if (!x->exists || !S_ISREG(x->mode)) return 0;
    ds_err e;
    int fd = ds_root_open_file(&c->root, x->real, &e);
    if (fd < 0) return 0;
    struct stat st;
    int r = 0;
    if (fstat(fd, &st) == 0) {
        ds_elf_src src = {.fd = fd, .size = (uint64_t)st.st_size};
        r = ds_elf_is_elf(&src);
    }
    close(fd);
    return r;
}

static const ds_ldcache *get_cache(ds_elf_ctx *c) {
    if (c->cache_state == 0) {
        char *data = NULL;
        size_t len = 0;
        ds_err e;
        c->cache_state = -1;
        if (ds_root_read_file(&c->root, "/etc/ld.so.cache", 64u << 20, &data, &len, &e) == 1 &&
            ds_ldcache_parse(data, len, "/etc/ld.so.cache", &c->cache, &e) == 0) {
            c->cache_state = 1;
            for (size_t i = c->cache.n; i-- > 0;) /* first entry of each key wins */
                ds_strmap_put(&c->cache_index, c->cache.e[i].key, (void *)(uintptr_t)(i + 1));
        }
        free(data);
    }
    return c->cache_state == 1 ? &c->cache : NULL;
}

static const ds_dirlist *get_conf(ds_elf_ctx *c) {
    if (!c->conf_state) { ds_ldconf_read(&c->root, &c->conf); c->conf_state = 1; }
    return &c->conf;
}

static const ds_dirlist *get_musl_path(ds_elf_ctx *c, const char *arch) {
    int found;
    ds_dirlist *l = ds_strmap_find(&c->musl_paths, arch, &found);
    if (found) return l;
    l = ds_xcalloc(1, sizeof *l);
    ds_musl_path_read(&c->root, arch, l);
    ds_strmap_put(&c->musl_paths, arch, l);
    return l;
}

/* ------------------------------------------------------------------------ */

typedef struct st {
    ds_elf_ctx *c;
    ds_elf_result *r;
    const ds_elf_info *ref;   /* the file's header: candidates must match it */
    ds_elf_arch arch;
    bool musl;
    const char *musl_arch;
    const ds_elf_info **infos;
    bool *processed, *listed;
    size_t cap;
    ds_strmap names;          /* name -> index + 1 */
    ds_strmap reals;          /* real path -> index + 1 */
    char *lib_dst;            /* $LIB */
    ds_dirlist llp;           /* LD_LIBRARY_PATH, expanded */
    ds_dirlist defaults;
    /* the search in progress */
    ds_elf_search *srch;
    size_t n_srch;
    char **alts;
    size_t n_alts;
} st;

static void map_put_idx(ds_strmap *m, const char *k, int idx) {
    int f;
    ds_strmap_find(m, k, &f);
    if (!f) ds_strmap_put(m, k, (void *)(uintptr_t)(idx + 1));
}
static int map_get_idx(ds_strmap *m, const char *k) {
    int f;
    void *v = ds_strmap_find(m, k, &f);
    return f ? (int)(uintptr_t)v - 1 : -1;
}

static int add_obj(st *s, const char *name, int parent, const char *how) {
    ds_elf_result *r = s->r;
    if (r->n_objs == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        r->objs = ds_xrealloc(r->objs, s->cap * sizeof *r->objs);
        s->infos = ds_xrealloc(s->infos, s->cap * sizeof *s->infos);
        s->processed = ds_xrealloc(s->processed, s->cap * sizeof *s->processed);
        s->listed = ds_xrealloc(s->listed, s->cap * sizeof *s->listed);
    }
    int i = (int)r->n_objs++;
    memset(&r->objs[i], 0, sizeof r->objs[i]);
    r->objs[i].name = ds_xstrdup(name);
    r->objs[i].parent = parent;
    r->objs[i].how = how;
    s->infos[i] = NULL;
    s->processed[i] = false;
    s->listed[i] = false;
    return i;
}

static void list_obj(st *s, int i) {
    if (s->listed[i]) return;
    s->listed[i] = true;
    s->r->order = ds_xrealloc(s->r->order, (s->r->n_order + 1) * sizeof *s->r->order);
    s->r->order[s->r->n_order++] = i;
}

static char *dirname_of(const char *p) {
    const char *sl = strrchr(p, '/');
    if (!sl || sl == p) return ds_xstrdup("/");
    return ds_xstrndup(p, (size_t)(sl - p));
}

/* $ORIGIN of object i: the directory it was loaded from, as a path string, not resolved
 * (glibc and musl). For an executable the kernel gives the loader its real location
 * (/proc/self/exe); a library given as the file is opened by the path given (dlopen, ldd). */
static char *origin_of(st *s, int i) {
    const ds_elf_obj *o = &s->r->objs[i];
    return dirname_of(i == 0 && s->infos[0] && s->infos[0]->interp ? o->real : o->path);
}

static int dst_token(const char *p, const char *tok, size_t *len) {
    size_t n = strlen(tok);
    if (p[0] == '{') {
        if (!strncmp(p + 1, tok, n) && p[n + 1] == '}') { *len = n + 2; return 1; }
        return 0;
    }
    if (strncmp(p, tok, n)) return 0;
    char c = p[n];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') return 0;
    *len = n;
    return 1;
}

/* Expand $ORIGIN, $LIB, $PLATFORM (musl: only $ORIGIN) for object i. */
static char *expand(st *s, int i, const char *in) {
    if (!strchr(in, '$')) return ds_xstrdup(in);
    size_t cap = strlen(in) + 1, n = 0;
    char *out = ds_xmalloc(cap);
    char *origin = NULL;
    for (const char *p = in; *p;) {
        const char *rep = NULL;
        size_t tl = 0;
        if (*p == '$') {
            if (dst_token(p + 1, "ORIGIN", &tl)) { if (!origin) origin = origin_of(s, i); rep = origin; }
            else if (!s->musl && dst_token(p + 1, "LIB", &tl)) rep = s->lib_dst;
            else if (!s->musl && dst_token(p + 1, "PLATFORM", &tl)) rep = s->arch.platform ? s->arch.platform : "";
        }
        size_t add = rep ? strlen(rep) : 1;
        if (n + add + 1 > cap) { cap = (n + add + 1) * 2; out = ds_xrealloc(out, cap); }
        if (rep) { memcpy(out + n, rep, add); n += add; p += 1 + tl; }
        else out[n++] = *p++;
    }
    out[n] = 0;
    free(origin);
    return out;
}

static void split_dirs(st *s, int i, const char *list, const char *seps, ds_dirlist *out) {
    char *copy = ds_xstrdup(list);
    char *p = copy;
    for (;;) {
        size_t k = strcspn(p, seps);
        char save = p[k];
        p[k] = 0;
        /* An empty element is the current directory; in an image that is "/". */
        char *x = i >= 0 ? expand(s, i, *p ? p : ".") : ds_xstrdup(*p ? p : ".");
        char *cl = ds_path_clean(x);
        ds_dirlist_add(out, cl);
        free(cl); free(x);
        if (!save) break;
        p += k + 1;
    }
    free(copy);
}

static void note_search(st *s, const char *dir, const char *reason) {
    s->srch = ds_xrealloc(s->srch, (s->n_srch + 1) * sizeof *s->srch);
    s->srch[s->n_srch].dir = ds_xstrdup(dir);
    s->srch[s->n_srch].reason = reason;
    s->n_srch++;
}

/* Would the loader take the file at in-image `path`? 1 yes (*real set), 0 skip it
 * and keep searching, -1 stop: it exists but cannot be loaded (*why set). */
static int candidate(st *s, const char *path, const char **real, char **why) {
    const ds_rpath_res *x = ds_root_lookup(&s->c->root, path);
    if (!x->exists || !S_ISREG(x->mode)) return 0;
    cached_elf *ce = get_elf(s->c, x->real);
    if (ce->status != 0) {
        *why = ds_xasprintf("%s: %s", path, ce->status == 1 ? "invalid ELF header" : ce->error);
        return -1;
    }
    if (!ds_elf_compatible(s->ref, &ce->info)) {
        if (!s->musl) return 0; /* glibc skips other classes/machines; musl fails on them */
        *why = ds_xasprintf("%s: wrong ELF class or machine (%s)", path, ds_elf_machine_name(ce->info.machine));
        return -1;
    }
    *real = x->real;
    return 1;
}

static void add_alt(st *s, const char *p) {
    s->alts = ds_xrealloc(s->alts, (s->n_alts + 1) * sizeof *s->alts);
    s->alts[s->n_alts++] = ds_xstrdup(p);
}

/* Look for `name` in `dir` and its glibc-hwcaps subdirectories. */
static int try_dir(st *s, const char *dir, const char *name, const char *reason,
                   char **path, const char **real, char **why) {
    note_search(s, dir, reason);
    const char *sep = strcmp(dir, "/") ? "/" : "";
    size_t first_alt = s->n_alts;
    if (!s->musl) {
        for (const char *const *h = s->arch.hwcaps; *h; h++) {
            char *p = ds_xasprintf("%s%sglibc-hwcaps/%s/%s", dir, sep, *h, name);
            const char *rr;
            char *w = NULL;
            if (candidate(s, p, &rr, &w) == 1) add_alt(s, p);
            free(w); free(p);
        }
    }
    char *p = ds_xasprintf("%s%s%s", dir, sep, name);
    int rc = candidate(s, p, real, why);
    if (rc == 1) { *path = p; return 1; }
    free(p);
    if (rc < 0) return -1;
    if (s->n_alts > first_alt) {
        /* Only a glibc-hwcaps build here: a capable CPU loads the best one. */
        *path = s->alts[first_alt];
        memmove(s->alts + first_alt, s->alts + first_alt + 1, (s->n_alts - first_alt - 1) * sizeof *s->alts);
        s->n_alts--;
        return candidate(s, *path, real, why);
    }
    return 0;
}

static int try_dirs(st *s, const ds_dirlist *l, const char *name, const char *reason,
                    char **path, const char **real, char **why) {
    for (size_t k = 0; k < l->n; k++) {
        int rc = try_dir(s, l->v[k], name, reason, path, real, why);
        if (rc) return rc;
    }
    return 0;
}

static bool cache_flags_ok(const st *s, int32_t f) {
    if (s->arch.cache_flags < 0) return (f & 0xff) == 0x03 || f == 1;
    return f == s->arch.cache_flags || f == s->arch.cache_flags_alt;
}

static int try_cache(st *s, const char *name, char **path, const char **real, char **why) {
    const ds_ldcache *lc = get_cache(s->c);
    if (!lc) {
        /* No cache in the image: what ldconfig would have cached from ld.so.conf. */
        const ds_dirlist *conf = get_conf(s->c);
        for (size_t k = 0; k < conf->n; k++) {
            int rc = try_dir(s, conf->v[k], name, "ld.so.conf", path, real, why);
            if (rc) return rc;
        }
        return 0;
    }
    note_search(s, "/etc/ld.so.cache", "ld.so.cache");
    int f;
    void *v = ds_strmap_find(&s->c->cache_index, name, &f);
    if (!f) return 0;
    const char *base = NULL;
    for (size_t i = (size_t)(uintptr_t)v - 1; i < lc->n && !strcmp(lc->e[i].key, name); i++) {
        const ds_ldcache_entry *e = &lc->e[i];
        if (!cache_flags_ok(s, e->flags)) continue;
        if (e->hwcaps) {
            const char *rr;
            char *w = NULL;
            if (candidate(s, e->value, &rr, &w) == 1) add_alt(s, e->value);
            free(w);
            continue;
        }
        if (e->hwcap) continue; /* legacy hwcap subdirectory entries */
        if (!base) base = e->value;
    }
    if (!base && s->n_alts) base = s->alts[0];
    if (!base) return 0;
    /* The loader opens the cached path; a file gone or of another class falls through. */
    int rc = candidate(s, base, real, why);
    if (rc == 1) *path = ds_xstrdup(base);
    return rc;
}

/* Is `name` one of the names musl's loader answers itself (libc, libpthread...)? */
static bool musl_reserved(const char *name) {
    static const char *const res[] = {"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet.", NULL};
    if (strncmp(name, "lib", 3)) return false;
    for (const char *const *r = res; *r; r++) if (!strncmp(name + 3, *r, strlen(*r))) return true;
    return false;
}

/* Search for `name` needed by object `req`. Returns the object index it resolves to
 * (new or already loaded). */
static int search(st *s, int req, const char *name) {
    ds_elf_result *r = s->r;
    char *path = NULL, *why = NULL;
    const char *real = NULL, *how = NULL;
    int rc = 0;
    s->n_srch = 0; s->srch = NULL; s->n_alts = 0; s->alts = NULL;
    const ds_elf_info *ri = s->infos[req];
    if (strchr(name, '/')) {
        how = "path";
        rc = candidate(s, name, &real, &why);
        if (rc == 1) path = ds_path_clean(name);
    } else if (s->musl) {
        if (s->llp.n) { how = "ld_library_path"; rc = try_dirs(s, &s->llp, name, how, &path, &real, &why); }
        for (int l = req; !rc && l >= 0; l = r->objs[l].parent) {
            const ds_elf_info *li = s->infos[l];
            const char *rp = li ? (li->runpath ? li->runpath : li->rpath) : NULL;
            if (!rp) continue;
            ds_dirlist d = {0};
            split_dirs(s, l, rp, ":", &d);
            how = li->runpath ? "runpath" : "rpath";
            rc = try_dirs(s, &d, name, how, &path, &real, &why);
            ds_dirlist_free(&d);
        }
        if (!rc) { how = "musl_path"; rc = try_dirs(s, get_musl_path(s->c, s->musl_arch), name, how, &path, &real, &why); }
    } else {
        if (!ri->runpath) {
            for (int l = req; !rc && l >= 0; l = r->objs[l].parent) {
                const ds_elf_info *li = s->infos[l];
                if (!li || !li->rpath || li->runpath) continue; /* RUNPATH cancels an object's RPATH */
                ds_dirlist d = {0};
                split_dirs(s, l, li->rpath, ":", &d);
                how = "rpath";
                rc = try_dirs(s, &d, name, how, &path, &real, &why);
                ds_dirlist_free(&d);
            }
        }
        if (!rc && s->llp.n) { how = "ld_library_path"; rc = try_dirs(s, &s->llp, name, how, &path, &real, &why); }
        if (!rc && ri->runpath) {
            ds_dirlist d = {0};
            split_dirs(s, req, ri->runpath, ":", &d);
            how = "runpath";
            rc = try_dirs(s, &d, name, how, &path, &real, &why);
            ds_dirlist_free(&d);
        }
        bool nodeflib = (ri->flags_1 & DF_1_NODEFLIB) != 0;
        if (!rc && !nodeflib) { how = get_cache(s->c) ? "ld.so.cache" : "ld.so.conf"; rc = try_cache(s, name, &path, &real, &why); }
        if (!rc && !nodeflib) { how = "default"; rc = try_dirs(s, &s->defaults, name, how, &path, &real, &why); }
    }
    int idx = -1;
    if (rc == 1) {
        idx = map_get_idx(&s->reals, real); /* the same file under another name */
        if (idx >= 0) {
            free(path);
            for (size_t k = 0; k < s->n_srch; k++) free(s->srch[k].dir);
            free(s->srch);
            ds_strv_free(s->alts, s->n_alts);
            map_put_idx(&s->names, name, idx);
            return idx;
        }
    }
    idx = add_obj(s, name, req, rc == 1 ? how : "not found");
    ds_elf_obj *o = &r->objs[idx];
    o->searched = s->srch; o->n_searched = s->n_srch;
    o->alternatives = s->alts; o->n_alternatives = s->n_alts;
    if (rc == 1) {
        o->path = path;
        o->real = ds_xstrdup(real);
        map_put_idx(&s->reals, real, idx);
        map_put_idx(&s->names, path, idx);
        cached_elf *ce = get_elf(s->c, real);
        s->infos[idx] = &ce->info;
        if (!s->musl && ce->info.soname) map_put_idx(&s->names, ce->info.soname, idx);
    } else {
        o->error = why ? why : ds_xstrdup("not found");
    }
    map_put_idx(&s->names, name, idx);
    return idx;
}

static void process(st *s, int i) {
    if (s->processed[i]) return;
    s->processed[i] = true;
    const ds_elf_info *in = s->infos[i];
    if (!in || !in->n_needed) return;
    ds_elf_obj *o = &s->r->objs[i];
    o->needed = ds_xcalloc(in->n_needed, sizeof *o->needed);
    o->needed_idx = ds_xcalloc(in->n_needed, sizeof *o->needed_idx);
    o->n_needed = in->n_needed;
    for (size_t k = 0; k < in->n_needed; k++) {
        /* glibc expands $ORIGIN... in DT_NEEDED too; musl only in RPATH/RUNPATH. */
        char *name = s->musl ? ds_xstrdup(in->needed[k]) : expand(s, i, in->needed[k]);
        int j = -1;
        if (s->musl && s->r->interp >= 0 && (musl_reserved(name) || !strcmp(name, s->r->objs[s->r->interp].name)))
            j = s->r->interp;
        if (j < 0) j = map_get_idx(&s->names, name);
        if (j < 0) j = search(s, i, name);
        o = &s->r->objs[i]; /* objs may have moved */
        o->needed[k] = name;
        o->needed_idx[k] = j;
        if (j != 0) list_obj(s, j);
    }
}

/* glibc loads the objects named in /etc/ld.so.preload (separated by spaces, tabs, newlines or
 * colons) after the program and before its DT_NEEDED, a name searched like the program's own
 * needs; one it cannot find is skipped ("cannot be preloaded: ignored"), so it is not listed
 * either (unless something also needs it). */
static void preload(st *s) {
    char *data = NULL;
    ds_err e;
    if (ds_root_read_file(&s->c->root, "/etc/ld.so.preload", 1u << 20, &data, NULL, &e) != 1) return;
    char *save = NULL;
    for (char *tok = strtok_r(data, " \t\n:", &save); tok; tok = strtok_r(NULL, " \t\n:", &save)) {
        int j = map_get_idx(&s->names, tok);
        if (j < 0) j = search(s, 0, tok);
        if (j != 0 && s->r->objs[j].path) list_obj(s, j);
    }
    free(data);
}

static void add_file(ds_elf_result *r, ds_strmap *seen, const char *p) {
    int f;
    ds_strmap_find(seen, p, &f);
    if (f) return;
    ds_strmap_put(seen, p, NULL);
    r->files = ds_xrealloc(r->files, (r->n_files + 1) * sizeof *r->files);
    r->files[r->n_files++] = ds_xstrdup(p);
}

static void add_with_links(st *s, ds_strmap *seen, const char *path) {
    const ds_rpath_res *x = ds_root_lookup(&s->c->root, path);
    for (size_t k = 0; k < x->n_links; k++) add_file(s->r, seen, x->links[k]);
    if (x->exists) add_file(s->r, seen, x->real);
}

static void set_defaults(st *s) {
    const char *t = s->arch.triplet;
    bool multiarch = false;
    if (t) {
        char *a = ds_xasprintf("/usr/lib/%s", t), *b = ds_xasprintf("/lib/%s", t);
        const ds_rpath_res *xa = ds_root_lookup(&s->c->root, a);
        bool ea = xa->exists && S_ISDIR(xa->mode);
        const ds_rpath_res *xb = ds_root_lookup(&s->c->root, b);
        multiarch = ea || (xb->exists && S_ISDIR(xb->mode));
        free(a); free(b);
    }
    if (multiarch) {
        /* Debian's glibc: $LIB is the multiarch directory, and these are the system dirs. */
        s->lib_dst = ds_xasprintf("lib/%s", t);
        char *d;
        d = ds_xasprintf("/lib/%s", t); ds_dirlist_add(&s->defaults, d); free(d);
        d = ds_xasprintf("/usr/lib/%s", t); ds_dirlist_add(&s->defaults, d); free(d);
        ds_dirlist_add(&s->defaults, "/lib");
        ds_dirlist_add(&s->defaults, "/usr/lib");
    } else {
        s->lib_dst = ds_xstrdup(s->arch.libdir);
        char *d;
        d = ds_xasprintf("/%s", s->arch.libdir); ds_dirlist_add(&s->defaults, d); free(d);
        d = ds_xasprintf("/usr/%s", s->arch.libdir); ds_dirlist_add(&s->defaults, d); free(d);
    }
}

static bool exists_reg(ds_elf_ctx *c, const char *p) {
    const ds_rpath_res *x = ds_root_lookup(&c->root, p);
    return x->exists && S_ISREG(x->mode);
}

int ds_elf_resolve(ds_elf_ctx *c, const char *file, ds_elf_result **out, ds_err *err) {
    *out = NULL;
    const ds_rpath_res *x = ds_root_lookup(&c->root, file);
    if (!x->exists && x->n_links)
        return ds_fail(err, "%s: no such file in %s (a symlink on the way is dangling or loops)", file, c->root.rp.dir);
    if (!x->exists) return ds_fail(err, "%s: no such file in %s", file, c->root.rp.dir);
    if (!S_ISREG(x->mode)) return ds_fail(err, "%s: not a regular file", file);
    char *real = ds_xstrdup(x->real);
    cached_elf *ce = get_elf(c, real);
    if (ce->status < 0) { ds_fail(err, "%s", ce->error); free(real); return -1; }
    ds_elf_result *r = ds_xcalloc(1, sizeof *r);
    r->file = ds_path_clean(file);
    r->interp = -1;
    r->flavor = "glibc";
    *out = r;
    if (ce->status == 1) { free(real); return 0; }
    r->is_elf = true;
    r->dynamic = ce->info.dynamic;
    r->cls = ce->info.cls;
    r->machine = ce->info.machine;

    st s = {.c = c, .r = r, .ref = &ce->info};
    ds_elf_arch_for(&ce->info, &s.arch);
    int m = add_obj(&s, r->file, -1, "file");
    r->objs[m].path = ds_xstrdup(r->file);
    r->objs[m].real = real;
    s.infos[m] = &ce->info;
    if (!ce->info.dynamic) goto done;

    /* The interpreter: PT_INTERP, or for a library the loader ldd would use. */
    const char *interp = ce->info.interp;
    bool implicit = false;
    if (!interp) {
        char *musl = s.arch.musl_arch ? ds_xasprintf("/lib/ld-musl-%s.so.1", s.arch.musl_arch) : NULL;
        if (s.arch.glibc_interp && exists_reg(c, s.arch.glibc_interp)) interp = s.arch.glibc_interp;
        else if (musl && exists_reg(c, musl)) interp = ds_xstrdup(musl); /* freed below */
        free(musl);
        implicit = interp != NULL;
        if (implicit && interp != s.arch.glibc_interp) {
            /* keep the string alive in the object; drop our copy */
            char *tmp = (char *)interp;
            interp = NULL;
            int k = add_obj(&s, tmp, 0, "interpreter");
            free(tmp);
            r->interp = k;
        }
    }
    if (interp || r->interp >= 0) {
        int k = r->interp >= 0 ? r->interp : add_obj(&s, interp, 0, "interpreter");
        r->interp = k;
        ds_elf_obj *io = &r->objs[k];
        const char *base = strrchr(io->name, '/');
        base = base ? base + 1 : io->name;
        if (!strncmp(base, "ld-musl-", 8)) {
            s.musl = true;
            const char *a = base + 8, *dot = strstr(a, ".so");
            s.musl_arch = ds_xstrndup(a, dot ? (size_t)(dot - a) : strlen(a));
        }
        const ds_rpath_res *ix = ds_root_lookup(&c->root, io->name);
        if (ix->exists && S_ISREG(ix->mode)) {
            io->path = ds_path_clean(io->name);
            io->real = ds_xstrdup(ix->real);
            cached_elf *ie = get_elf(c, ix->real);
            if (ie->status == 0) {
                s.infos[k] = &ie->info;
                if (ie->info.soname && !s.musl) map_put_idx(&s.names, ie->info.soname, k);
            }
            map_put_idx(&s.reals, ix->real, k);
            map_put_idx(&s.names, io->path, k);
        } else {
            io->error = ds_xasprintf("%s: interpreter not found", io->name);
            io->how = "not found";
        }
        map_put_idx(&s.names, io->name, k);
    }
    if (r->interp >= 0 && s.musl) r->flavor = "musl";
    set_defaults(&s);
    if (c->llp) split_dirs(&s, 0, c->llp, s.musl ? ":\n" : ":;", &s.llp);
    map_put_idx(&s.names, r->file, 0);
    if (ce->info.soname && !s.musl) map_put_idx(&s.names, ce->info.soname, 0);

    /* An object with no DT_NEEDED (static-pie, ld.so itself, a leaf library) is what ldd calls
     * "statically linked": the loader then preloads nothing either. */
    if (!s.musl && ce->info.n_needed) preload(&s);
    process(&s, 0);
    for (size_t q = 0; q < r->n_order; q++) process(&s, r->order[q]);
    /* An explicit interpreter is loaded even if nothing names it. */
    if (r->interp >= 0 && !s.listed[r->interp] && !implicit) { list_obj(&s, r->interp); process(&s, r->interp); }
    if (r->interp >= 0 && !s.listed[r->interp] && implicit) r->interp = -1;

done:;
    ds_strmap seen = {0};
    for (size_t q = 0; q < r->n_order; q++) {
        ds_elf_obj *o = &r->objs[r->order[q]];
        if (o->path) add_with_links(&s, &seen, o->path);
        for (size_t k = 0; k < o->n_alternatives; k++) add_with_links(&s, &seen, o->alternatives[k]);
        if (o->error) {
            r->missing = ds_xrealloc(r->missing, (r->n_missing + 1) * sizeof *r->missing);
            r->missing[r->n_missing++] = ds_xstrdup(o->name);
        }
    }
    ds_strmap_free(&seen, NULL);
    ds_strmap_free(&s.names, NULL);
    ds_strmap_free(&s.reals, NULL);
    ds_dirlist_free(&s.llp);
    ds_dirlist_free(&s.defaults);
    free(s.lib_dst);
    free((char *)s.musl_arch);
    free(s.infos); free(s.processed); free(s.listed);
    return 0;
}

void ds_elf_result_free(ds_elf_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_objs; i++) {
        ds_elf_obj *o = &r->objs[i];
        free(o->name); free(o->path); free(o->real); free(o->error);
        for (size_t k = 0; k < o->n_searched; k++) free(o->searched[k].dir);
        free(o->searched);
        ds_strv_free(o->alternatives, o->n_alternatives);
        ds_strv_free(o->needed, o->n_needed);
        free(o->needed_idx);
    }
    free(r->objs); free(r->order); free(r->file);
    ds_strv_free(r->files, r->n_files);
    ds_strv_free(r->missing, r->n_missing);
    free(r);
}

int ds_elf_needed_files(const char *root, const char *file, const char *ld_library_path,
                        char ***paths, size_t *n_paths, char ***missing, size_t *n_missing, ds_err *err) {
    ds_elf_ctx *c;
    *paths = NULL; *n_paths = 0;
    if (missing) { *missing = NULL; *n_missing = 0; }
    if (ds_elf_ctx_new(root, ld_library_path, &c, err) < 0) return -1;
    ds_elf_result *r;
    int rc = ds_elf_resolve(c, file, &r, err);
    if (rc == 0) {
        *paths = r->files; *n_paths = r->n_files;
        r->files = NULL; r->n_files = 0;
        if (!*paths) *paths = ds_xcalloc(1, sizeof **paths);
        if (missing) {
            *missing = r->missing; *n_missing = r->n_missing;
            r->missing = NULL; r->n_missing = 0;
            if (!*missing) *missing = ds_xcalloc(1, sizeof **missing);
        }
        ds_elf_result_free(r);
    }
    ds_elf_ctx_free(c);
    return rc;
}

void ds_strv_free(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}
