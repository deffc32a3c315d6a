/* placeholder */
#include "scan/scan_internal.h"
int ds_python_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) { (void)t; (void)ctx; (void)out; (void)err; return 0; }
int ds_python_parse_metadata(const char *text, size_t len, ds_pkg *p) { (void)text; (void)len; (void)p; return -1; }
