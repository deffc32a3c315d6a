/* libFuzzer: one OSV advisory matched against a fixed package list (ranges,
 * versions and severities go through every ecosystem's version ordering). */
#include <stdint.h>
#include "scan/report.h"

static void add(ds_pkglist *l, const char *eco, const char *name, const char *ver) {
    ds_pkg *p = ds_pkglist_add(l);
    p->type = ds_xstrdup("x");
    p->name = ds_xstrdup(name);
    p->version = ds_xstrdup(ver);
    p->ecosystem = ds_xstrdup(eco);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, 0, &je);
    if (!doc) return 0;
    ds_pkglist l = {0};
    add(&l, "Debian:12", "openssl", "1:3.0.11-1~deb12u2");
    add(&l, "Alpine:v3.19", "musl", "1.2.4_git20230717-r4");
    add(&l, "npm", "lodash", "4.17.20");
    add(&l, "PyPI", "pip", "23.0.1");
    ds_findings f = {0};
    ds_vulns_match_doc(doc, "fuzz.json", &l, &f);
    ds_findings_free(&f);
    ds_pkglist_free(&l);
    json_decref(doc);
    return 0;
}
