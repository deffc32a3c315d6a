/* Placeholder so callers link while the rules are written (replaced in this branch). */
#include <string.h>
#include "harden/harden.h"
int ds_harden_profile_parse(const char *name, ds_harden_profile *out, ds_err *err) {
    if (!strcmp(name, "default")) { *out = DS_HARDEN_DEFAULT; return 0; }
    if (!strcmp(name, "strict")) { *out = DS_HARDEN_STRICT; return 0; }
    return ds_fail(err, "%s: unknown profile (expected default or strict)", name);
}
void ds_harden_opts_init(ds_harden_opts *o) { memset(o, 0, sizeof *o); }
const char *ds_harden_action_name(ds_harden_action a) { (void)a; return "?"; }
void ds_harden_report_init(ds_harden_report *r) { memset(r, 0, sizeof *r); }
void ds_harden_report_free(ds_harden_report *r) { (void)r; }
json_t *ds_harden_report_json(const ds_harden_report *r) { (void)r; return json_object(); }
int ds_harden_tree(const char *root, const ds_harden_opts *o, ds_harden_report *rep, ds_err *err) {
    (void)o; (void)rep; return ds_fail(err, "%s: harden is not implemented yet", root);
}
const char *ds_harden_path_rule(const char *path, ds_harden_profile profile) { (void)path; (void)profile; return NULL; }
