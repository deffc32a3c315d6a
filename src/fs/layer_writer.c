/* Deterministic layer writer — placeholder until it lands (issue 2). */
#include <stdlib.h>
#include <string.h>
#include "fs/layer_writer.h"

int ds_compress_parse(const char *name, ds_compress *out, ds_err *err) {
    if (!strcmp(name, "none")) { *out = DS_COMPRESS_NONE; return 0; }
    if (!strcmp(name, "gzip")) { *out = DS_COMPRESS_GZIP; return 0; }
    if (!strcmp(name, "zstd")) { *out = DS_COMPRESS_ZSTD; return 0; }
    return ds_fail(err, "%s: unknown compression (expected gzip, zstd or none)", name);
}
int ds_layer_write_tree(const char *root_dir, ds_compress compress, const char *out_dir, ds_path_filter filter, void *filter_arg, ds_layer_out *out, ds_err *err) {
    (void)compress; (void)out_dir; (void)filter; (void)filter_arg; (void)out;
    return ds_fail(err, "%s: layer writing is not implemented yet", root_dir);
}
void ds_layer_out_free(ds_layer_out *o) { if (o) { free(o->blob_path); o->blob_path = NULL; } }
