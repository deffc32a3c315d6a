/* Policy checks on the image's files (in the spirit of InSpec's `file`
 * resource) and on the image as a whole. The policy is YAML or JSON:
 *
 *   name: baseline
 *   files:
 *     - path: /etc/shadow            # or  glob: "/usr/bin/[!.]*" (fnmatch, '*' stays in one dir)
 *       exists: true                 # absent: true
 *       type: file                   # file | dir | symlink | other
 *       mode: "0640"                 # exact;  max_mode: "0755" = no bit beyond these
 *       owner: root                  # name (image /etc/passwd) or number; group likewise
 *       setuid: false                # setgid: false
 *       max_size: 10M                # size: exact bytes
 *       matches: "^root:"            # POSIX extended regex on the content; not_matches
 *   image:
 *     user_not_root: true
 *     no_shell: true
 *     no_package_manager: true
 *     max_size: 200M
 *     required_labels: [org.opencontainers.image.source]
 */
#include <ctype.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>
#include "scan/markup.h"
#include "fs/passwd.h"
#include "scan/report.h"
#include "scan/scan_internal.h"
#include "util/fsutil.h"

/* ---- YAML into JSON ------------------------------------------------------- */

static json_t *scalar_json(const yaml_event_t *ev) {
    const char *v = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes")) return json_true();
        if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "no")) return json_false();
        if (!strcmp(v, "null") || !strcmp(v, "~") || !*v) return json_null();
        char *end;
        long long n = strtoll(v, &end, 10);
        /* A leading 0 is kept as text so modes like 0640 stay octal strings. */
        if (*v && !*end && !(v[0] == '0' && v[1])) return json_integer(n);
    }
    return ds_jstr(v);
}

/* Recursive descent over libyaml events; depth-limited against hostile input. */
static int yaml_node(yaml_parser_t *p, yaml_event_t *first, json_t **out, int depth, const char *src, ds_err *err) {
    if (depth > 64) return ds_fail(err, "%s: nesting too deep", src);
    switch (first->type) {
    case YAML_SCALAR_EVENT:
        *out = scalar_json(first);
        return 0;
    case YAML_ALIAS_EVENT:
        return ds_fail(err, "%s: YAML aliases are not supported", src);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = first->type == YAML_MAPPING_START_EVENT;
        json_t *c = map ? json_object() : json_array();
        for (;;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(p, &ev)) {
                json_decref(c);
                return ds_fail(err, "%s: line %zu: %s", src, p->problem_mark.line + 1, p->problem ? p->problem : "YAML error");
            }
            if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&ev);
                break;
            }
            if (map) {
                if (ev.type != YAML_SCALAR_EVENT) {
                    yaml_event_delete(&ev);
                    json_decref(c);
                    return ds_fail(err, "%s: mapping keys must be plain text", src);
                }
                char *key = ds_xstrdup((const char *)ev.data.scalar.value);
                yaml_event_delete(&ev);
                yaml_event_t vev;
                if (!yaml_parser_parse(p, &vev)) {
                    free(key);
                    json_decref(c);
                    return ds_fail(err, "%s: line %zu: %s", src, p->problem_mark.line + 1, p->problem ? p->problem : "YAML error");
                }
                json_t *val = NULL;
                int rc = yaml_node(p, &vev, &val, depth + 1, src, err);
                yaml_event_delete(&vev);
                if (rc < 0) { free(key); json_decref(c); return -1; }
                json_object_set_new(c, key, val);
                free(key);
            } else {
                json_t *val = NULL;
                int rc = yaml_node(p, &ev, &val, depth + 1, src, err);
                yaml_event_delete(&ev);
                if (rc < 0) { json_decref(c); return -1; }
                json_array_append_new(c, val);
            }
        }
        *out = c;
        return 0;
    }
    default:
        return ds_fail(err, "%s: unexpected YAML structure", src);
    }
}

int ds_policy_parse(const char *text, size_t len, const char *src, json_t **out, ds_err *err) {
    *out = NULL;
    const char *p = text;
    while (p < text + len && isspace((unsigned char)*p)) p++;
    if (p < text + len && *p == '{') {
        json_error_t je;
        *out = json_loadb(text, len, 0, &je);
        if (!*out) return ds_fail(err, "%s: line %d: %s", src, je.line, je.text);
        return 0;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return ds_fail(err, "%s: cannot start the YAML parser", src);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = -1;
    json_t *doc = NULL;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            ds_fail(err, "%s: line %zu: %s", src, parser.problem_mark.line + 1, parser.problem ? parser.problem : "YAML error");
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_SCALAR_EVENT) {
            if (doc) { yaml_event_delete(&ev); ds_fail(err, "%s: one YAML document only", src); break; }
            int r = yaml_node(&parser, &ev, &doc, 0, src, err);
            yaml_event_delete(&ev);
            if (r < 0) break;
            continue;
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT) { rc = 0; break; }
    }
    yaml_parser_delete(&parser);
    if (rc < 0) { json_decref(doc); return -1; }
    if (!json_is_object(doc)) { json_decref(doc); return ds_fail(err, "%s: the policy must be a mapping", src); }
    *out = doc;
    return 0;
}

/* ---- results ---------------------------------------------------------------- */

static void add_result(ds_policy_results *r, const char *id, const char *target, bool pass, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_result(ds_policy_results *r, const char *id, const char *target, bool pass, const char *fmt, ...) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->v = ds_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    ds_check_result *c = &r->v[r->n++];
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->evidence, fmt, ap) < 0) abort();
    va_end(ap);
    c->id = ds_xstrdup(id);
    c->target = ds_xstrdup(target ? target : "");
    c->pass = pass;
    if (!pass) r->failed++;
}

void ds_policy_results_free(ds_policy_results *r) {
    for (size_t i = 0; i < r->n; i++) { free(r->v[i].id); free(r->v[i].target); free(r->v[i].evidence); }
    free(r->v);
    free(r->name);
    memset(r, 0, sizeof *r);
}

/* ---- value helpers ---------------------------------------------------------- */

static const char *jstr(json_t *v) { return json_is_string(v) ? json_string_value(v) : NULL; }

/* "0640" / 416 -> mode bits; -1 when not a mode. Strings are octal (as chmod). */
static long parse_mode(json_t *v) {
    if (json_is_integer(v)) {
        /* YAML 640 (no quotes, no leading 0) is meant as octal too. */
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        char *end;
        long m = strtol(buf, &end, 8);
        return *end ? -1 : m;
    }
    const char *s = jstr(v);
    if (!s || !*s) return -1;
    char *end;
    long m = strtol(s, &end, 8);
    return *end || m < 0 || m > 07777 ? -1 : m;
}

/* 123, "10K", "5M", "1G" (powers of 1024); -1 when not a size. */
static long long parse_size(json_t *v) {
    if (json_is_integer(v)) return json_integer_value(v);
    const char *s = jstr(v);
    if (!s) return -1;
    char *end;
    double d = strtod(s, &end);
    if (end == s) return -1;
    while (*end == ' ') end++;
    double mul = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': mul = 1024.0; break;
    case 'M': mul = 1024.0 * 1024; break;
    case 'G': mul = 1024.0 * 1024 * 1024; break;
    case 0: break;
    case 'B': break;
    default: return -1;
    }
    return (long long)(d * mul);
}

static int bool_of(json_t *v) {
    if (json_is_boolean(v)) return json_is_true(v);
    return -1;
}

/* Numeric id of a user/group name from the image's passwd/group file; -1 if unknown. */
static long lookup_id(const char *root, const char *file, const char *name) {
    ds_passwd_file t;
    ds_err e;
    if (ds_passwd_read(root, file, 3, &t, &e) < 0) return -1;
    const ds_passwd_row *r = ds_passwd_find(&t, 0, name);
    unsigned id;
    long out = r && ds_passwd_id(r->f[2], &id) == 0 ? (long)id : -1;
    ds_passwd_free(&t);
    return out;
}

static long want_id(const ds_scan *s, json_t *v, bool user) {
    if (json_is_integer(v)) return (long)json_integer_value(v);
    const char *n = jstr(v);
    if (!n) return -2;
    char *end;
    long id = strtol(n, &end, 10);
    if (*n && !*end) return id;
    return lookup_id(s->tree.root, user ? "/etc/passwd" : "/etc/group", n);
}

static const char *type_name(mode_t m) {
    return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : "other";
}

/* ---- file checks ------------------------------------------------------------ */

static const char *const FILE_KEYS[] = {"path", "glob", "exists", "absent", "type", "mode", "max_mode", "owner", "group",
                                        "setuid", "setgid", "size", "max_size", "matches", "not_matches", "name", NULL};

static void check_one(const ds_scan *s, json_t *c, const char *label, const char *path, ds_policy_results *r) {
    const ds_fentry *le = ds_tree_find(&s->tree, path);
    const ds_fentry *e = le;
    char *resolved = NULL;
    /* Follow a symlink (inside the root) unless the check is about the link itself. */
    const char *want_type = jstr(json_object_get(c, "type"));
    if (!le || (S_ISLNK(le->mode) && !(want_type && !strcmp(want_type, "symlink")))) {
        resolved = ds_root_resolve(s->tree.root, path, true);
        e = resolved ? ds_tree_find(&s->tree, resolved) : NULL;
    }
    char id[512];
#define ID(what) (snprintf(id, sizeof id, "%s %s %s", label, path, what), id)
    json_t *v;
    if ((v = json_object_get(c, "exists")) && bool_of(v) >= 0) {
        bool want = bool_of(v) == 1;
        add_result(r, ID(want ? "exists" : "absent"), path, (e != NULL) == want, "%s %s", path,
                   e ? (resolved && strcmp(resolved, path) ? "exists (through a symlink)" : "exists") : "does not exist");
    }
    if ((v = json_object_get(c, "absent")) && bool_of(v) == 1)
        add_result(r, ID("absent"), path, e == NULL && le == NULL, "%s %s", path, e || le ? "exists" : "does not exist");
    if (!e) {
        /* Property checks on a missing file fail: the property cannot hold. */
        for (const char *const *k = FILE_KEYS + 4; *k; k++)
            if (strcmp(*k, "name") && json_object_get(c, *k))
                add_result(r, ID(*k), path, false, "%s does not exist", path);
        free(resolved);
        return;
    }
    const ds_fentry *te = want_type && !strcmp(want_type, "symlink") ? le : e;
    if (want_type)
        add_result(r, ID("type"), path, !strcmp(type_name(te->mode), want_type), "%s is a %s (want %s)", path,
                   type_name(te->mode), want_type);
    unsigned mode = (unsigned)(e->mode & 07777);
    if ((v = json_object_get(c, "mode"))) {
        long m = parse_mode(v);
        add_result(r, ID("mode"), path, m >= 0 && (unsigned)m == mode, "mode %04o (want %s%04lo)", mode,
                   m < 0 ? "a valid octal mode, got " : "", m < 0 ? 0L : m);
    }
    if ((v = json_object_get(c, "max_mode"))) {
        long m = parse_mode(v);
        unsigned extra = m < 0 ? mode : mode & ~(unsigned)m;
        if (extra)
            add_result(r, ID("max_mode"), path, false, "mode %04o (at most %04lo; extra bits %04o)", mode, m < 0 ? 0L : m, extra);
        else
            add_result(r, ID("max_mode"), path, true, "mode %04o (at most %04lo)", mode, m);
    }
    if ((v = json_object_get(c, "owner"))) {
        long id2 = want_id(s, v, true);
        add_result(r, ID("owner"), path, id2 >= 0 && (uid_t)id2 == e->uid, "uid %u (want %s = %ld)", (unsigned)e->uid,
                   jstr(v) ? jstr(v) : "uid", id2);
    }
    if ((v = json_object_get(c, "group"))) {
        long id2 = want_id(s, v, false);
        add_result(r, ID("group"), path, id2 >= 0 && (gid_t)id2 == e->gid, "gid %u (want %s = %ld)", (unsigned)e->gid,
                   jstr(v) ? jstr(v) : "gid", id2);
    }
    if ((v = json_object_get(c, "setuid")) && bool_of(v) >= 0)
        add_result(r, ID("setuid"), path, ((e->mode & S_ISUID) != 0) == (bool_of(v) == 1), "mode %04o: setuid %s", mode,
                   (e->mode & S_ISUID) ? "set" : "not set");
    if ((v = json_object_get(c, "setgid")) && bool_of(v) >= 0)
        add_result(r, ID("setgid"), path, ((e->mode & S_ISGID) != 0) == (bool_of(v) == 1), "mode %04o: setgid %s", mode,
                   (e->mode & S_ISGID) ? "set" : "not set");
    if ((v = json_object_get(c, "size"))) {
        long long sz = parse_size(v);
        add_result(r, ID("size"), path, sz == (long long)e->size, "%lld bytes (want %lld)", (long long)e->size, sz);
    }
    if ((v = json_object_get(c, "max_size"))) {
        long long sz = parse_size(v);
        add_result(r, ID("max_size"), path, sz >= 0 && (long long)e->size <= sz, "%lld bytes (at most %lld)",
                   (long long)e->size, sz);
    }
    for (int neg = 0; neg < 2; neg++) {
        const char *key = neg ? "not_matches" : "matches";
        const char *re = jstr(json_object_get(c, key));
        if (!re) continue;
        regex_t rx;
        int rc = regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
        if (rc) {
            char msg[128];
            regerror(rc, &rx, msg, sizeof msg);
            add_result(r, ID(key), path, false, "bad regex /%s/: %s", re, msg);
            continue;
        }
        char *data = NULL;
        ds_err e2;
        if (!S_ISREG(e->mode) || ds_root_read(s->tree.root, path, &data, NULL, 64 << 20, &e2) < 0) {
            add_result(r, ID(key), path, false, "cannot read the content of %s", path);
        } else {
            /* regexec stops at NUL: binary files are matched up to their first NUL byte. */
            bool m = regexec(&rx, data, 0, NULL, 0) == 0;
            add_result(r, ID(key), path, m != neg, "content %s /%s/", m ? "matches" : "does not match", re);
        }
        free(data);
        regfree(&rx);
    }
#undef ID
    free(resolved);
}

static void file_checks(const ds_scan *s, json_t *files, ds_policy_results *r) {
    size_t i;
    json_t *c;
    json_array_foreach(files, i, c) {
        char label[64];
        snprintf(label, sizeof label, "files[%zu]", i);
        if (!json_is_object(c)) {
            add_result(r, label, "", false, "a file check must be a mapping");
            continue;
        }
        const char *key;
        json_t *val;
        json_object_foreach(c, key, val) {
            bool known = false;
            for (const char *const *k = FILE_KEYS; *k && !known; k++) known = !strcmp(*k, key);
            if (!known) add_result(r, label, key, false, "unknown key '%s' in a file check", key);
        }
        const char *path = jstr(json_object_get(c, "path"));
        const char *glob = jstr(json_object_get(c, "glob"));
        if (path) {
            check_one(s, c, label, path, r);
        } else if (glob) {
            size_t hits = 0;
            for (size_t k = 0; k < s->tree.n; k++) {
                if (fnmatch(glob, s->tree.e[k].path, FNM_PATHNAME) != 0) continue;
                hits++;
                check_one(s, c, label, s->tree.e[k].path, r);
            }
            json_t *ex = json_object_get(c, "exists");
            if (!hits) {
                char id[512];
                snprintf(id, sizeof id, "%s %s matches", label, glob);
                bool want_some = ex && json_is_true(ex);
                add_result(r, id, glob, !want_some, "no file matches %s", glob);
            }
        } else {
            add_result(r, label, "", false, "a file check needs 'path' or 'glob'");
        }
    }
}

/* ---- image checks ----------------------------------------------------------- */

static char *join(const ds_strlist *l, size_t max) {
    char *o = ds_xstrdup("");
    for (size_t i = 0; i < l->n && i < max; i++) {
        char *n = ds_xasprintf("%s%s%s", o, i ? ", " : "", l->v[i]);
        free(o);
        o = n;
    }
    if (l->n > max) {
        char *n = ds_xasprintf("%s, ... (%zu in all)", o, l->n);
        free(o);
        o = n;
    }
    return o;
}

static void image_checks(const ds_scan *s, json_t *img, ds_policy_results *r) {
    const ds_verdict *v = &s->verdict;
    const char *key;
    json_t *val;
    json_object_foreach(img, key, val) {
        char id[128];
        snprintf(id, sizeof id, "image %s", key);
        if (!strcmp(key, "user_not_root")) {
            if (!json_is_true(val)) continue;
            add_result(r, id, "run user", v->user_is_root == 0, "%s", v->user_evidence ? v->user_evidence : "unknown");
        } else if (!strcmp(key, "no_shell")) {
            if (!json_is_true(val)) continue;
            char *j = join(&v->shells, 5);
            add_result(r, id, "shells", v->shells.n == 0, "%s", v->shells.n ? j : "no shell found");
            free(j);
        } else if (!strcmp(key, "no_package_manager")) {
            if (!json_is_true(val)) continue;
            char *j = join(&v->pkg_managers, 5);
            add_result(r, id, "package managers", v->pkg_managers.n == 0, "%s", v->pkg_managers.n ? j : "no package manager found");
            free(j);
        } else if (!strcmp(key, "no_setuid")) {
            if (!json_is_true(val)) continue;
            char *j = join(&v->setuid, 5);
            add_result(r, id, "setuid", v->setuid.n == 0, "%s", v->setuid.n ? j : "no setuid/setgid file");
            free(j);
        } else if (!strcmp(key, "max_size")) {
            long long max = parse_size(val);
            add_result(r, id, "size", max >= 0 && s->tree.total_size <= (uint64_t)max, "%llu bytes (at most %lld)",
                       (unsigned long long)s->tree.total_size, max);
        } else if (!strcmp(key, "required_labels")) {
            size_t i;
            json_t *l;
            if (!json_is_array(val)) { add_result(r, id, "labels", false, "required_labels must be a list"); continue; }
            json_array_foreach(val, i, l) {
                const char *name = jstr(l);
                char lid[512];
                snprintf(lid, sizeof lid, "image label %s", name ? name : "?");
                json_t *have = name && s->labels ? json_object_get(s->labels, name) : NULL;
                add_result(r, lid, name, have != NULL, "%s%s%s", name ? name : "?",
                           have ? " = " : s->labels ? " is not set" : " is not set (no image config)",
                           have && jstr(have) ? jstr(have) : "");
            }
        } else {
            add_result(r, id, key, false, "unknown image check '%s'", key);
        }
    }
}

int ds_policy_eval(json_t *policy, const ds_scan *s, ds_policy_results *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    const char *name = jstr(json_object_get(policy, "name"));
    out->name = name ? ds_xstrdup(name) : NULL;
    json_t *files = json_object_get(policy, "files");
    json_t *img = json_object_get(policy, "image");
    if (files && !json_is_array(files)) return ds_fail(err, "policy: 'files' must be a list");
    if (img && !json_is_object(img)) return ds_fail(err, "policy: 'image' must be a mapping");
    if (!files && !img) return ds_fail(err, "policy: no 'files' and no 'image' checks");
    if (files) file_checks(s, files, out);
    if (img) image_checks(s, img, out);
    return 0;
}

int ds_policy_run(const char *path, const ds_scan *s, ds_policy_results *out, ds_err *err) {
    char *text = NULL;
    size_t len;
    if (ds_read_file(path, &text, &len, 16 << 20, err) < 0) return -1;
    json_t *pol = NULL;
    int rc = ds_policy_parse(text, len, path, &pol, err);
    free(text);
    if (rc < 0) return -1;
    rc = ds_policy_eval(pol, s, out, err);
    json_decref(pol);
    if (rc < 0) return ds_err_wrap(err, "%s", path);
    return 0;
}

json_t *ds_policy_json(const ds_policy_results *r) {
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "name", r->name ? ds_jstr(r->name) : json_null());
    json_object_set_new(o, "checks", json_integer((json_int_t)r->n));
    json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
    for (size_t i = 0; i < r->n; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "id", ds_jstr(r->v[i].id));
        json_object_set_new(c, "target", ds_jstr(r->v[i].target));
        json_object_set_new(c, "pass", json_boolean(r->v[i].pass));
        json_object_set_new(c, "evidence", ds_jstr(r->v[i].evidence));
        json_array_append_new(a, c);
    }
    json_object_set_new(o, "results", a);
    return o;
}

/* XML text: the five entities, and control characters (not allowed in XML 1.0) as '?'. */
static void xml_put(FILE *f, const char *s) { ds_markup_put(f, s, "&apos;", "?"); }

char *ds_policy_junit(const ds_policy_results *r) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) abort();
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"", f);
    xml_put(f, r->name ? r->name : "distill-policy");
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", r->n, r->failed);
    for (size_t i = 0; i < r->n; i++) {
        fputs("    <testcase classname=\"distill.policy\" name=\"", f);
        xml_put(f, r->v[i].id);
        fputs("\">", f);
        if (!r->v[i].pass) {
            fputs("\n      <failure message=\"", f);
            xml_put(f, r->v[i].evidence);
            fputs("\"/>\n    ", f);
        } else {
            fputs("<system-out>", f);
            xml_put(f, r->v[i].evidence);
            fputs("</system-out>", f);
        }
        fputs("</testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    fclose(f);
    return buf;
}
