/* Refuse a destination that is the source or lies inside it: writing there would
 * change the image being read (an oci: layout gains entries, a rootfs: tree gains
 * the output while it is being archived). Paths are compared after resolving
 * symlinks, so oci:./x and oci:/abs/x, or a symlink to the layout, are one place.
 * A missing parent directory is an error too (as for cp and tar), not created. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include "image/image.h"

/* Canonical absolute form of `path`, which need not exist: the longest existing
 * prefix goes through realpath(), the rest is appended with "." and ".." applied. */
static char *canon_path(const char *path) {
    char *work = ds_xstrdup(path);
    char *rest = ds_xstrdup("");
    char *base = NULL;
    for (;;) {
        char buf[PATH_MAX];
        if (realpath(*work ? work : ".", buf)) { base = ds_xstrdup(buf); break; }
        char *slash = strrchr(work, '/');
        char *comp = slash ? slash + 1 : work;
        char *nr = ds_xasprintf("%s%s%s", comp, *rest ? "/" : "", rest);
        free(rest); rest = nr;
        if (!slash) { *work = 0; continue; }
        if (slash == work) { work[1] = 0; continue; } /* "/x" -> "/" */
        *slash = 0;
    }
    free(work);
    /* Apply the remaining components lexically (they do not exist yet). */
    char *out = base;
    char *save = NULL;
    for (char *c = strtok_r(rest, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, "..")) {
            char *s = strrchr(out, '/');
            if (s && s != out) *s = 0;
            else out[1] = 0;
            continue;
        }
        char *n = ds_xasprintf("%s%s%s", out, strcmp(out, "/") ? "/" : "", c);
        free(out); out = n;
    }
    free(rest);
    return out;
}

static bool has_path(ds_transport t) { return t != DS_T_DOCKER && t != DS_T_DOCKER_DAEMON && t != DS_T_CONTAINERS_STORAGE; }

int ds_dest_check(const ds_ref *src, const char *dst_text, ds_err *err) {
    ds_ref dst;
    if (ds_ref_parse(dst_text, &dst, err) < 0) return -1;
    int r = 0;
    if (has_path(dst.transport) && dst.path) {
        char *parent = ds_xstrdup(dst.path);
        char *sl = strrchr(parent, '/');
        while (sl && sl > parent && sl[1] == 0) { *sl = 0; sl = strrchr(parent, '/'); } /* "dir/" */
        if (sl == parent) parent[1] = 0;
        else if (sl) *sl = 0;
        else strcpy(parent, ".");
        struct stat st;
        if (stat(parent, &st) < 0)
            r = errno == ENOENT ? ds_fail(err, "%s: the parent directory %s does not exist", dst_text, parent)
                                : ds_fail_errno(err, "%s: %s", dst_text, parent);
        else if (!S_ISDIR(st.st_mode))
            r = ds_fail(err, "%s: %s is not a directory", dst_text, parent);
        free(parent);
    }
    if (r == 0 && has_path(src->transport) && has_path(dst.transport) && src->path && dst.path) {
        char *cs = canon_path(src->path), *cd = canon_path(dst.path);
        size_t ls = strlen(cs);
        bool same = !strcmp(cs, cd);
        bool inside = !same && !strncmp(cs, cd, ls) && (cd[ls] == '/' || !strcmp(cs, "/"));
        /* Another name in the same layout leaves the source image as it is. */
        bool other_tag = src->transport == DS_T_OCI && dst.transport == DS_T_OCI && (src->tag || src->digest) &&
                         dst.tag && (!src->tag || strcmp(src->tag, dst.tag));
        char *sn = ds_ref_format(src);
        if (same && !other_tag)
            r = ds_fail(err, "%s: the destination is the source %s (write to another path%s)", dst_text, sn,
                        dst.transport == DS_T_OCI && src->transport == DS_T_OCI ? " or another oci:PATH:REF name" : "");
        else if (inside && (src->transport == DS_T_OCI || src->transport == DS_T_ROOTFS))
            r = ds_fail(err, "%s: the destination is inside the source %s (write outside it)", dst_text, sn);
        else if (dst.transport == DS_T_OCI && !same && !strncmp(cd, cs, strlen(cd)) &&
                 (cs[strlen(cd)] == '/' || !strcmp(cd, "/")))
            /* An existing layout gets blobs and index.json written in place: a source
             * below it (rootfs:LAYOUT/blobs) would change while it is read. */
            r = ds_fail(err, "%s: the source %s is inside the destination (write elsewhere)", dst_text, sn);
        free(sn); free(cs); free(cd);
    }
    ds_ref_free(&dst);
    return r;
}
