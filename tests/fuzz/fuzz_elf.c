/* libFuzzer target: parse one in-memory ELF file, then resolve it as the executable of
 * a tiny image root (written to a temp dir once per input) so the resolver's use of
 * the parsed fields (interpreter, DT_NEEDED, RPATH/RUNPATH with $ORIGIN...) is covered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/elf_parse.h"
#include "elf/ldcache.h"
#include "elf/resolve.h"
#include "util/fsutil.h"

static char *root;

static void cleanup(void) {
    ds_err e;
    if (root) ds_rmtree(root, &e);
    free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_err err;
    ds_elf_src src = {.mem = data, .size = size};
    ds_elf_info info;
    if (ds_elf_parse(&src, "fuzz", &info, &err) == 0) ds_elf_info_free(&info);
    ds_ldcache lc;
    if (ds_ldcache_parse(data, size, "fuzz-cache", &lc, &err) == 0) ds_ldcache_free(&lc);

    if (!root) {
        if (ds_mkdtemp("distill-fuzz-elf", &root, &err) < 0) abort();
        atexit(cleanup);
        char *d = ds_xasprintf("%s/lib", root);
        ds_mkdirs(d, 0755, &err);
        free(d);
    }
    /* The input is both the program and a library it may name (libself.so), so
     * cycles and self-references get exercised. */
    char *prog = ds_xasprintf("%s/prog", root), *lib = ds_xasprintf("%s/lib/libself.so", root);
    FILE *f = fopen(prog, "wb");
    if (f) { fwrite(data, 1, size, f); fclose(f); }
    f = fopen(lib, "wb");
    if (f) { fwrite(data, 1, size, f); fclose(f); }
    char **paths = NULL, **missing = NULL;
    size_t np = 0, nm = 0;
    if (ds_elf_needed_files(root, "/prog", "/lib:$ORIGIN", &paths, &np, &missing, &nm, &err) == 0) {
        ds_strv_free(paths, np);
        ds_strv_free(missing, nm);
    }
    free(prog); free(lib);
    return 0;
}
