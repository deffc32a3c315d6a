/* placeholder */
#include "scan/scan_internal.h"
int ds_npm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) { (void)t; (void)ctx; (void)out; (void)err; return 0; }

