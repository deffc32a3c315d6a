/* The closure alone, at both keep levels, on an unpacked tree (`distill copy IMG rootfs:DIR`)
 * and a sensor log (`distill trace --root DIR -o LOG -- CMD` while a test drives it), without
 * running any container (the source scan loaded first, as the build does, and not timed): for
 * working on the keep level's rules in seconds (built by hand:
 * cc -std=c17 -D_GNU_SOURCE -O2 -Isrc bench/closure_driver.c build/libdistill.a LIBS, LIBS as
 * the Makefile's PKG_LIBS):
 *   closure_driver ROOT TRACE [-w WORKDIR] [-v VOLUME]... [-n RUNS] [-p FILE] -- CMD [ARGS...]
 * prints one line per level: "LEVEL seconds S bytes N paths N" (S the best of RUNS CPU
 * times), then the package level's keep_level object as JSON. -p FILE: the package level's
 * kept regular files there, "LEVEL BYTES PATH\tREASON" a line (LEVEL file or package: the
 * first level that keeps it). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "minify/minify.h"
#include "util/fsutil.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) goto usage;
    const char *root = argv[1], *trace_path = argv[2];
    ds_minify_opts o = {.path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    char *vols[16];
    const char *paths_out = NULL;
    int runs = 1, i = 3;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "-w") && i + 1 < argc) o.workdir = argv[++i];
        else if (!strcmp(argv[i], "-v") && i + 1 < argc && o.n_volumes < 16) vols[o.n_volumes++] = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) paths_out = argv[++i];
        else goto usage;
    }
    if (i >= argc - 1 || runs < 1) goto usage;
    o.volumes = vols;
    o.command = argv + i + 1;
    o.n_command = (size_t)(argc - i - 1);
    ds_err e = {0};
    ds_trace *t = NULL;
    if (ds_trace_load(trace_path, &t, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 3; }
    /* As the build does: the source walked and its package databases read once, before. */
    ds_srcscan *scan = NULL;
    if (ds_srcscan_load(root, &scan, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 3; }
    o.src_scan = scan;
    json_t *kl = NULL;
    ds_closure *fc = NULL;
    for (int level = DS_KEEP_FILE; level <= DS_KEEP_PACKAGE; level++) {
        o.keep_level = (ds_keep_level)level;
        double best = -1;
        ds_closure *c = NULL;
        for (int r = 0; r < runs; r++) {
            ds_closure_free(c);
            c = NULL;
            double t0 = cpu_now();
            if (ds_closure_compute(root, t, &o, &c, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 3; }
            double s = cpu_now() - t0;
            if (best < 0 || s < best) best = s;
        }
        printf("%s seconds %.3f bytes %lld paths %zu\n", ds_keep_level_name(o.keep_level), best,
               (long long)ds_closure_bytes(root, c), c->keep.n);
        if (level == DS_KEEP_PACKAGE) kl = json_incref(c->keep_level);
        if (level == DS_KEEP_PACKAGE && paths_out) {
            FILE *f = fopen(paths_out, "w");
            for (size_t k = 0; f && k < c->keep.n; k++) {
                char *h = ds_xasprintf("%s%s", root, c->keep.v[k].path);
                struct stat st;
                if (lstat(h, &st) == 0 && S_ISREG(st.st_mode))
                    fprintf(f, "%s %lld %s\t%s\n", ds_pathmap_get(&fc->keep, c->keep.v[k].path) ? "file" : "package",
                            (long long)st.st_size, c->keep.v[k].path, c->keep.v[k].reason);
                free(h);
            }
            if (f) fclose(f);
        }
        if (level == DS_KEEP_FILE) fc = c;
        else ds_closure_free(c);
    }
    char *s = json_dumps(kl, JSON_INDENT(1));
    puts(s);
    free(s);
    json_decref(kl);
    ds_closure_free(fc);
    ds_srcscan_free(scan);
    ds_trace_free(t);
    return 0;
usage:
    fprintf(stderr, "usage: closure_driver ROOT TRACE [-w WORKDIR] [-v VOLUME]... [-n RUNS] -- CMD [ARGS...]\n");
    return 2;
}
