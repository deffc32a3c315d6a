/* What is made from a scan: JSON, SBOMs (SPDX 2.3, CycloneDX 1.5), vulnerability
 * findings from OSV files, policy results (and JUnit), the HTML report. */
#ifndef DS_SCAN_REPORT_H
#define DS_SCAN_REPORT_H
#include <jansson.h>
#include <stdbool.h>
#include "scan/scan.h"

json_t *ds_jstr(const char *s); /* json_string that never fails: invalid UTF-8 bytes become '?', NULL -> null */
/* The parts of `scan --json`: their strings hold the image's bytes (ds_json_bytes) until
 * ds_json_export; ds_scan_json, the whole document (docs/json.md), is exported already. */
json_t *ds_strlist_json(const ds_strlist *l);
json_t *ds_verdict_json(const ds_verdict *v);
json_t *ds_pkg_json(const ds_pkg *p, bool with_files);
json_t *ds_scan_json(const ds_scan *s, bool with_files);

/* SBOMs. created: RFC 3339 UTC time ("2024-01-02T03:04:05Z"); NULL = now, or
 * SOURCE_DATE_EPOCH when set (reproducible output). */
json_t *ds_sbom_spdx(const ds_scan *s, const char *created);
json_t *ds_sbom_cyclonedx(const ds_scan *s, const char *created);
/* SOURCE_DATE_EPOCH, else now, as RFC 3339; NULL (and err) when the variable is malformed. */
char *ds_sbom_timestamp(ds_err *err);

/* Vulnerabilities (OSV). Severity levels: 0 none/unknown, 1 low, 2 medium, 3 high, 4 critical. */
typedef struct ds_finding {
    char *id;        /* "CVE-2023-1234" / "DSA-..." / "GHSA-..." */
    char *summary;
    char *severity;  /* "LOW".."CRITICAL" or "UNKNOWN" */
    int level;
    char *pkg_name, *pkg_version, *pkg_purl, *ecosystem;
    char *fixed;     /* first fixed version above the installed one, or NULL */
    char *source;    /* the OSV file */
} ds_finding;
typedef struct ds_findings {
    ds_finding *v;
    size_t n, cap;
    size_t n_files;  /* advisories read */
} ds_findings;
/* Level of a severity word (case-insensitive): -1 when not one. */
int ds_severity_level(const char *word);
/* Severity level from a CVSS v3 vector ("CVSS:3.1/AV:N/...") by its base score; -1 if not one. */
int ds_cvss3_level(const char *vector, double *score);
int ds_vulns_match(const char *dir, const ds_pkglist *pkgs, ds_findings *out, ds_err *err);
/* One OSV document against the packages (for tests and fuzzing). */
int ds_vulns_match_doc(json_t *doc, const char *source, const ds_pkglist *pkgs, ds_findings *out);
void ds_findings_free(ds_findings *f);
json_t *ds_findings_json(const ds_findings *f);

/* Version ordering per ecosystem: <0, 0, >0. */
int ds_ver_cmp_dpkg(const char *a, const char *b);
int ds_ver_cmp_apk(const char *a, const char *b);
int ds_ver_cmp_semver(const char *a, const char *b);
int ds_ver_cmp_pep440(const char *a, const char *b);
int ds_ver_cmp_rpm(const char *a, const char *b); /* [E:]V-R with rpmvercmp on V and R */
/* Pick the ordering for an OSV ecosystem ("Debian:12", "Alpine:v3.19", "npm", "PyPI", "Go", ...). */
int ds_ver_cmp_ecosystem(const char *ecosystem, const char *a, const char *b);
/* dpkg's own validity rules (for tests): 0 valid, -1 not. */
int ds_ver_dpkg_valid(const char *v);

/* Policy. */
typedef struct ds_check_result {
    char *id;        /* "file[0] /etc/shadow mode<=0640" */
    char *target;
    bool pass;
    char *evidence;
} ds_check_result;
typedef struct ds_policy_results {
    char *name;
    ds_check_result *v;
    size_t n, cap, failed;
} ds_policy_results;
/* Policy text (YAML or JSON) into JSON; used by ds_policy_run and the tests. */
int ds_policy_parse(const char *text, size_t len, const char *source, json_t **out, ds_err *err);
int ds_policy_eval(json_t *policy, const ds_scan *s, ds_policy_results *out, ds_err *err);
int ds_policy_run(const char *path, const ds_scan *s, ds_policy_results *out, ds_err *err);
void ds_policy_results_free(ds_policy_results *r);
json_t *ds_policy_json(const ds_policy_results *r);
char *ds_policy_junit(const ds_policy_results *r);

/* One self-contained HTML page (inline CSS and SVG, no scripts, no network). */
char *ds_html_report(const ds_scan *s, const ds_findings *f, const ds_policy_results *pol);

#endif
