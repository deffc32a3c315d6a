/* rpm: the database is not read yet (SQLite rpmdb.sqlite with rpm's header
 * blobs, or Berkeley DB / NDB). We say so rather than report nothing silently. */
#include "scan/scan_internal.h"

int ds_rpm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    static const char *const DBS[] = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
                                      "/usr/lib/sysimage/rpm/rpmdb.sqlite", NULL};
    for (const char *const *d = DBS; *d; d++)
        if (ds_tree_find(t, *d))
            ds_strlist_addf(ctx->notes, "%s: rpm databases are not read (rpm packages are missing from the list)", *d);
    (void)out; (void)err;
    return 0;
}
