/* Shared by keep_level.c and the module-level rules of other languages (keep_scriptlib.c). */
#ifndef DS_MINIFY_KEEP_LEVEL_INT_H
#define DS_MINIFY_KEEP_LEVEL_INT_H
#include "minify/closure_int.h"
#include "minify/packages.h"
#include "scan/scan.h"
#include "util/strmap.h"

typedef struct ds_kl {
    ds_pkgindex ix;
    bool ix_borrowed;     /* ix is ds_minify_opts.pkgindex's (not freed here) */
    bool *ran;            /* per package: the app executed one of its programs */
    json_int_t programs_left_out;
    json_t *dev;          /* class -> bytes of development files left out of whole packages */
    char *state;          /* per package: 0, 'w' whole, 'm' standard library at module level */
    char **why;           /* per package: why it is whole */
    char **py_roots;      /* /usr/lib/python3.11, ... */
    size_t n_py_roots;
    bool *py_frozen;      /* per root: the interpreter ran its frozen modules (os.py was never read) */
    ds_strlist frozen_seen; /* frozen module sources left out */
    bool gconv_used;
    json_t *rules;        /* rule -> bytes */
    json_t *docs;         /* class -> bytes */
    json_t *plugins;      /* [{package, path, adds_bytes, hint}] */
    ds_strmap listings;   /* canonical dir -> ds_strlist* of its names */
    /* Perl and Ruby (keep_scriptlib.c) */
    ds_strlist lib_roots; /* standard library dirs kept at module level: /usr/share/perl/5.36.0, /usr/lib/ruby/3.1.0 */
    ds_strlist lib_links; /* search dirs named through a symlink (/usr/share/perl/5.36) */
    ds_strlist perl_inc;  /* @INC, in order (canonical) */
    ds_strlist rb_load;   /* $LOAD_PATH, in order */
    ds_strlist rb_gems;   /* lib dirs of installed gems (rubygems finds a require there when $LOAD_PATH has none) */
    int64_t rb_trans_left; /* bytes of Ruby's regional transcoders left out (keep_scriptlib.c) */
    ds_strlist rb_bundled; /* /usr/lib/ruby/gems/3.1.0/gems: a bundled gem there is kept as a whole directory */
} ds_kl;

/* A file of a standard library kept at module level (Python's, Perl's, Ruby's). */
bool ds_kl_stdlib_file(const ds_kl *k, const char *path);
/* p ends with suffix (and is longer than it). */
bool ds_kl_ends(const char *p, const char *suffix);
/* Names in a canonical directory (cached). */
const ds_strlist *ds_kl_listing(ds_cctx *x, const char *dir);
/* Bytes of a regular file of the source (0 for the rest). */
int64_t ds_kl_size(ds_cctx *x, const char *real);
/* Bytes the libraries of ELF file real would add: those neither kept nor in a package kept
 * whole, each once when seen is given (and new to it). 0 when real is not ELF. */
int64_t ds_kl_elf_adds(ds_cctx *x, const ds_minify_opts *opts, const char *real, ds_pathmap *seen);
/* Keep package pi whole (less its documentation, development files, standard library...). */
void ds_kl_keep_whole(ds_cctx *x, const ds_minify_opts *opts, size_t pi, const char *why, int64_t *bytes);
/* keep_scriptlib.c: find the Perl and Ruby standard libraries and search paths (before any
 * package is kept whole), then keep their modules that the kept files load. */
void ds_kl_script_roots(ds_cctx *x);
void ds_kl_script_modules(ds_cctx *x, const ds_minify_opts *opts, int64_t *mod_bytes, int64_t *whole_bytes);

#endif
