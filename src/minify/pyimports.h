/* Python import statements, for keeping a standard library at module level. */
#ifndef DS_MINIFY_PYIMPORTS_H
#define DS_MINIFY_PYIMPORTS_H
#include <stdbool.h>
#include <stddef.h>
#include "scan/scan.h"

/* Appends to out (unique) the absolute module names that text's import statements name:
 * "import a.b" -> a.b; "from a import b" -> a and a.b; relative imports resolved against
 * package (the dotted package the file belongs to; NULL: relative ones are skipped).
 * top_only: only the statements that run when the module is imported (not those inside
 * a def or class body). */
void ds_py_imports(const char *text, size_t len, const char *package, bool top_only, ds_strlist *out);

#endif
