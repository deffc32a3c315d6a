/* A tiny driver for bench/bench_unpack.sh: time distill's unpack and layer writer
 * on their own, without the image layer around them.
 *   fs_driver unpack ROOT BLOB...      apply the blobs in order into ROOT
 *   fs_driver write TREE OUTDIR [gzip|zstd|none]   print "digest diff_id size path" */
#include <stdio.h>
#include <string.h>
#include "fs/layer_writer.h"
#include "fs/unpack.h"

int main(int argc, char **argv) {
    ds_err e;
    if (argc >= 3 && !strcmp(argv[1], "unpack")) {
        for (int i = 3; i < argc; i++)
            if (ds_layer_apply(argv[2], argv[i], NULL, NULL, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 3; }
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "write")) {
        ds_compress c = DS_COMPRESS_GZIP;
        if (argc > 4 && ds_compress_parse(argv[4], &c, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 2; }
        ds_layer_out o;
        if (ds_layer_write_tree(argv[2], c, argv[3], NULL, NULL, &o, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 3; }
        printf("%s %s %lld %s\n", o.digest, o.diff_id, (long long)o.size, o.blob_path);
        ds_layer_out_free(&o);
        return 0;
    }
    fprintf(stderr, "usage: fs_driver unpack ROOT BLOB... | write TREE OUTDIR [gzip|zstd|none]\n");
    return 2;
}
