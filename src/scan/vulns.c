/* Offline vulnerability matching against OSV advisories (https://ossf.github.io/osv-schema/):
 * a folder of *.json files. A package matches an entry of affected[] when the
 * ecosystem agrees (a release-less "Debian" matches every Debian release) and
 * the name is the package's (or, for distros, its source package), and its
 * version is listed in versions[] or falls in an ECOSYSTEM/SEMVER range, compared
 * with the ecosystem's own ordering. */
#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "scan/report.h"
#include "util/fsutil.h"

static const char *const LEVELS[] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

int ds_severity_level(const char *w) {
    if (!w) return -1;
    static const struct { const char *w; int l; } M[] = {
        {"critical", 4}, {"high", 3}, {"important", 3}, {"medium", 2}, {"moderate", 2},
        {"low", 1}, {"negligible", 1}, {"unimportant", 1}, {"minor", 1}, {"none", 0}, {"unknown", 0},
    };
    for (size_t i = 0; i < sizeof M / sizeof *M; i++)
        if (!strcasecmp(w, M[i].w)) return M[i].l;
    return -1;
}

/* CVSS 3.x base score (spec section 7.1), without libm. */
static double roundup1(double x) {
    long long i = (long long)(x * 100000.0 + 0.5);
    if (i % 10000 == 0) return (double)i / 100000.0;
    return (double)(i / 10000 + 1) / 10.0;
}

int ds_cvss3_level(const char *vec, double *score_out) {
    if (!vec || strncmp(vec, "CVSS:3.", 7)) return -1;
    double av = -1, ac = -1, pr = -1, ui = -1, c = -1, in = -1, a = -1;
    int scope = -1;
    char pr_letter = 0;
    for (const char *p = strchr(vec, '/'); p && *p; p = strchr(p + 1, '/')) {
        const char *m = p + 1;
        const char *colon = strchr(m, ':');
        if (!colon) break;
        size_t kl = (size_t)(colon - m);
        char v = colon[1];
#define K(s) (kl == strlen(s) && !strncmp(m, s, kl))
        if (K("AV")) av = v == 'N' ? .85 : v == 'A' ? .62 : v == 'L' ? .55 : v == 'P' ? .2 : -1;
        else if (K("AC")) ac = v == 'L' ? .77 : v == 'H' ? .44 : -1;
        else if (K("PR")) pr_letter = v;
        else if (K("UI")) ui = v == 'N' ? .85 : v == 'R' ? .62 : -1;
        else if (K("S")) scope = v == 'U' ? 0 : v == 'C' ? 1 : -1;
        else if (K("C")) c = v == 'H' ? .56 : v == 'L' ? .22 : v == 'N' ? 0 : -1;
        else if (K("I")) in = v == 'H' ? .56 : v == 'L' ? .22 : v == 'N' ? 0 : -1;
        else if (K("A")) a = v == 'H' ? .56 : v == 'L' ? .22 : v == 'N' ? 0 : -1;
#undef K
    }
    if (scope < 0) return -1;
    pr = pr_letter == 'N' ? .85 : pr_letter == 'L' ? (scope ? .68 : .62) : pr_letter == 'H' ? (scope ? .5 : .27) : -1;
    if (av < 0 || ac < 0 || pr < 0 || ui < 0 || c < 0 || in < 0 || a < 0) return -1;
    double iss = 1 - (1 - c) * (1 - in) * (1 - a);
    double impact;
    if (!scope) {
        impact = 6.42 * iss;
    } else {
        double t = iss - 0.02, t15 = 1;
        for (int i = 0; i < 15; i++) t15 *= t;
        impact = 7.52 * (iss - 0.029) - 3.25 * t15;
    }
    double expl = 8.22 * av * ac * pr * ui;
    double score = 0;
    if (impact > 0) {
        double sum = scope ? 1.08 * (impact + expl) : impact + expl;
        score = roundup1(sum < 10 ? sum : 10);
    }
    if (score_out) *score_out = score;
    return score >= 9.0 ? 4 : score >= 7.0 ? 3 : score >= 4.0 ? 2 : score > 0 ? 1 : 0;
}

static const char *js(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* Severity: a word from the database, else the highest CVSS v3 vector. */
static int severity_of(json_t *doc, json_t *aff) {
    json_t *places[] = {json_object_get(aff, "ecosystem_specific"), json_object_get(aff, "database_specific"),
                        json_object_get(doc, "database_specific")};
    for (size_t i = 0; i < 3; i++) {
        int l = ds_severity_level(js(places[i], "severity"));
        if (l >= 0) return l;
    }
    int best = -1;
    json_t *sevs[] = {json_object_get(aff, "severity"), json_object_get(doc, "severity")};
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        json_t *s;
        json_array_foreach(sevs[k], i, s) {
            const char *type = js(s, "type");
            if (!type || strcmp(type, "CVSS_V3")) continue;
            int l = ds_cvss3_level(js(s, "score"), NULL);
            if (l > best) best = l;
        }
        if (best >= 0) return best;
    }
    return 0;
}

static bool eco_match(const char *osv, const char *ours) {
    if (!osv || !ours) return false;
    if (!strcmp(osv, ours)) return true;
    /* "Debian" (no release) matches "Debian:12"; "Alpine" matches "Alpine:v3.19". */
    size_t n = strlen(osv);
    if (!strchr(osv, ':') && !strncmp(osv, ours, n) && ours[n] == ':') return true;
    return false;
}

/* PyPI names compare normalized (PEP 503); others exactly. */
static bool name_eq(const char *eco, const char *a, const char *b) {
    if (strcmp(eco, "PyPI")) return !strcmp(a, b);
    for (;; a++, b++) {
        char x = *a == '_' || *a == '.' ? '-' : (char)tolower((unsigned char)*a);
        char y = *b == '_' || *b == '.' ? '-' : (char)tolower((unsigned char)*b);
        if (x != y) return false;
        if (!x) return true;
    }
}

typedef struct ev { const char *kind, *ver; } ev;
static const char *g_eco;
static int ev_cmp(const void *x, const void *y) {
    const ev *a = x, *b = y;
    bool az = !strcmp(a->ver, "0"), bz = !strcmp(b->ver, "0");
    if (az || bz) return az && bz ? 0 : az ? -1 : 1;
    return ds_ver_cmp_ecosystem(g_eco, a->ver, b->ver);
}

/* Affected by one range? On yes, *fixed gets the fixed version that ends it (if any). */
static bool in_range(const char *eco, json_t *range, const char *v, const char **fixed) {
    json_t *events = json_object_get(range, "events");
    size_t n = json_array_size(events);
    if (!n) return false;
    ev *e = ds_xcalloc(n, sizeof *e);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(events, i);
        static const char *const kinds[] = {"introduced", "fixed", "last_affected", "limit"};
        for (size_t j = 0; j < 4; j++) {
            const char *val = js(o, kinds[j]);
            if (val) { e[k].kind = kinds[j]; e[k].ver = val; k++; break; }
        }
    }
    g_eco = eco;
    qsort(e, k, sizeof *e, ev_cmp);
    bool aff = false;
    *fixed = NULL;
    for (size_t i = 0; i < k; i++) {
        bool zero = !strcmp(e[i].ver, "0");
        int c = zero ? 1 : ds_ver_cmp_ecosystem(eco, v, e[i].ver);
        if (!strcmp(e[i].kind, "introduced")) {
            if (c >= 0) aff = true; else break;
        } else if (!strcmp(e[i].kind, "fixed") || !strcmp(e[i].kind, "limit")) {
            if (c >= 0) aff = false;
            else { if (aff && e[i].kind[0] == 'f') *fixed = e[i].ver; break; }
        } else { /* last_affected */
            if (c > 0) aff = false; else break;
        }
    }
    free(e);
    return aff;
}

static void add_finding(ds_findings *f, json_t *doc, const ds_pkg *p, int level, const char *fixed, const char *src) {
    const char *id = js(doc, "id");
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].id, id) && !strcmp(f->v[i].pkg_name, p->name) && !strcmp(f->v[i].pkg_version, p->version) &&
            !strcmp(f->v[i].pkg_purl ? f->v[i].pkg_purl : "", p->purl ? p->purl : "")) {
            if (level > f->v[i].level) { f->v[i].level = level; free(f->v[i].severity); f->v[i].severity = ds_xstrdup(LEVELS[level]); }
            return;
        }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = ds_xrealloc(f->v, f->cap * sizeof *f->v);
    }
    ds_finding *x = &f->v[f->n++];
    memset(x, 0, sizeof *x);
    x->id = ds_xstrdup(id);
    const char *sum = js(doc, "summary");
    if (!sum) sum = js(doc, "details");
    if (sum) {
        /* At most ~300 bytes, cut on a UTF-8 character boundary. */
        size_t n = strlen(sum);
        if (n > 300) {
            n = 300;
            while (n > 0 && ((unsigned char)sum[n] & 0xC0) == 0x80) n--;
        }
        x->summary = ds_xstrndup(sum, n);
    }
    x->level = level;
    x->severity = ds_xstrdup(LEVELS[level]);
    x->pkg_name = ds_xstrdup(p->name);
    x->pkg_version = ds_xstrdup(p->version);
    x->pkg_purl = p->purl ? ds_xstrdup(p->purl) : NULL;
    x->ecosystem = ds_xstrdup(p->ecosystem);
    x->fixed = fixed ? ds_xstrdup(fixed) : NULL;
    x->source = ds_xstrdup(src);
}

int ds_vulns_match_doc(json_t *doc, const char *source, const ds_pkglist *pkgs, ds_findings *out) {
    if (!json_is_object(doc) || !js(doc, "id")) return -1;
    if (js(doc, "withdrawn")) return 0;
    size_t ai;
    json_t *aff;
    json_array_foreach(json_object_get(doc, "affected"), ai, aff) {
        json_t *pk = json_object_get(aff, "package");
        const char *eco = js(pk, "ecosystem"), *name = js(pk, "name");
        if (!eco || !name) continue;
        for (size_t i = 0; i < pkgs->n; i++) {
            const ds_pkg *p = &pkgs->v[i];
            if (!p->version || !eco_match(eco, p->ecosystem)) continue;
            if (!name_eq(eco, name, p->name) && !(p->origin && !strcmp(name, p->origin))) continue;
            bool hit = false;
            const char *fixed = NULL;
            size_t k;
            json_t *v;
            json_array_foreach(json_object_get(aff, "versions"), k, v) {
                const char *s = json_string_value(v);
                if (s && (!strcmp(s, p->version) || ds_ver_cmp_ecosystem(p->ecosystem, s, p->version) == 0)) hit = true;
            }
            json_t *r;
            json_array_foreach(json_object_get(aff, "ranges"), k, r) {
                const char *type = js(r, "type");
                if (!type || !strcmp(type, "GIT")) continue;
                const char *fx = NULL;
                if (in_range(p->ecosystem, r, p->version, &fx)) { hit = true; if (fx) fixed = fx; }
            }
            /* Neither versions nor ranges: the advisory says every version. */
            if (!json_array_size(json_object_get(aff, "versions")) && !json_array_size(json_object_get(aff, "ranges")))
                hit = true;
            if (hit) add_finding(out, doc, p, severity_of(doc, aff), fixed, source);
        }
    }
    return 0;
}

static int walk(const char *dir, int depth, const ds_pkglist *pkgs, ds_findings *out, ds_err *err) {
    if (depth > 8) return 0;
    DIR *d = opendir(dir);
    if (!d) return ds_fail_errno(err, "--vulns %s", dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && rc == 0) {
        if (de->d_name[0] == '.') continue;
        char *p = ds_xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = walk(p, depth + 1, pkgs, out, err);
        } else if (S_ISREG(st.st_mode) && strlen(de->d_name) > 5 &&
                   !strcmp(de->d_name + strlen(de->d_name) - 5, ".json")) {
            json_error_t je;
            json_t *doc = json_load_file(p, 0, &je);
            if (!doc) {
                rc = ds_fail(err, "%s: line %d: %s", p, je.line, je.text);
            } else {
                /* One advisory per file, or an array of them. */
                if (json_is_array(doc)) {
                    size_t i;
                    json_t *x;
                    json_array_foreach(doc, i, x) if (ds_vulns_match_doc(x, p, pkgs, out) == 0) out->n_files++;
                } else if (ds_vulns_match_doc(doc, p, pkgs, out) == 0) {
                    out->n_files++;
                }
                json_decref(doc);
            }
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int finding_cmp(const void *a, const void *b) {
    const ds_finding *x = a, *y = b;
    if (x->level != y->level) return y->level - x->level;
    int c = strcmp(x->pkg_name, y->pkg_name);
    return c ? c : strcmp(x->id, y->id);
}

int ds_vulns_match(const char *dir, const ds_pkglist *pkgs, ds_findings *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (walk(dir, 0, pkgs, out, err) < 0) return -1;
    if (out->n) qsort(out->v, out->n, sizeof *out->v, finding_cmp);
    return 0;
}

void ds_findings_free(ds_findings *f) {
    for (size_t i = 0; i < f->n; i++) {
        ds_finding *x = &f->v[i];
        free(x->id); free(x->summary); free(x->severity); free(x->pkg_name); free(x->pkg_version);
        free(x->pkg_purl); free(x->ecosystem); free(x->fixed); free(x->source);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

json_t *ds_findings_json(const ds_findings *f) {
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "advisories_read", json_integer((json_int_t)f->n_files));
    json_object_set_new(o, "count", json_integer((json_int_t)f->n));
    for (size_t i = 0; i < f->n; i++) {
        const ds_finding *x = &f->v[i];
        json_t *j = json_object();
        json_object_set_new(j, "id", ds_jstr(x->id));
        json_object_set_new(j, "severity", ds_jstr(x->severity));
        json_object_set_new(j, "package", ds_jstr(x->pkg_name));
        json_object_set_new(j, "version", ds_jstr(x->pkg_version));
        json_object_set_new(j, "ecosystem", ds_jstr(x->ecosystem));
        json_object_set_new(j, "purl", x->pkg_purl ? ds_jstr(x->pkg_purl) : json_null());
        json_object_set_new(j, "fixed_in", x->fixed ? ds_jstr(x->fixed) : json_null());
        json_object_set_new(j, "summary", x->summary ? ds_jstr(x->summary) : json_null());
        json_object_set_new(j, "advisory_file", ds_jstr(x->source));
        json_array_append_new(a, j);
    }
    json_object_set_new(o, "findings", a);
    return o;
}
