/* distill store ls|prune: what the layer store holds, and bounding its size. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "store/store.h"
#include "util/json_doc.h"

static const char usage[] =
    "Usage: distill store ls [--json] [--store DIR]\n"
    "       distill store prune --max-size SIZE [--store DIR]\n"
    "\n"
    "The layer store: every layer of every image a command unpacked, once, keyed by its ChainID\n"
    "(the DiffIDs of the layer and of those below it) and shared by build, scan, harden, ldd\n"
    "--image, squash and copy to rootfs:DIR (which gets its own copy of the stored files).\n"
    "Commands stack the stored layers with overlayfs; where no overlay can be mounted (or with\n"
    "DISTILL_STORE_NO_OVERLAY=1) they flatten them into their tree (hard links when read-only).\n"
    "\n"
    "  ls                  one line per layer: ChainID, DiffID, size, files, last used (newest first)\n"
    "  prune               remove the least recently used layers until the store holds at most SIZE\n"
    "                      on disk (bytes, or with K, M, G, T: powers of 1024); waits for commands\n"
    "                      using the store to finish\n"
    "  --json              ls as JSON: {\"schema\": 1, \"store\": DIR, \"layers\": [{chain_id, diff_id, size, disk_size, files, last_used}]}\n"
    "  --max-size SIZE     prune's bound (0 empties the store)\n"
    "  --store DIR         the store (default: $DISTILL_STORE, else $XDG_CACHE_HOME/distill,\n"
    "                      /var/cache/distill as root)\n"
    "\n"
    "Exit: 0 done, 2 usage, 3 error.\n";

static int parse_size(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s == '-') return -1;
    int shift = 0;
    switch (*end) {
    case 0: break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end || (shift && v > (UINT64_MAX >> shift))) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int cmd_store(int argc, char **argv) {
    bool json = false;
    const char *max = NULL, *dir_flag = NULL;
    const cli_opt own[] = {
        {.name = "json", .kind = CLI_BOOL, .target = &json},
        {.name = "max-size", .kind = CLI_STR, .target = &max},
        {.name = "store", .kind = CLI_STR, .target = &dir_flag},
        {0},
    };
    cli_list args = {0};
    int pr = cli_parse("store", usage, own, NULL, argc - 1, argv + 1, &args, NULL);
    const char *sub = args.n > 0 ? args.v[0] : NULL, *extra = args.n > 1 ? args.v[1] : NULL;
    cli_list_free(&args);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (!sub) return cli_usage_error("store", "expected ls or prune");
    if (extra) return cli_usage_error("store", "too many arguments ('%s')", extra);
    ds_opts o;
    ds_opts_init(&o);
    o.use_store = true;
    o.store_dir = dir_flag;
    char *dir = ds_store_dir_for(&o);
    if (!dir) return cli_usage_error("store", "no store directory: give --store DIR or set $DISTILL_STORE");
    ds_err err = {0};
    int rc = DS_EXIT_OK;
    if (!strcmp(sub, "ls")) {
        if (max) { free(dir); return cli_usage_error("store", "--max-size is for prune"); }
        ds_store_entry *e = NULL;
        size_t n = 0;
        if (ds_store_list(dir, &e, &n, &err) < 0) rc = cli_error("store", &err);
        else if (json) {
            json_t *a = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "chain_id", e[i].chain_id, "diff_id",
                                                   e[i].diff_id, DS_JK_SIZE, (json_int_t)e[i].size, "disk_size",
                                                   (json_int_t)e[i].disk, "files", (json_int_t)e[i].files,
                                                   "last_used", (json_int_t)e[i].last_used));
            json_t *j = ds_json_doc();
            json_object_update_new(j, json_pack("{s:s, s:o}", "store", dir, "layers", a));
            char *t = json_dumps(j, JSON_INDENT(2));
            puts(t);
            free(t);
            json_decref(j);
        } else {
            uint64_t total = 0;
            for (size_t i = 0; i < n; i++) {
                char when[32] = "never";
                time_t t = (time_t)e[i].last_used;
                struct tm tm;
                if (t && gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                printf("%.19s  diff %.19s  %10.1f MB  %7zu files  last used %s\n", e[i].chain_id, e[i].diff_id,
                       (double)e[i].size / 1e6, e[i].files, when);
                total += e[i].disk;
            }
            printf("%zu layer%s, %.1f MB on disk in %s\n", n, n == 1 ? "" : "s", (double)total / 1e6, dir);
        }
        free(e);
    } else if (!strcmp(sub, "prune")) {
        uint64_t bound;
        if (json) { free(dir); return cli_usage_error("store", "--json is for ls"); }
        if (!max) { free(dir); return cli_usage_error("store", "prune needs --max-size SIZE"); }
        if (parse_size(max, &bound) < 0) {
            free(dir);
            return cli_usage_error("store", "--max-size: expected bytes or a number with K, M, G or T, got '%s'", max);
        }
        size_t removed;
        uint64_t freed;
        if (ds_store_prune(dir, bound, &removed, &freed, &err) < 0) rc = cli_error("store", &err);
        else printf("removed %zu layer%s, %.1f MB freed (%s)\n", removed, removed == 1 ? "" : "s", (double)freed / 1e6, dir);
    } else {
        rc = cli_usage_error("store", "unknown subcommand '%s' (expected ls or prune)", sub);
    }
    free(dir);
    return rc;
}
