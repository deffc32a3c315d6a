/* Numbers for report.json and for the message when a verify run fails. */
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "build/build.h"
#include "fs/root_path.h"
#include "util/path_json.h"

/* Regular files with more than one link count once: their (inode, size) collected, then
 * sorted, each inode added once (a candidate's files are links to the source's inodes:
 * comparing each with all seen before was quadratic in the kept files). */
typedef struct { dev_t dev; ino_t ino; off_t size; } inode;
static ds_tree_stats *g_stats;
static inode *g_seen;
static size_t g_nseen, g_cap;

static int stats_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)p; (void)flag; (void)ftw;
    if (S_ISDIR(st->st_mode)) { g_stats->dirs++; return 0; }
    g_stats->files++;
    if (!S_ISREG(st->st_mode)) return 0;
    if (st->st_nlink > 1) {
        if (g_nseen == g_cap) g_seen = ds_xrealloc(g_seen, (g_cap = g_cap ? g_cap * 2 : 256) * sizeof *g_seen);
        g_seen[g_nseen++] = (inode){st->st_dev, st->st_ino, st->st_size};
        return 0;
    }
    g_stats->bytes += st->st_size;
    return 0;
}

static int inode_cmp(const void *a, const void *b) {
    const inode *x = a, *y = b;
    if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int ds_tree_stats_of(const char *root, ds_tree_stats *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    g_stats = out;
    int r = nftw(root, stats_cb, 64, FTW_PHYS | FTW_MOUNT);
    if (g_nseen) qsort(g_seen, g_nseen, sizeof *g_seen, inode_cmp);
    for (size_t i = 0; i < g_nseen; i++)
        if (i == 0 || inode_cmp(&g_seen[i], &g_seen[i - 1])) out->bytes += g_seen[i].size;
    free(g_seen);
    g_seen = NULL;
    g_nseen = g_cap = 0;
    if (r < 0) return ds_fail_errno(err, "walk %s", root);
    out->dirs--; /* the root itself */
    return 0;
}

void ds_tree_stats_from(const ds_tree *t, ds_tree_stats *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t->n; i++) {
        if (S_ISDIR(t->e[i].mode)) out->dirs++;
        else out->files++;
    }
    out->bytes = (int64_t)t->total_size;
}

/* lstat of path resolved inside the tree (links followed, never out of it). */
static bool host_stat(ds_root *tree, const char *path, struct stat *st, char **resolved) {
    if (resolved) *resolved = NULL;
    const ds_rpath_res *r = ds_root_lookup(tree, path);
    if (!r->exists) return false;
    char *host = ds_xasprintf("%s%s", tree->rp.dir, r->real);
    bool ok = lstat(host, st) == 0;
    free(host);
    if (ok && resolved) *resolved = ds_xstrdup(r->real);
    return ok;
}

int64_t ds_trace_used_bytes(const char *root, const ds_trace *trace) {
    int64_t total = 0;
    ds_pathmap seen = {0};
    ds_root tree;
    if (ds_root_open(&tree, root, &(ds_err){0}) < 0) return 0;
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const char *p = trace->files[i].path;
        if (!trace->files[i].ok) continue;
        if (!strncmp(p, "/proc", 5) || !strncmp(p, "/sys", 4) || !strncmp(p, "/dev", 4)) continue;
        struct stat st;
        char *res = NULL;
        if (host_stat(&tree, p, &st, &res) && S_ISREG(st.st_mode) && ds_pathmap_add(&seen, res, ""))
            total += st.st_size;
        free(res);
    }
    ds_pathmap_free(&seen);
    ds_root_close(&tree);
    return total;
}

json_t *ds_package_shares(const char *root, const ds_srcscan *scan, const ds_pathmap *keep) {
    return ds_pkg_meta_kept(root, scan, keep);
}

static const char *g_root;
static const ds_pathmap *g_keep;
static json_t *g_tools;
static int tools_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)flag; (void)ftw;
    if (S_ISDIR(st->st_mode)) return 0;
    const char *rel = p + strlen(g_root);
    if (ds_is_shell_or_tool(rel) && !ds_pathmap_get(g_keep, rel)) json_array_append_new(g_tools, ds_json_bytes(rel));
    return 0;
}

json_t *ds_tools_left_out(const char *root, const ds_pathmap *keep) {
    g_root = root;
    g_keep = keep;
    g_tools = json_array();
    nftw(root, tools_cb, 64, FTW_PHYS | FTW_MOUNT);
    return g_tools;
}

size_t ds_missing_files(const char *src_root, const char *cand_root, const ds_trace *trace, char ***out) {
    size_t n = 0;
    *out = NULL;
    ds_pathmap seen = {0};
    ds_root tree;
    if (ds_root_open(&tree, src_root, &(ds_err){0}) < 0) return 0;
    for (size_t i = 0; trace && i < trace->nfiles; i++) {
        const char *p = trace->files[i].path;
        if (p[0] != '/') continue;
        if (!strncmp(p, "/proc", 5) || !strncmp(p, "/sys", 4) || !strncmp(p, "/dev", 4) || !strncmp(p, "/.distill", 9))
            continue;
        struct stat st;
        char *res = NULL;
        if (host_stat(&tree, p, &st, &res)) {
            char *host = ds_xasprintf("%s%s", cand_root, res);
            struct stat cst;
            if (lstat(host, &cst) < 0 && ds_pathmap_add(&seen, res, "")) {
                *out = ds_xrealloc(*out, (n + 2) * sizeof **out);
                (*out)[n++] = ds_xstrdup(res);
                (*out)[n] = NULL;
            }
            free(host);
        }
        free(res);
    }
    ds_pathmap_free(&seen);
    ds_root_close(&tree);
    return n;
}

char *ds_keep_level_summary(const ds_closure *c) {
    const json_t *kl = c->keep_level;
    const char *level = json_string_value(json_object_get(kl, "level"));
    if (!level || strcmp(level, "package"))
        return ds_xstrdup("keep level file: only the files the app used (volumes and written directories whole)");
    double over = (double)(json_integer_value(json_object_get(kl, "bytes")) -
                           json_integer_value(json_object_get(kl, "file_level_bytes"))) / 1e6;
    size_t n_left = json_array_size(json_object_get(kl, "plugins_left_out"));
    char *left = n_left ? ds_xasprintf("; %zu unloaded plugin(s) left out (see report.json keep_level.plugins_left_out)", n_left)
                        : ds_xstrdup("");
    char *s = ds_xasprintf("kept %lld packages whole (%+.1f MB over file level)%s",
                           (long long)json_integer_value(json_object_get(kl, "packages_whole")), over, left);
    free(left);
    return s;
}
