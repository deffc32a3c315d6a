/* Path resolution inside an unpacked image: symlinks are followed relative to the
 * image root (as the kernel would inside the container), every hop reported, and
 * nothing ever resolves outside the root. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "minify/minify.h"

int ds_resolve_in_root(const char *root, const char *path, void (*on_link)(const char *link, void *arg),
                       void *arg, char **resolved, ds_err *err) {
    char *rest = ds_xstrdup(path);
    char *cur = ds_xstrdup(""); /* "" is the root; else "/a/b" */
    int hops = 0;
    for (;;) {
        char *p = rest;
        while (*p == '/') p++;
        if (!*p) break;
        char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        char *comp = ds_xstrndup(p, len);
        char *after = ds_xstrdup(slash ? slash : "");
        free(rest);
        rest = after;
        if (!strcmp(comp, ".")) { free(comp); continue; }
        if (!strcmp(comp, "..")) {
            char *last = strrchr(cur, '/');
            if (last) *last = 0;
            free(comp);
            continue;
        }
        char *cand = ds_xasprintf("%s/%s", cur, comp);
        free(comp);
        char *host = ds_xasprintf("%s%s", root, cand);
        struct stat st;
        int r = lstat(host, &st);
        if (r == 0 && S_ISLNK(st.st_mode)) {
            if (++hops > 40) {
                free(host); free(cand); free(rest); free(cur);
                return ds_fail(err, "%s: too many levels of symbolic links inside the image", path);
            }
            char target[PATH_MAX];
            ssize_t n = readlink(host, target, sizeof target - 1);
            free(host);
            if (n < 0) {
                int e = ds_fail_errno(err, "readlink %s", cand);
                free(cand); free(rest); free(cur);
                return e;
            }
            target[n] = 0;
            if (on_link) on_link(cand, arg);
            free(cand);
            char *nrest = ds_xasprintf("%s/%s", target, rest);
            free(rest);
            rest = nrest;
            if (target[0] == '/') cur[0] = 0;
            continue;
        }
        free(host);
        free(cur);
        cur = cand;
        if (r < 0) { /* does not exist: the rest is taken literally */
            char *full = ds_xasprintf("%s%s", cur, rest);
            free(cur);
            cur = full;
            /* normalise "//" */
            char *w = cur;
            for (char *q = cur; *q; q++)
                if (!(q[0] == '/' && q[1] == '/')) *w++ = *q;
            *w = 0;
            size_t l = strlen(cur);
            if (l > 1 && cur[l - 1] == '/') cur[l - 1] = 0;
            break;
        }
    }
    free(rest);
    if (!*cur) { free(cur); cur = ds_xstrdup("/"); }
    *resolved = cur;
    return 0;
}
