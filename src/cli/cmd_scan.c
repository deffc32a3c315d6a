/* distill scan — inspect an image without running anything from it: distroless
 * verdict with evidence, packages (SBOM), policy checks, offline vulnerability
 * matching, an HTML report. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "fs/unpack.h"
#include "image/blob.h"
#include "scan/report.h"
#include "store/store.h"
#include "util/fsutil.h"
#include <errno.h>

static const char USAGE[] =
    "Usage: distill scan [OPTIONS] IMAGE\n"
    "Inspect IMAGE without running anything from it (static analysis of its files).\n"
    "IMAGE is any transport: oci:PATH[:REF|@DIGEST], oci-archive:PATH, docker-archive:PATH,\n"
    "docker://HOST/REPO[:TAG], docker-daemon:NAME[:TAG], containers-storage:NAME[:TAG],\n"
    "or rootfs:DIR (e.g. rootfs:/proc/PID/root of a running container).\n"
    "\n"
    "  --json                     the full result as JSON on stdout (instead of the summary)\n"
    "  --files                    with --json: list the files each package owns\n"
    "  --sbom spdx-json|cyclonedx-json   write an SBOM (SPDX 2.3 or CycloneDX 1.5 JSON)\n"
    "  --sbom-out FILE            where the SBOM goes (default: stdout)\n"
    "  --policy FILE              run the checks of a policy file (YAML or JSON)\n"
    "  --junit FILE               policy results as JUnit XML\n"
    "  --vulns DIR                match packages against OSV advisories (*.json) in DIR\n"
    "  --fail-on low|medium|high|critical   exit 1 when a finding is that severe or worse\n"
    "  --html FILE                one self-contained HTML report\n"
    "  --user USER[:GROUP]        the run user when IMAGE has no config (rootfs:)\n"
    "  --tmpdir DIR               where an image is unpacked for the scan (default: $TMPDIR, else /var/tmp;\n"
    "                             --tmpdir /dev/shm is faster where RAM allows); removed afterwards\n"
    CLI_SRC_HELP
    CLI_STORE_HELP
    "\n"
    "Exit: 0 clean, 1 a policy check failed or a finding reached --fail-on, 2 usage, 3 error.\n";

typedef struct scan_args {
    const char *image, *sbom, *sbom_out, *policy, *junit, *vulns, *fail_on, *html, *user;
    bool json, files;
    ds_opts opts;
} scan_args;

static int parse_args(int argc, char **argv, scan_args *a) {
    memset(a, 0, sizeof *a);
    ds_opts_init(&a->opts);
    const cli_opt own[] = {
        {.name = "sbom-out", .kind = CLI_STR, .target = &a->sbom_out},
        {.name = "sbom", .kind = CLI_STR, .target = &a->sbom},
        {.name = "policy", .kind = CLI_STR, .target = &a->policy},
        {.name = "junit", .kind = CLI_STR, .target = &a->junit},
        {.name = "vulns", .kind = CLI_STR, .target = &a->vulns},
        {.name = "fail-on", .kind = CLI_STR, .target = &a->fail_on},
        {.name = "html", .kind = CLI_STR, .target = &a->html},
        {.name = "user", .kind = CLI_STR, .target = &a->user},
        {.name = "json", .kind = CLI_BOOL, .target = &a->json},
        {.name = "files", .kind = CLI_BOOL, .target = &a->files},
        {0},
    };
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &a->opts, CLI_T_SRC | CLI_T_AUTH | CLI_T_TMPDIR | CLI_T_STORE);
    cli_list args = {0};
    int pr = cli_parse("scan", USAGE, own, shared, argc - 1, argv + 1, &args, NULL);
    a->image = args.n ? args.v[0] : NULL;
    const char *second = args.n > 1 ? args.v[1] : NULL;
    cli_list_free(&args);
    if (pr) return pr > 0 ? -1 : DS_EXIT_USAGE;
    if (second) return cli_usage_error("scan", "one IMAGE only (got '%s' and '%s')", a->image, second);
    if (!a->image) return cli_usage_error("scan", "IMAGE is missing");
    if (a->sbom && strcmp(a->sbom, "spdx-json") && strcmp(a->sbom, "cyclonedx-json"))
        return cli_usage_error("scan", "--sbom: expected spdx-json or cyclonedx-json, got '%s'", a->sbom);
    if (a->sbom_out && !a->sbom) return cli_usage_error("scan", "--sbom-out needs --sbom");
    if (a->junit && !a->policy) return cli_usage_error("scan", "--junit needs --policy");
    if (a->fail_on && ds_severity_level(a->fail_on) < 1)
        return cli_usage_error("scan", "--fail-on: expected low, medium, high or critical, got '%s'", a->fail_on);
    if (a->fail_on && !a->vulns) return cli_usage_error("scan", "--fail-on needs --vulns");
    if (a->json && a->sbom && !a->sbom_out)
        return cli_usage_error("scan", "--json and an SBOM on stdout would mix: add --sbom-out FILE");
    return 0;
}

static int write_out(const char *path, const char *data, ds_err *err) {
    if (!path || strcmp(path, "-") == 0) {
        fputs(data, stdout);
        return 0;
    }
    return ds_write_file_atomic(path, data, strlen(data), 0644, err);
}

static const char *yesno(bool b) { return b ? "yes" : "no"; }

static void print_list(const char *title, const ds_strlist *l, size_t max) {
    printf("%-22s %zu\n", title, l->n);
    for (size_t i = 0; i < l->n && i < max; i++) printf("    %s\n", cli_shown(l->v[i]));
    if (l->n > max) printf("    ... %zu more (see --json)\n", l->n - max);
}

static void print_summary(const ds_scan *s, const ds_findings *f, const ds_policy_results *pol) {
    const ds_verdict *v = &s->verdict;
    printf("Image: %s\n", cli_shown(s->image_ref));
    printf("Verdict: %s\n", v->distroless ? "DISTROLESS (no shell, no package manager)"
                                           : "NOT distroless");
    printf("Distro: %s\n", cli_shown(v->distro.pretty ? v->distro.pretty : v->distro.id ? v->distro.id : "unknown"));
    printf("Base family: %s (%zu ELF files)\n", cli_shown(v->family ? v->family : "unknown"), v->n_elf);
    print_list("Shells:", &v->shells, 10);
    print_list("Package managers:", &v->pkg_managers, 10);
    print_list("Network tools:", &v->net_tools, 10);
    if (v->busybox_applets.n) printf("%-22s %zu\n", "Busybox applets:", v->busybox_applets.n);
    print_list("Setuid/setgid files:", &v->setuid, 10);
    print_list("World-writable:", &v->world_writable, 10);
    printf("Run user: %s (root: %s) - %s\n", cli_shown(v->user ? (v->user[0] ? v->user : "\"\"") : "unknown"),
           v->user_is_root < 0 ? "unknown" : yesno(v->user_is_root == 1), cli_shown(v->user_evidence ? v->user_evidence : ""));
    print_list("Login accounts:", &v->login_accounts, 10);
    print_list("Empty passwords:", &v->empty_password, 10);
    printf("CA certificates: %s\n", cli_shown(v->ca_certs ? v->ca_certs : "none"));
    printf("tzdata: %s\n", cli_shown(v->tzdata ? v->tzdata : "none"));
    size_t by[8] = {0};
    const char *types[8] = {"deb", "apk", "rpm", "pypi", "npm", "golang", "maven", "other"};
    for (size_t i = 0; i < s->pkgs.n; i++) {
        size_t k;
        for (k = 0; k < 7; k++)
            if (strcmp(s->pkgs.v[i].type, types[k]) == 0) break;
        by[k]++;
    }
    printf("Packages: %zu", s->pkgs.n);
    const char *sep = " (";
    for (size_t k = 0; k < 8; k++)
        if (by[k]) { printf("%s%s %zu", sep, types[k], by[k]); sep = ", "; }
    printf("%s\n", s->pkgs.n ? ")" : "");
    printf("Size: %.1f MB in %zu entries\n", (double)s->tree.total_size / 1e6, s->tree.n);
    if (f) {
        size_t lv[5] = {0};
        for (size_t i = 0; i < f->n; i++) lv[f->v[i].level]++;
        printf("Vulnerabilities: %zu (critical %zu, high %zu, medium %zu, low %zu, unknown %zu) from %zu advisories\n",
               f->n, lv[4], lv[3], lv[2], lv[1], lv[0], f->n_files);
        for (size_t i = 0; i < f->n && i < 20; i++)
            printf("    %-8s %s %s %s%s%s\n", cli_shown(f->v[i].severity), cli_shown(f->v[i].id),
                   cli_shown(f->v[i].pkg_name), cli_shown(f->v[i].pkg_version), f->v[i].fixed ? " fixed in " : "",
                   cli_shown(f->v[i].fixed ? f->v[i].fixed : ""));
    }
    if (pol) {
        printf("Policy%s%s: %zu checks, %zu failed\n", pol->name ? " " : "", cli_shown(pol->name ? pol->name : ""),
               pol->n, pol->failed);
        for (size_t i = 0; i < pol->n; i++)
            if (!pol->v[i].pass) printf("    FAIL %s: %s\n", cli_shown(pol->v[i].id), cli_shown(pol->v[i].evidence));
    }
    for (size_t i = 0; i < s->notes.n; i++) printf("Note: %s\n", cli_shown(s->notes.v[i]));
    cli_shown_free();
}


/* Anything but rootfs: is unpacked into a private temp dir first. */
static int open_root(scan_args *a, char **root, char **tmp, char **user, json_t **labels, char **digest,
                     ds_store_view *view, ds_err *err) {
    *tmp = NULL;
    *digest = NULL;
    *user = a->user ? ds_xstrdup(a->user) : NULL;
    *labels = NULL;
    if (strncmp(a->image, "rootfs:", 7) == 0) {
        *root = ds_xstrdup(a->image + 7);
        if (!**root) return ds_fail(err, "rootfs: needs a directory");
        return 0;
    }
    ds_image *img = NULL;
    if (ds_image_open(a->image, &a->opts, &img, err) < 0) return -1;
    json_t *cfg = img->config ? json_object_get(img->config, "config") : NULL;
    json_t *u = cfg ? json_object_get(cfg, "User") : NULL;
    if (!a->user) *user = ds_xstrdup(json_is_string(u) ? json_string_value(u) : "");
    json_t *l = cfg ? json_object_get(cfg, "Labels") : NULL;
    if (img->manifest_digest[0]) *digest = ds_xstrdup(img->manifest_digest);
    if (json_is_object(l)) *labels = json_deep_copy(l);
    /* The same scratch space as every command (--tmpdir, $TMPDIR, /var/tmp); a RAM disk
     * is faster for a scan when it has room: --tmpdir /dev/shm. */
    if (ds_image_mkdtemp(&a->opts, "distill-scan", tmp, err) < 0) { ds_image_close(img); return -1; }
    *root = ds_xasprintf("%s/rootfs", *tmp);
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    uo.allow_devices = false;
    ds_store_stats st;
    int rc = ds_store_unpack(&a->opts, img, *root, *tmp, false, &uo, &st, view, err);
    ds_image_close(img);
    return rc;
}

int cmd_scan(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) { fputs(USAGE, stdout); return DS_EXIT_OK; }
    scan_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;

    ds_err err = {0};
    char *root = NULL, *tmp = NULL, *user = NULL, *digest = NULL;
    json_t *labels = NULL;
    ds_scan s;
    memset(&s, 0, sizeof s);
    ds_findings f = {0};
    ds_policy_results pol = {0};
    bool have_f = false, have_pol = false;
    rc = DS_EXIT_ERROR;
    ds_store_view view = DS_STORE_VIEW_INIT;
    if (open_root(&a, &root, &tmp, &user, &labels, &digest, &view, &err) < 0) goto out;
    ds_scan_opts so = {.user = user, .labels = labels, .image_ref = a.image, .digest = digest};
    if (ds_scan_root(root, &so, &s, &err) < 0) goto out;
    if (a.vulns) {
        if (ds_vulns_match(a.vulns, &s.pkgs, &f, &err) < 0) goto out;
        have_f = true;
    }
    if (a.policy) {
        if (ds_policy_run(a.policy, &s, &pol, &err) < 0) goto out;
        have_pol = true;
        if (a.junit) {
            char *x = ds_policy_junit(&pol);
            int w = write_out(a.junit, x, &err);
            free(x);
            if (w < 0) goto out;
        }
    }
    if (a.sbom) {
        char *ts = ds_sbom_timestamp(&err);
        if (!ts) goto out;
        json_t *doc = strcmp(a.sbom, "spdx-json") == 0 ? ds_sbom_spdx(&s, ts) : ds_sbom_cyclonedx(&s, ts);
        free(ts);
        char *txt = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        char *nl = ds_xasprintf("%s\n", txt);
        free(txt);
        int w = write_out(a.sbom_out, nl, &err);
        free(nl);
        if (w < 0) goto out;
    }
    if (a.html) {
        char *h = ds_html_report(&s, have_f ? &f : NULL, have_pol ? &pol : NULL);
        int w = write_out(a.html, h, &err);
        free(h);
        if (w < 0) goto out;
    }
    if (a.json) {
        json_t *o = ds_scan_json(&s, a.files);
        if (have_f) json_object_set_new(o, "vulnerabilities", ds_findings_json(&f));
        if (have_pol) json_object_set_new(o, "policy", ds_policy_json(&pol));
        char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(o);
        printf("%s\n", txt);
        free(txt);
    } else if (!(a.sbom && !a.sbom_out)) {
        print_summary(&s, have_f ? &f : NULL, have_pol ? &pol : NULL);
    }
    rc = DS_EXIT_OK;
    if (have_pol && pol.failed) rc = DS_EXIT_FAILED;
    if (have_f && a.fail_on) {
        int lv = ds_severity_level(a.fail_on);
        for (size_t i = 0; i < f.n; i++)
            if (f.v[i].level >= lv) rc = DS_EXIT_FAILED;
    }
out:
    if (rc == DS_EXIT_ERROR) cli_error("scan", &err);
    if (have_f) ds_findings_free(&f);
    if (have_pol) ds_policy_results_free(&pol);
    ds_scan_free(&s);
    ds_store_view_release(&view);
    if (tmp) {
        ds_err e2;
        ds_rmtree(tmp, &e2);
    }
    free(tmp); free(root); free(user); free(digest);
    json_decref(labels);
    return rc;
}
