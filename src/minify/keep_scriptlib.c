/* The package level's rule for the Perl and Ruby standard libraries (docs/build.md, "Keep
 * level"): kept at module level, as Python's is, not as whole packages. From every kept
 * Perl or Ruby file, the files it loads by name are found along the interpreter's search
 * path (@INC, $LOAD_PATH then the installed gems), to a fixed point:
 *  - a file of a standard library: kept (with an XS module's auto/ files);
 *  - a file of another package (a Debian lib*-perl or ruby-* package, a gem): that
 *    package kept whole; a bundled gem's directory under /usr/lib/ruby/gems/V/gems whole.
 * A standard library file follows its requires at top level only (one inside a sub or def
 * body loads an optional feature when that code runs); the app's files and other
 * packages' follow them all, since an app's handler may require a module lazily.
 * Rubygems, which the interpreter loads at start, is kept whole (Debian's ruby-rubygems by
 * rule 3; one inside the standard library here) and only its loaded files are read.
 * Loaded by a computed name, so kept as directories: a standard module's own directory
 * when it requires a computed name (File::Spec -> File/Spec/, digest.rb -> digest/),
 * Ruby's encodings, Perl's Unicode tables once one of them was read. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "minify/keep_level_int.h"
#include "minify/perlimports.h"
#include "minify/rbimports.h"
#include "util/fsutil.h"
#include "util/path_json.h"

/* dir, when it is a directory: its canonical path added once to l. */
static const char *add_dir(ds_cctx *x, ds_strlist *l, const char *dir) {
    const ds_rpath_res *r = ds_closure_lookup(x, dir);
    if (!r->exists || !S_ISDIR(r->mode)) return NULL;
    if (!ds_strlist_has(l, r->real)) ds_strlist_add(l, r->real);
    /* /usr/share/perl/5.36 -> 5.36.0: the path the interpreter searches, kept with its files */
    if (strcmp(dir, r->real) && !ds_strlist_has(&x->kl->lib_links, dir)) ds_strlist_add(&x->kl->lib_links, dir);
    return r->real;
}

static void add_fmt(ds_cctx *x, ds_strlist *l, const char *fmt, const char *a, const char *b) {
    char *d = ds_xasprintf(fmt, a, b);
    add_dir(x, l, d);
    free(d);
}

/* Names in dir that start with a digit and hold a dot: versions (5.36, 5.36.0, 3.1.0). */
static void versions(ds_cctx *x, const char *dir, ds_strlist *out) {
    const ds_rpath_res *r = ds_closure_lookup(x, dir);
    if (!r->exists || !S_ISDIR(r->mode)) return;
    char *real = ds_xstrdup(r->real);
    const ds_strlist *l = ds_kl_listing(x, real);
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i][0] >= '0' && l->v[i][0] <= '9' && strchr(l->v[i], '.') && !ds_strlist_has(out, l->v[i]))
            ds_strlist_add(out, l->v[i]);
    free(real);
}

/* The interpreter ran: the file level keeps its program or its library (a perl script in a
 * package kept whole for another reason, openssl's tsget.pl, brings nothing). */
static bool interpreter_used(ds_cctx *x, const char *name) {
    char *lib = ds_xasprintf("/lib%s", name);
    size_t nl = strlen(name);
    bool used = false;
    for (size_t i = 0; i < x->file_set.n && !used; i++) {
        const char *p = x->file_set.v[i].path, *b = strrchr(p, '/');
        used = (b && !strncmp(b + 1, name, nl) && strstr(p, "/bin/") && (b[1 + nl] == 0 || b[1 + nl] == '.' ||
                                                                         (b[1 + nl] >= '0' && b[1 + nl] <= '9'))) ||
               (strstr(p, lib) && strstr(p, ".so"));
    }
    free(lib);
    return used;
}

void ds_kl_script_roots(ds_cctx *x) {
    ds_kl *k = x->kl;
    ds_strlist triplets = {0}, pv = {0}, rv = {0};
    bool perl = interpreter_used(x, "perl"), ruby = interpreter_used(x, "ruby");
    const ds_strlist *usr_lib = ds_kl_listing(x, "/usr/lib");
    for (size_t i = 0; i < usr_lib->n; i++)
        if (strstr(usr_lib->v[i], "-linux-")) ds_strlist_add(&triplets, usr_lib->v[i]);
    /* Perl (Debian): perl-modules-5.36, libperl5.36 and perl-base; @INC in perl -V's order */
    if (perl) versions(x, "/usr/share/perl", &pv);
    for (size_t t = 0; perl && t < triplets.n; t++) {
        char *d = ds_xasprintf("/usr/lib/%s/perl", triplets.v[t]);
        versions(x, d, &pv);
        free(d);
    }
    ds_strlist proots = {0};
    for (size_t v = 0; v < pv.n; v++) {
        add_fmt(x, &proots, "/usr/share/perl/%s%s", pv.v[v], "");
        for (size_t t = 0; t < triplets.n; t++) add_fmt(x, &proots, "/usr/lib/%s/perl/%s", triplets.v[t], pv.v[v]);
    }
    if (proots.n) {
        for (size_t t = 0; t < triplets.n; t++) add_fmt(x, &proots, "/usr/lib/%s/perl-base%s", triplets.v[t], "");
        for (size_t i = 0; i < proots.n; i++) ds_strlist_add(&k->lib_roots, proots.v[i]);
        ds_strlist *inc = &k->perl_inc;
        add_dir(x, inc, "/etc/perl");
        for (size_t v = 0; v < pv.n; v++)
            for (size_t t = 0; t < triplets.n; t++) add_fmt(x, inc, "/usr/local/lib/%s/perl/%s", triplets.v[t], pv.v[v]);
        for (size_t v = 0; v < pv.n; v++) add_fmt(x, inc, "/usr/local/share/perl/%s%s", pv.v[v], "");
        for (size_t v = 0; v < pv.n; v++)
            for (size_t t = 0; t < triplets.n; t++) add_fmt(x, inc, "/usr/lib/%s/perl5/%s", triplets.v[t], pv.v[v]);
        add_dir(x, inc, "/usr/share/perl5");
        for (size_t t = 0; t < triplets.n; t++) add_fmt(x, inc, "/usr/lib/%s/perl-base%s", triplets.v[t], "");
        for (size_t v = 0; v < pv.n; v++)
            for (size_t t = 0; t < triplets.n; t++) add_fmt(x, inc, "/usr/lib/%s/perl/%s", triplets.v[t], pv.v[v]);
        for (size_t v = 0; v < pv.n; v++) add_fmt(x, inc, "/usr/share/perl/%s%s", pv.v[v], "");
        add_dir(x, inc, "/usr/local/lib/site_perl");
    }
    ds_strlist_free(&proots);
    /* Ruby (Debian): libruby3.1's /usr/lib/ruby/3.1.0 and its arch dir, and the bundled
     * gems' directories; $LOAD_PATH in ruby -e 'puts $:' order */
    if (ruby) versions(x, "/usr/lib/ruby", &rv);
    for (size_t v = 0; v < rv.n; v++) {
        const char *ver = rv.v[v];
        char *std = ds_xasprintf("/usr/lib/ruby/%s", ver);
        const ds_rpath_res *r = ds_closure_lookup(x, std);
        free(std);
        if (!r->exists || !S_ISDIR(r->mode)) continue;
        ds_strlist *lp = &k->rb_load;
        add_fmt(x, lp, "/usr/local/lib/site_ruby/%s%s", ver, "");
        for (size_t t = 0; t < triplets.n; t++) add_fmt(x, lp, "/usr/local/lib/%s/site_ruby%s", triplets.v[t], "");
        add_dir(x, lp, "/usr/local/lib/site_ruby");
        add_fmt(x, lp, "/usr/lib/ruby/vendor_ruby/%s%s", ver, "");
        for (size_t t = 0; t < triplets.n; t++) add_fmt(x, lp, "/usr/lib/%s/ruby/vendor_ruby/%s", triplets.v[t], ver);
        add_dir(x, lp, "/usr/lib/ruby/vendor_ruby");
        add_fmt(x, lp, "/usr/lib/ruby/%s%s", ver, "");
        add_fmt(x, &k->lib_roots, "/usr/lib/ruby/%s%s", ver, "");
        for (size_t t = 0; t < triplets.n; t++) {
            add_fmt(x, lp, "/usr/lib/%s/ruby/%s", triplets.v[t], ver);
            add_fmt(x, &k->lib_roots, "/usr/lib/%s/ruby/%s", triplets.v[t], ver);
        }
        add_fmt(x, &k->rb_bundled, "/usr/lib/ruby/gems/%s/gems%s", ver, "");
        add_fmt(x, &k->lib_roots, "/usr/lib/ruby/gems/%s/gems%s", ver, "");
        /* gems: rubygems-integration (Debian's ruby-* packages), bundled, gem install */
        ds_strlist gdirs = {0};
        add_dir(x, &gdirs, "/usr/share/rubygems-integration/all/gems");
        add_fmt(x, &gdirs, "/usr/share/rubygems-integration/%s/gems%s", ver, "");
        for (size_t t = 0; t < triplets.n; t++)
            add_fmt(x, &gdirs, "/usr/lib/%s/rubygems-integration/%s/gems", triplets.v[t], ver);
        add_fmt(x, &gdirs, "/usr/lib/ruby/gems/%s/gems%s", ver, "");
        add_fmt(x, &gdirs, "/var/lib/gems/%s/gems%s", ver, "");
        for (size_t g = 0; g < gdirs.n; g++) {
            char *gd = ds_xstrdup(gdirs.v[g]);
            const ds_strlist *l = ds_kl_listing(x, gd);
            for (size_t i = 0; i < l->n; i++) add_fmt(x, &k->rb_gems, "%s/%s/lib", gd, l->v[i]);
            free(gd);
        }
        ds_strlist_free(&gdirs);
    }
    ds_strlist_free(&triplets);
    ds_strlist_free(&pv);
    ds_strlist_free(&rv);
}

/* The search dir of l that holds real, or NULL. */
static const char *holder(const ds_strlist *l, const char *real) {
    const char *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->v[i]);
        if (!strncmp(real, l->v[i], n) && real[n] == '/' && (!best || n > strlen(best))) best = l->v[i];
    }
    return best;
}

/* What a Perl or Ruby file loads, as the readers below report it. */
typedef enum { LOAD_FILE, LOAD_XS_DIR, LOAD_OWN_DIR } load_kind;
typedef struct lib_ctx lib_ctx;
typedef void (*load_fn)(lib_ctx *c, load_kind kind, const char *path, const char *what, const char *by, void *arg);

/* A file an optional part loads (see is_optional), decided once the rest is kept. */
typedef struct pending {
    char *target, *what, *by;
    int64_t adds;
    bool done;
} pending;

struct lib_ctx {
    ds_cctx *x;
    const ds_minify_opts *opts;
    int64_t *whole;
    bool optional;       /* the file being read is an optional part */
    ds_pathmap required; /* files that a file which is not an optional part loads */
    pending *pend;
    size_t n_pend, cap_pend;
};

/* Keep a found file: its package whole when that is not a standard library's; a bundled
 * gem's directory whole; else the file. */
static void keep_found(lib_ctx *c, const char *real, const char *what, const char *by) {
    ds_kl *k = c->x->kl;
    const char *bundled = holder(&k->rb_bundled, real);
    if (bundled) {
        const char *rest = real + strlen(bundled) + 1;
        char *gem = ds_xasprintf("%s/%.*s", bundled, (int)strcspn(rest, "/"), rest);
        if (!ds_pathmap_get(&c->x->c->keep, gem)) {
            char *why = ds_xasprintf("Ruby bundled gem (%s required by %s)", what, by);
            ds_closure_keep_tree(c->x, gem, why);
            free(why);
        }
        free(gem);
        return;
    }
    long o = ds_pkgindex_owner(&k->ix, real);
    if (o >= 0 && !ds_kl_stdlib_file(k, real)) {
        if (!k->state[o]) ds_kl_keep_whole(c->x, c->opts, (size_t)o, "a kept module loads it", c->whole);
        return;
    }
    if (o >= 0 && !k->state[o]) k->state[o] = 'm'; /* a standard library's package, at module level */
    if (ds_pathmap_get(&c->x->c->keep, real)) return;
    char *why = ds_xasprintf("%s (loaded by %s)", what, by);
    ds_closure_keep(c->x, real, why, NULL);
    free(why);
}

/* The first regular file dir/name along dirs; malloc'd canonical path or NULL. */
static char *find_along(ds_cctx *x, const ds_strlist *dirs, const char *name, const char *const *exts) {
    for (size_t d = 0; d < dirs->n; d++)
        for (size_t e = 0; exts[e]; e++) {
            char *p = ds_xasprintf("%s/%s%s", dirs->v[d], name, exts[e]);
            const ds_rpath_res *r = ds_closure_lookup(x, p);
            free(p);
            if (r->exists && S_ISREG(r->mode)) return ds_xstrdup(r->real);
        }
    return NULL;
}

/* Every regular file directly in dir (an XS module's auto/A/B: B.so, .bs, AutoLoader's .al). */
static void keep_files_in(ds_cctx *x, const char *dir, const char *why) {
    const ds_rpath_res *r = ds_closure_lookup(x, dir);
    if (!r->exists || !S_ISDIR(r->mode)) return;
    char *real = ds_xstrdup(r->real);
    const ds_strlist *l = ds_kl_listing(x, real);
    for (size_t i = 0; i < l->n; i++) {
        char *f = ds_xasprintf("%s/%s", real, l->v[i]);
        const ds_rpath_res *fr = ds_closure_lookup(x, f);
        if (fr->exists && S_ISREG(fr->mode)) ds_closure_keep(x, f, why, NULL);
        free(f);
    }
    free(real);
}

/* "A::B" -> "A/B" */
static char *module_path(const char *m) {
    char *p = ds_xmalloc(strlen(m) + 1);
    size_t o = 0;
    for (const char *c = m; *c; c++) {
        if (c[0] == ':' && c[1] == ':') { p[o++] = '/'; c++; }
        else p[o++] = *c;
    }
    p[o] = 0;
    return p;
}

static void perl_loads(lib_ctx *c, const char *real, const char *text, size_t len, load_fn fn, void *arg) {
    ds_cctx *x = c->x;
    ds_kl *k = x->kl;
    bool std = ds_kl_stdlib_file(k, real);
    ds_perl_uses u = {0};
    ds_perl_imports(text, len, std ? DS_PERL_TOP_ONLY : 0, &u);
    static const char *const none[] = {"", NULL};
    for (size_t i = 0; i < u.files.n; i++) {
        char *f = find_along(x, &k->perl_inc, u.files.v[i], none);
        if (f) {
            char *what = ds_xasprintf("Perl module %s", u.files.v[i]);
            fn(c, LOAD_FILE, f, what, real, arg);
            free(what);
        }
        free(f);
    }
    const char *inc = holder(&k->perl_inc, real);
    char *self = inc && ds_kl_ends(real, ".pm") ? ds_xstrndup(real + strlen(inc) + 1, strlen(real) - strlen(inc) - 4) : NULL;
    /* the XS part: auto/A/B/B.so along @INC (and AutoLoader's files beside it) */
    for (size_t i = 0; i < u.xs.n + (self && ds_strlist_has(&u.files, "AutoLoader.pm")); i++) {
        char *mp = i < u.xs.n ? module_path(u.xs.v[i]) : ds_xstrdup(self);
        for (size_t d = 0; d < k->perl_inc.n; d++) {
            char *a = ds_xasprintf("%s/auto/%s", k->perl_inc.v[d], mp);
            const ds_rpath_res *r = ds_closure_lookup(x, a);
            bool there = r->exists && S_ISDIR(r->mode);
            if (there) {
                char *why = ds_xasprintf("Perl module %s's XS part (loaded by %s)", mp, real);
                fn(c, LOAD_XS_DIR, a, why, real, arg);
                free(why);
            }
            free(a);
            if (there) break;
        }
        free(mp);
    }
    /* a standard module that requires a computed name: its own directory (File/Spec/) */
    if (std && u.dynamic && self) {
        for (size_t d = 0; d < k->perl_inc.n; d++) {
            if (!ds_kl_stdlib_file(k, k->perl_inc.v[d])) continue;
            char *own = ds_xasprintf("%s/%s", k->perl_inc.v[d], self);
            char *au = ds_xasprintf("%s/auto/%s", k->perl_inc.v[d], self);
            char *why = ds_xasprintf("Perl module %s's own modules (it requires a computed name)", self);
            fn(c, LOAD_OWN_DIR, own, why, real, arg);
            fn(c, LOAD_OWN_DIR, au, why, real, arg);
            free(own); free(au); free(why);
        }
    }
    free(self);
    ds_perl_uses_free(&u);
}

static void ruby_loads(lib_ctx *c, const char *real, const char *text, size_t len, load_fn fn, void *arg) {
    ds_cctx *x = c->x;
    ds_kl *k = x->kl;
    /* rubygems (the interpreter loads it at start; Debian's ruby-rubygems, kept whole) reads
     * as a standard library: what its `gem` commands require inside their methods is not
     * what an app's require brings */
    const char *lp0 = holder(&k->rb_load, real);
    bool gems = lp0 && (!strcmp(real + strlen(lp0), "/rubygems.rb") || !strncmp(real + strlen(lp0), "/rubygems/", 10));
    /* ... and of its files only those the interpreter loaded are read (the rest are the
     * gem command's: `gem install` brings openssl, net/http) */
    if (gems && !ds_pathmap_get(&x->file_set, real)) return;
    bool std = ds_kl_stdlib_file(k, real) || gems;
    ds_rb_uses u = {0};
    ds_rb_imports(text, len, std ? DS_RB_TOP_ONLY : 0, &u);
    static const char *const rb_exts[] = {".rb", ".so", "", NULL};
    static const char *const as_is[] = {"", NULL};
    for (size_t i = 0; i < u.requires.n; i++) {
        const char *n = u.requires.v[i];
        const char *const *exts = ds_kl_ends(n, ".rb") || ds_kl_ends(n, ".so") ? as_is : rb_exts;
        char *f = find_along(x, &k->rb_load, n, exts);
        if (!f) f = find_along(x, &k->rb_gems, n, exts);
        if (f) {
            char *what = ds_xasprintf("Ruby library %s", n);
            fn(c, LOAD_FILE, f, what, real, arg);
            free(what);
        }
        free(f);
    }
    const char *s = strrchr(real, '/');
    char *dir = ds_xstrndup(real, (size_t)(s - real));
    ds_strlist here = {0};
    ds_strlist_add(&here, dir);
    for (size_t i = 0; i < u.relative.n; i++) {
        const char *n = u.relative.v[i];
        char *f = find_along(x, &here, n, ds_kl_ends(n, ".rb") ? as_is : rb_exts);
        if (f) {
            char *what = ds_xasprintf("Ruby file %s", n);
            fn(c, LOAD_FILE, f, what, real, arg);
            free(what);
        }
        free(f);
    }
    ds_strlist_free(&here);
    free(dir);
    /* a standard library file that requires a computed name: its own directory, in every
     * standard dir of $LOAD_PATH (digest.rb -> digest/, and the arch dir's digest/ with its .so files) */
    const char *lp = holder(&k->rb_load, real);
    if (std && !gems && u.dynamic && lp && ds_kl_ends(real, ".rb")) {
        char *self = ds_xstrndup(real + strlen(lp) + 1, strlen(real) - strlen(lp) - 4);
        char *why = ds_xasprintf("Ruby library %s's own files (it requires a computed name)", self);
        for (size_t d = 0; d < k->rb_load.n; d++) {
            if (!ds_kl_stdlib_file(k, k->rb_load.v[d])) continue;
            char *own = ds_xasprintf("%s/%s", k->rb_load.v[d], self);
            fn(c, LOAD_OWN_DIR, own, why, real, arg);
            free(own);
        }
        free(why);
        free(self);
    }
    ds_rb_uses_free(&u);
}

/* 'p' Perl, 'r' Ruby, 0 neither: by name, or by the #! line of a file no package owns. */
static char language(ds_cctx *x, const char *real, const ds_rpath_res *r) {
    ds_kl *k = x->kl;
    if (k->perl_inc.n && (ds_kl_ends(real, ".pm") || ds_kl_ends(real, ".pl"))) return 'p';
    if (k->rb_load.n && ds_kl_ends(real, ".rb")) return 'r';
    const char *base = strrchr(real, '/') + 1;
    if (strchr(base, '.') || !(r->mode & 0111) || ds_pkgindex_owner(&k->ix, real) >= 0) return 0;
    char *h = ds_xasprintf("%s%s", x->root, real);
    char line[128] = {0};
    FILE *f = fopen(h, "r");
    free(h);
    if (!f) return 0;
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!got || strncmp(line, "#!", 2)) return 0;
    if (k->perl_inc.n && strstr(line, "perl")) return 'p';
    if (k->rb_load.n && strstr(line, "ruby")) return 'r';
    return 0;
}

/* ---------------------------------------------------------------- optional parts
 * A file of a package kept whole (not a standard library's) that the app never loaded, and
 * that no other file loads, is an optional part of its package: WEBrick's ssl.rb, a CPAN
 * distribution's HTTPS backend. What it loads is kept when that adds little; a module that
 * would add more than DS_MODULE_LIMIT (with its extensions' libraries: OpenSSL's 5.4 MB) is
 * left out and named with its --keep hint, as rule 3 does with an unloaded ELF plugin. The
 * decision waits until everything else is kept: a file first read as optional may be loaded
 * by a file read later, and then what it loads is kept like any module. */
#define DS_MODULE_LIMIT ((int64_t)2 << 20)

static bool is_optional(lib_ctx *c, const char *real) {
    ds_cctx *x = c->x;
    if (ds_pathmap_get(&x->file_set, real) || ds_pathmap_get(&c->required, real) || ds_kl_stdlib_file(x->kl, real))
        return false;
    long o = ds_pkgindex_owner(&x->kl->ix, real);
    return o >= 0 && x->kl->state[o] == 'w';
}

static void keep_load(lib_ctx *c, load_kind kind, const char *path, const char *what, const char *by, void *arg) {
    (void)arg;
    if (kind == LOAD_XS_DIR) { keep_files_in(c->x, path, what); return; }
    if (kind == LOAD_OWN_DIR) { ds_closure_keep_tree(c->x, path, what); return; }
    if (!c->optional) {
        ds_pathmap_add(&c->required, path, NULL);
        keep_found(c, path, what, by);
        return;
    }
    if (c->n_pend == c->cap_pend) {
        c->cap_pend = c->cap_pend ? c->cap_pend * 2 : 16;
        c->pend = ds_xrealloc(c->pend, c->cap_pend * sizeof *c->pend);
    }
    c->pend[c->n_pend++] = (pending){ds_xstrdup(path), ds_xstrdup(what), ds_xstrdup(by), 0, false};
}

typedef struct estimate {
    ds_pathmap seen;
    int64_t bytes;
    int depth;
} estimate;

static void would_add(lib_ctx *c, const char *real, estimate *e);

static void add_load(lib_ctx *c, load_kind kind, const char *path, const char *what, const char *by, void *arg) {
    (void)what; (void)by;
    if (kind == LOAD_FILE) would_add(c, path, arg);
    if (kind != LOAD_XS_DIR) return; /* a module's own directory (digest/, File/Spec/): a few small files */
    const ds_rpath_res *r = ds_closure_lookup(c->x, path);
    if (!r->exists || !S_ISDIR(r->mode)) return;
    char *real = ds_xstrdup(r->real);
    const ds_strlist *l = ds_kl_listing(c->x, real);
    for (size_t i = 0; i < l->n; i++) {
        char *f = ds_xasprintf("%s/%s", real, l->v[i]);
        would_add(c, f, arg);
        free(f);
    }
    free(real);
}

/* The bytes keeping real as a loaded module would add: the file, its extension's libraries,
 * what it loads in turn; a file of another package brings that package. A kept optional
 * part costs nothing itself, but what it loads would be kept once it is loaded. */
static void would_add(lib_ctx *c, const char *real, estimate *e) {
    ds_cctx *x = c->x;
    ds_kl *k = x->kl;
    const ds_rpath_res *r = ds_closure_lookup(x, real);
    if (!r->exists || !S_ISREG(r->mode) || !ds_pathmap_add(&e->seen, r->real, NULL)) return;
    char *rp = ds_xstrdup(r->real);
    bool kept = ds_pathmap_get(&x->c->keep, rp) != NULL;
    if (kept && !is_optional(c, rp)) { free(rp); return; } /* what it loads is followed already */
    if (!kept) {
        /* as keep_found would: another package's file brings that package (its bytes) */
        long o = ds_pkgindex_owner(&k->ix, rp);
        if (o >= 0 && !ds_kl_stdlib_file(k, rp) && !holder(&k->rb_bundled, rp)) {
            if (!k->state[o]) e->bytes += k->ix.v[o].bytes;
            free(rp);
            return;
        }
        e->bytes += ds_kl_size(x, rp) + ds_kl_elf_adds(x, c->opts, rp, &e->seen);
    }
    char lang = e->depth < 64 ? language(x, rp, r) : 0;
    char *text = NULL;
    size_t len = 0;
    ds_err err = {0};
    if (lang && ds_root_read_file(&x->tree, rp, 16u << 20, &text, &len, &err) > 0) {
        e->depth++;
        if (lang == 'p') perl_loads(c, rp, text, len, add_load, e);
        else ruby_loads(c, rp, text, len, add_load, e);
        e->depth--;
    }
    free(text);
    free(rp);
}

/* What optional parts load: kept when a file that is not one now loads the part, or (cheap)
 * when it adds little. True when something was kept. */
static bool settle_pending(lib_ctx *c, bool cheap) {
    bool kept = false;
    for (size_t i = 0; i < c->n_pend; i++) {
        pending *p = &c->pend[i];
        if (p->done) continue;
        if (ds_pathmap_get(&c->x->c->keep, p->target)) { p->done = true; continue; }
        bool by_required = ds_pathmap_get(&c->required, p->by) != NULL;
        if (!by_required && !cheap) continue;
        if (!by_required) {
            estimate e = {0};
            would_add(c, p->target, &e);
            ds_pathmap_free(&e.seen);
            p->adds = e.bytes;
            if (e.bytes > DS_MODULE_LIMIT) continue;
        } else {
            ds_pathmap_add(&c->required, p->target, NULL);
        }
        keep_found(c, p->target, p->what, p->by);
        p->done = kept = true;
    }
    return kept;
}

/* The modules left out, once each, in keep_level.plugins_left_out. */
static void report_left_out(lib_ctx *c) {
    ds_kl *k = c->x->kl;
    ds_pathmap named = {0};
    for (size_t i = 0; i < c->n_pend; i++) {
        pending *p = &c->pend[i];
        if (p->done || ds_pathmap_get(&c->x->c->keep, p->target) || !ds_pathmap_add(&named, p->target, NULL)) continue;
        long o = ds_pkgindex_owner(&k->ix, p->by);
        char *hint = ds_xasprintf("keep it with --keep %s", p->target);
        json_array_append_new(k->plugins, json_pack("{s:s, s:s, s:o, s:o, s:I, s:s}", "package",
                                                    o >= 0 ? k->ix.v[o].name : "", "module", p->what, "path",
                                                    ds_json_bytes(p->target), "required_by", ds_json_bytes(p->by),
                                                    "adds_bytes", (json_int_t)p->adds, "hint", hint));
        free(hint);
    }
    ds_pathmap_free(&named);
    for (size_t i = 0; i < c->n_pend; i++) { free(c->pend[i].target); free(c->pend[i].what); free(c->pend[i].by); }
    free(c->pend);
}

/* Ruby's transcoders for the CJK and emoji encodings (and UTF8-MAC): 2.6 of enc/trans's
 * 3 MB. String#encode loads one by the encodings' names; left out unless the app loaded
 * it, and named. The encodings themselves, the Unicode, single-byte and EBCDIC transcoders
 * and the XML/HTML escapes stay. */
static bool regional_transcoder(const char *p) {
    static const char *const names[] = {"big5.so", "chinese.so", "gb18030.so", "gbk.so", "korean.so", "iso2022.so",
                                        "japanese.so", "japanese_euc.so", "japanese_sjis.so", "utf8_mac.so"};
    const char *t = strstr(p, "/enc/trans/");
    if (!t) return false;
    t += 11;
    if (!strncmp(t, "emoji", 5) && ds_kl_ends(t, ".so")) return true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(t, names[i])) return true;
    return false;
}

static bool skip_transcoder(ds_cctx *x, const char *p, const struct stat *st) {
    if (!S_ISREG(st->st_mode) || !regional_transcoder(p) || ds_pathmap_get(&x->c->keep, p)) return false;
    x->kl->rb_trans_left += st->st_size;
    return true;
}

void ds_kl_script_modules(ds_cctx *x, const ds_minify_opts *opts, int64_t *mod_bytes, int64_t *whole_bytes) {
    ds_kl *k = x->kl;
    if (!k->perl_inc.n && !k->rb_load.n) return;
    int64_t *saved = x->rule_bytes;
    x->rule_bytes = mod_bytes;
    lib_ctx c = {.x = x, .opts = opts, .whole = whole_bytes};
    ds_pathmap done = {0};
    bool enc = false, unicore = false;
    for (size_t n = 0;; n++) {
        if (n == x->c->keep.n) {
            /* everything else kept: what optional parts load, then again from there */
            if (settle_pending(&c, false) || settle_pending(&c, true)) { n--; continue; }
            break;
        }
        const ds_rpath_res *r = ds_closure_lookup(x, x->c->keep.v[n].path);
        if (!r->exists || !S_ISREG(r->mode) || ds_pathmap_get(&done, r->real)) continue;
        char *real = ds_xstrdup(r->real);
        ds_pathmap_add(&done, real, NULL);
        if (ds_kl_stdlib_file(k, real) && strstr(real, "/enc/") && holder(&k->rb_load, real)) enc = true;
        if (ds_kl_stdlib_file(k, real) && strstr(real, "/unicore/") && holder(&k->perl_inc, real)) unicore = true;
        /* rubygems inside the standard library (upstream's layout; Debian has its own
         * package, kept whole by rule 3): whole once the interpreter loaded it */
        const char *lp = holder(&k->rb_load, real);
        if (lp && ds_kl_stdlib_file(k, real) && !strcmp(real + strlen(lp), "/rubygems.rb")) {
            char *d = ds_xasprintf("%s/rubygems", lp);
            ds_closure_keep_tree(x, d, "rubygems (loaded at start: kept whole)");
            free(d);
        }
        char lang = language(x, real, r);
        char *text = NULL;
        size_t len = 0;
        ds_err e = {0};
        if (lang && ds_root_read_file(&x->tree, real, 16u << 20, &text, &len, &e) > 0) {
            c.optional = is_optional(&c, real);
            if (lang == 'p') perl_loads(&c, real, text, len, keep_load, NULL);
            else ruby_loads(&c, real, text, len, keep_load, NULL);
        }
        free(text);
        free(real);
    }
    report_left_out(&c);
    ds_pathmap_free(&c.required);
    /* Looked up by a name made at run time, as Python's codecs are. */
    for (size_t i = 0; enc && i < k->rb_load.n; i++)
        if (ds_kl_stdlib_file(k, k->rb_load.v[i])) {
            char *d = ds_xasprintf("%s/enc", k->rb_load.v[i]);
            int64_t before = k->rb_trans_left;
            ds_closure_keep_tree_but(x, d, "Ruby encodings (loaded by name)", skip_transcoder);
            if (k->rb_trans_left > before) {
                char *t = ds_xasprintf("%s/trans", d);
                char *hint = ds_xasprintf("keep them with --keep %s", t);
                char *db = ds_xasprintf("%s/transdb.so", t);
                long o = ds_pkgindex_owner(&k->ix, db);
                free(db);
                json_array_append_new(k->plugins, json_pack("{s:s, s:s, s:o, s:I, s:s}", "package",
                                                            o >= 0 ? k->ix.v[o].name : "", "module",
                                                            "Ruby transcoders of CJK and emoji encodings", "path",
                                                            ds_json_bytes(t), "adds_bytes",
                                                            (json_int_t)(k->rb_trans_left - before), "hint", hint));
                free(hint);
                free(t);
            }
            free(d);
        }
    for (size_t i = 0; unicore && i < k->perl_inc.n; i++)
        if (ds_kl_stdlib_file(k, k->perl_inc.v[i])) {
            char *d = ds_xasprintf("%s/unicore", k->perl_inc.v[i]);
            ds_closure_keep_tree(x, d, "Perl Unicode tables (loaded by name)");
            free(d);
        }
    for (size_t i = 0; i < k->lib_links.n; i++) {
        const ds_rpath_res *r = ds_closure_lookup(x, k->lib_links.v[i]);
        if (!r->exists) continue;
        char *real = ds_xstrdup(r->real);
        size_t rl = strlen(real);
        bool used = false;
        for (size_t n = 0; n < x->c->keep.n && !used; n++)
            used = !strncmp(x->c->keep.v[n].path, real, rl) && x->c->keep.v[n].path[rl] == '/';
        if (used) ds_closure_keep(x, k->lib_links.v[i], "a search dir of the interpreter (symlink)", NULL);
        free(real);
    }
    x->rule_bytes = saved;
    ds_pathmap_free(&done);
}
