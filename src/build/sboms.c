/* The result's SBOMs for --out-dir: the scan library run on the candidate tree, named by
 * the result's manifest digest (sbom.spdx.json, sbom.cdx.json, written atomically). */
#include <string.h>
#include "build/build.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "util/fsutil.h"

static int write_json(const char *out_dir, const char *name, json_t *doc, ds_err *err) {
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    char *path = ds_xasprintf("%s/%s", out_dir, name);
    int r = text ? ds_write_file_atomic(path, text, strlen(text), 0644, err) : ds_fail(err, "%s: cannot encode", path);
    free(text);
    free(path);
    return r;
}

int ds_build_write_sboms(const char *tree, const char *image_ref, const char *digest, const char *out_dir, ds_err *err) {
    ds_scan s;
    ds_scan_opts so = {.image_ref = image_ref, .digest = digest && *digest ? digest : NULL};
    if (ds_scan_root(tree, &so, &s, err) < 0) {
        ds_scan_free(&s);
        return ds_err_wrap(err, "scanning the result for its SBOMs");
    }
    json_t *spdx = ds_sbom_spdx(&s, NULL), *cdx = ds_sbom_cyclonedx(&s, NULL);
    int r = ds_mkdirs(out_dir, 0755, err);
    if (r == 0) r = write_json(out_dir, "sbom.spdx.json", spdx, err);
    if (r == 0) r = write_json(out_dir, "sbom.cdx.json", cdx, err);
    json_decref(spdx);
    json_decref(cdx);
    ds_scan_free(&s);
    return r;
}
