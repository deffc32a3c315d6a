/* Perl's use/require statements, for keeping a standard library at module level. */
#ifndef DS_MINIFY_PERLIMPORTS_H
#define DS_MINIFY_PERLIMPORTS_H
#include <stdbool.h>
#include <stddef.h>
#include "scan/scan.h"

typedef struct ds_perl_uses {
    ds_strlist files; /* paths relative to an @INC dir: "JSON/PP.pm", "unicore/Name.pl" */
    ds_strlist xs;    /* packages that load their XS part (XSLoader::load, bootstrap): "List::Util" */
    bool dynamic;     /* a require of a computed name (require $file, require "Encode/$x.pm") */
} ds_perl_uses;

/* Fills u (unique entries) from Perl source text: `use A::B`, `no A::B`, `require A::B`
 * -> "A/B.pm"; `require "x/y.pl"` -> "x/y.pl"; `use parent`/`use base` class lists (not
 * with -norequire); `use if COND, A::B => ...` -> A/B.pm; `use VERSION` -> feature.pm,
 * strict.pm, warnings.pm. POD, comments, strings, heredocs and what follows __END__ or
 * __DATA__ are not read. flags: */
#define DS_PERL_TOP_ONLY 1u /* `require` inside a sub body does not count (`use` runs at compile time: it does) */
void ds_perl_imports(const char *text, size_t len, unsigned flags, ds_perl_uses *u);
void ds_perl_uses_free(ds_perl_uses *u);

#endif
