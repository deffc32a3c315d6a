/* distill copy SRC DST: any transport to any other; prints the manifest digest written. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "store/store.h"
#include "util/progress.h"

static const char usage[] =
    "Usage: distill copy [OPTIONS] SRC DST\n\n"
    "Copy an image between transports. Config and layers are carried over as they are;\n"
    "layers are recompressed only when --compress asks or the destination needs it\n"
    "(docker-archive stores plain layer tars, as docker save does). Every blob is checked\n"
    "against its digest and size. Prints the manifest digest written.\n\n"
    "Options:\n"
    "  --compress gzip|zstd|none     recompress layers (default: keep what the source has)\n"
    CLI_TRANSPORT_HELP
    "  --tls-verify=BOOL             both --src-tls-verify and --dest-tls-verify\n"
    "  --store DIR                   the layer store a rootfs: DST is made from (default:\n"
    "                                $DISTILL_STORE, $XDG_CACHE_HOME/distill, /var/cache/distill as root)\n"
    "  --no-store                    unpack the layers straight into a rootfs: DST\n"
    "  --verify-store                re-hash every stored file before using it\n"
    "\nSRC and DST are oci:PATH[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REPO:TAG],\n"
    "docker://HOST[:PORT]/REPO[:TAG|@DIGEST], rootfs:DIR, docker-daemon:NAME[:TAG] (the Docker Engine\n"
    "on $DOCKER_HOST, default unix:///var/run/docker.sock) or containers-storage:[[STORAGE]]NAME[:TAG]\n"
    "(podman's store, through podman; STORAGE is [DRIVER@]ROOT[+RUNROOT][:OPTIONS]). SRC may also be\n"
    "oci:PATH@DIGEST or oci-archive:PATH@DIGEST: one manifest of the layout by digest, tagged or not.\n"
    "A single-platform SRC of another platform than --platform is copied with a warning. An existing\n"
    "oci-archive or docker-archive DST gets the image added (its other images stay); an existing file\n"
    "of another kind is refused.\n\n"
    "A rootfs:DIR DST is made from the layer store (as root, without --compress): each layer is\n"
    "unpacked into the store once, and DIR is an independent copy of the stored layers (reflinks\n"
    "where the filesystem shares blocks, else a plain copy): editing DIR never changes the store,\n"
    "and a second copy of the same image unpacks nothing.\n";

int cmd_copy(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    bool quiet = false;
    const cli_opt own[] = {{.name = "quiet", .short_name = 'q', .kind = CLI_BOOL, .target = &quiet}, {0}};
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_SRC | CLI_T_DEST | CLI_T_AUTH | CLI_T_COMPRESS | CLI_T_TMPDIR | CLI_T_STORE);
    cli_list args = {0};
    int pr = cli_parse("copy", usage, own, shared, argc - 1, argv + 1, &args, NULL);
    size_t npos = args.n;
    const char *pos[2] = {npos > 0 ? args.v[0] : NULL, npos > 1 ? args.v[1] : NULL};
    cli_list_free(&args);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (quiet) cli_progress_off();
    if (npos > 2) return cli_usage_error("copy", "too many arguments (want SRC DST)");
    if (npos != 2) return cli_usage_error("copy", "need SRC and DST");
    ds_err err = {0};
    ds_image *img = NULL;
    if (ds_image_open(pos[0], &opts, &img, &err) < 0) return cli_error("copy", &err);
    cli_platform_warn(&opts, img);
    char digest[DS_DIGEST_LEN + 1];
    ds_store_stats st;
    int r = ds_store_copy_rootfs(img, pos[1], &opts, digest, &st, &err);
    if (r == 1) { /* not a rootfs: DST, or the store cannot be used: the plain copy */
        ds_err_clear(&err);
        r = ds_image_copy(img, pos[1], &opts, digest, &err);
    }
    ds_image_close(img);
    if (r < 0) return cli_error("copy", &err);
    printf("%s\n", digest);
    /* A script reading the digest must not take silence for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ds_fail_errno(&err, "%s: copied, but the digest could not be written to standard output", pos[1]);
        return cli_error("copy", &err);
    }
    return DS_EXIT_OK;
}
