/* The closure rules, in order: traced paths, the entrypoint, data directories,
 * essentials, --keep globs, --keep-package lists; then ELF dependencies of every kept ELF
 * (to a fixed point), Python sources of kept bytecode, symlink chains all along; shells
 * and tools are dropped unless the app ran them. That is the file level. The package
 * level's rules (keep_level.c) then add to it, and the ELF/Python pass and the tool drop
 * run again over what they added: one run gives both levels' sets. Parent directories
 * last. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "harden/harden.h"
#include "elf/resolve.h"
#include "fs/root_path.h"
#include "minify/closure_int.h"
#include "minify/minify.h"
#include "util/path_json.h"
#include "util/fsutil.h"

typedef ds_cctx ctx;

bool ds_closure_skipped(const char *p) {
    static const char *const pre[] = {"/proc", "/sys", "/dev", "/.distill"};
    for (size_t i = 0; i < 4; i++) {
        size_t l = strlen(pre[i]);
        if (!strncmp(p, pre[i], l) && (p[l] == 0 || p[l] == '/')) return true;
    }
    return false;
}

static ds_rpath_res *res_new(bool exists, mode_t mode, char *real, const ds_rpath_res *links_of) {
    ds_rpath_res *r = ds_xcalloc(1, sizeof *r);
    r->exists = exists;
    r->mode = mode;
    r->real = real;
    r->n_links = links_of->n_links;
    r->links = r->n_links ? ds_xcalloc(r->n_links, sizeof *r->links) : NULL;
    for (size_t i = 0; i < r->n_links; i++) r->links[i] = ds_xstrdup(links_of->links[i]);
    return r;
}

static void res_add_links(ds_rpath_res *r, const ds_rpath_res *from) {
    for (size_t i = 0; i < from->n_links; i++) {
        bool dup = false;
        for (size_t j = 0; j < r->n_links && !dup; j++) dup = !strcmp(r->links[j], from->links[i]);
        if (dup) continue;
        r->links = ds_xrealloc(r->links, (r->n_links + 1) * sizeof *r->links);
        r->links[r->n_links++] = ds_xstrdup(from->links[i]);
    }
}

static const ds_rpath_res *lookup_depth(ctx *x, const char *path, int depth) {
    char *clean = ds_path_clean(path);
    int found;
    ds_rpath_res *hit = ds_strmap_find(&x->tree.cache, clean, &found);
    if (found) { free(clean); return hit; }
    const char *slash = strrchr(clean, '/'), *base = slash ? slash + 1 : "";
    if (depth < 40 && slash && slash != clean && *base && strcmp(base, ".") && strcmp(base, "..")) {
        char *parent = ds_xstrndup(clean, (size_t)(slash - clean));
        const ds_rpath_res *pr = lookup_depth(x, parent, depth + 1);
        free(parent);
        if (!pr->exists || !S_ISDIR(pr->mode)) {
            /* Nothing below a path that is absent or not a directory (a module looked up in
             * every search directory of an interpreter mostly is): no walk from the root. */
            ds_rpath_res *r = res_new(false, 0, NULL, pr);
            int had;
            ds_strmap_find(&x->tree.cache, clean, &had);
            if (had) { /* a link cycle cached it on the way: keep the first result */
                free(r->real);
                for (size_t i = 0; i < r->n_links; i++) free(r->links[i]);
                free(r->links);
                free(r);
                r = ds_strmap_get(&x->tree.cache, clean);
            } else {
                ds_strmap_put(&x->tree.cache, clean, r);
            }
            free(clean);
            return r;
        }
        {
            /* The parent's canonical path has no symlink in it: an lstat of the last component
             * there stays inside the root. A symlink there is read and its target looked up
             * the same way (an absolute target from the root, ".." from the real parent). */
            char *real = ds_xasprintf("%s/%s", strcmp(pr->real, "/") ? pr->real : "", base);
            char *host = ds_xasprintf("%s%s", x->root, real);
            struct stat st;
            int lr, e = 0;
            const ds_fentry *fe = NULL;
            if (x->c->src_scan) {
                /* The walk of the source saw every entry: no lstat or readlink again. */
                fe = ds_tree_find(&x->c->src_scan->tree, real);
                lr = fe ? 0 : -1;
                e = ENOENT;
                if (fe) st.st_mode = fe->mode;
            } else {
                lr = lstat(host, &st);
                e = errno;
            }
            ds_rpath_res *r = NULL;
            if (lr == 0 && !S_ISLNK(st.st_mode)) {
                r = res_new(true, st.st_mode, real, pr);
                real = NULL;
            } else if (lr < 0 && e == ENOENT) {
                r = res_new(false, 0, NULL, pr);
            } else if (lr == 0) {
                char t[4096];
                ssize_t n = -1;
                if (fe && fe->link && strlen(fe->link) < sizeof t) {
                    n = (ssize_t)strlen(fe->link);
                    memcpy(t, fe->link, (size_t)n);
                } else if (!fe) {
                    n = readlink(host, t, sizeof t - 1);
                }
                if (n > 0) {
                    t[n] = 0;
                    char *target = t[0] == '/' ? ds_xstrdup(t) : ds_xasprintf("%s/%s", pr->real, t);
                    /* ".." in the target: left to the full walk (it knows the real parents). */
                    if (!strstr(target, "..")) {
                        const ds_rpath_res *tr = lookup_depth(x, target, depth + 1);
                        r = res_new(tr->exists, tr->mode, tr->real ? ds_xstrdup(tr->real) : NULL, pr);
                        ds_rpath_res self = {.links = &real, .n_links = 1};
                        res_add_links(r, &self);
                        res_add_links(r, tr);
                    }
                    free(target);
                }
            }
            free(host);
            free(real);
            if (r) {
                /* A link cycle may have cached this path on the way: keep the first result. */
                ds_rpath_res *had = ds_strmap_find(&x->tree.cache, clean, &found);
                if (found) {
                    free(r->real);
                    for (size_t i = 0; i < r->n_links; i++) free(r->links[i]);
                    free(r->links);
                    free(r);
                    r = had;
                } else {
                    ds_strmap_put(&x->tree.cache, clean, r);
                }
                free(clean);
                return r;
            }
        }
    }
    free(clean);
    return ds_root_lookup(&x->tree, path);
}

const ds_rpath_res *ds_closure_lookup(ctx *x, const char *path) { return lookup_depth(x, path, 0); }

/* Keep path (resolved inside the root, with every symlink hop on the way) when it exists.
 * *resolved_out gets the canonical in-image path when it exists, else NULL. 1 kept, 0 absent. */
int ds_closure_keep(ctx *x, const char *path, const char *reason, char **resolved_out) {
    if (resolved_out) *resolved_out = NULL;
    if (path[0] != '/' || ds_closure_skipped(path)) return 0;
    const ds_rpath_res *r = ds_closure_lookup(x, path);
    if (r->n_links) {
        char *why = ds_xasprintf("symlink on the way (%s)", reason);
        for (size_t i = 0; i < r->n_links; i++)
            if (!ds_closure_skipped(r->links[i])) ds_pathmap_add(&x->c->keep, r->links[i], why);
        free(why);
    }
    if (!r->exists) return 0;
    if (resolved_out) *resolved_out = ds_xstrdup(r->real);
    if (ds_closure_skipped(r->real)) return 0;
    if (ds_pathmap_add(&x->c->keep, r->real, reason) && x->rule_bytes && S_ISREG(r->mode)) {
        struct stat st;
        if (ds_srcscan_lstat(x->c->src_scan, x->root, r->real, &st) == 0) *x->rule_bytes += st.st_size;
    }
    return 1;
}

uint16_t ds_closure_elf_machine(const char *host_path, bool *is_elf) {
    *is_elf = false;
    int fd = open(host_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return 0;
    unsigned char h[20];
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n < 20 || memcmp(h, ELFMAG, SELFMAG)) return 0;
    *is_elf = true;
    return h[EI_DATA] == ELFDATA2MSB ? (uint16_t)(h[18] << 8 | h[19]) : (uint16_t)(h[19] << 8 | h[18]);
}

static void str_add(char ***v, size_t *n, char *s) {
    *v = ds_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

ds_elf_ctx *ds_closure_elf(ctx *x, const ds_minify_opts *opts) {
    if (x->elf) return x->elf;
    ds_err e = {0};
    if (ds_elf_ctx_new(x->root, opts->ld_library_path, &x->elf, &e) < 0) {
        str_add(&x->c->warnings, &x->c->n_warnings, ds_xstrdup(e.msg));
        x->elf = NULL;
    }
    return x->elf;
}

int64_t ds_closure_bytes(const char *src_root, const ds_closure *c) {
    int64_t total = 0;
    for (size_t i = 0; i < c->keep.n; i++) {
        struct stat st;
        if (ds_srcscan_lstat(c->src_scan, src_root, c->keep.v[i].path, &st) == 0 && S_ISREG(st.st_mode))
            total += st.st_size;
    }
    return total;
}

/* ---- a directory kept whole: one walk of it (its canonical path has no symlink in it) ---- */
static ctx *tree_ctx;
static const char *tree_reason;
static ds_tree_skip_fn tree_skip;
static int tree_cb(const char *fpath, const struct stat *st, int flag, struct FTW *ftw) {
    (void)flag; (void)ftw;
    const char *p = fpath + strlen(tree_ctx->root);
    if (*p && tree_skip && tree_skip(tree_ctx, p, st)) return S_ISDIR(st->st_mode) ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
    if (*p && !ds_closure_skipped(p)) ds_closure_keep(tree_ctx, p, tree_reason, NULL);
    return FTW_CONTINUE;
}

/* The same walk over the source scan's entries (sorted by path: everything under dir is one
 * run of them, each directory before what it holds), with the lstat the scan took. */
static void keep_scanned_tree(ctx *x, const char *dir, const char *reason, ds_tree_skip_fn skip) {
    const ds_tree *t = &x->c->src_scan->tree;
    char *pre = ds_xasprintf("%s/", dir);
    size_t pl = strlen(pre), lo = ds_tree_lower_bound(t, pre);
    char *skipped = NULL; /* a directory the skip function refused: nothing below it */
    size_t sl = 0;
    for (size_t i = lo; i < t->n && !strncmp(t->e[i].path, pre, pl); i++) {
        const ds_fentry *fe = &t->e[i];
        const char *p = fe->path;
        if (skipped && !strncmp(p, skipped, sl) && p[sl] == '/') continue;
        struct stat st = {.st_mode = fe->mode, .st_uid = fe->uid, .st_gid = fe->gid, .st_size = fe->size,
                          .st_ino = fe->ino, .st_nlink = fe->nlink};
        if (skip && skip(x, p, &st)) {
            if (S_ISDIR(fe->mode)) { free(skipped); skipped = ds_xstrdup(p); sl = strlen(p); }
            continue;
        }
        if (!ds_closure_skipped(p)) ds_closure_keep(x, p, reason, NULL);
    }
    free(skipped);
    free(pre);
}

static bool is_pycache(ctx *x, const char *p, const struct stat *st) {
    (void)x;
    const char *b = strrchr(p, '/');
    return S_ISDIR(st->st_mode) && b && !strcmp(b + 1, "__pycache__");
}

void ds_closure_keep_sources(ctx *x, const char *dir, const char *reason) {
    ds_closure_keep_tree_but(x, dir, reason, is_pycache);
}

void ds_closure_keep_tree(ctx *x, const char *dir, const char *reason) { ds_closure_keep_tree_but(x, dir, reason, NULL); }

void ds_closure_keep_tree_but(ctx *x, const char *dir, const char *reason, ds_tree_skip_fn skip) {
    const ds_rpath_res *r = ds_closure_lookup(x, dir);
    if (!r->exists || ds_closure_skipped(r->real)) return;
    ds_closure_keep(x, dir, reason, NULL);
    if (!S_ISDIR(r->mode) || !strcmp(r->real, "/")) return;
    if (x->c->src_scan) { keep_scanned_tree(x, r->real, reason, skip); return; }
    char *host = ds_xasprintf("%s%s", x->root, r->real);
    ctx *saved_ctx = tree_ctx;
    const char *saved_reason = tree_reason;
    ds_tree_skip_fn saved_skip = tree_skip;
    tree_ctx = x;
    tree_reason = reason;
    tree_skip = skip;
    nftw(host, tree_cb, 64, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
    tree_ctx = saved_ctx;
    tree_reason = saved_reason;
    tree_skip = saved_skip;
    free(host);
}

int ds_keep_level_parse(const char *name) {
    if (!strcmp(name, "package")) return DS_KEEP_PACKAGE;
    if (!strcmp(name, "file")) return DS_KEEP_FILE;
    return -1;
}

const char *ds_keep_level_name(ds_keep_level l) { return l == DS_KEEP_PACKAGE ? "package" : "file"; }

static void add_parents(ds_closure *c) {
    size_t n = c->keep.n;
    for (size_t i = 0; i < n; i++) {
        char *p = ds_xstrdup(c->keep.v[i].path);
        for (char *s = strrchr(p, '/'); s && s != p; s = strrchr(p, '/')) {
            *s = 0;
            if (!ds_pathmap_add(&c->keep, p, "parent directory")) break;
        }
        free(p);
    }
    ds_pathmap_add(&c->keep, "/", "root");
}

/* ---- --keep globs: one walk of the source tree ---- */
static ctx *walk_ctx;
static const ds_minify_opts *walk_opts;
static char *walk_prefix; /* a matched directory: everything below is kept */
static int glob_cb(const char *fpath, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    const char *p = fpath + strlen(walk_ctx->root);
    if (!*p) return 0;
    if (ds_closure_skipped(p)) return 0;
    size_t pl = walk_prefix ? strlen(walk_prefix) : 0;
    if (walk_prefix && !strncmp(p, walk_prefix, pl) && p[pl] == '/') {
        ds_pathmap_add(&walk_ctx->c->keep, p, "--keep");
        return 0;
    }
    for (size_t i = 0; i < walk_opts->n_keep_globs; i++) {
        if (fnmatch(walk_opts->keep_globs[i], p, FNM_PERIOD * 0) == 0) {
            char *r = ds_xasprintf("--keep %s", walk_opts->keep_globs[i]);
            ds_closure_keep(walk_ctx, p, r, NULL);
            free(r);
            if (S_ISDIR(st->st_mode)) { free(walk_prefix); walk_prefix = ds_xstrdup(p); }
            break;
        }
    }
    return 0;
}

static int keep_package(ctx *x, const char *name) {
    char *pat = ds_xasprintf("%s/var/lib/dpkg/info/%s.list", x->root, name);
    char *pat2 = ds_xasprintf("%s/var/lib/dpkg/info/%s:*.list", x->root, name);
    glob_t g = {0};
    int r1 = glob(pat, 0, NULL, &g);
    int r2 = glob(pat2, r1 == 0 ? GLOB_APPEND : 0, NULL, &g);
    free(pat); free(pat2);
    if (r1 != 0 && r2 != 0) {
        globfree(&g);
        return ds_fail(x->err, "--keep-package %s: no dpkg file list for it in the image", name);
    }
    char *reason = ds_xasprintf("--keep-package %s", name);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        FILE *f = fopen(g.gl_pathv[i], "r");
        if (!f) continue;
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (line[0] == '/' && strcmp(line, "/.")) ds_closure_keep(x, line, reason, NULL);
        }
        fclose(f);
    }
    free(reason);
    globfree(&g);
    return 0;
}

static char *find_in_path(const char *root, const char *cmd, const char *path_env) {
    if (strchr(cmd, '/')) return ds_xstrdup(cmd);
    if (!path_env) path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char *copy = ds_xstrdup(path_env), *save = NULL, *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *in = ds_xasprintf("%s/%s", d, cmd);
        char *host = ds_xasprintf("%s%s", root, in);
        if (access(host, F_OK) == 0) found = in;
        else free(in);
        free(host);
    }
    free(copy);
    return found;
}

static char *ops_text(unsigned ops) {
    char buf[256] = "";
    for (unsigned b = 0; b < DS_TRACE_OP_COUNT; b++) {
        if (!(ops & (1u << b))) continue;
        if (*buf) strncat(buf, ",", sizeof buf - strlen(buf) - 1);
        strncat(buf, ds_trace_op_name(b), sizeof buf - strlen(buf) - 1);
    }
    return ds_xasprintf("used by the app (%s)", *buf ? buf : "seen");
}

/* argv as the report shows it: a compact JSON array. */
static void tool_add(ds_tool_note **v, size_t *n, const char *path, const char *note) {
    *v = ds_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = (ds_tool_note){.path = ds_xstrdup(path), .note = ds_xstrdup(note)};
}

static bool is_shell(const char *path) {
    const char *rule = ds_harden_path_rule(path, DS_HARDEN_DEFAULT);
    return rule && !strcmp(rule, DS_HR_SHELL);
}

static char *argv_text(const ds_trace_exec *e) {
    json_t *a = json_array();
    for (size_t i = 0; i < e->argc; i++) json_array_append_new(a, ds_json_lossy(e->argv[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* 5. ELF dependencies and Python sources of the kept paths from index `from` on, to a fixed
 * point (the map grows as we go). One resolver context for the whole closure: ld.so.cache
 * and every parsed library are read once, not once per kept ELF. */
static void expand(ctx *x, const ds_minify_opts *opts, size_t from) {
    ds_closure *c = x->c;
    for (size_t k = from; k < c->keep.n; k++) {
        char *path = ds_xstrdup(c->keep.v[k].path);
        char *host = ds_xasprintf("%s%s", x->root, path);
        struct stat st;
        if (ds_srcscan_lstat(c->src_scan, x->root, path, &st) == 0 && S_ISREG(st.st_mode)) {
            /* ELF's smallest header is 52 bytes: a smaller file is not opened to look. */
            bool is_elf = false;
            uint16_t m = st.st_size >= 52 ? ds_closure_elf_machine(host, &is_elf) : 0;
            if (is_elf && c->machine && m != c->machine) {
                char *w = ds_xasprintf("%s: ELF machine %u differs from the app's (%u): not kept", path, m, c->machine);
                str_add(&c->warnings, &c->n_warnings, ds_xstrdup(w));
                free(w);
                ds_pathmap_remove(&c->keep, path);
                k--;
            } else if (is_elf) {
                ds_elf_result *r = NULL;
                ds_err e = {0};
                ds_elf_ctx *elf = ds_closure_elf(x, opts);
                if (!elf) {
                } else if (ds_elf_resolve(elf, path, &r, &e) < 0) {
                    str_add(&c->warnings, &c->n_warnings, ds_xstrdup(e.msg));
                } else {
                    char *why = ds_xasprintf("needed by %s", path);
                    for (size_t d = 0; d < r->n_files; d++) ds_closure_keep(x, r->files[d], why, NULL);
                    free(why);
                    for (size_t d = 0; d < r->n_missing; d++) {
                        char *w = ds_xasprintf("%s: library %s not found in the image", path, r->missing[d]);
                        str_add(&c->warnings, &c->n_warnings, ds_xstrdup(w));
                        free(w);
                    }
                }
                ds_elf_result_free(r);
            } else {
                /* a/b/__pycache__/m.cpython-311.pyc -> a/b/m.py */
                const char *pc = strstr(path, "/__pycache__/");
                size_t l = strlen(path);
                if (pc && l > 4 && !strcmp(path + l - 4, ".pyc")) {
                    const char *name = pc + strlen("/__pycache__/");
                    size_t nl = strcspn(name, ".");
                    char *py = ds_xasprintf("%.*s/%.*s.py", (int)(pc - path), path, (int)nl, name);
                    char *r = ds_xasprintf("source of %s", path);
                    ds_closure_keep(x, py, r, NULL);
                    free(r);
                    free(py);
                }
            }
        }
        free(host);
        free(path);
    }
}

static bool tool_noted(const ds_tool_note *v, size_t n, const char *path) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].path, path)) return true;
    return false;
}

/* 6. Shells, package managers and tools: only when the app ran them, or asked. */
static void drop_tools(ctx *x, const ds_minify_opts *opts, const ds_trace *trace, const ds_pathmap *execd) {
    ds_closure *c = x->c;
    for (size_t k = 0; k < c->keep.n; k++) {
        const char *path = c->keep.v[k].path;
        if (!ds_is_shell_or_tool(path)) continue;
        struct stat st;
        bool is_dir = ds_srcscan_lstat(c->src_scan, x->root, path, &st) == 0 && S_ISDIR(st.st_mode);
        if (is_dir) continue;
        const char *argv = ds_pathmap_get(execd, path);
        if (!argv) { /* a link on the way to a program the app ran (/usr/bin/sh -> dash) */
            const ds_rpath_res *r = ds_root_lookup(&x->tree, path);
            if (r->exists) argv = ds_pathmap_get(execd, r->real);
        }
        char *why = NULL;
        if (argv && !opts->keep_shell && !opts->keep_absent_shells && is_shell(path)) {
            const ds_rpath_res *r = ds_root_lookup(&x->tree, path);
            if (r->exists) why = ds_shell_only_absent(x, trace, r->real, opts->path_env);
        }
        if (why) {
            if (!tool_noted(c->dropped_tools, c->n_dropped_tools, path)) {
                tool_add(&c->dropped_tools, &c->n_dropped_tools, path, why);
                c->n_absent_shells++;
            }
            free(why);
            ds_pathmap_remove(&c->keep, path);
            k--;
        } else if (argv) {
            if (!tool_noted(c->used_tools, c->n_used_tools, path)) tool_add(&c->used_tools, &c->n_used_tools, path, argv);
        } else if (!opts->keep_shell) {
            /* The package level's second pass meets again what the first dropped. */
            if (!tool_noted(c->dropped_tools, c->n_dropped_tools, path))
                tool_add(&c->dropped_tools, &c->n_dropped_tools, path,
                         x->kl ? "in a package kept whole, never executed by the app"
                               : "seen in the trace but never executed by the app");
            ds_pathmap_remove(&c->keep, path);
            k--;
        }
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ds_closure_compute(const char *src_root, const ds_trace *trace, const ds_minify_opts *opts,
                       ds_closure **out, ds_err *err) {
    double t0 = now_s();
    ds_closure *c = ds_xcalloc(1, sizeof *c);
    c->src_scan = opts->src_scan;
    ctx x = {.root = src_root, .c = c, .err = err};
    if (ds_root_open(&x.tree, src_root, err) < 0) {
        ds_closure_free(c);
        return -1;
    }
    ds_srcscan_attach(c->src_scan, &x.tree);
    ds_pathmap execd = {0}; /* resolved paths the app executed -> argv text (first record wins) */

    /* 1. What the trace saw: programs run first (so their argv is what the report shows), then every path. */
    for (size_t i = 0; trace && i < trace->nexecs; i++) {
        const ds_trace_exec *f = &trace->execs[i];
        if (!f->ok) continue;
        char *argv = argv_text(f);
        char *res = NULL;
        if (ds_closure_keep(&x, f->path, "executed by the app", &res) > 0) ds_pathmap_add(&execd, res, argv ? argv : "[]");
        ds_pathmap_add(&execd, f->path, argv ? argv : "[]");
        free(res);
        free(argv);
    }

    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const ds_trace_file *f = &trace->files[i];
        const char *path = f->path;
        bool wrote = f->ops & (DS_TRACE_OP_CREATE | DS_TRACE_OP_RENAME | DS_TRACE_OP_UNLINK);
        if (wrote) str_add(&c->written, &c->n_written, ds_xstrdup(path));
        if (!f->ok) continue;
        char *reason = ops_text(f->ops), *res = NULL;
        ds_closure_keep(&x, path, reason, &res);
        free(reason);
        /* A program the kernel ran (an exec target, or the #! interpreter of a script). */
        if (f->ops & DS_TRACE_OP_EXEC) {
            if (res) ds_pathmap_add(&execd, res, "(run by the kernel: exec or #! interpreter)");
            ds_pathmap_add(&execd, path, "(run by the kernel: exec or #! interpreter)");
        }
        free(res);
        if (wrote) {
            /* What the app created is not in SRC, but the directory it created it in must be. */
            char *dir = ds_xstrdup(path);
            char *sl = strrchr(dir, '/');
            if (sl && sl != dir) {
                *sl = 0;
                ds_closure_keep(&x, dir, "directory the app wrote in", NULL);
            }
            free(dir);
        }
    }
    /* 2. The entrypoint, and the machine everything must match. */
    if (opts->n_command) {
        char *cmd = find_in_path(src_root, opts->command[0], opts->path_env);
        char *res = NULL;
        if (cmd && ds_closure_keep(&x, cmd, "entrypoint", &res) > 0) {
            char *host = ds_xasprintf("%s%s", src_root, res);
            bool is_elf;
            c->machine = ds_closure_elf_machine(host, &is_elf);
            free(host);
        }
        free(cmd);
        free(res);
    }

    /* The runtime enters the working directory before the sensor or the app runs: no trace sees it. */
    if (opts->workdir && *opts->workdir) ds_closure_keep(&x, opts->workdir, "working directory", NULL);

    /* Data is never partially kept, at any level. */
    ds_keep_data_dirs(&x, trace, opts);

    /* 3. Essentials of a distroless image, when the source has them. */
    static const char *const essentials[] = {
        "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/os-release",
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
        "/tmp",
    };
    for (size_t k = 0; k < sizeof essentials / sizeof *essentials; k++) ds_closure_keep(&x, essentials[k], "essential", NULL);
    if (opts->keep_shell) {
        static const char *const shells[] = {"/bin/sh", "/bin/bash", "/bin/dash", "/bin/busybox"};
        for (size_t k = 0; k < sizeof shells / sizeof *shells; k++) ds_closure_keep(&x, shells[k], "--keep-shell", NULL);
    }

    /* 4. --keep globs and --keep-package lists. */
    if (opts->n_keep_globs) {
        walk_ctx = &x;
        walk_opts = opts;
        nftw(src_root, glob_cb, 64, FTW_PHYS);
        free(walk_prefix);
        walk_prefix = NULL;
    }
    for (size_t k = 0; k < opts->n_keep_packages; k++)
        if (keep_package(&x, opts->keep_packages[k]) < 0) goto fail;

    /* 5 and 6: the file level's closure. */
    expand(&x, opts, 0);
    drop_tools(&x, opts, trace, &execd);
    /* The package level's rules on top of it, then 5 and 6 for what they added: the file
     * level's set is this run's by-product (its bytes for "+N MB over file level"). */
    if (opts->keep_level == DS_KEEP_PACKAGE) {
        double t_file = now_s() - t0;
        int64_t file_bytes = ds_closure_bytes(src_root, c);
        for (size_t k = 0; k < c->keep.n; k++) ds_pathmap_add(&x.file_set, c->keep.v[k].path, NULL);
        size_t from = c->keep.n;
        if (ds_keep_level_apply(&x, trace, opts) < 0) goto fail;
        expand(&x, opts, from);
        drop_tools(&x, opts, trace, &execd);
        json_object_set_new(c->keep_level, "file_level_bytes", json_integer(file_bytes));
        /* the closure's seconds: its file-level pass, and all of it (bench/bench_keep_level.sh) */
        json_object_set_new(c->keep_level, "file_level_seconds", json_real(t_file));
    }

    add_parents(c);
    ds_pathmap_sort(&c->keep);
    ds_pathmap_free(&execd);
    ds_keep_level_finish(&x);
    ds_pathmap_free(&x.file_set);
    ds_elf_ctx_free(x.elf);
    ds_root_close(&x.tree);
    if (opts->keep_level == DS_KEEP_PACKAGE) {
        json_object_set_new(c->keep_level, "bytes", json_integer(ds_closure_bytes(src_root, c)));
        json_object_set_new(c->keep_level, "seconds", json_real(now_s() - t0));
    }
    *out = c;
    return 0;
fail:
    ds_pathmap_free(&execd);
    ds_keep_level_finish(&x);
    ds_pathmap_free(&x.file_set);
    ds_elf_ctx_free(x.elf);
    ds_root_close(&x.tree);
    ds_closure_free(c);
    return -1;
}

void ds_closure_free(ds_closure *c) {
    if (!c) return;
    ds_pathmap_free(&c->keep);
    for (size_t i = 0; i < c->n_dropped_tools; i++) { free(c->dropped_tools[i].path); free(c->dropped_tools[i].note); }
    free(c->dropped_tools);
    for (size_t i = 0; i < c->n_used_tools; i++) { free(c->used_tools[i].path); free(c->used_tools[i].note); }
    free(c->used_tools);
    for (size_t i = 0; i < c->n_warnings; i++) free(c->warnings[i]);
    free(c->warnings);
    for (size_t i = 0; i < c->n_written; i++) free(c->written[i]);
    free(c->written);
    json_decref(c->keep_level);
    free(c);
}
