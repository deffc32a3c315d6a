/* The keep levels' rules beyond "the files the app used" (see docs/build.md, "Keep level").
 *
 * Every level: the image's Volumes and every directory the app wrote in are kept whole.
 * Package level, in this order (each rule's bytes are counted apart):
 *  1. what a distroless base carries, when the source has it: time zone data, CA
 *     certificates, /etc/services, /etc/protocols, nsswitch.conf, resolver files; gconv
 *     modules only when the app used iconv;
 *  2. the app's own tree: the files no package owns around the app (its entry script,
 *     WorkingDir, the unowned files it used) kept as the directory that holds them;
 *  3. every package the app used a file of (opened, mapped, executed): kept whole, less
 *     documentation, a Python, Perl or Ruby standard library (module level instead), gconv
 *     (rule 1), development files (test suites, type stubs, *.md of language packages,
 *     glibc's link-only libraries: `left_out`), and optional ELF plugins it never loaded
 *     whose libraries would add more than DS_PLUGIN_LIMIT bytes (named in the report; the
 *     package's LLVM bitcode goes with its JIT plugin);
 *  4. a deb Depends on a package holding no code (tzdata, a data-only package) is kept
 *     whole with it;
 *  5. the Python standard library at module level: every kept .py's imports, to a fixed
 *     point (a module found in dist-/site-packages brings its package whole; frozen
 *     modules' sources are left out when the interpreter ran them frozen); then the Perl
 *     and Ruby standard libraries the same way (keep_scriptlib.c).
 * These run on the file level's closure (closure.c's first pass), so every byte they add
 * is a byte over the file level. */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "minify/closure_int.h"
#include "minify/packages.h"
#include "minify/keep_level_int.h"
#include "minify/pyimports.h"
#include "util/path_json.h"
#include "util/fsutil.h"
#include "util/strmap.h"

#define DS_PLUGIN_LIMIT ((int64_t)16 << 20)


static void add_bytes(json_t *o, const char *key, int64_t n) {
    json_int_t old = json_integer_value(json_object_get(o, key));
    json_object_set_new(o, key, json_integer(old + n));
}

static char *dir_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s && s != p ? ds_xstrndup(p, (size_t)(s - p)) : ds_xstrdup("/");
}

static bool under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0);
}

static int64_t host_size(ds_cctx *x, const char *real) {
    struct stat st;
    return ds_srcscan_lstat(x->c->src_scan, x->root, real, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

/* ---------------------------------------------------------------- rule 2: data */

/* Never kept whole as data or as the app's tree (nor a tree above them). */
static bool bound_dir(const char *d) {
    static const char *const sys[] = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64",
                                      "/libx32", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv",
                                      "/sys", "/tmp", "/usr", "/var"};
    static const char *const parents[] = {"/usr", "/var", "/home", "/etc", "/lib", "/lib64", "/run", "/tmp", "/mnt",
                                          "/media", "/root", "/usr/local", "/usr/lib", "/usr/lib64", "/usr/share",
                                          "/usr/local/lib", "/usr/local/share", "/var/lib", "/var/cache", "/var/log",
                                          "/var/spool", "/var/tmp", "/dev", "/proc", "/sys"};
    for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
        if (!strcmp(d, sys[i])) return true;
    char *p = dir_of(d);
    bool b = false;
    for (size_t i = 0; i < sizeof parents / sizeof *parents && !b; i++) b = !strcmp(p, parents[i]);
    /* /usr/lib/x86_64-linux-gnu/NAME */
    if (!b && !strncmp(p, "/usr/lib/", 9) && strstr(p, "-linux-") && !strchr(p + 9, '/')) b = true;
    free(p);
    return b || under(d, "/tmp") || under(d, "/run") || under(d, "/var/tmp") || ds_closure_skipped(d);
}

/* Never kept whole as data: the system's own directories (a data directory is below them:
 * /var/lib/mysql, /var/lib/postgresql/15/main, /srv/data, /app/uploads). */
static bool data_bound(const char *d) {
    static const char *const sys[] = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64",
                                      "/libx32", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv",
                                      "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/cache", "/var/log",
                                      "/var/spool", "/var/tmp", "/var/run", "/var/mail", "/var/backups", "/var/local",
                                      "/usr/local", "/usr/lib", "/usr/lib64", "/usr/share", "/usr/bin", "/usr/sbin",
                                      "/usr/libexec", "/usr/include", "/usr/src", "/usr/local/lib", "/usr/local/share",
                                      "/usr/local/bin", "/usr/local/sbin"};
    for (size_t i = 0; i < sizeof sys / sizeof *sys; i++)
        if (!strcmp(d, sys[i])) return true;
    if (!strncmp(d, "/usr/lib/", 9) && strstr(d, "-linux-") && !strchr(d + 9, '/')) return true;
    return under(d, "/tmp") || under(d, "/run") || under(d, "/var/tmp") || under(d, "/var/run") ||
           ds_closure_skipped(d);
}

/* dir, or a directory above it, is in walked. */
static bool walked_under(const ds_strmap *walked, const char *dir) {
    if (ds_strmap_has(walked, dir)) return true;
    char *p = ds_xstrdup(dir);
    bool found = false;
    for (char *s = strrchr(p, '/'); s && s != p && !found; s = strrchr(p, '/')) {
        *s = 0;
        found = ds_strmap_has(walked, p);
    }
    free(p);
    return found;
}

void ds_keep_data_dirs(ds_cctx *x, const ds_trace *trace, const ds_minify_opts *opts) {
    int64_t vol = 0, wrote = 0, *saved = x->rule_bytes;
    x->rule_bytes = &vol;
    for (size_t i = 0; i < opts->n_volumes; i++) ds_closure_keep_tree(x, opts->volumes[i], "volume of the image");
    x->rule_bytes = &wrote;
    /* Each directory is walked once, and not at all under one walked already: a database
     * writes hundreds of files in one directory, which is often kept already for another
     * reason (the app listed it), and every one of them used to walk it again. */
    ds_strmap walked;
    ds_strmap_init(&walked);
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const ds_trace_file *f = &trace->files[i];
        if (!(f->ops & (DS_TRACE_OP_CREATE | DS_TRACE_OP_RENAME | DS_TRACE_OP_UNLINK | DS_TRACE_OP_ATTR))) continue;
        if (f->path[0] != '/') continue;
        char *d = f->kind == DS_TRACE_DIR ? ds_xstrdup(f->path) : dir_of(f->path);
        const ds_rpath_res *r = ds_closure_lookup(x, d);
        if (r->exists && S_ISDIR(r->mode) && !data_bound(r->real) && !walked_under(&walked, r->real)) {
            /* kept already as a path or not: its content too */
            ds_closure_keep_tree(x, r->real, "directory the app wrote in (data: kept whole)");
            ds_strmap_put(&walked, r->real, NULL);
        }
        free(d);
    }
    ds_strmap_free(&walked, NULL);
    x->rule_bytes = saved;
    if (!x->c->keep_level) x->c->keep_level = json_pack("{s:s, s:{}}", "level", ds_keep_level_name(opts->keep_level), "rules");
    json_t *rules = json_object_get(x->c->keep_level, "rules");
    if (opts->n_volumes) add_bytes(rules, "volumes", vol);
    add_bytes(rules, "directories the app wrote in", wrote);
}

/* ---------------------------------------------------------------- helpers */

static bool py_stdlib_file(const ds_kl *k, const char *path) {
    for (size_t i = 0; i < k->n_py_roots; i++) {
        const char *r = k->py_roots[i];
        if (!under(path, r)) continue;
        const char *rest = path + strlen(r);
        return strncmp(rest, "/site-packages", 14) && strncmp(rest, "/dist-packages", 14);
    }
    return false;
}

bool ds_kl_stdlib_file(const ds_kl *k, const char *path) {
    if (py_stdlib_file(k, path)) return true;
    for (size_t i = 0; i < k->lib_roots.n; i++)
        if (under(path, k->lib_roots.v[i])) return true;
    return false;
}

static bool is_gconv(const char *p) { return strstr(p, "/gconv/") != NULL || (strlen(p) > 6 && !strcmp(p + strlen(p) - 6, "/gconv")); }

/* Names in a canonical directory (cached). */
const ds_strlist *ds_kl_listing(ds_cctx *x, const char *dir) {
    ds_strlist *l = ds_strmap_get(&x->kl->listings, dir);
    if (l) return l;
    l = ds_xcalloc(1, sizeof *l);
    char *h = ds_xasprintf("%s%s", x->root, dir);
    DIR *d = opendir(h);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ds_strlist_add(l, e->d_name);
    if (d) closedir(d);
    free(h);
    ds_strmap_put(&x->kl->listings, dir, l);
    return l;
}

int64_t ds_kl_size(ds_cctx *x, const char *real) { return host_size(x, real); }

int64_t ds_kl_elf_adds(ds_cctx *x, const ds_minify_opts *opts, const char *real, ds_pathmap *seen) {
    char *h = ds_xasprintf("%s%s", x->root, real);
    bool is_elf = false;
    ds_closure_elf_machine(h, &is_elf);
    free(h);
    if (!is_elf) return 0;
    ds_elf_ctx *elf = ds_closure_elf(x, opts);
    ds_elf_result *res = NULL;
    ds_err e = {0};
    if (!elf || ds_elf_resolve(elf, real, &res, &e) < 0) return 0;
    int64_t add = 0;
    for (size_t d = 0; d < res->n_files; d++) {
        const ds_rpath_res *dr = ds_closure_lookup(x, res->files[d]);
        if (!dr->exists || !strcmp(dr->real, real) || ds_pathmap_get(&x->c->keep, dr->real)) continue;
        long o = ds_pkgindex_owner(&x->kl->ix, dr->real);
        if (o >= 0 && x->kl->state[o] == 'w') continue;
        if (seen && !ds_pathmap_add(seen, dr->real, NULL)) continue;
        add += host_size(x, dr->real);
    }
    ds_elf_result_free(res);
    return add;
}

/* An ELF file of a kept package the app never loaded, whose libraries would add more than
 * the limit: left out. Returns the bytes it would add (0 when it stays). */
static int64_t heavy_plugin(ds_cctx *x, const ds_minify_opts *opts, const ds_rpath_res *r) {
    if (!S_ISREG(r->mode) || ds_pathmap_get(&x->c->keep, r->real) || !strstr(r->real, ".so")) return 0;
    int64_t add = ds_kl_elf_adds(x, opts, r->real, NULL);
    return add > DS_PLUGIN_LIMIT ? add : 0;
}

/* A file of a language package's own test suite: a tests/ (Python) or test/, tests/,
 * __tests__/ (npm) directory inside a package of site-packages, dist-packages or
 * node_modules. A running app never imports its libraries' tests. */
static bool package_test_file(const char *p) {
    static const char *const roots[] = {"/site-packages/", "/dist-packages/", "/node_modules/"};
    for (size_t i = 0; i < 3; i++) {
        const char *r = strstr(p, roots[i]);
        if (!r) continue;
        bool npm = i == 2;
        const char *rest = r + strlen(roots[i]);
        /* the package's own directory first (@scope/name for npm), then a test directory below */
        if (npm && *rest == '@') rest = strchr(rest, '/') ? strchr(rest, '/') + 1 : rest;
        const char *sl = strchr(rest, '/');
        if (!sl) return false;
        for (const char *c = sl; c && c[1]; c = strchr(c + 1, '/')) {
            const char *name = c + 1;
            size_t l = strcspn(name, "/");
            if (!name[l]) break; /* the last component is the file */
            if ((l == 5 && !strncmp(name, "tests", 5)) ||
                (npm && ((l == 4 && !strncmp(name, "test", 4)) || (l == 9 && !strncmp(name, "__tests__", 9)))))
                return true;
            if (npm && l == 12 && !strncmp(name, "node_modules", 12)) break; /* a nested package: its own check */
        }
        return false;
    }
    return false;
}

/* glibc's libraries that only the dynamic linker (as a DT_NEEDED, which the closure follows
 * at every level), LD_PRELOAD or a debugger loads: never dlopen()ed by an app. */
static bool link_only_library(const char *p) {
    static const char *const names[] = {"libmvec.so", "libc_malloc_debug.so", "libmemusage.so", "libpcprofile.so",
                                        "libthread_db.so"};
    const char *b = strrchr(p, '/');
    b = b ? b + 1 : p;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t l = strlen(names[i]);
        if (!strncmp(b, names[i], l) && (b[l] == 0 || b[l] == '.')) return true;
    }
    return false;
}

bool ds_kl_ends(const char *p, const char *suffix) {
    size_t l = strlen(p), n = strlen(suffix);
    return l > n && !strcmp(p + l - n, suffix);
}

/* Inside a language package (node_modules, site-packages, dist-packages, /usr/share/nodejs). */
static bool in_language_package(const char *p) {
    return strstr(p, "/node_modules/") || strstr(p, "/site-packages/") || strstr(p, "/dist-packages/") ||
           !strncmp(p, "/usr/share/nodejs/", 18);
}

/* Leap-second time zones (Debian bookworm's tzdata: 0.7 MB in 770 entries; trixie moved
 * them to tzdata-legacy): read only with TZ=right/..., so left out unless the trace used one. */
#define DS_RIGHT_ZONES "/usr/share/zoneinfo/right"
#define DS_RIGHT_ZONES_CLASS "leap-second time zones (zoneinfo/right)"

/* A leap-second zone entry nothing kept: rule 1 leaves it out and counts it, once. */
static bool right_zone_left_out(ds_cctx *x, const char *p) {
    return under(p, DS_RIGHT_ZONES) && !ds_pathmap_get(&x->c->keep, p);
}

/* Development files of a whole package: never read by a running app. NULL for the rest. */
static const char *dev_class(const char *p) {
    if (package_test_file(p)) return "test suites";
    if (ds_kl_ends(p, ".pyi") || ds_kl_ends(p, "/py.typed") || ds_kl_ends(p, ".d.ts") || ds_kl_ends(p, ".d.mts") || ds_kl_ends(p, ".d.cts") ||
        strstr(p, "/@types/"))
        return "type stubs";
    if (in_language_package(p) && (ds_kl_ends(p, ".md") || ds_kl_ends(p, ".markdown"))) return "package documentation (*.md)";
    if (link_only_library(p)) return "link-only and debugging libraries";
    return NULL;
}

/* A program: an executable file in a bin, sbin or libexec directory. */
static bool program_path(const char *p, mode_t mode) {
    return S_ISREG(mode) && (mode & 0111) && (strstr(p, "/bin/") || strstr(p, "/sbin/") || strstr(p, "/libexec/"));
}

void ds_kl_keep_whole(ds_cctx *x, const ds_minify_opts *opts, size_t pi, const char *why, int64_t *bytes) {
    ds_kl *k = x->kl;
    if (k->state[pi] == 'w') return;
    k->state[pi] = 'w';
    k->why[pi] = ds_xstrdup(why);
    const ds_kpkg *p = &k->ix.v[pi];
    char *reason = ds_xasprintf("package %s %s (%s)", p->type, p->name, why);
    int64_t *saved = x->rule_bytes;
    x->rule_bytes = bytes;
    bool stdlib = false, plugin_left_out = false;
    ds_strlist bitcode = {0}; /* LLVM bitcode: read only by a JIT plugin, decided after the loop */
    for (size_t i = 0; i < p->n_files; i++) {
        const char *f = p->files[i];
        const ds_rpath_res *r = ds_closure_lookup(x, f);
        if (!r->exists && !r->n_links) continue;
        size_t fl = strlen(f);
        if (fl > 3 && !strcmp(f + fl - 3, ".bc") && r->exists && S_ISREG(r->mode) && !ds_pathmap_get(&x->c->keep, f)) {
            ds_strlist_add(&bitcode, f);
            continue;
        }
        const char *cls = ds_doc_class(f);
        if (cls) {
            if (!ds_pathmap_get(&x->c->keep, f)) add_bytes(k->docs, cls, r->exists ? host_size(x, r->real) : 0);
            continue;
        }
        if (ds_kl_stdlib_file(k, f)) { stdlib = true; continue; }
        /* rule 1 decided on these (tzdata kept whole keeps no more of them) and counted them */
        if (right_zone_left_out(x, f)) continue;
        /* Bytecode is a cache of the sources beside it: the traced .pyc are kept already. */
        if (strstr(f, "/__pycache__/")) continue;
        const char *dev = dev_class(f);
        if (dev && !ds_pathmap_get(&x->c->keep, f)) {
            add_bytes(k->dev, dev, r->exists && !r->n_links ? host_size(x, r->real) : 0);
            continue;
        }
        if (is_gconv(f) && !k->gconv_used) continue;
        /* A package the app used as a library or as data: its programs stay out (a distroless
         * base ships none) unless the app ran one of them. */
        if (!k->ran[pi] && r->exists && !r->n_links && program_path(r->real, r->mode) &&
            !ds_pathmap_get(&x->c->keep, r->real)) {
            k->programs_left_out += host_size(x, r->real);
            continue;
        }
        int64_t heavy = r->exists && !r->n_links ? heavy_plugin(x, opts, r) : 0;
        if (heavy) {
            plugin_left_out = true;
            /* with bitcode, --keep of the plugin alone would leave it without the .bc it reads */
            bool has_bc = false;
            for (size_t j = 0; j < p->n_files && !has_bc; j++) has_bc = strlen(p->files[j]) > 3 &&
                                                                     !strcmp(p->files[j] + strlen(p->files[j]) - 3, ".bc");
            char *hint = has_bc ? ds_xasprintf("keep it with --keep-package %s (its LLVM bitcode too)", p->name)
                                : ds_xasprintf("keep it with --keep-package %s (or --keep %s)", p->name, f);
            json_array_append_new(k->plugins, json_pack("{s:s, s:o, s:I, s:s}", "package", p->name, "path",
                                                        ds_json_bytes(f), "adds_bytes", (json_int_t)heavy, "hint", hint));
            free(hint);
            continue;
        }
        if (r->exists && S_ISDIR(r->mode)) {
            ds_pathmap_add(&x->c->keep, r->real, reason);
            continue;
        }
        ds_closure_keep(x, f, reason, NULL);
    }
    /* A JIT plugin of the package left out: the LLVM bitcode it inlines from goes with it
     * (PostgreSQL's lib/bitcode, 24 MB). */
    for (size_t i = 0; i < bitcode.n; i++) {
        const ds_rpath_res *r = ds_closure_lookup(x, bitcode.v[i]);
        if (plugin_left_out) add_bytes(k->dev, "LLVM bitcode of a JIT plugin left out", host_size(x, r->real));
        else ds_closure_keep(x, bitcode.v[i], reason, NULL);
    }
    ds_strlist_free(&bitcode);
    if (stdlib) k->state[pi] = 'm';
    x->rule_bytes = saved;
    free(reason);
}

/* Rule 1's time zone data: without the leap-second zones unless one was used (then the
 * untraced ones are left out one by one). */
static bool zone_skip(ds_cctx *x, const char *p, const struct stat *st) {
    if (!right_zone_left_out(x, p)) return false;
    if (strcmp(p, DS_RIGHT_ZONES)) return !S_ISDIR(st->st_mode);
    for (size_t i = 0; i < x->file_set.n; i++)
        if (under(x->file_set.v[i].path, DS_RIGHT_ZONES)) return false;
    return true;
}

/* The bytes of the leap-second zones left out, counted once, after rule 1 (no later rule
 * keeps one). */
static ds_cctx *zone_ctx;
static int64_t zone_bytes;
static int sum_zone(const char *f, const struct stat *st, int flag, struct FTW *ftw) {
    (void)ftw;
    if (flag == FTW_F && S_ISREG(st->st_mode) && right_zone_left_out(zone_ctx, f + strlen(zone_ctx->root)))
        zone_bytes += st->st_size;
    return 0;
}

static void count_right_zones(ds_cctx *x) {
    char *h = ds_xasprintf("%s%s", x->root, DS_RIGHT_ZONES);
    zone_ctx = x;
    zone_bytes = 0;
    nftw(h, sum_zone, 16, FTW_PHYS);
    free(h);
    if (zone_bytes) add_bytes(x->kl->dev, DS_RIGHT_ZONES_CLASS, zone_bytes);
}

/* ---------------------------------------------------------------- the app's tree */

/* In the app's tree (its node_modules...): the development files of the packages there. */
static bool app_tree_skip(ds_cctx *x, const char *p, const struct stat *st) {
    if (!S_ISREG(st->st_mode) || ds_pathmap_get(&x->c->keep, p)) return false;
    const char *dev = dev_class(p);
    if (dev) add_bytes(x->kl->dev, dev, st->st_size);
    return dev != NULL;
}

static bool tree_stop(ds_kl *k, const char *d) {
    return bound_dir(d) || ds_pkgindex_owner(&k->ix, d) >= 0 || ds_kl_stdlib_file(k, d);
}

/* The highest directory above start that no package owns, below the bound ones. */
static char *app_root(ds_kl *k, const char *start) {
    if (tree_stop(k, start)) return NULL;
    char *d = ds_xstrdup(start);
    for (;;) {
        char *p = dir_of(d);
        if (tree_stop(k, p)) { free(p); return d; }
        free(d);
        d = p;
    }
}

static void add_anchor(ds_cctx *x, ds_strlist *roots, const char *path, bool is_dir_anchor) {
    const ds_rpath_res *r = ds_closure_lookup(x, path);
    if (!r->exists) return;
    if (!is_dir_anchor && (!S_ISREG(r->mode) || ds_pkgindex_owner(&x->kl->ix, r->real) >= 0)) return;
    if (is_dir_anchor && !S_ISDIR(r->mode)) return;
    char *d = is_dir_anchor ? ds_xstrdup(r->real) : dir_of(r->real);
    char *root = app_root(x->kl, d);
    free(d);
    if (root && !ds_strlist_has(roots, root)) ds_strlist_add(roots, root);
    free(root);
}

/* ---------------------------------------------------------------- Python modules */

/* A module CPython 3.11+ carries frozen in the interpreter (Tools/build/freeze_modules.py),
 * in search dir s, when that interpreter ran them: its .py is never read (but for a
 * traceback's source lines). */
static bool frozen_source(const ds_kl *k, const char *s, const char *mod) {
    static const char *const frozen[] = {"importlib._bootstrap", "importlib._bootstrap_external", "zipimport", "abc",
                                         "codecs", "io", "_collections_abc", "_sitebuiltins", "genericpath", "ntpath",
                                         "posixpath", "os", "site", "stat", "importlib.util", "importlib.machinery",
                                         "runpy"};
    bool on = false;
    for (size_t i = 0; i < k->n_py_roots && !on; i++) on = k->py_frozen[i] && !strcmp(s, k->py_roots[i]);
    for (size_t i = 0; on && i < sizeof frozen / sizeof *frozen; i++)
        if (!strcmp(mod, frozen[i])) return true;
    return false;
}

/* Keep the files that make module `mod` importable from search dir s; 1 when found
 * (with by NULL: only whether it is there). */
static int keep_module(ds_cctx *x, const ds_minify_opts *opts, const char *s, const char *mod, const char *by,
                       int64_t *whole_bytes) {
    char *rel = ds_xstrdup(mod);
    for (char *c = rel; *c; c++)
        if (*c == '.') *c = '/';
    char *base = ds_xasprintf("%s/%s", s, rel);
    free(rel);
    char *reason = ds_xasprintf("Python module %s (imported by %s)", mod, by ? by : "");
    int found = 0;
    const ds_rpath_res *r = ds_closure_lookup(x, base);
    char *cand[2] = {ds_xasprintf("%s/__init__.py", base), ds_xasprintf("%s.py", base)};
    const char *hit = NULL;
    for (int i = 0; i < 2 && !hit; i++) {
        const ds_rpath_res *c = ds_closure_lookup(x, cand[i]);
        if (c->exists && S_ISREG(c->mode)) hit = c->real;
    }
    char *hitc = hit ? ds_xstrdup(hit) : NULL;
    if (hitc && by && frozen_source(x->kl, s, mod)) {
        /* found, and its code is in the interpreter: the source is not read */
        if (!ds_pathmap_get(&x->c->keep, hitc) && !ds_strlist_has(&x->kl->frozen_seen, hitc)) {
            ds_strlist_add(&x->kl->frozen_seen, hitc);
            add_bytes(x->kl->dev, "frozen module sources", host_size(x, hitc));
        }
        free(hitc);
        hitc = NULL;
        by = NULL;
    }
    char *so = NULL;
    if (!hitc) { /* an extension module: NAME.cpython-311-x86_64-linux-gnu.so, NAME.abi3.so, NAME.so */
        char *d = dir_of(base);
        const char *name = strrchr(base, '/') + 1;
        const ds_rpath_res *dr = ds_closure_lookup(x, d);
        if (dr->exists && S_ISDIR(dr->mode)) {
            char *dreal = ds_xstrdup(dr->real);
            const ds_strlist *l = ds_kl_listing(x, dreal);
            size_t nl = strlen(name);
            for (size_t i = 0; i < l->n && !so; i++) {
                size_t ll = strlen(l->v[i]);
                if (!strncmp(l->v[i], name, nl) && l->v[i][nl] == '.' && ll > 3 && !strcmp(l->v[i] + ll - 3, ".so"))
                    so = ds_xasprintf("%s/%s", dreal, l->v[i]);
            }
            free(dreal);
        }
        free(d);
    }
    const char *file = hitc ? hitc : so;
    if (file || (r->exists && S_ISDIR(r->mode))) found = 1;
    if (found && by) {
        const char *owned = file ? file : r->real;
        long o = ds_pkgindex_owner(&x->kl->ix, owned);
        if (!ds_kl_stdlib_file(x->kl, owned) && o >= 0) {
            ds_kl_keep_whole(x, opts, (size_t)o, "a kept module imports it", whole_bytes);
        } else if (hitc) {
            ds_closure_keep(x, hitc, reason, NULL);
        } else if (so) {
            ds_closure_keep(x, so, reason, NULL);
        } else {
            ds_closure_keep(x, r->real, reason, NULL); /* a namespace package */
        }
    }
    free(hitc); free(so); free(cand[0]); free(cand[1]); free(base); free(reason);
    return found;
}

typedef struct py_find {
    ds_cctx *x;
    const ds_minify_opts *opts;
    const ds_strlist *dirs;
} py_find;

static bool module_exists(const char *mod, void *ctx) {
    py_find *f = ctx;
    for (size_t d = 0; d < f->dirs->n; d++)
        if (keep_module(f->x, f->opts, f->dirs->v[d], mod, NULL, NULL)) return true;
    return false;
}

static void python_modules(ds_cctx *x, const ds_minify_opts *opts, int64_t *mod_bytes, int64_t *whole_bytes) {
    ds_kl *k = x->kl;
    if (!k->n_py_roots) return;
    ds_strlist dirs = {0};
    for (size_t i = 0; i < k->n_py_roots; i++) {
        const char *r = k->py_roots[i];
        static const char *const sub[] = {"", "/lib-dynload", "/site-packages", "/dist-packages"};
        for (size_t j = 0; j < 4; j++) {
            char *d = ds_xasprintf("%s%s", r, sub[j]);
            if (ds_closure_lookup(x, d)->exists) ds_strlist_add(&dirs, d);
            free(d);
        }
        const char *ver = strrchr(r, '/') + 1; /* python3.11 */
        if (!strncmp(ver, "python3", 7)) {
            if (ds_closure_lookup(x, "/usr/lib/python3/dist-packages")->exists && !ds_strlist_has(&dirs, "/usr/lib/python3/dist-packages"))
                ds_strlist_add(&dirs, "/usr/lib/python3/dist-packages");
            char *l = ds_xasprintf("/usr/local/lib/%s/dist-packages", ver);
            if (ds_closure_lookup(x, l)->exists && !ds_strlist_has(&dirs, l)) ds_strlist_add(&dirs, l);
            free(l);
        }
    }
    int64_t *saved = x->rule_bytes;
    x->rule_bytes = mod_bytes;
    /* Looked up by name at run time, never imported by a statement: codecs, sysconfig data. */
    for (size_t i = 0; i < k->n_py_roots; i++) {
        char *enc = ds_xasprintf("%s/encodings", k->py_roots[i]);
        ds_closure_keep_sources(x, enc, "Python codecs (looked up by name)");
        free(enc);
        const ds_strlist *l = ds_kl_listing(x, k->py_roots[i]);
        for (size_t j = 0; j < l->n; j++)
            if (!strncmp(l->v[j], "_sysconfigdata", 14)) {
                char *f = ds_xasprintf("%s/%s", k->py_roots[i], l->v[j]);
                ds_closure_keep(x, f, "Python sysconfig data (imported by name)", NULL);
                free(f);
            }
    }
    ds_pathmap done = {0};
    for (size_t n = 0; n < x->c->keep.n; n++) {
        const char *p = x->c->keep.v[n].path;
        size_t pl = strlen(p);
        char *src = NULL;
        const char *pc = strstr(p, "/__pycache__/");
        if (pl > 3 && !strcmp(p + pl - 3, ".py")) src = ds_xstrdup(p);
        else if (pc && pl > 4 && !strcmp(p + pl - 4, ".pyc"))
            src = ds_xasprintf("%.*s/%.*s.py", (int)(pc - p), p, (int)strcspn(pc + 13, "."), pc + 13);
        if (!src) continue;
        const ds_rpath_res *r = ds_closure_lookup(x, src);
        free(src);
        if (!r->exists || !S_ISREG(r->mode) || ds_pathmap_get(&done, r->real)) continue;
        char *real = ds_xstrdup(r->real);
        ds_pathmap_add(&done, real, NULL);
        if (pc) ds_closure_keep(x, real, "source of kept bytecode", NULL);
        /* The dotted package the file is in, from the search dir that holds it. */
        char *package = NULL;
        for (size_t d = 0; d < dirs.n && !package; d++) {
            size_t dl = strlen(dirs.v[d]);
            if (strncmp(real, dirs.v[d], dl) || real[dl] != '/') continue;
            char *mod = ds_xstrndup(real + dl + 1, strlen(real + dl + 1) - 3);
            for (char *c = mod; *c; c++)
                if (*c == '/') *c = '.';
            size_t ml = strlen(mod);
            if (ml >= 9 && !strcmp(mod + ml - 9, "__init__")) mod[ml >= 10 ? ml - 9 - 1 : 0] = 0;
            else if (strrchr(mod, '.')) *strrchr(mod, '.') = 0;
            else mod[0] = 0;
            package = mod;
        }
        char *text = NULL;
        size_t len = 0;
        ds_err e = {0};
        if (ds_root_read_file(&x->tree, real, 16u << 20, &text, &len, &e) > 0) {
            ds_strlist mods = {0};
            /* A standard library module's imports inside functions are optional features
             * (loaded when used); the app's and its packages' are all followed. */
            bool std = py_stdlib_file(k, real);
            unsigned fl = std ? DS_PY_TOP_ONLY : 0;
            /* Only the app's own scripts run as __main__ (a library module's main block is
             * its command-line tool: python -m would show in the trace). */
            if (std || ds_pkgindex_owner(&k->ix, real) >= 0) fl |= DS_PY_NOT_MAIN;
            py_find pf = {x, opts, &dirs};
            ds_py_imports(text, len, package, fl, module_exists, &pf, &mods);
            for (size_t m = 0; m < mods.n; m++) {
                /* a.b.c imports a and a.b first */
                char *name = ds_xstrdup(mods.v[m]);
                for (char *dot = name;; dot++) {
                    dot = strchr(dot, '.');
                    if (dot) *dot = 0;
                    for (size_t d = 0; d < dirs.n; d++)
                        if (keep_module(x, opts, dirs.v[d], name, real, whole_bytes)) break;
                    if (!dot) break;
                    *dot = '.';
                }
                free(name);
            }
            ds_strlist_free(&mods);
        }
        free(text);
        free(package);
        free(real);
    }
    x->rule_bytes = saved;
    ds_pathmap_free(&done);
    ds_strlist_free(&dirs);
}

/* ---------------------------------------------------------------- the package level */

static bool marks_use(unsigned ops) {
    return ops & (DS_TRACE_OP_OPEN | DS_TRACE_OP_EXEC | DS_TRACE_OP_MAP | DS_TRACE_OP_CONNECT);
}

/* Rubygems reads every installed gem's specification (and stats its extensions'
 * gem.build_complete) at start: that is bookkeeping, not a use of the gem. A gem the app
 * requires is kept whole by rule 5 (keep_scriptlib.c). */
static bool gem_bookkeeping(const char *p) {
    return (strstr(p, "/specifications/") && ds_kl_ends(p, ".gemspec")) || ds_kl_ends(p, "/gem.build_complete");
}

static void free_listing(void *v) {
    ds_strlist_free(v);
    free(v);
}

int ds_keep_level_apply(ds_cctx *x, const ds_trace *trace, const ds_minify_opts *opts) {
    ds_kl *k = ds_xcalloc(1, sizeof *k);
    x->kl = k;
    ds_strmap_init(&k->listings);
    if (opts->pkgindex) { /* read only from here on: a shallow copy */
        k->ix = *opts->pkgindex;
        k->ix_borrowed = true;
    } else if (ds_pkgindex_build(&x->tree, opts->src_scan, &k->ix, x->err) < 0) {
        return -1;
    }
    k->state = ds_xcalloc(k->ix.n + 1, 1);
    k->why = ds_xcalloc(k->ix.n + 1, sizeof *k->why);
    k->ran = ds_xcalloc(k->ix.n + 1, sizeof *k->ran);
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        if (!trace->files[i].ok || !(trace->files[i].ops & DS_TRACE_OP_EXEC)) continue;
        const ds_rpath_res *r = ds_closure_lookup(x, trace->files[i].path);
        long o = r->exists ? ds_pkgindex_owner(&k->ix, r->real) : -1;
        if (o >= 0) k->ran[o] = true;
    }
    json_t *kl = x->c->keep_level;
    k->rules = json_object_get(kl, "rules");
    k->docs = json_object();
    k->plugins = json_array();
    k->dev = json_object();
    json_object_set_new(kl, "left_out", k->dev);
    json_object_set_new(kl, "docs_left_out", k->docs);
    json_object_set_new(kl, "plugins_left_out", k->plugins);

    /* Python standard libraries in the image. */
    static const char *const pyparents[] = {"/usr/lib", "/usr/local/lib"};
    for (size_t i = 0; i < 2; i++)
        for (int minor = 0; minor <= 30; minor++)
            for (int major = 2; major <= 3; major++) {
                char *d = ds_xasprintf("%s/python%d.%d", pyparents[i], major, minor);
                const ds_rpath_res *r = ds_closure_lookup(x, d);
                if (r->exists && S_ISDIR(r->mode) && !r->n_links) {
                    k->py_roots = ds_xrealloc(k->py_roots, (k->n_py_roots + 1) * sizeof *k->py_roots);
                    k->py_roots[k->n_py_roots++] = ds_xstrdup(r->real);
                }
                free(d);
            }
    /* Frozen modules: the interpreter ran (it stats os.py to find its prefix) but never read os.py. */
    k->py_frozen = ds_xcalloc(k->n_py_roots + 1, sizeof *k->py_frozen);
    for (size_t i = 0; i < k->n_py_roots; i++) {
        char *os = ds_xasprintf("%s/os.py", k->py_roots[i]);
        const ds_trace_file *f = trace ? ds_trace_find(trace, os) : NULL;
        k->py_frozen[i] = f && f->ok && !(f->ops & (DS_TRACE_OP_OPEN | DS_TRACE_OP_MAP));
        free(os);
    }
    /* Perl and Ruby standard libraries in the image (kept at module level, rule 5). */
    ds_kl_script_roots(x);
    /* iconv used: a gconv module loaded (not only the cache every locale setup reads). */
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const ds_trace_file *f = &trace->files[i];
        size_t l = strlen(f->path);
        if (f->ok && strstr(f->path, "/gconv/") && l > 3 && !strcmp(f->path + l - 3, ".so") &&
            (f->ops & (DS_TRACE_OP_OPEN | DS_TRACE_OP_MAP)))
            k->gconv_used = true;
    }

    /* 1. What a distroless base carries. */
    static const struct { const char *rule, *path; bool tree; ds_tree_skip_fn skip; } base[] = {
        {"time zone data", "/usr/share/zoneinfo", true, zone_skip},
        {"CA certificates", "/etc/ssl/certs", true, NULL},
        {"CA certificates", "/usr/share/ca-certificates", true, NULL},
        {"CA certificates", "/etc/pki/tls/certs", true, NULL},
        {"CA certificates", "/etc/ssl/cert.pem", false, NULL},
        {"network databases", "/etc/services", false, NULL},
        {"network databases", "/etc/protocols", false, NULL},
        {"network databases", "/etc/nsswitch.conf", false, NULL},
        {"network databases", "/etc/hosts", false, NULL},
        {"network databases", "/etc/host.conf", false, NULL},
        {"network databases", "/etc/gai.conf", false, NULL},
    };
    for (size_t i = 0; i < sizeof base / sizeof *base; i++) {
        int64_t b = 0, *saved = x->rule_bytes;
        x->rule_bytes = &b;
        if (base[i].tree) ds_closure_keep_tree_but(x, base[i].path, base[i].rule, base[i].skip);
        else ds_closure_keep(x, base[i].path, base[i].rule, NULL);
        x->rule_bytes = saved;
        add_bytes(k->rules, base[i].rule, b);
    }
    count_right_zones(x);
    if (k->gconv_used) {
        int64_t b = 0, *saved = x->rule_bytes;
        x->rule_bytes = &b;
        ds_strlist seen = {0};
        for (size_t i = 0; i < trace->nfiles; i++) {
            const char *p = trace->files[i].path, *g = strstr(p, "/gconv/");
            if (!trace->files[i].ok || !g) continue;
            char *d = ds_xstrndup(p, (size_t)(g - p) + 6);
            if (!ds_strlist_has(&seen, d)) {
                ds_strlist_add(&seen, d);
                ds_closure_keep_tree(x, d, "gconv modules (the app used iconv)");
            }
            free(d);
        }
        ds_strlist_free(&seen);
        x->rule_bytes = saved;
        add_bytes(k->rules, "gconv modules (iconv used)", b);
    }

    /* 2. The app's own tree. */
    ds_strlist roots = {0};
    for (size_t i = 0; trace && i < trace->nfiles; i++)
        if (trace->files[i].ok && marks_use(trace->files[i].ops) && trace->files[i].kind != DS_TRACE_DIR)
            add_anchor(x, &roots, trace->files[i].path, false);
    if (opts->workdir && *opts->workdir) add_anchor(x, &roots, opts->workdir, true);
    for (size_t i = 1; i < opts->n_command; i++)
        if (opts->command[i][0] == '/') add_anchor(x, &roots, opts->command[i], false);
    int64_t app = 0, *saved = x->rule_bytes;
    x->rule_bytes = &app;
    json_t *app_roots = json_array();
    for (size_t i = 0; i < roots.n; i++) {
        ds_closure_keep_tree_but(x, roots.v[i], "the app's own tree (files no package owns)", app_tree_skip);
        json_array_append_new(app_roots, ds_json_bytes(roots.v[i]));
    }
    x->rule_bytes = saved;
    ds_strlist_free(&roots);
    add_bytes(k->rules, "the app's own tree", app);
    json_object_set_new(kl, "app_trees", app_roots);

    /* 3. Whole packages of what the app used. */
    int64_t whole = 0;
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const ds_trace_file *f = &trace->files[i];
        if (!f->ok || !marks_use(f->ops) || f->kind == DS_TRACE_DIR || f->path[0] != '/') continue;
        const ds_rpath_res *r = ds_closure_lookup(x, f->path);
        if (!r->exists || S_ISDIR(r->mode) || gem_bookkeeping(r->real)) continue;
        long o = ds_pkgindex_owner(&k->ix, r->real);
        if (o >= 0 && !k->state[o]) ds_kl_keep_whole(x, opts, (size_t)o, "the app used its files", &whole);
    }
    /* 4. Runtime data kept packages declare (deb Depends on a package with no code). */
    int64_t data = 0;
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < k->ix.n; i++) {
            if (!k->state[i] || strcmp(k->ix.v[i].type, "deb")) continue;
            for (size_t d = 0; d < k->ix.v[i].n_depends; d++) {
                long o = ds_pkgindex_find(&k->ix, "deb", k->ix.v[i].depends[d]);
                if (o < 0 || k->state[o] || k->ix.v[o].has_code) continue;
                char *why = ds_xasprintf("runtime data %s depends on", k->ix.v[i].name);
                ds_kl_keep_whole(x, opts, (size_t)o, why, &data);
                free(why);
                more = true;
            }
        }
    }
    /* 5. The Python standard library at module level. */
    int64_t mods = 0;
    python_modules(x, opts, &mods, &whole);
    ds_kl_script_modules(x, opts, &mods, &whole);
    add_bytes(k->rules, "whole packages", whole);
    json_object_set_new(kl, "programs_left_out_bytes", json_integer(k->programs_left_out));
    add_bytes(k->rules, "runtime data packages (Depends)", data);
    add_bytes(k->rules, "standard library modules (imported)", mods);
    return 0;
}

void ds_keep_level_finish(ds_cctx *x) {
    ds_kl *k = x->kl;
    if (!k) return;
    json_t *pk = json_array();
    json_int_t n_whole = 0;
    for (size_t i = 0; i < k->ix.n; i++) {
        const ds_kpkg *p = &k->ix.v[i];
        json_int_t files = 0, kept = 0, kept_bytes = 0, file_bytes = 0;
        for (size_t j = 0; j < p->n_files; j++) {
            const ds_rpath_res *r = ds_closure_lookup(x, p->files[j]);
            if (r->exists && S_ISDIR(r->mode)) continue;
            files++;
            if (ds_pathmap_get(&x->c->keep, p->files[j])) {
                kept++;
                int64_t b = r->exists && !r->n_links ? host_size(x, r->real) : 0;
                kept_bytes += b;
                if (ds_pathmap_get(&x->file_set, p->files[j])) file_bytes += b;
            }
        }
        if (!files) continue; /* a language database whose files an OS package lists */
        const char *state = k->state[i] == 'w' ? "whole" : k->state[i] == 'm' ? "modules" : kept ? "partial" : "dropped";
        if (k->state[i] == 'w') n_whole++;
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "type", p->type, "name", p->name, "state",
                              state, "files", files, "bytes", (json_int_t)p->bytes, "kept_files", kept, "kept_bytes",
                              kept_bytes, "file_level_bytes", file_bytes);
        if (k->why[i]) json_object_set_new(o, "why", json_string(k->why[i]));
        json_array_append_new(pk, o);
    }
    json_object_set_new(x->c->keep_level, "packages", pk);
    json_object_set_new(x->c->keep_level, "packages_whole", json_integer(n_whole));
    for (size_t i = 0; i < k->ix.n; i++) free(k->why[i]);
    for (size_t i = 0; i < k->n_py_roots; i++) free(k->py_roots[i]);
    free(k->py_roots);
    free(k->py_frozen);
    ds_strlist_free(&k->frozen_seen);
    ds_strlist_free(&k->lib_roots);
    ds_strlist_free(&k->perl_inc);
    ds_strlist_free(&k->lib_links);
    ds_strlist_free(&k->rb_load);
    ds_strlist_free(&k->rb_gems);
    ds_strlist_free(&k->rb_bundled);
    free(k->why);
    free(k->ran);
    free(k->state);
    ds_strmap_free(&k->listings, free_listing);
    if (!k->ix_borrowed) ds_pkgindex_free(&k->ix);
    free(k);
    x->kl = NULL;
}
