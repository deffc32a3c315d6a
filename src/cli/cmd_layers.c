/* distill layers IMAGE: per-layer sizes and file counts, wasted space and
 * efficiency (dive's definitions), and CI limits that fail a pipeline. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "layers/layer_stats.h"
#include "util/json_doc.h"
#include "util/path_json.h"

static const char usage[] =
    "Usage: distill layers IMAGE [options]\n"
    "\n"
    "Show each layer of IMAGE (compressed and uncompressed size, files added, changed and\n"
    "deleted, the command that made it) and, for the image, the bytes wasted by files that a\n"
    "later layer overwrites or deletes, an efficiency figure and the biggest wasted paths.\n"
    "Efficiency and wasted bytes follow dive's definitions. Nothing is unpacked.\n"
    "\n"
    "Options:\n"
    "  --json                           machine-readable output\n"
    "  --top N                          how many wasted paths to list (default 10; 0 = all)\n"
    "  --ci                             check the limits below; exit 1 with a reason when one is crossed\n"
    "  --lowest-efficiency F            fail when efficiency < F (0 to 1 or a percentage: 0.9, 90%;\n"
    "                                   default 0.9; 'disabled' turns it off)\n"
    "  --highest-wasted-bytes N         fail when wasted bytes > N (e.g. 1000, 20MB, 1GiB; default disabled)\n"
    "  --highest-user-wasted-percent F  fail when wasted / size of all layers but the first > F\n"
    "                                   (a ratio or a percentage: 0.1 or 10%; default 0.1; 'disabled' off)\n"
    "  Giving a limit implies --ci.\n"
    "  --tmpdir DIR                  scratch space for extracting archives (default: $TMPDIR or /var/tmp)\n"
    CLI_SRC_HELP
    "\n"
    "Exit status: 0 ok, 1 a CI limit was crossed, 2 usage error, 3 error.\n"
    "Example: distill layers oci:./app:latest --ci --highest-wasted-bytes 20MB\n";

static void human(int64_t b, char *out, size_t n) {
    const char *u[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)b;
    int i = 0;
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    if (i == 0) snprintf(out, n, "%lld B", (long long)b);
    else snprintf(out, n, "%.1f %s", v, u[i]);
}

/* A plain decimal number ("20", "0.9", "1e3"): no sign, hex, inf or nan, which strtod
 * would take; *end is left after it. */
static int parse_decimal(const char *s, double *out, char **end) {
    if (!((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9'))) return -1;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return -1;
    errno = 0;
    double v = strtod(s, end);
    if (errno || *end == s || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* "1000", "20MB", "1.5 GiB", "disabled" (-1). */
static int parse_bytes(const char *s, int64_t *out) {
    if (!strcmp(s, "disabled")) { *out = -1; return 0; }
    char *end;
    double v;
    if (parse_decimal(s, &v, &end) < 0) return -1;
    while (*end == ' ') end++;
    struct { const char *suf; double mul; } units[] = {
        {"", 1}, {"B", 1}, {"K", 1e3}, {"KB", 1e3}, {"kB", 1e3}, {"KiB", 1024}, {"M", 1e6}, {"MB", 1e6},
        {"MiB", 1048576.0}, {"G", 1e9}, {"GB", 1e9}, {"GiB", 1073741824.0}, {"T", 1e12}, {"TB", 1e12},
        {"TiB", 1099511627776.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(end, units[i].suf)) {
            double b = v * units[i].mul;
            if (b >= 9.2e18) return -1; /* past int64: the conversion would be undefined */
            *out = (int64_t)b;
            return 0;
        }
    return -1;
}

/* A ratio in [0, 1] ("0.9"), or a percentage ("90%"), or "disabled" (-1). A bare
 * number above 1 is refused: "20" meant as 20 % would be a limit that never fails.
 * Only a percentage may go past 100 %, and only where over_one says it can mean
 * something (wasted bytes can exceed the user layers' size; efficiency cannot pass 1). */
static int parse_ratio(const char *s, bool over_one, double *out) {
    if (!strcmp(s, "disabled")) { *out = -1; return 0; }
    char *end;
    double v;
    if (parse_decimal(s, &v, &end) < 0) return -1;
    bool pct = *end == '%' && !end[1];
    if (pct) v /= 100;
    else if (*end) return -1;
    if (v > 1 && !(pct && over_one)) return -1;
    *out = v;
    return 0;
}

typedef struct limits { double lowest_eff; int64_t highest_wasted; double highest_user_pct; } limits;

/* Appends the reasons for each crossed limit to `reasons`; returns how many. */
static int check_limits(const ds_layers_report *r, const limits *l, json_t *reasons) {
    char buf[256], a[32], b[32];
    int n = 0;
    if (l->lowest_eff >= 0 && r->efficiency < l->lowest_eff) {
        snprintf(buf, sizeof buf, "lowest-efficiency: image efficiency %.4f is below %.4f", r->efficiency, l->lowest_eff);
        json_array_append_new(reasons, json_string(buf)); n++;
    }
    if (l->highest_wasted >= 0 && r->wasted_bytes > l->highest_wasted) {
        human(r->wasted_bytes, a, sizeof a); human(l->highest_wasted, b, sizeof b);
        snprintf(buf, sizeof buf, "highest-wasted-bytes: %lld bytes wasted (%s) is more than %lld (%s)",
                 (long long)r->wasted_bytes, a, (long long)l->highest_wasted, b);
        json_array_append_new(reasons, json_string(buf)); n++;
    }
    if (l->highest_user_pct >= 0 && r->user_wasted_ratio > l->highest_user_pct) {
        snprintf(buf, sizeof buf, "highest-user-wasted-percent: %.4f of the user layers is wasted, more than %.4f",
                 r->user_wasted_ratio, l->highest_user_pct);
        json_array_append_new(reasons, json_string(buf)); n++;
    }
    return n;
}

static json_t *report_json(const char *ref, const ds_image *img, const ds_layers_report *r, size_t top) {
    json_t *o = ds_json_doc(), *layers = json_array(), *wasted = json_array();
    json_object_set_new(o, DS_JK_IMAGE, ds_json_bytes(ref));
    json_object_set_new(o, DS_JK_DIGEST, json_string(img->manifest_digest));
    for (size_t i = 0; i < r->n_layers; i++) {
        const ds_layer_stat *s = &r->layers[i];
        json_array_append_new(layers, json_pack("{s:I, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
            "index", (json_int_t)(i + 1), DS_JK_DIGEST, s->digest, DS_JK_MEDIA_TYPE, s->media_type,
            "compressed_size", (json_int_t)s->compressed_size, "uncompressed_size", (json_int_t)s->uncompressed_size,
            "files_size", (json_int_t)s->files_size, "added", (json_int_t)s->added, "changed", (json_int_t)s->changed,
            "deleted", (json_int_t)s->deleted, "created_by", ds_json_bytes(s->created_by)));
    }
    for (size_t i = 0; i < r->n_wasted && (top == 0 || i < top); i++)
        /* Paths are tar entry names, not necessarily UTF-8: ds_json_export below. */
        json_array_append_new(wasted, json_pack("{s:o, s:i, s:I}", DS_JK_PATH, ds_json_bytes(r->wasted[i].path),
            "layers", r->wasted[i].layers, "wasted_size", (json_int_t)r->wasted[i].wasted));
    json_object_set_new(o, "layers", layers);
    json_object_set_new(o, DS_JK_SIZE, json_integer(r->size_bytes));
    json_object_set_new(o, "user_size", json_integer(r->user_size_bytes));
    json_object_set_new(o, "wasted_size", json_integer(r->wasted_bytes));
    json_object_set_new(o, "efficiency_ratio", json_real(r->efficiency));
    json_object_set_new(o, "user_wasted_ratio", json_real(r->user_wasted_ratio));
    json_object_set_new(o, "wasted_paths", wasted);
    ds_json_export(o);
    return o;
}

static void print_text(const char *ref, const ds_image *img, const ds_layers_report *r, size_t top) {
    char a[32], b[32], c[32];
    printf("Image %s (%s)\n\n", cli_shown(ref), img->manifest_digest);
    printf("%3s  %10s  %12s  %7s  %7s  %7s  %s\n", "#", "COMPRESSED", "UNCOMPRESSED", "ADDED", "CHANGED", "DELETED", "CREATED BY");
    for (size_t i = 0; i < r->n_layers; i++) {
        const ds_layer_stat *s = &r->layers[i];
        human(s->compressed_size, a, sizeof a);
        human(s->uncompressed_size, b, sizeof b);
        const char *cb = cli_shown(s->created_by ? s->created_by : "");
        printf("%3zu  %10s  %12s  %7zu  %7zu  %7zu  %.100s%s\n", i + 1, a, b, s->added, s->changed, s->deleted, cb,
               strlen(cb) > 100 ? "..." : "");
    }
    human(r->size_bytes, a, sizeof a);
    human(r->wasted_bytes, b, sizeof b);
    human(r->user_size_bytes, c, sizeof c);
    printf("\nTotal size:          %s (files)\n", a);
    printf("Wasted:              %s\n", b);
    printf("Efficiency:          %.2f %%\n", r->efficiency * 100);
    if (r->n_layers > 1) printf("User wasted:         %.2f %% of the %s in the layers after the first\n", r->user_wasted_ratio * 100, c);
    if (r->n_wasted) {
        printf("\nBiggest wasted paths:\n%7s  %10s  %s\n", "LAYERS", "WASTED", "PATH");
        for (size_t i = 0; i < r->n_wasted && (top == 0 || i < top); i++) {
            human(r->wasted[i].wasted, a, sizeof a);
            printf("%7d  %10s  %s\n", r->wasted[i].layers, a, cli_shown(r->wasted[i].path));
        }
    }
}

typedef struct lflags {
    limits lim;
    bool ci;
    long top;
} lflags;

static int eff_fn(void *t, const char *v, char *why, size_t n) {
    lflags *f = t;
    if (parse_ratio(v, false, &f->lim.lowest_eff) < 0) {
        snprintf(why, n, "expected a ratio from 0 to 1 like 0.9, a percentage like 90%%, or 'disabled'; got '%s'", v);
        return -1;
    }
    f->ci = true;
    return 0;
}
static int user_pct_fn(void *t, const char *v, char *why, size_t n) {
    lflags *f = t;
    if (parse_ratio(v, true, &f->lim.highest_user_pct) < 0) {
        snprintf(why, n, "expected a ratio from 0 to 1 like 0.9, a percentage like 90%% (may pass 100%%), or "
                         "'disabled'; got '%s'", v);
        return -1;
    }
    f->ci = true;
    return 0;
}
static int wasted_fn(void *t, const char *v, char *why, size_t n) {
    lflags *f = t;
    if (parse_bytes(v, &f->lim.highest_wasted) < 0) {
        snprintf(why, n, "expected a size like 1000, 20MB or 'disabled', got '%s'", v);
        return -1;
    }
    f->ci = true;
    return 0;
}
static int top_fn(void *t, const char *v, char *why, size_t n) {
    char *end;
    errno = 0;
    long top = strtol(v, &end, 10);
    if (errno || end == v || *end || top < 0) { snprintf(why, n, "expected a count, got '%s'", v); return -1; }
    ((lflags *)t)->top = top;
    return 0;
}

int cmd_layers(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    bool json = false;
    lflags lf = {.lim = {0.9, -1, 0.1}, .top = 10};
    const cli_opt own[] = {
        {.name = "json", .kind = CLI_BOOL, .target = &json},
        {.name = "ci", .kind = CLI_BOOL, .target = &lf.ci},
        {.name = "lowest-efficiency", .kind = CLI_FN, .target = &lf, .fn = eff_fn},
        {.name = "highest-wasted-bytes", .kind = CLI_FN, .target = &lf, .fn = wasted_fn},
        {.name = "highest-user-wasted-percent", .kind = CLI_FN, .target = &lf, .fn = user_pct_fn},
        {.name = "top", .kind = CLI_FN, .target = &lf, .fn = top_fn},
        {0},
    };
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_SRC | CLI_T_AUTH | CLI_T_TMPDIR);
    cli_list args = {0};
    int pr = cli_parse("layers", usage, own, shared, argc - 1, argv + 1, &args, NULL);
    const char *ref = args.n ? args.v[0] : NULL, *second = args.n > 1 ? args.v[1] : NULL;
    cli_list_free(&args);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (second) return cli_usage_error("layers", "one IMAGE only (got '%s' and '%s')", ref, second);
    if (!ref) return cli_usage_error("layers", "missing IMAGE");
    bool ci = lf.ci;
    long top = lf.top;
    limits lim = lf.lim;

    ds_err err;
    ds_image *img = NULL;
    if (ds_image_open(ref, &opts, &img, &err) < 0) return cli_error("layers", &err);
    ds_layers_report r;
    if (ds_layers_analyze_image(img, &r, &err) < 0) { ds_image_close(img); return cli_error("layers", &err); }

    json_t *reasons = json_array();
    int failed = ci ? check_limits(&r, &lim, reasons) : 0;
    if (json) {
        json_t *o = report_json(ref, img, &r, (size_t)top);
        if (ci) json_object_set_new(o, "ci", json_pack("{s:b, s:O}", "pass", failed == 0, "reasons", reasons));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
        puts(s);
        free(s);
        json_decref(o);
    } else {
        print_text(ref, img, &r, (size_t)top);
        if (ci) {
            printf("\nCI: %s\n", failed ? "FAIL" : "PASS");
            size_t k;
            json_t *x;
            json_array_foreach(reasons, k, x) printf("  %s\n", json_string_value(x));
        }
    }
    /* On stderr too, for logs that keep only stderr, unless stderr is where the summary
     * just went (a terminal, or 2>&1): then each reason would show twice. */
    if (failed && (json || !cli_same_output())) {
        size_t k;
        json_t *x;
        json_array_foreach(reasons, k, x) fprintf(stderr, "distill layers: %s\n", json_string_value(x));
    }
    json_decref(reasons);
    cli_shown_free();
    ds_layers_report_free(&r);
    ds_image_close(img);
    return failed ? DS_EXIT_FAILED : DS_EXIT_OK;
}
