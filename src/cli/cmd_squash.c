/* distill squash SRC DST: the image as one deterministic layer. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/options.h"
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
    CLI_STORE_HELP
    "\n"
    "Example: distill squash oci:./app:latest oci:./app-squashed:latest\n";

int cmd_squash(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_SRC | CLI_T_DEST | CLI_T_AUTH | CLI_T_COMPRESS | CLI_T_TMPDIR | CLI_T_STORE);
    cli_list args = {0};
    int pr = cli_parse("squash", usage, NULL, shared, argc - 1, argv + 1, &args, NULL);
    size_t npos = args.n;
    const char *src = npos > 0 ? args.v[0] : NULL, *dst = npos > 1 ? args.v[1] : NULL;
    const char *extra = npos > 2 ? args.v[2] : NULL;
    cli_list_free(&args);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (extra) return cli_usage_error("squash", "too many arguments ('%s')", extra);
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
