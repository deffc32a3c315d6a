/* A server that binds a port below 1024 as nonroot: the diagnose trace names the program whose
 * bind was refused (EACCES); the candidate is retried with cap_net_bind_service on exactly that
 * file (security.capability, inside docker's and podman's default capability set), before
 * falling back to the source's user. */
#include <stdio.h>
#include <string.h>
#include "build/build_int.h"
#include "fs/filecap.h"
#include "util/fsutil.h"

void ds_build_filecaps_free(ds_build_filecap *f, size_t n) {
    for (size_t i = 0; i < n; i++) free(f[i].path);
    free(f);
}

void ds_build_denied_binds_take(ds_bctx *c, const ds_trace *t) {
    ds_build_filecaps_free(c->denied, c->n_denied);
    c->denied = NULL;
    c->n_denied = 0;
    if (!t) return;
    for (size_t i = 0; i < t->ndenied_binds; i++) {
        const ds_trace_denied_bind *d = &t->denied_binds[i];
        bool seen = false;
        for (size_t j = 0; j < c->n_denied && !seen; j++) seen = !strcmp(c->denied[j].path, d->path);
        if (seen) continue; /* one capability per program, whatever the ports */
        c->denied = ds_xrealloc(c->denied, (c->n_denied + 1) * sizeof *c->denied);
        c->denied[c->n_denied++] = (ds_build_filecap){ds_xstrdup(d->path), d->port};
    }
}

/* "/usr/sbin/nginx (port 80), /usr/bin/x (port 443)" */
char *ds_build_bind_caps_describe(const ds_build_filecap *f, size_t n) {
    char *s = ds_xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = ds_xasprintf("%s%s%s (port %d)", s, i ? ", " : "", f[i].path, f[i].port);
        free(s);
        s = t;
    }
    return s;
}

int ds_build_bind_caps_apply(ds_bctx *c, const char *cand_tree, ds_err *err) {
    for (size_t i = 0; i < c->n_denied; i++)
        if (ds_filecap_add(cand_tree, c->denied[i].path, 1ull << DS_CAP_NET_BIND_SERVICE, err) < 0)
            return ds_err_wrap(err, "giving cap_net_bind_service");
    ds_build_filecaps_free(c->res->filecaps, c->res->n_filecaps);
    c->res->filecaps = c->denied;
    c->res->n_filecaps = c->n_denied;
    c->denied = NULL;
    c->n_denied = 0;
    return 0;
}
