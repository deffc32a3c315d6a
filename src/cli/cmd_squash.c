/* distill squash SRC DST: the image as one deterministic layer. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "layers/squash.h"

static const char usage[] =
    "Usage: distill squash SRC DST [options]\n"
    "\n"
    "Write SRC as an image with one layer: the end state of all its layers (whiteouts applied,\n"
    "hard links, modes, owners and xattrs kept), written deterministically (sorted entries,\n"
    "mtimes from SOURCE_DATE_EPOCH or 0, numeric owners). The config is carried over with one\n"
    "diff_id; the old history entries are kept as empty_layer, and a \"distill squash\" entry\n"
    "is added. DST appears only when complete; SRC is never modified.\n"
    "\n"
    "Options:\n"
    "  --compress gzip|zstd|none     layer compression (default gzip)\n"
    CLI_TRANSPORT_HELP
    "\n"
    "Example: distill squash oci:./app:latest oci:./app-squashed:latest\n";

int cmd_squash(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    const char *src = NULL, *dst = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage, stdout); return DS_EXIT_OK; }
        int t = cli_transport_flag("squash", argc, argv, &i, &opts);
        if (t < 0) return DS_EXIT_USAGE;
        if (t > 0) continue;
        if (a[0] == '-' && a[1]) return cli_usage_error("squash", "unknown option '%s'", a);
        if (!src) src = a;
        else if (!dst) dst = a;
        else return cli_usage_error("squash", "too many arguments ('%s')", a);
    }
    if (!src || !dst) return cli_usage_error("squash", "expected SRC and DST");
    ds_err err;
    ds_compress c = DS_COMPRESS_GZIP;
    if (opts.compress && ds_compress_parse(opts.compress, &c, &err) < 0) return cli_usage_error("squash", "%s", err.msg);
    ds_image *img = NULL;
    if (ds_image_open(src, &opts, &img, &err) < 0) return cli_error("squash", &err);
    /* The source is never modified: DST may not be SRC (same layout and ref, same archive
     * file) nor lie inside it, and its parent must exist. */
    if (ds_dest_check(&img->ref, dst, &err) < 0) { ds_image_close(img); return cli_error("squash", &err); }
    ds_squash_result res;
    size_t n = img->n_layers;
    int r = ds_image_squash(img, dst, &opts, c, &res, &err);
    ds_image_close(img);
    if (r < 0) return cli_error("squash", &err);
    printf("%s: %zu layer%s, %lld bytes -> %s: 1 layer, %lld bytes\n", src, n, n == 1 ? "" : "s",
           (long long)res.source_size, dst, (long long)res.layer_size);
    printf("manifest %s\nlayer %s\n", res.manifest_digest, res.layer_digest);
    return DS_EXIT_OK;
}
