/* placeholder */
#include "scan/scan_internal.h"
int ds_go_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) { (void)t; (void)ctx; (void)out; (void)err; return 0; }
int ds_go_parse_buildinfo(const unsigned char *data, size_t len, const char *source, ds_pkglist *out) { (void)data; (void)len; (void)source; (void)out; return -1; }
