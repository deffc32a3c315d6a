/* SBOM writers: SPDX 2.3 JSON and CycloneDX 1.5 JSON, both checked in the tests
 * against the official JSON schemas. Output is deterministic for a given tree
 * (ids derive from the package list; time from SOURCE_DATE_EPOCH when set). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "scan/report.h"
#include "util/digest.h"
#include "util/source_date.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "0.0.0"
#endif

char *ds_sbom_timestamp(ds_err *err) {
    int64_t t;
    if (ds_source_date_or((int64_t)time(NULL), &t, err) < 0) return NULL;
    char buf[32];
    ds_rfc3339(t, buf);
    return ds_xstrdup(buf);
}

/* created NULL: the clock (callers that honour SOURCE_DATE_EPOCH pass ds_sbom_timestamp's). */
static char *created_or_now(const char *created) {
    if (created) return ds_xstrdup(created);
    char buf[32];
    ds_rfc3339((int64_t)time(NULL), buf);
    return ds_xstrdup(buf);
}

/* A name-based UUID (version 5 layout) from the image name and its package list. */
static char *content_uuid(const ds_scan *s) {
    ds_sha256 h;
    ds_sha256_init(&h);
    ds_sha256_update(&h, s->image_ref, strlen(s->image_ref));
    for (size_t i = 0; i < s->pkgs.n; i++) {
        const char *p = s->pkgs.v[i].purl ? s->pkgs.v[i].purl : s->pkgs.v[i].name;
        ds_sha256_update(&h, p, strlen(p) + 1);
    }
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_final(&h, d);
    const char *x = d + 7;
    char v = "89ab"[(x[16] >= 'a' ? x[16] - 'a' + 10 : x[16] - '0') & 3];
    return ds_xasprintf("%.8s-%.4s-5%.3s-%c%.3s-%.12s", x, x + 8, x + 13, v, x + 17, x + 20);
}

static char *image_name(const ds_scan *s) {
    return ds_xstrdup(s->image_ref);
}

json_t *ds_sbom_spdx(const ds_scan *s, const char *created) {
    char *ts = created_or_now(created);
    char *uuid = content_uuid(s);
    char *name = image_name(s);
    json_t *doc = json_object();
    json_object_set_new(doc, "spdxVersion", ds_jstr("SPDX-2.3"));
    json_object_set_new(doc, "dataLicense", ds_jstr("CC0-1.0"));
    json_object_set_new(doc, "SPDXID", ds_jstr("SPDXRef-DOCUMENT"));
    json_object_set_new(doc, "name", ds_jstr(name));
    char *ns = ds_xasprintf("https://distill.invalid/spdx/%s", uuid);
    json_object_set_new(doc, "documentNamespace", ds_jstr(ns));
    free(ns);
    json_t *ci = json_object();
    json_object_set_new(ci, "created", ds_jstr(ts));
    json_t *creators = json_array();
    json_array_append_new(creators, ds_jstr("Tool: distill-" DISTILL_VERSION));
    json_object_set_new(ci, "creators", creators);
    json_object_set_new(doc, "creationInfo", ci);

    json_t *pkgs = json_array(), *rels = json_array();
    json_t *img = json_object();
    json_object_set_new(img, "SPDXID", ds_jstr("SPDXRef-Image"));
    json_object_set_new(img, "name", ds_jstr(name));
    json_object_set_new(img, "downloadLocation", ds_jstr("NOASSERTION"));
    json_object_set_new(img, "filesAnalyzed", json_false());
    json_object_set_new(img, "primaryPackagePurpose", ds_jstr("CONTAINER"));
    if (s->digest) {
        /* The image is named by its manifest digest: checksum, version and a pkg:oci purl. */
        json_object_set_new(img, "versionInfo", ds_jstr(s->digest));
        json_object_set_new(img, "checksums", json_pack("[{s:s, s:s}]", "algorithm", "SHA256", "checksumValue", s->digest + 7));
        json_object_set_new(img, "externalRefs", json_pack("[{s:s, s:s, s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                                           "referenceType", "purl", "referenceLocator", s->image_purl));
    }
    json_array_append_new(pkgs, img);
    ds_strlist refs = {0};
    json_t *r = json_object();
    json_object_set_new(r, "spdxElementId", ds_jstr("SPDXRef-DOCUMENT"));
    json_object_set_new(r, "relationshipType", ds_jstr("DESCRIBES"));
    json_object_set_new(r, "relatedSpdxElement", ds_jstr("SPDXRef-Image"));
    json_array_append_new(rels, r);
    json_t *describes = json_array();
    json_array_append_new(describes, ds_jstr("SPDXRef-Image"));
    json_object_set_new(doc, "documentDescribes", describes);

    for (size_t i = 0; i < s->pkgs.n; i++) {
        const ds_pkg *p = &s->pkgs.v[i];
        char *id = ds_xasprintf("SPDXRef-Package-%s-%zu", p->type, i + 1);
        json_t *o = json_object();
        json_object_set_new(o, "SPDXID", ds_jstr(id));
        json_object_set_new(o, "name", ds_jstr(p->name));
        if (p->version) json_object_set_new(o, "versionInfo", ds_jstr(p->version));
        json_object_set_new(o, "downloadLocation", ds_jstr("NOASSERTION"));
        json_object_set_new(o, "filesAnalyzed", json_false());
        json_object_set_new(o, "licenseConcluded", ds_jstr("NOASSERTION"));
        char *lic = ds_spdx_expression(p->license, &refs);
        json_object_set_new(o, "licenseDeclared", ds_jstr(lic ? lic : "NOASSERTION"));
        if (p->license && (!lic || strcmp(lic, p->license))) {
            char *c = ds_xasprintf("license as recorded: %s", p->license);
            json_object_set_new(o, "licenseComments", ds_jstr(c));
            free(c);
        }
        free(lic);
        json_object_set_new(o, "copyrightText", ds_jstr("NOASSERTION"));
        json_object_set_new(o, "primaryPackagePurpose", ds_jstr("LIBRARY"));
        char *src = ds_xasprintf("found in %s; %zu files owned", p->source ? p->source : "?", p->files.n);
        json_object_set_new(o, "sourceInfo", ds_jstr(src));
        free(src);
        if (p->purl) {
            json_t *refs = json_array(), *ref = json_object();
            json_object_set_new(ref, "referenceCategory", ds_jstr("PACKAGE-MANAGER"));
            json_object_set_new(ref, "referenceType", ds_jstr("purl"));
            json_object_set_new(ref, "referenceLocator", ds_jstr(p->purl));
            json_array_append_new(refs, ref);
            json_object_set_new(o, "externalRefs", refs);
        }
        json_array_append_new(pkgs, o);
        json_t *rel = json_object();
        json_object_set_new(rel, "spdxElementId", ds_jstr("SPDXRef-Image"));
        json_object_set_new(rel, "relationshipType", ds_jstr("CONTAINS"));
        json_object_set_new(rel, "relatedSpdxElement", ds_jstr(id));
        json_array_append_new(rels, rel);
        free(id);
    }
    json_object_set_new(doc, "packages", pkgs);
    json_object_set_new(doc, "relationships", rels);
    if (refs.n) {
        /* Each LicenseRef used above, with what the package recorded as its text. */
        json_t *ex = json_array();
        for (size_t i = 0; i < refs.n; i++) {
            char *id, *nm;
            ds_spdx_ref_split(refs.v[i], &id, &nm);
            char *text = ds_xasprintf("License named \"%s\" by the package metadata (no SPDX id).", nm);
            json_array_append_new(ex, json_pack("{s:s, s:s, s:s}", "licenseId", id, "name", nm, "extractedText", text));
            free(id); free(nm); free(text);
        }
        json_object_set_new(doc, "hasExtractedLicensingInfos", ex);
    }
    ds_strlist_free(&refs);
    free(ts); free(uuid); free(name);
    return doc;
}

static const char *cdx_type(const ds_pkg *p) {
    (void)p;
    return "library";
}

json_t *ds_sbom_cyclonedx(const ds_scan *s, const char *created) {
    char *ts = created_or_now(created);
    char *uuid = content_uuid(s);
    json_t *doc = json_object();
    json_object_set_new(doc, "$schema", ds_jstr("http://cyclonedx.org/schema/bom-1.5.schema.json"));
    json_object_set_new(doc, "bomFormat", ds_jstr("CycloneDX"));
    json_object_set_new(doc, "specVersion", ds_jstr("1.5"));
    char *sn = ds_xasprintf("urn:uuid:%s", uuid);
    json_object_set_new(doc, "serialNumber", ds_jstr(sn));
    free(sn);
    json_object_set_new(doc, "version", json_integer(1));
    json_t *md = json_object();
    json_object_set_new(md, "timestamp", ds_jstr(ts));
    json_t *tools = json_object(), *tc = json_array(), *tool = json_object();
    json_object_set_new(tool, "type", ds_jstr("application"));
    json_object_set_new(tool, "name", ds_jstr("distill"));
    json_object_set_new(tool, "version", ds_jstr(DISTILL_VERSION));
    json_array_append_new(tc, tool);
    json_object_set_new(tools, "components", tc);
    json_object_set_new(md, "tools", tools);
    json_t *img = json_object();
    json_object_set_new(img, "type", ds_jstr("container"));
    json_object_set_new(img, "bom-ref", ds_jstr("image"));
    json_object_set_new(img, "name", ds_jstr(s->image_ref));
    if (s->digest) {
        json_object_set_new(img, "version", ds_jstr(s->digest));
        json_object_set_new(img, "purl", ds_jstr(s->image_purl));
        json_object_set_new(img, "hashes", json_pack("[{s:s, s:s}]", "alg", "SHA-256", "content", s->digest + 7));
    }
    json_object_set_new(md, "component", img);
    json_object_set_new(doc, "metadata", md);

    json_t *comps = json_array(), *deps = json_array(), *img_deps = json_array();
    const ds_distro *d = &s->verdict.distro;
    if (d->id) {
        json_t *os = json_object();
        json_object_set_new(os, "type", ds_jstr("operating-system"));
        json_object_set_new(os, "bom-ref", ds_jstr("os"));
        json_object_set_new(os, "name", ds_jstr(d->id));
        if (d->version_id) json_object_set_new(os, "version", ds_jstr(d->version_id));
        if (d->pretty) json_object_set_new(os, "description", ds_jstr(d->pretty));
        json_array_append_new(comps, os);
        json_array_append_new(img_deps, ds_jstr("os"));
    }
    json_t *seen = json_object();
    for (size_t i = 0; i < s->pkgs.n; i++) {
        const ds_pkg *p = &s->pkgs.v[i];
        json_t *c = json_object();
        json_object_set_new(c, "type", ds_jstr(cdx_type(p)));
        const char *base = p->purl ? p->purl : p->name;
        char *ref = json_object_get(seen, base) ? ds_xasprintf("%s#%zu", base, i + 1) : ds_xstrdup(base);
        json_object_set_new(seen, base, json_true());
        json_object_set_new(c, "bom-ref", ds_jstr(ref));
        json_array_append_new(img_deps, ds_jstr(ref));
        free(ref);
        json_object_set_new(c, "name", ds_jstr(p->name));
        if (p->version) json_object_set_new(c, "version", ds_jstr(p->version));
        if (p->purl) json_object_set_new(c, "purl", ds_jstr(p->purl));
        if (p->license) {
            /* A valid SPDX expression of SPDX ids as one expression; anything else a named license. */
            char *e = ds_spdx_expression(p->license, NULL);
            json_t *ls = json_array(), *l = json_object();
            if (e && !strstr(e, "LicenseRef-")) {
                json_object_set_new(l, "expression", ds_jstr(e));
            } else {
                json_t *lic = json_object();
                json_object_set_new(lic, "name", ds_jstr(p->license));
                json_object_set_new(l, "license", lic);
            }
            free(e);
            json_array_append_new(ls, l);
            json_object_set_new(c, "licenses", ls);
        }
        json_t *props = json_array();
        struct { const char *k, *v; } pr[] = {
            {"distill:package:type", p->type}, {"distill:package:arch", p->arch},
            {"distill:package:source", p->source}, {"distill:package:ecosystem", p->ecosystem}};
        for (size_t k = 0; k < sizeof pr / sizeof *pr; k++) {
            if (!pr[k].v) continue;
            json_t *o = json_object();
            json_object_set_new(o, "name", ds_jstr(pr[k].k));
            json_object_set_new(o, "value", ds_jstr(pr[k].v));
            json_array_append_new(props, o);
        }
        json_object_set_new(c, "properties", props);
        if (p->files.n) {
            json_t *ev = json_object(), *occ = json_array();
            for (size_t k = 0; k < p->files.n; k++) {
                json_t *o = json_object();
                json_object_set_new(o, "location", ds_jstr(p->files.v[k]));
                json_array_append_new(occ, o);
            }
            json_object_set_new(ev, "occurrences", occ);
            json_object_set_new(c, "evidence", ev);
        }
        json_array_append_new(comps, c);
    }
    json_decref(seen);
    json_t *dep = json_object();
    json_object_set_new(dep, "ref", ds_jstr("image"));
    json_object_set_new(dep, "dependsOn", img_deps);
    json_array_append_new(deps, dep);
    json_object_set_new(doc, "components", comps);
    json_object_set_new(doc, "dependencies", deps);
    free(ts); free(uuid);
    return doc;
}
