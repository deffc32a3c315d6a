/* Internal to src/harden: the plan (every change before it is applied) and the helpers
 * each rule file shares. Paths inside the tree are "rel": no leading slash, canonical. */
#ifndef DS_HARDEN_INT_H
#define DS_HARDEN_INT_H
#include <stdbool.h>
#include <sys/stat.h>
#include "fs/root_path.h"
#include "harden/harden.h"
#include "image/image_config.h"

/* One entry of the tree, as walked (never following symlinks). */
typedef struct hr_entry {
    char *rel;
    struct stat st;
} hr_entry;

/* A planned change; `rule`, `path`, `action`, `detail` become the report. */
typedef struct hr_item {
    const char *rule;
    char *rel;
    ds_harden_action action;
    char *detail;
    char *content;       /* EDIT/CREATE of a file: the new bytes */
    size_t content_len;
    mode_t mode;         /* CHMOD: bits to clear; CREATE/EDIT: mode of the file */
    uid_t uid;           /* CREATE/EDIT: owner */
    gid_t gid;
    bool is_dir;         /* CREATE: a directory */
} hr_item;

typedef struct hr_ctx {
    const char *root;        /* as given */
    char *root_real;         /* realpath(root) */
    ds_rp rp;                /* the root, opened at root_real */
    const ds_harden_opts *o;
    ds_image_config cfg;     /* o->config read once (empty when there is none) */
    hr_entry *ents;          /* sorted by rel */
    size_t n_ents, cap_ents;
    hr_item *items;
    size_t n_items, cap_items;
    char **removed;          /* sorted rel paths planned for removal (after the plan is built) */
    size_t n_removed;
    char **keep;             /* rel paths kept because an --allow literal resolves through them */
    size_t n_keep;
    char **ep_keep;          /* sorted rel paths of the programs the entry point runs (and their links) */
    size_t n_ep_keep;
} hr_ctx;

/* plan.c */
hr_item *hr_plan_add(hr_ctx *c, const char *rule, const char *rel, ds_harden_action a, char *detail);
bool hr_planned_remove(const hr_ctx *c, const char *rel);  /* rel or an ancestor removed */
void hr_index_removed(hr_ctx *c);
const hr_entry *hr_find_entry(const hr_ctx *c, const char *rel);
bool hr_allowed(const hr_ctx *c, const char *rel);          /* leave rel exactly as it is */
bool hr_blocks_removal(const hr_ctx *c, const char *rel);   /* rel or something kept below it */

/* resolve.c, thin wrappers over fs/root_path.h: canonical rel path of an in-image path
 * (absolute or relative to the root), symlinks resolved inside the root; follow_last=false
 * keeps a final symlink itself. NULL when it does not exist. */
char *hr_resolve(const hr_ctx *c, const char *path, bool follow_last);
/* An fd on rel opened with flags (never following a symlink anywhere), or -1 with errno. */
int hr_open(const hr_ctx *c, const char *rel, int flags);
char *hr_full(const hr_ctx *c, const char *rel); /* root/rel, malloc'd */

/* walk.c */
int hr_walk(hr_ctx *c, ds_err *err);
/* rules_files.c: removals, setuid, capabilities, world-writable */
int hr_plan_files(hr_ctx *c, ds_err *err);
/* accounts.c */
int hr_plan_accounts(hr_ctx *c, ds_harden_report *rep, ds_err *err);
/* dpkg_meta.c */
int hr_plan_dpkg(hr_ctx *c, ds_err *err);
/* entrypoint.c */
int hr_check_entrypoint(hr_ctx *c, ds_err *err);
/* Each program the entry point runs (statically: its program via PATH, a script's #!
 * interpreter, `env PROG`), as an in-image path. */
void hr_entrypoint_programs(hr_ctx *c, void (*add)(hr_ctx *, const char *path));
bool hr_entry_uses(const hr_ctx *c, const char *rel);
/* nonroot_warn.c: warnings for a root image made non-root (ports below 1024, root-owned write paths). */
void hr_warn_nonroot(hr_ctx *c, ds_harden_report *rep);
/* apply.c */
int hr_apply(hr_ctx *c, ds_err *err);

/* Small string helpers. */
int hr_strcmp_p(const void *a, const void *b); /* qsort/bsearch on char* arrays */
char *hr_read_rel(const hr_ctx *c, const char *rel, size_t *len); /* NULL when missing/unreadable */

#endif
