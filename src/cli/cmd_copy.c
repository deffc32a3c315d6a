/* distill copy SRC DST: any transport to any other; prints the manifest digest written. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

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
    "\nSRC and DST are oci:PATH[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REPO:TAG],\n"
    "docker://HOST[:PORT]/REPO[:TAG|@DIGEST], rootfs:DIR, docker-daemon:NAME[:TAG] (the Docker Engine\n"
    "on $DOCKER_HOST, default unix:///var/run/docker.sock) or containers-storage:[[STORAGE]]NAME[:TAG]\n"
    "(podman's store, through podman; STORAGE is [DRIVER@]ROOT[+RUNROOT][:OPTIONS]). SRC may also be\n"
    "oci:PATH@DIGEST or oci-archive:PATH@DIGEST: one manifest of the layout by digest, tagged or not.\n"
    "A single-platform SRC of another platform than --platform is copied with a warning. An existing\n"
    "oci-archive or docker-archive DST gets the image added (its other images stay); an existing file\n"
    "of another kind is refused.\n";

int cmd_copy(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage, stdout); return DS_EXIT_OK; }
        int t = cli_transport_flag("copy", argc, argv, &i, &opts);
        if (t < 0) return DS_EXIT_USAGE;
        if (t > 0) continue;
        if (a[0] == '-' && a[1]) return cli_usage_error("copy", "unknown option '%s'", a);
        else if (npos == 2) return cli_usage_error("copy", "too many arguments (want SRC DST)");
        else pos[npos++] = a;
    }
    if (npos != 2) return cli_usage_error("copy", "need SRC and DST");
    ds_err err = {0};
    ds_image *img = NULL;
    if (ds_image_open(pos[0], &opts, &img, &err) < 0) return cli_error("copy", &err);
    cli_platform_warn(&opts, img);
    char digest[DS_DIGEST_LEN + 1];
    int r = ds_image_copy(img, pos[1], &opts, digest, &err);
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
