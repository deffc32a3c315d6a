/* Whether nonroot will be refused a file the app read: told from the trace and the source's
 * modes before any candidate runs. A source that runs as a user who is not root often keeps
 * its files to that user (PostgreSQL's data directory: 0700, files 0600); as nonroot the app
 * fails on them. The build then writes the source user's candidate beside nonroot's and
 * compresses its layer while nonroot is tried. Only a guess that saves time: a wrong one
 * changes nothing but which layer was written first. */
#include <string.h>
#include <sys/stat.h>
#include "build/build_int.h"
#include "fs/root_path.h"
#include "minify/srcscan.h"
#include "util/strmap.h"

char *ds_build_nonroot_refused(const char *root, const ds_srcscan *scan, const ds_trace *trace,
                               const ds_closure *clo) {
    if (!trace || !clo) return NULL;
    ds_root r;
    if (ds_root_open(&r, root, &(ds_err){0}) < 0) return NULL;
    if (scan) ds_srcscan_attach(scan, &r);
    /* The candidate gives nonroot what the app wrote (ds_user_setup.chown_written). */
    ds_strmap chowned;
    ds_strmap_init(&chowned);
    for (size_t i = 0; i < clo->n_written; i++) ds_strmap_put(&chowned, clo->written[i], NULL);
    char *hit = NULL;
    for (size_t i = 0; i < trace->nfiles && !hit; i++) {
        const ds_trace_file *f = &trace->files[i];
        if (!f->ok || !(f->ops & (DS_TRACE_OP_OPEN | DS_TRACE_OP_EXEC | DS_TRACE_OP_MAP)) ||
            (f->ops & DS_TRACE_OP_LIST))
            continue;
        struct stat st;
        char *real = scan ? ds_srcscan_entry(scan, &r, f->path, &st) : ds_root_entry(&r, f->path, &st);
        if (!real) continue;
        /* nonroot is 65532:65532 with no supplementary group: "other" unless it owns it. */
        bool refused = S_ISREG(st.st_mode) && !(st.st_mode & S_IROTH) && st.st_uid != DS_NONROOT_UID &&
                       st.st_gid != DS_NONROOT_UID && ds_pathmap_get(&clo->keep, real) &&
                       !ds_strmap_has(&chowned, real) && !ds_strmap_has(&chowned, f->path);
        if (refused) hit = real;
        else free(real);
    }
    ds_strmap_free(&chowned, NULL);
    ds_root_close(&r);
    return hit;
}
