/* The safety check: the entry point (Entrypoint + Cmd, found through the image's PATH),
 * a script's interpreter (#!), and the ELF files the loader needs for each of them must
 * all survive the plan. Otherwise harden refuses, naming the file and the rule. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>
#include "elf/resolve.h"
#include "harden/harden_int.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct {
    hr_ctx *c;
    const char *path_env;
    const char *ldlp;
    const char *workdir;
} ep_ctx;

static const char *rule_of(const hr_ctx *c, const char *rel) {
    size_t best = 0;
    const char *rule = "?";
    for (size_t i = 0; i < c->n_items; i++) {
        const hr_item *it = &c->items[i];
        if (it->action != DS_HA_REMOVE) continue;
        size_t n = strlen(it->rel);
        if (!strncmp(rel, it->rel, n) && (rel[n] == 0 || rel[n] == '/') && n >= best) { best = n; rule = it->rule; }
    }
    return rule;
}

/* The in-image path a program name runs as ("nginx" via PATH, "./x" via WorkingDir). */
static char *locate(ep_ctx *x, const char *prog) {
    if (strchr(prog, '/')) {
        if (prog[0] == '/') return ds_xstrdup(prog);
        return ds_xasprintf("%s/%s", x->workdir && *x->workdir ? x->workdir : "/", prog);
    }
    char *copy = ds_xstrdup(x->path_env), *p = copy, *dir;
    char *found = NULL;
    while (!found && (dir = strsep(&p, ":"))) {
        if (!*dir) continue;
        char *cand = ds_xasprintf("%s/%s", dir, prog);
        char *canon = hr_resolve(x->c, cand, true);
        const hr_entry *e = canon ? hr_find_entry(x->c, canon) : NULL;
        if (e && S_ISREG(e->st.st_mode) && (e->st.st_mode & 0111)) found = cand;
        else free(cand);
        free(canon);
    }
    free(copy);
    return found;
}

/* Fallback when the ELF resolver cannot answer: the program interpreter (PT_INTERP). */
static char *elf_interp(hr_ctx *c, const char *rel) {
    int fd = hr_open(c, rel, O_RDONLY);
    if (fd < 0) return NULL;
    char *interp = NULL;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    size_t n = 0;
    if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &n) == 0) {
        size_t size = 0;
        char *raw = elf_rawfile(e, &size);
        for (size_t i = 0; i < n && raw; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP) continue;
            if (ph.p_offset < size && ph.p_filesz > 1 && ph.p_filesz <= size - ph.p_offset)
                interp = ds_xstrndup(raw + ph.p_offset, ph.p_filesz);
        }
    }
    if (e) elf_end(e);
    close(fd);
    return interp;
}

static int check_prog(ep_ctx *x, const char *prog, const char *what, int depth, ds_err *err);

/* Every file the loader needs for the ELF file at canonical rel. */
static int check_elf(ep_ctx *x, const char *rel, const char *what, ds_err *err) {
    hr_ctx *c = x->c;
    char **paths = NULL, **missing = NULL;
    size_t n = 0, nm = 0;
    ds_err e2;
    char *abs = ds_xasprintf("/%s", rel);
    int r = ds_elf_needed_files(c->root_real, abs, x->ldlp, &paths, &n, &missing, &nm, &e2);
    free(abs);
    if (r < 0) {
        /* The resolver is unavailable or failed: at least the interpreter must stay. */
        char *interp = elf_interp(c, rel);
        if (!interp) return 0;
        paths = ds_xcalloc(1, sizeof *paths);
        paths[0] = interp;
        n = 1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *canon = hr_resolve(c, paths[i], false);
        char *target = hr_resolve(c, paths[i], true);
        const char *hit = canon && hr_planned_remove(c, canon) ? canon : target && hr_planned_remove(c, target) ? target : NULL;
        if (hit)
            rc = ds_fail(err, "%s needs %s, which harden would remove (rule %s); keep it with --allow %s", what, paths[i],
                         rule_of(c, hit), paths[i]);
        free(canon);
        free(target);
    }
    ds_strv_free(paths, n);
    if (r == 0) ds_strv_free(missing, nm);
    return rc;
}

/* The #! line of the file at rel: interp and its one argument (NULL when none) in buf;
 * 1 for a script, 2 for an ELF file, 0 otherwise. */
static int read_head(hr_ctx *c, const char *rel, char *buf, size_t size, char **interp, char **arg) {
    int fd = hr_open(c, rel, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 4) return 0;
    buf[n] = 0;
    if (!memcmp(buf, "\x7f" "ELF", 4)) return 2;
    if (buf[0] != '#' || buf[1] != '!') return 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t') p++;
    *interp = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    *arg = NULL;
    if (*p) {
        *p++ = 0;
        while (*p == ' ' || *p == '\t') p++;
        if (*p) *arg = p;
    }
    if (!**interp) return 0;
    /* #!/usr/bin/env [-S] PROG: PROG in *arg, alone */
    const char *b = strrchr(*interp, '/');
    if (*arg && !strcmp(b ? b + 1 : *interp, "env")) {
        char *a = *arg;
        if (!strncmp(a, "-S", 2)) { a += 2; while (*a == ' ') a++; }
        char *sp = strpbrk(a, " \t");
        if (sp) *sp = 0;
        *arg = *a && *a != '-' ? a : NULL;
    } else {
        *arg = NULL;
    }
    return 1;
}

static int check_script(ep_ctx *x, const char *rel, const char *shown, int depth, ds_err *err) {
    char buf[256], *interp = NULL, *arg = NULL;
    int kind = read_head(x->c, rel, buf, sizeof buf, &interp, &arg);
    if (kind == 2) {
        char *what = ds_xasprintf("entry point %s", shown);
        int r = check_elf(x, rel, what, err);
        free(what);
        return r;
    }
    if (kind != 1) return 0;
    char *what = ds_xasprintf("entry point %s is a script run by %s, and", shown, interp);
    int r = check_prog(x, interp, what, depth + 1, err);
    free(what);
    if (r < 0 || !arg) return r;
    what = ds_xasprintf("entry point %s is a script run by %s, and", shown, arg);
    r = check_prog(x, arg, what, depth + 1, err);
    free(what);
    return r;
}

/* The programs the entry point runs, statically: its program, a script's interpreter(s). */
static void collect_prog(ep_ctx *x, const char *prog, int depth, void (*add)(hr_ctx *, const char *)) {
    if (depth > 4) return;
    char *path = locate(x, prog);
    if (!path) return;
    add(x->c, path);
    char *target = hr_resolve(x->c, path, true);
    char buf[256], *interp = NULL, *arg = NULL;
    if (target && read_head(x->c, target, buf, sizeof buf, &interp, &arg) == 1) {
        collect_prog(x, interp, depth + 1, add);
        if (arg) collect_prog(x, arg, depth + 1, add);
    }
    free(target);
    free(path);
}

/* "/a/b": absolute, no empty, "." or ".." components. */
static bool clean_abs(const char *p) {
    if (p[0] != '/') return false;
    for (const char *c = p; *c; c++) {
        if (*c != '/') continue;
        const char *n = c + 1;
        if (*n == '/' || (*n == '.' && (n[1] == '/' || !n[1] || (n[1] == '.' && (n[2] == '/' || !n[2]))))) return false;
    }
    return true;
}

static int check_prog(ep_ctx *x, const char *prog, const char *what, int depth, ds_err *err) {
    hr_ctx *c = x->c;
    if (depth > 4) return 0;
    char *path = locate(x, prog);
    if (!path) {
        /* Not found via PATH: if some PATH entry has it but it is planned for removal, say so. */
        char *copy = ds_xstrdup(x->path_env), *p = copy, *dir;
        int rc = 0;
        while (!rc && !strchr(prog, '/') && (dir = strsep(&p, ":"))) {
            char *cand = ds_xasprintf("%s/%s", dir, prog);
            char *canon = hr_resolve(c, cand, false);
            if (canon && hr_planned_remove(c, canon))
                rc = ds_fail(err, "%s %s (%s) would be removed by harden (rule %s); keep it with --allow %s%s", what, prog,
                             cand, rule_of(c, canon), clean_abs(cand) ? "" : "/", clean_abs(cand) ? cand : canon);
            free(canon);
            free(cand);
        }
        free(copy);
        return rc;
    }
    int rc = 0;
    char *canon = hr_resolve(c, path, false);
    char *target = hr_resolve(c, path, true);
    const char *hit = canon && hr_planned_remove(c, canon) ? canon : target && hr_planned_remove(c, target) ? target : NULL;
    if (hit) {
        /* The --allow hint: the path as written when it is a clean absolute path, else the
         * canonical in-image one ("../../bin/bash" or "//x" would not match an --allow). */
        char *allow = clean_abs(path) ? ds_xstrdup(path) : ds_xasprintf("/%s", hit);
        if (!strcmp(prog, path))
            rc = ds_fail(err, "%s %s would be removed by harden (rule %s); keep it with --allow %s", what, path,
                         rule_of(c, hit), allow);
        else
            rc = ds_fail(err, "%s %s (%s) would be removed by harden (rule %s); keep it with --allow %s", what, prog,
                         path, rule_of(c, hit), allow);
        free(allow);
    } else if (target) {
        rc = check_script(x, target, path, depth, err);
    }
    free(canon);
    free(target);
    free(path);
    return rc;
}

/* The entry point's argv0, the list it comes from (Entrypoint, else Cmd) and the lookup
 * context; NULL when there is none. */
static const char *entry_of(hr_ctx *c, ep_ctx *x, char *const **argv, size_t *argc) {
    const ds_image_config *k = &c->cfg;
    if (k->n_entrypoint) { *argv = k->entrypoint; *argc = k->n_entrypoint; }
    else if (k->n_cmd) { *argv = k->cmd; *argc = k->n_cmd; }
    else return NULL;
    const char *argv0 = (*argv)[0];
    if (!*argv0) return NULL;
    const char *path = ds_image_config_env(k, "PATH");
    *x = (ep_ctx){c, path ? path : DEFAULT_PATH, ds_image_config_env(k, "LD_LIBRARY_PATH"), k->working_dir};
    return argv0;
}

/* `env PROG ...` as the entry point: PROG, else NULL. */
static const char *env_prog(const char *argv0, char *const *argv, size_t argc) {
    const char *b = strrchr(argv0, '/');
    if (strcmp(b ? b + 1 : argv0, "env")) return NULL;
    for (size_t k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (a[0] == '-' || strchr(a, '=')) continue;
        return a;
    }
    return NULL;
}

void hr_entrypoint_programs(hr_ctx *c, void (*add)(hr_ctx *, const char *path)) {
    ep_ctx x;
    char *const *argv = NULL;
    size_t argc = 0;
    const char *argv0 = entry_of(c, &x, &argv, &argc);
    if (!argv0) return;
    collect_prog(&x, argv0, 0, add);
    const char *p = env_prog(argv0, argv, argc);
    if (p) collect_prog(&x, p, 0, add);
}

int hr_check_entrypoint(hr_ctx *c, ds_err *err) {
    ep_ctx x;
    char *const *argv = NULL;
    size_t argc = 0;
    const char *argv0 = entry_of(c, &x, &argv, &argc);
    if (!argv0) return 0;
    int r = check_prog(&x, argv0, "entry point", 0, err);
    if (r < 0) return r;
    const char *p = env_prog(argv0, argv, argc);
    return p ? check_prog(&x, p, "entry point", 0, err) : 0;
}
