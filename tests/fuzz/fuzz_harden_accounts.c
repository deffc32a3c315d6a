/* Fuzz the account and package-database rewriting of ds_harden_tree: the input is split on
 * NUL bytes into /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow, a dpkg .list and an
 * apk installed database, written into a small private tree that is hardened for real. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harden/harden.h"
#include "util/fsutil.h"

static char *root, *top;

static void cleanup(void) {
    ds_err e;
    if (top) ds_rmtree(top, &e);
}

static void put(const char *rel, const uint8_t *d, size_t n, mode_t mode) {
    char *p = ds_xasprintf("%s/%s", root, rel);
    char *slash = strrchr(p, '/');
    *slash = 0;
    ds_err e;
    ds_mkdirs(p, 0755, &e);
    *slash = '/';
    unlink(p);
    FILE *f = fopen(p, "w");
    if (f) { fwrite(d, 1, n, f); fclose(f); chmod(p, mode); }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_err e;
    if (!root) {
        if (ds_mkdtemp("distill-fuzz-harden", &top, &e) < 0) return 0;
        root = ds_xasprintf("%s/root", top);
        atexit(cleanup);
    }
    ds_rmtree(root, &e);
    static const char *const files[] = {"etc/passwd", "etc/shadow", "etc/group", "etc/gshadow",
                                        "var/lib/dpkg/info/bash.list", "lib/apk/db/installed"};
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 6 && p <= end; i++) {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p));
        size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
        put(files[i], p, n, 0644);
        p += n + 1;
        if (!z) break;
    }
    put("usr/bin/bash", (const uint8_t *)"x", 1, 04755);
    put("usr/sbin/nologin", (const uint8_t *)"x", 1, 0755);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_harden_tree(root, &o, &r, &e);
    json_decref(ds_harden_report_json(&r));
    ds_harden_report_free(&r);
    return 0;
}
