/* Python import statements, for keeping a standard library at module level. */
#ifndef DS_MINIFY_PYIMPORTS_H
#define DS_MINIFY_PYIMPORTS_H
#include <stdbool.h>
#include <stddef.h>
#include "scan/scan.h"

/* Appends to out (unique) the absolute module names that text's import statements name:
 * "import a.b" -> a.b; "from a import b" -> a and a.b; relative imports resolved against
 * package (the dotted package the file belongs to; NULL: relative ones are skipped).
 * The bodies of `if TYPE_CHECKING:` and of other systems' branches (`if sys.platform ==
 * "win32":`, `if os.name == "nt":`) are never read. flags: */
#define DS_PY_TOP_ONLY 1u /* only what runs when the module is imported: no def or class body */
#define DS_PY_NOT_MAIN 2u /* not the `if __name__ == "__main__":` block (the file is not run as a script) */
/* exists (may be NULL): whether a module is in the image. An `except ImportError:` (or
 * ModuleNotFoundError) body after a try body whose imports all exist is a fallback that
 * does not run (`try: from _decimal import *` / `except ImportError: from _pydecimal
 * import *`): not read. */
typedef bool (*ds_py_exists_fn)(const char *module, void *ctx);
void ds_py_imports(const char *text, size_t len, const char *package, unsigned flags, ds_py_exists_fn exists,
                   void *ctx, ds_strlist *out);

#endif
