/* Placeholder until the resolver lands (issue 3); the ldd work replaces this file. */
#include <stdlib.h>
#include "elf/resolve.h"

int ds_elf_needed_files(const char *root, const char *file, const char *ld_library_path,
                        char ***paths, size_t *n_paths, char ***missing, size_t *n_missing, ds_err *err) {
    (void)root; (void)ld_library_path; (void)paths; (void)n_paths; (void)missing; (void)n_missing;
    return ds_fail(err, "%s: ELF resolution is not implemented yet", file);
}
void ds_strv_free(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}
