/* The scan as JSON (`distill scan --json`): verdict with evidence, packages, sizes. */
#include <string.h>
#include "scan/report.h"
#include "util/json_doc.h"
#include "util/path_json.h"

/* Image content is not guaranteed UTF-8 (a hostile status file, a Latin-1 path):
 * invalid bytes become '?', so every field stays present and the JSON stays valid. */
json_t *ds_jstr(const char *s) {
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    size_t n = strlen(s);
    char *c = ds_xstrdup(s);
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)c[i];
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)c[i + k] >> 6) == 2;
        if (ok && len > 1) {
            json_t *t = json_stringn(c + i, len); /* overlongs, surrogates: let jansson judge */
            ok = t != NULL;
            json_decref(t);
        }
        if (!ok) { c[i] = '?'; i++; }
        else i += len;
    }
    j = json_string(c);
    free(c);
    return j ? j : json_string("?");
}

json_t *ds_strlist_json(const ds_strlist *l) {
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) json_array_append_new(a, ds_json_bytes(l->v[i]));
    return a;
}

/* The scan document's strings come from the image (file names, package databases): kept as
 * bytes here and made JSON by ds_json_export in ds_scan_json ("key" + "key_hex"). */
static json_t *str_or_null(const char *s) { return ds_json_bytes(s); }

json_t *ds_verdict_json(const ds_verdict *v) {
    json_t *o = json_object();
    json_object_set_new(o, "distroless", json_boolean(v->distroless));
    json_object_set_new(o, "shells", ds_strlist_json(&v->shells));
    json_object_set_new(o, "package_managers", ds_strlist_json(&v->pkg_managers));
    json_object_set_new(o, "network_tools", ds_strlist_json(&v->net_tools));
    json_object_set_new(o, "busybox_applets", json_integer((json_int_t)v->busybox_applets.n));
    json_object_set_new(o, "setuid_setgid", ds_strlist_json(&v->setuid));
    json_object_set_new(o, "world_writable", ds_strlist_json(&v->world_writable));
    json_t *u = json_object();
    json_object_set_new(u, "user", str_or_null(v->user));
    json_object_set_new(u, "root", v->user_is_root < 0 ? json_null() : json_boolean(v->user_is_root));
    json_object_set_new(u, "evidence", str_or_null(v->user_evidence));
    json_object_set_new(o, "run_user", u);
    json_object_set_new(o, "login_accounts", ds_strlist_json(&v->login_accounts));
    json_object_set_new(o, "empty_password_accounts", ds_strlist_json(&v->empty_password));
    json_t *d = json_object();
    json_object_set_new(d, "id", str_or_null(v->distro.id));
    json_object_set_new(d, "version_id", str_or_null(v->distro.version_id));
    json_object_set_new(d, "codename", str_or_null(v->distro.codename));
    json_object_set_new(d, "pretty_name", str_or_null(v->distro.pretty));
    json_object_set_new(o, "distro", d);
    json_object_set_new(o, "base_family", str_or_null(v->family));
    json_object_set_new(o, "elf_interpreters", ds_strlist_json(&v->interpreters));
    json_object_set_new(o, "elf_files", json_integer((json_int_t)v->n_elf));
    json_object_set_new(o, "ca_certificates", str_or_null(v->ca_certs));
    json_object_set_new(o, "tzdata", str_or_null(v->tzdata));
    return o;
}

json_t *ds_pkg_json(const ds_pkg *p, bool with_files) {
    json_t *o = json_object();
    json_object_set_new(o, "type", str_or_null(p->type));
    json_object_set_new(o, "name", str_or_null(p->name));
    json_object_set_new(o, "version", str_or_null(p->version));
    json_object_set_new(o, "arch", str_or_null(p->arch));
    if (p->origin) json_object_set_new(o, "source_package", str_or_null(p->origin));
    json_object_set_new(o, "license", str_or_null(p->license));
    char *spdx = ds_spdx_expression(p->license, NULL);
    json_object_set_new(o, "license_spdx", str_or_null(spdx ? spdx : "NOASSERTION"));
    free(spdx);
    json_object_set_new(o, "purl", str_or_null(p->purl));
    json_object_set_new(o, "ecosystem", str_or_null(p->ecosystem));
    json_object_set_new(o, "source", str_or_null(p->source));
    json_object_set_new(o, "file_count", json_integer((json_int_t)p->files.n));
    if (with_files) json_object_set_new(o, "files", ds_strlist_json(&p->files));
    return o;
}

json_t *ds_scan_json(const ds_scan *s, bool with_files) {
    json_t *o = ds_json_doc();
    json_object_set_new(o, DS_JK_IMAGE, str_or_null(s->image_ref));
    json_object_set_new(o, DS_JK_DIGEST, str_or_null(s->digest));
    json_object_set_new(o, "image_purl", str_or_null(s->image_purl));
    json_object_set_new(o, "verdict", ds_verdict_json(&s->verdict));
    json_t *pk = json_array();
    for (size_t i = 0; i < s->pkgs.n; i++) json_array_append_new(pk, ds_pkg_json(&s->pkgs.v[i], with_files));
    json_object_set_new(o, "package_count", json_integer((json_int_t)s->pkgs.n));
    json_object_set_new(o, "packages", pk);
    json_object_set_new(o, DS_JK_SIZE, json_integer((json_int_t)s->tree.total_size));
    json_object_set_new(o, "entries", json_integer((json_int_t)s->tree.n));
    json_t *dirs = json_array();
    for (size_t i = 0; i < s->n_dirs; i++)
        json_array_append_new(dirs, json_pack("{s:o, s:I}", DS_JK_PATH, str_or_null(s->dirs[i].name), DS_JK_SIZE,
                                              (json_int_t)s->dirs[i].bytes));
    json_object_set_new(o, "by_top_dir", dirs);
    json_object_set_new(o, "notes", ds_strlist_json(&s->notes));
    ds_json_export(o);
    return o;
}
