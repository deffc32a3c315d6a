/* Static ELF dependency resolution, as the dynamic loader would do it, for any
 * architecture, without executing anything. (Owned by the ldd work, issue 3.) */
#ifndef DS_ELF_RESOLVE_H
#define DS_ELF_RESOLVE_H
#include <stddef.h>
#include "util/err.h"

/* Every path inside `root` that the loader needs to run `file` (an absolute path
 * inside the image, e.g. "/usr/sbin/nginx"): the interpreter, each library found,
 * and every symlink on the way to each of them together with its target, as
 * absolute in-image paths. ld_library_path: from the image's Env, or NULL.
 * A library that cannot be found is not an error here: it is listed in *missing
 * (may be NULL). A file that is not ELF gives 0 paths. Returns -1 only on I/O
 * errors or a malformed ELF. Arrays and strings are malloc'd; free with ds_strv_free. */
int ds_elf_needed_files(const char *root, const char *file, const char *ld_library_path,
                        char ***paths, size_t *n_paths, char ***missing, size_t *n_missing,
                        ds_err *err);
void ds_strv_free(char **v, size_t n);

#endif
