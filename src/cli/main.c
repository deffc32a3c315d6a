#include <errno.h>
/* distill: the command dispatcher. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/interrupt.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"build", cmd_build, "make a minimal shell-less image that still passes the app's tests"},
    {"trace", cmd_trace, "run a command and record every file and syscall it uses"},
    {"ldd", cmd_ldd, "list the libraries an ELF file needs, without running it (any architecture)"},
    {"scan", cmd_scan, "inspect an image without running it: distroless verdict, SBOM, policy, vulns"},
    {"harden", cmd_harden, "lock an image down: no setuid, no shells or package managers, no root login"},
    {"copy", cmd_copy, "copy an image between transports (oci, docker-archive, docker://, docker-daemon, ...)"},
    {"inspect", cmd_inspect, "print an image's manifest, config and layers as JSON"},
    {"list-tags", cmd_list_tags, "list the tags of a layout, an archive or a registry repository"},
    {"layers", cmd_layers, "per-layer sizes and changes, wasted bytes and efficiency"},
    {"squash", cmd_squash, "rewrite an image as one layer"},
    {"store", cmd_store, "the layer store: what it holds (ls), bounding its size (prune)"},
};

static void usage(FILE *f) {
    fprintf(f, "Usage: distill COMMAND [OPTIONS] ...\n\n"
               "Turn container images into minimal shell-less images that still pass their tests,\n"
               "and inspect, harden and scan images without running anything inside them.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nImages are named TRANSPORT:REFERENCE, as skopeo and podman name them:\n"
               "  oci:PATH[:REF|@DIGEST]  oci-archive:PATH[:REF|@DIGEST]  docker-archive:PATH[:REPO:TAG]\n"
               "  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]  rootfs:DIR\n"
               "  docker-daemon:NAME[:TAG] (the engine on $DOCKER_HOST)  containers-storage:[[STORAGE]]NAME[:TAG]\n\n"
               "Exit codes: 0 done, 1 a check or test failed, 2 usage error, 3 error.\n"
               "Run 'distill COMMAND --help' for a command's options; see distill(1).\n");
}

static void out_of_memory(void) {
    static const char m[] = "distill: out of memory\n";
    (void)!write(2, m, sizeof m - 1);
}

/* What a command printed must have reached stdout: a full disk or a closed pipe reader
 * (`distill layers --json IMG > /dev/full`) is an error, not a silent exit 0. */
static int flushed(const char *cmd, int rc) {
    if (fflush(stdout) == 0 && !ferror(stdout)) return rc;
    if (rc != DS_EXIT_OK && rc != DS_EXIT_FAILED) return rc; /* the command said what went wrong */
    fprintf(stderr, "distill%s%s: writing standard output: %s\n", cmd ? " " : "", cmd ? cmd : "", strerror(errno));
    return DS_EXIT_ERROR;
}

int main(int argc, char **argv) {
    ds_oom_set_hook(out_of_memory);
    if (argc < 2) {
        usage(stderr);
        return DS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") && argc > 2) {
        /* `distill help CMD`: that command's own help. */
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                char *hargv[] = {argv[2], "--help", NULL};
                return flushed(argv[2], commands[i].fn(2, hargv));
            }
        fprintf(stderr, "distill: '%s' is not a command. See 'distill --help'.\n", argv[2]);
        return DS_EXIT_USAGE;
    }
    if (cli_is_help(cmd) || !strcmp(cmd, "help")) {
        usage(stdout);
        return flushed(NULL, DS_EXIT_OK);
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("distill %s\n", DISTILL_VERSION);
        return flushed(NULL, DS_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(cmd, commands[i].name)) {
            cli_interrupt_install(); /* ^C, SIGTERM, SIGHUP: remove temp work, exit 128+N */
            cli_progress_install();  /* progress lines, when stderr is a terminal */
            int rc = commands[i].fn(argc - 1, argv + 1);
            cli_interrupt_finish();
            return flushed(cmd, rc);
        }
    fprintf(stderr, "distill: '%s' is not a command. See 'distill --help'.\n", cmd);
    return DS_EXIT_USAGE;
}
