/* libFuzzer target: a hostile trace (the log dir is writable from inside the container) fed to
 * the closure over a small tree with symlink loops and links pointing out: every kept path must
 * be absolute, canonical and inside the tree; no crash, no leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "minify/minify.h"
#include "util/fsutil.h"

static char *root;

static void mk(const char *rel, const char *link_target) {
    char *p = ds_xasprintf("%s%s", root, rel);
    if (link_target) {
        if (symlink(link_target, p) != 0) abort();
    } else {
        ds_err e;
        char *d = ds_xstrdup(p);
        *strrchr(d, '/') = 0;
        ds_mkdirs(d, 0755, &e);
        free(d);
        if (ds_write_file_atomic(p, "x", 1, 0644, &e) != 0) abort();
    }
    free(p);
}

static void setup(void) {
    ds_err e;
    if (ds_mkdtemp("distill-fuzz-closure", &root, &e) != 0) abort();
    mk("/usr/bin/app", NULL);
    mk("/usr/lib/libx.so.1", NULL);
    mk("/etc/passwd", NULL);
    mk("/bin", "usr/bin");
    mk("/lib", "/usr/lib");
    mk("/loop", "loop");
    mk("/out", "../../../../etc");
    mk("/usr/bin/sh", "dash");
    /* for the package level: a dpkg database with hostile entries, a Python library, an app tree */
    mk("/usr/share/p/a", NULL);
    mk("/usr/share/p/cyc1", "cyc2");
    mk("/usr/share/p/cyc2", "cyc1");
    mk("/usr/lib/python3.11/os.py", NULL);
    mk("/srv/app/app.py", NULL);
    char *st = ds_xasprintf("%s/var/lib/dpkg/status", root), *ls = ds_xasprintf("%s/var/lib/dpkg/info/p.list", root);
    char *info = ds_xasprintf("%s/var/lib/dpkg/info", root);
    ds_mkdirs(info, 0755, &e);
    free(info);
    const char status[] = "Package: p\nStatus: install ok installed\nVersion: 1\nDepends: p\n";
    const char list[] = "/usr/share/p/a\n/usr/share/p/cyc1\n../../etc/shadow\n/../../../out/x\n/out/passwd\n/loop/x\n"
                        "/usr/lib/python3.11/os.py\n/usr/lib/libx.so.1\n";
    if (ds_write_file_atomic(st, status, sizeof status - 1, 0644, &e) != 0) abort();
    if (ds_write_file_atomic(ls, list, sizeof list - 1, 0644, &e) != 0) abort();
    free(st);
    free(ls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!root) setup();
    ds_trace *t = NULL;
    ds_err perr;
    if (ds_trace_parse((const char *)data, size, "fuzz", &t, &perr) < 0) return 0;
    char *cmd[] = {"app"};
    ds_minify_opts o = {.command = cmd, .n_command = 1, .path_env = "/bin", .workdir = "/out"};
    /* both keep levels: the package level's rules must hold the same contract */
    o.keep_level = size & 1 ? DS_KEEP_PACKAGE : DS_KEEP_FILE;
    char *vols[] = {"/out", "/srv/app"};
    o.volumes = vols;
    o.n_volumes = 2;
    ds_closure *c = NULL;
    ds_err err;
    if (ds_closure_compute(root, t, &o, &c, &err) == 0) {
        for (size_t i = 0; i < c->keep.n; i++) {
            const char *p = c->keep.v[i].path;
            if (p[0] != '/' || strstr(p, "/../") || strstr(p, "//")) __builtin_trap();
            char *h = ds_xasprintf("%s%s", root, p);
            struct stat st;
            if (lstat(h, &st) != 0) __builtin_trap(); /* only what exists in the tree */
            free(h);
        }
        ds_closure_free(c);
    }
    ds_trace_free(t);
    return 0;
}
