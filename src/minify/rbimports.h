/* Ruby's require statements, for keeping a standard library at module level. */
#ifndef DS_MINIFY_RBIMPORTS_H
#define DS_MINIFY_RBIMPORTS_H
#include <stdbool.h>
#include <stddef.h>
#include "scan/scan.h"

typedef struct ds_rb_uses {
    ds_strlist requires; /* names found along $LOAD_PATH: require 'x', autoload :C, 'x' */
    ds_strlist relative; /* require_relative 'x': against the file's directory */
    bool dynamic;        /* a require of a computed name (require lib, require "a/#{b}") */
} ds_rb_uses;

/* Fills u (unique entries) from Ruby source text: literal-string `require`,
 * `require_relative` and `autoload :Const, 'x'` (parenthesised or not). Comments,
 * =begin/=end blocks, strings, %-literals, heredocs and what follows __END__ are not read.
 * flags: */
#define DS_RB_TOP_ONLY 1u /* a require inside a def body does not count (autoload does) */
void ds_rb_imports(const char *text, size_t len, unsigned flags, ds_rb_uses *u);
void ds_rb_uses_free(ds_rb_uses *u);

#endif
