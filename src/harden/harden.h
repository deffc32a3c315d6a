/* Hardening rules applied to an unpacked root directory (issue 6): no setuid/setgid
 * bits or file capabilities, no shells, package managers, compilers, debuggers or
 * network tools, no package caches, locked accounts and no root account, no
 * world-writable files or non-sticky world-writable directories. Package metadata
 * (dpkg status, info/PKG.list, md5sums) is kept and rewritten so removed files are
 * no longer listed.
 *
 * Everything stays confined to `root`: symlinks are never followed out of it
 * (directories are walked with O_NOFOLLOW, paths resolved inside it by fs/root_path.h).
 *
 * ds_harden_tree() works in three steps: plan every change, check that the entry
 * point (and its ELF dependencies, and a script's interpreter) survives the plan,
 * then apply (unless dry_run). The report lists every change with its rule, in
 * path order, whether applied or not. */
#ifndef DS_HARDEN_HARDEN_H
#define DS_HARDEN_HARDEN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/err.h"

typedef enum {
    DS_HARDEN_DEFAULT = 0, /* shells, package managers + caches, compilers, debuggers, network tools, ln */
    DS_HARDEN_STRICT,      /* also su/sudo/mount/chmod/chown/..., ssh/scp, linkers and build tools */
} ds_harden_profile;
int ds_harden_profile_parse(const char *name, ds_harden_profile *out, ds_err *err);

typedef struct ds_harden_opts {
    ds_harden_profile profile;
    /* "NAME", "UID" or "UID:GID" (`--user`); NULL = the config's User when it is not
     * root, else the account `nonroot` 65532:65532 (created when missing). root/0 is refused. */
    const char *user;
    /* Globs (fnmatch without FNM_PATHNAME, so a star also matches slashes) on absolute in-image
     * paths, e.g. "/bin/sh" or "/usr/lib/apt" followed by a slash and a star.
     * A matching path is left exactly as it is; a literal path also keeps the symlink chain it
     * resolves through (so "/bin/sh" keeps /usr/bin/sh and /usr/bin/dash). */
    const char *const *allow;
    size_t n_allow;
    bool dry_run;
    /* The image config JSON (whole config blob, or its "config" object), borrowed. Entrypoint,
     * Cmd, Env (PATH, LD_LIBRARY_PATH), User and WorkingDir are read from it for the run user
     * and the entry-point safety check. NULL = no entry point to check, user from `user` only. */
    json_t *config;
    /* Leave language interpreters alone (distill build: its closure already kept only those
     * the app ran). Otherwise they go unless the entry point runs them (its program, a
     * script's #! interpreter, `env PROG`). */
    bool keep_interpreters;
    /* ds_harden_image: called on the hardened tree before DST is written, with the result's
     * config (whole blob, User set) and run user; -1 (err set) and DST is not written.
     * `distill harden --test` runs the tests there. */
    int (*before_write)(void *ctx, const char *tree, const json_t *config, const char *user, ds_err *err);
    void *before_write_ctx;
} ds_harden_opts;
void ds_harden_opts_init(ds_harden_opts *o);

/* Rule names as they appear in reports. */
#define DS_HR_SETUID "setuid"                 /* chmod: setuid/setgid bit dropped */
#define DS_HR_CAPABILITY "file-capability"    /* xattr security.capability removed */
#define DS_HR_SHELL "shell"                   /* remove */
#define DS_HR_BUSYBOX "busybox"               /* remove: busybox and its applet links */
#define DS_HR_PKG_MANAGER "package-manager"   /* remove */
#define DS_HR_PKG_CACHE "package-cache"       /* remove */
#define DS_HR_COMPILER "compiler"             /* remove */
#define DS_HR_DEBUGGER "debugger"             /* remove */
#define DS_HR_NETWORK "network-tool"          /* remove */
#define DS_HR_LINK_TOOL "link-tool"           /* remove: ln */
#define DS_HR_INTERPRETER "interpreter"     /* remove: perl, python, ruby, node, php, lua, tcl the entry point does not run */
#define DS_HR_ADMIN "admin-tool"              /* remove (strict): su, sudo, mount, chmod, ... */
#define DS_HR_DANGLING "link-to-removed"      /* remove: symlink or hard link to a removed file */
#define DS_HR_PKG_METADATA "package-metadata" /* edit: removed files dropped from dpkg lists */
#define DS_HR_RUN_USER "run-user"             /* create/edit: the non-root run user */
#define DS_HR_ACCOUNT_SHELL "account-shell"   /* edit: login shell -> nologin */
#define DS_HR_ACCOUNT_PASSWORD "account-password" /* edit: hash/empty password -> locked */
#define DS_HR_ROOT_ACCOUNT "root-account"     /* edit: root removed from passwd/shadow/group */
#define DS_HR_WORLD_WRITABLE "world-writable" /* chmod o-w */

typedef enum {
    DS_HA_REMOVE = 1, /* path removed (a directory with everything below it) */
    DS_HA_CHMOD,      /* mode changed, content kept */
    DS_HA_XATTR,      /* extended attribute removed */
    DS_HA_EDIT,       /* file content rewritten */
    DS_HA_CREATE,     /* file or directory created */
} ds_harden_action;
const char *ds_harden_action_name(ds_harden_action a);

typedef struct ds_harden_change {
    const char *rule;        /* one of DS_HR_* (static string) */
    char *path;              /* absolute in-image path, canonical (no symlink in its parents) */
    ds_harden_action action;
    char *detail;            /* human-readable: "mode 4755 -> 0755", "shell of www-data: /bin/sh -> /usr/sbin/nologin" */
} ds_harden_change;

typedef struct ds_harden_report {
    ds_harden_change *changes;
    size_t n_changes, cap;
    bool applied;            /* false for dry_run (or when the safety check refused) */
    /* The run user chosen: name, numeric ids, and the config User value to set ("UID:GID",
     * numeric so that runtimes can check runAsNonRoot). */
    char *user_name;
    uid_t uid;
    gid_t gid;
    char *config_user;
    /* Why the image may not run as before (static checks, for a harden without --test): a root
     * image now non-root that exposes a port below 1024, or whose entry point writes where the
     * new user cannot. */
    char **warnings;
    size_t n_warnings;
    char *shell_verdict;     /* whether the image's shell is removable (its entry point), or NULL */
    bool shell_flattenable;  /* it is, by distill build's entry point flattening */
} ds_harden_report;
void ds_harden_report_init(ds_harden_report *r);
void ds_harden_report_free(ds_harden_report *r);
/* {"applied":bool,"user":{"name","uid","gid","config"},"changes":[{"rule","path","action","detail"}],
 *  "summary":{rule:count},"warnings":[...]} — a new reference. */
json_t *ds_harden_report_json(const ds_harden_report *r);

/* Harden the tree at `root` (see the top of this file). On a refusal (entry point or its
 * dependencies would be removed, or --user is root) returns -1 with a message naming the file
 * and writes nothing. */
int ds_harden_tree(const char *root, const ds_harden_opts *o, ds_harden_report *rep, ds_err *err);

/* The removal rule that applies to an in-image path by name and place alone ("/usr/bin/bash"
 * -> DS_HR_SHELL), or NULL. For `distill build`, to drop such paths from what it keeps.
 * Does not know about busybox hard links or --allow. */
const char *ds_harden_path_rule(const char *path, ds_harden_profile profile);

#endif
