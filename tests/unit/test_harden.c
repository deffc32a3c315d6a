/* Unit tests for src/harden: the rules on small trees built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/filecap.h"
#include "harden/harden.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fsutil.h"

typedef struct { char *top, *root, *outside; } fx;

static char *P(const fx *f, const char *rel) { return ds_xasprintf("%s/%s", f->root, rel); }

static void put(const fx *f, const char *rel, const char *content, mode_t mode) {
    char *p = P(f, rel);
    char *slash = strrchr(p, '/');
    *slash = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    *slash = '/';
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(content, fp);
    fclose(fp);
    assert_int_equal(chmod(p, mode), 0);
    free(p);
}

static void link_(const fx *f, const char *target, const char *rel) {
    char *p = P(f, rel);
    char *slash = strrchr(p, '/');
    *slash = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    *slash = '/';
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static void dir(const fx *f, const char *rel, mode_t mode) {
    char *p = P(f, rel);
    ds_err e;
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    assert_int_equal(chmod(p, mode), 0);
    free(p);
}

static bool exists(const fx *f, const char *rel) {
    char *p = P(f, rel);
    bool r = ds_exists(p);
    free(p);
    return r;
}

static mode_t mode_of(const fx *f, const char *rel) {
    char *p = P(f, rel);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    free(p);
    return st.st_mode & 07777;
}

static char *slurp(const fx *f, const char *rel) {
    char *p = P(f, rel), *d = NULL;
    size_t n;
    ds_err e;
    assert_int_equal(ds_read_file(p, &d, &n, 0, &e), 0);
    free(p);
    return d;
}

/* A small Debian-like tree (merged /usr), plus a directory outside the root. */
static int setup(void **state) {
    fx *f = ds_xcalloc(1, sizeof *f);
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-harden", &f->top, &e), 0);
    f->root = ds_xasprintf("%s/root", f->top);
    f->outside = ds_xasprintf("%s/outside", f->top);
    dir(f, "usr/bin", 0755);
    dir(f, "usr/sbin", 0755);
    link_(f, "usr/bin", "bin");
    link_(f, "usr/sbin", "sbin");
    put(f, "usr/bin/bash", "bash", 0755);
    put(f, "usr/bin/dash", "dash", 0755);
    link_(f, "dash", "usr/bin/sh");
    link_(f, "bash", "usr/bin/rbash");
    put(f, "usr/bin/ls", "ls", 0755);
    put(f, "usr/bin/ln", "ln", 0755);
    put(f, "usr/bin/chmod", "chmod", 0755);
    put(f, "usr/bin/curl", "curl", 0755);
    put(f, "usr/bin/apt-get", "apt", 0755);
    put(f, "usr/bin/dpkg", "dpkg", 0755);
    put(f, "usr/bin/gdb", "gdb", 0755);
    put(f, "usr/bin/passwd", "passwd", 04755);
    put(f, "usr/bin/wall", "wall", 02755);
    put(f, "usr/bin/ping", "ping", 0755);
    put(f, "usr/sbin/nologin", "nologin", 0755);
    put(f, "usr/share/doc/bash/README", "doc", 0644);
    link_(f, "/usr/bin/curl", "etc/alternatives-curl");
    /* file capability on ping (VFS_CAP_REVISION_2, effective, cap_net_raw) */
    {
        unsigned int cap[5] = {0x02000001, 1u << 13, 0, 0, 0};
        char *p = P(f, "usr/bin/ping");
        assert_int_equal(setxattr(p, "security.capability", cap, sizeof cap, 0), 0);
        free(p);
    }
    /* busybox with a hard-linked and a symlinked applet */
    put(f, "opt/bb/bin/busybox", "busybox", 0755);
    {
        char *a = P(f, "opt/bb/bin/busybox"), *b = P(f, "opt/bb/bin/cat");
        assert_int_equal(link(a, b), 0);
        free(a); free(b);
    }
    link_(f, "busybox", "opt/bb/bin/vi");
    /* caches */
    put(f, "var/lib/apt/lists/deb.debian.org_Packages", "pkgs", 0644);
    dir(f, "var/lib/apt/lists/partial", 0700);
    put(f, "var/cache/apt/pkgcache.bin", "cache", 0644);
    put(f, "root/.cache/pip/http/x", "x", 0644);
    /* dpkg metadata */
    put(f, "var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\n\nPackage: coreutils\nStatus: install ok installed\n", 0644);
    put(f, "var/lib/dpkg/info/bash.list", "/.\n/bin\n/bin/bash\n/usr/bin/rbash\n/usr/share/doc/bash/README\n", 0644);
    put(f, "var/lib/dpkg/info/bash.md5sums", "aaa  bin/bash\nbbb  usr/share/doc/bash/README\n", 0644);
    put(f, "var/lib/dpkg/info/coreutils.list", "/bin/ls\n/bin/ln\n/usr/bin/chmod\n", 0644);
    /* accounts */
    put(f, "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "bob:x:1000:1000:Bob:/home/bob:/bin/bash\nsync:x:4:65534:sync:/bin:/bin/sync\n", 0644);
    put(f, "etc/shadow", "root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
                         "bob:$y$j9T$abc:19000:0:99999:7:::\nsync:!:19000::::::\n", 0640);
    put(f, "etc/group", "root:x:0:\ndaemon:x:1:\nbob:x:1000:root,bob\n", 0644);
    put(f, "etc/gshadow", "root:*::\ndaemon:*::\nbob:$6$x:root:root,bob\n", 0640);
    /* world-writable */
    dir(f, "tmp", 01777);
    dir(f, "srv/open", 0777);
    put(f, "srv/data.txt", "x", 0666);
    /* an app script and something outside the root that must never be touched */
    put(f, "app/start.sh", "#!/bin/sh\nexec ls\n", 0755);
    put(f, "app/run.py", "#!/usr/bin/env bash\necho\n", 0755);
    {
        char *o = ds_xasprintf("%s/bin", f->outside);
        assert_int_equal(ds_mkdirs(o, 0755, &e), 0);
        char *ob = ds_xasprintf("%s/bash", o);
        FILE *fp = fopen(ob, "w");
        fputs("outside", fp);
        fclose(fp);
        chmod(ob, 04777);
        link_(f, o, "usr/local");                   /* a directory symlink pointing out: never walked */
        char *rel = ds_xasprintf("../../../../../../../../..%s", ob);
        link_(f, rel, "usr/bin/escape");            /* resolves to /ROOT/outside/... inside the root: missing */
        link_(f, ob, "usr/bin/wget");               /* removed by name: the link, never its target */
        free(rel); free(ob); free(o);
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    ds_err e;
    ds_rmtree(f->top, &e);
    free(f->top); free(f->root); free(f->outside); free(f);
    return 0;
}

static json_t *config_with(const char *entry_json) {
    json_error_t je;
    char *s = ds_xasprintf("{\"config\":{\"Env\":[\"PATH=/usr/local/bin:/usr/bin:/bin\"],\"Entrypoint\":%s}}", entry_json);
    json_t *j = json_loads(s, 0, &je);
    free(s);
    assert_non_null(j);
    return j;
}

static bool has_change(const ds_harden_report *r, const char *rule, const char *path) {
    for (size_t i = 0; i < r->n_changes; i++)
        if (!strcmp(r->changes[i].rule, rule) && !strcmp(r->changes[i].path, path)) return true;
    return false;
}

static void test_default_rules(void **state) {
    fx *f = *state;
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    json_t *cfg = config_with("[\"ls\",\"-l\"]");
    o.config = cfg;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    int rc = ds_harden_tree(f->root, &o, &r, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_true(r.applied);
    /* shells, package managers, network tools, debuggers, ln */
    const char *gone[] = {"usr/bin/bash", "usr/bin/dash", "usr/bin/sh", "usr/bin/rbash", "usr/bin/ln", "usr/bin/curl",
                          "usr/bin/apt-get", "usr/bin/dpkg", "usr/bin/gdb", "opt/bb/bin/busybox", "opt/bb/bin/cat",
                          "opt/bb/bin/vi", "etc/alternatives-curl", "usr/bin/wget",
                          "var/lib/apt/lists/deb.debian.org_Packages", "var/lib/apt/lists/partial",
                          "var/cache/apt/pkgcache.bin", "root/.cache/pip"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        if (exists(f, gone[i])) fail_msg("%s should be removed", gone[i]);
    }
    assert_true(exists(f, "usr/bin/ls"));
    assert_true(exists(f, "usr/bin/chmod")); /* strict only */
    assert_true(exists(f, "var/lib/apt/lists"));
    assert_true(exists(f, "usr/share/doc/bash/README"));
    assert_true(has_change(&r, "shell", "/usr/bin/bash"));
    assert_true(has_change(&r, "busybox", "/opt/bb/bin/cat"));
    assert_true(has_change(&r, "busybox", "/opt/bb/bin/vi"));
    assert_true(has_change(&r, "link-to-removed", "/etc/alternatives-curl"));
    /* modes, capabilities */
    assert_int_equal(mode_of(f, "usr/bin/passwd"), 0755);
    assert_int_equal(mode_of(f, "usr/bin/wall"), 0755);
    char *ping = P(f, "usr/bin/ping");
    assert_true(lgetxattr(ping, "security.capability", NULL, 0) < 0);
    free(ping);
    assert_true(has_change(&r, "file-capability", "/usr/bin/ping"));
    assert_int_equal(mode_of(f, "tmp"), 01777);
    assert_int_equal(mode_of(f, "srv/open"), 0775);
    assert_int_equal(mode_of(f, "srv/data.txt"), 0664);
    /* accounts */
    char *pw = slurp(f, "etc/passwd");
    assert_true(strncmp(pw, "root:", 5) && !strstr(pw, "\nroot:"));
    assert_non_null(strstr(pw, "bob:x:1000:1000:Bob:/home/bob:/usr/sbin/nologin\n"));
    assert_non_null(strstr(pw, "sync:x:4:65534:sync:/bin:/usr/sbin/nologin\n"));
    assert_non_null(strstr(pw, "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin\n"));
    assert_null(strstr(pw, "/bin/bash"));
    free(pw);
    char *sh = slurp(f, "etc/shadow");
    assert_true(strncmp(sh, "root:", 5) && !strstr(sh, "\nroot:"));
    assert_null(strstr(sh, "$"));
    assert_non_null(strstr(sh, "bob:!:19000"));
    free(sh);
    assert_int_equal(mode_of(f, "etc/shadow"), 0640);
    char *gr = slurp(f, "etc/group");
    assert_true(strncmp(gr, "root:", 5) && !strstr(gr, "\nroot:") && !strstr(gr, "root,"));
    assert_non_null(strstr(gr, "bob:x:1000:bob\n"));
    assert_non_null(strstr(gr, "nonroot:x:65532:\n"));
    free(gr);
    char *gs = slurp(f, "etc/gshadow");
    assert_true(strncmp(gs, "root:", 5) && !strstr(gs, "\nroot:") && !strstr(gs, ":root"));
    assert_null(strstr(gs, "$"));
    free(gs);
    assert_int_equal(mode_of(f, "home/nonroot"), 0700);
    assert_string_equal(r.config_user, "65532:65532");
    /* dpkg metadata: removed files no longer listed, the rest kept */
    char *bl = slurp(f, "var/lib/dpkg/info/bash.list");
    assert_string_equal(bl, "/.\n/bin\n/usr/share/doc/bash/README\n");
    free(bl);
    char *bm = slurp(f, "var/lib/dpkg/info/bash.md5sums");
    assert_string_equal(bm, "bbb  usr/share/doc/bash/README\n");
    free(bm);
    char *cl = slurp(f, "var/lib/dpkg/info/coreutils.list");
    assert_string_equal(cl, "/bin/ls\n/usr/bin/chmod\n");
    free(cl);
    assert_true(exists(f, "var/lib/dpkg/status"));
    /* outside the root: untouched */
    char *ob = ds_xasprintf("%s/bin/bash", f->outside);
    struct stat st;
    assert_int_equal(lstat(ob, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04777);
    free(ob);
    assert_true(exists(f, "usr/local"));
    /* the JSON report */
    json_t *j = ds_harden_report_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "changes")), r.n_changes);
    assert_true(json_integer_value(json_object_get(json_object_get(j, "summary"), "shell")) >= 4);
    json_decref(j);
    ds_harden_report_free(&r);
    json_decref(cfg);
}

/* A listing of every entry with its type, mode, owner, size, xattrs and content digest. */
static void listing(const char *root, const char *rel, FILE *out) {
    char *p = *rel ? ds_xasprintf("%s/%s", root, rel) : ds_xstrdup(root);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    char digest[DS_DIGEST_LEN + 1] = "";
    ds_err e;
    if (S_ISREG(st.st_mode)) assert_int_equal(ds_sha256_file(p, digest, NULL, &e), 0);
    char xl[256] = "";
    llistxattr(p, xl, sizeof xl);
    fprintf(out, "%s %o %u:%u %lld %s %s\n", rel, st.st_mode, st.st_uid, st.st_gid, (long long)st.st_size, digest, xl);
    if (S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int n = scandir(p, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
                char *c = *rel ? ds_xasprintf("%s/%s", rel, names[i]->d_name) : ds_xstrdup(names[i]->d_name);
                listing(root, c, out);
                free(c);
            }
            free(names[i]);
        }
        free(names);
    }
    free(p);
}

static char *list_tree(const char *root) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    listing(root, "", f);
    fclose(f);
    return buf;
}

static void test_dry_run_changes_nothing(void **state) {
    fx *f = *state;
    char *before = list_tree(f->top);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    o.dry_run = true;
    o.profile = DS_HARDEN_STRICT;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_false(r.applied);
    assert_true(r.n_changes > 30);
    assert_true(has_change(&r, "admin-tool", "/usr/bin/chmod"));
    assert_true(has_change(&r, "root-account", "/etc/passwd"));
    char *after = list_tree(f->top);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ds_harden_report_free(&r);
}

static void test_strict_removes_admin_tools(void **state) {
    fx *f = *state;
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    o.profile = DS_HARDEN_STRICT;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_false(exists(f, "usr/bin/chmod"));
    assert_false(exists(f, "usr/bin/passwd"));
    assert_true(exists(f, "usr/bin/ls"));
    ds_harden_report_free(&r);
}

static void test_script_entrypoint_refused(void **state) {
    fx *f = *state;
    char *before = list_tree(f->top);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    json_t *cfg = config_with("[\"/app/start.sh\"]");
    o.config = cfg;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "/app/start.sh"));
    assert_non_null(strstr(e.msg, "/bin/sh"));
    assert_non_null(strstr(e.msg, "--allow /bin/sh"));
    char *after = list_tree(f->top);
    assert_string_equal(before, after); /* refused: nothing written */
    free(before);
    free(after);
    /* env-style shebang: the program after env must stay */
    json_decref(cfg);
    cfg = config_with("[\"/app/run.py\"]");
    o.config = cfg;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "bash"));
    /* a program removed by name, found through PATH */
    json_decref(cfg);
    cfg = config_with("[\"curl\",\"-s\"]");
    o.config = cfg;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "curl"));
    assert_non_null(strstr(e.msg, "network-tool"));
    /* --allow /bin/sh keeps the whole chain: /usr/bin/sh -> dash */
    json_decref(cfg);
    cfg = config_with("[\"/app/start.sh\"]");
    o.config = cfg;
    const char *allow[] = {"/bin/sh"};
    o.allow = allow;
    o.n_allow = 1;
    int rc = ds_harden_tree(f->root, &o, &r, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_true(exists(f, "usr/bin/sh"));
    assert_true(exists(f, "usr/bin/dash"));
    assert_false(exists(f, "usr/bin/bash"));
    json_decref(cfg);
    ds_harden_report_free(&r);
}

/* An ELF entry point whose loader (PT_INTERP, patched here to /usr/bin/bash) would be removed. */
static void test_elf_entrypoint_dependency_refused(void **state) {
    fx *f = *state;
    char *data = NULL;
    size_t len = 0;
    ds_err e;
    assert_int_equal(ds_read_file("/usr/bin/true", &data, &len, 0, &e), 0);
    elf_version(EV_CURRENT);
    Elf *el = elf_memory(data, len);
    assert_non_null(el);
    size_t n = 0;
    assert_int_equal(elf_getphdrnum(el, &n), 0);
    size_t off = 0, sz = 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(el, (int)i, &ph) && ph.p_type == PT_INTERP) { off = ph.p_offset; sz = ph.p_filesz; }
    }
    elf_end(el);
    assert_true(sz > sizeof "/usr/bin/bash");
    /* First, as it is: the check passes (libraries missing from this tree are not removals). */
    char *p = P(f, "app/server");
    assert_int_equal(ds_write_file_atomic(p, data, len, 0755, &e), 0);
    assert_int_equal(chmod(p, 0755), 0);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    o.dry_run = true;
    json_t *cfg = config_with("[\"/app/server\"]");
    o.config = cfg;
    ds_harden_report r;
    ds_harden_report_init(&r);
    int rc = ds_harden_tree(f->root, &o, &r, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    memset(data + off, 0, sz);
    memcpy(data + off, "/usr/bin/bash", sizeof "/usr/bin/bash");
    assert_int_equal(ds_write_file_atomic(p, data, len, 0755, &e), 0);
    assert_int_equal(chmod(p, 0755), 0);
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "entry point /app/server"));
    assert_non_null(strstr(e.msg, "/usr/bin/bash"));
    assert_non_null(strstr(e.msg, "shell"));
    ds_harden_report_free(&r);
    json_decref(cfg);
    free(p);
    free(data);
}

static void test_allow_glob_and_user(void **state) {
    fx *f = *state;
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    const char *allow[] = {"/usr/bin/c*", "/etc/passwd"};
    o.allow = allow;
    o.n_allow = 2;
    o.user = "bob";
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_true(exists(f, "usr/bin/curl"));
    assert_false(exists(f, "usr/bin/bash"));
    char *pw = slurp(f, "etc/passwd");
    assert_non_null(strstr(pw, "root:x:0:0")); /* allowed: left as it was */
    free(pw);
    char *gr = slurp(f, "etc/group");
    assert_non_null(strstr(gr, "root:x:0:")); /* root kept, so its group too */
    free(gr);
    assert_string_equal(r.config_user, "1000:1000");
    assert_string_equal(r.user_name, "bob");
    assert_false(exists(f, "home/nonroot"));
    ds_harden_report_free(&r);
}

static void test_user_root_refused(void **state) {
    fx *f = *state;
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    const char *bad[] = {"root", "0", "0:0", "root:root"};
    for (int i = 0; i < 4; i++) {
        o.user = bad[i];
        assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
        assert_non_null(strstr(e.msg, "root"));
    }
    assert_true(exists(f, "usr/bin/bash"));
    /* numeric user that does not exist yet: created */
    o.user = "1234:1234";
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    char *pw = slurp(f, "etc/passwd");
    assert_non_null(strstr(pw, ":1234:1234:"));
    free(pw);
    assert_string_equal(r.config_user, "1234:1234");
    ds_harden_report_free(&r);
}

/* --user and the config's User end up in /etc/passwd: malformed ones are refused
 * with a message that names them (one line), and nothing in the tree changes. */
static void test_user_malformed_refused(void **state) {
    fx *f = *state;
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    char *before = slurp(f, "etc/passwd");
    const char *bad[] = {"a:b:c", "99999999999999", "4294967295", "-5", "a b", "bob:4294967296", "x\ny", "bob:"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o.user = bad[i];
        assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
        assert_non_null(strstr(e.msg, "not NAME|UID[:GID]"));
        assert_null(strchr(e.msg, '\n'));
    }
    o.user = "x:nosuchgroup"; /* the group is named in full (it was read after being freed) */
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "no group 'nosuchgroup' in /etc/group"));
    o.user = NULL;
    json_t *cfg = json_pack("{s:{s:s}}", "config", "User", "evil:x:0:0::/:/bin/sh\nroot");
    o.config = cfg;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), -1);
    assert_non_null(strstr(e.msg, "the image's config User 'evil:x:0:0::/:/bin/sh\\x0aroot'"));
    o.config = NULL;
    json_decref(cfg);
    char *after = slurp(f, "etc/passwd");
    assert_string_equal(before, after);
    free(before); free(after);
    assert_true(exists(f, "usr/bin/bash"));
    o.user = "4294967294"; /* the largest valid id */
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_string_equal(r.config_user, "4294967294:4294967294");
    ds_harden_report_free(&r);
}

/* An image without /etc/passwd and /etc/group (a rootfs of one binary): the run user's
 * files are created, not only reported. */
static void test_missing_account_files_created(void **state) {
    fx *f = *state;
    ds_err e;
    assert_int_equal(ds_rmtree(f->root, &e), 0);
    put(f, "bin/app", "app", 0755);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    ds_harden_report r;
    ds_harden_report_init(&r);
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_true(exists(f, "etc/passwd"));
    assert_true(exists(f, "etc/group"));
    char *pw = slurp(f, "etc/passwd");
    assert_non_null(strstr(pw, "nonroot:x:65532:65532:"));
    free(pw);
    char *gr = slurp(f, "etc/group");
    assert_non_null(strstr(gr, "nonroot:x:65532:"));
    free(gr);
    ds_harden_report_free(&r);
}

/* Alpine: busybox with absolute applet symlinks, apk and its database. */
static void test_alpine_busybox_and_apk_db(void **state) {
    fx *f = *state;
    ds_err e;
    assert_int_equal(ds_rmtree(f->root, &e), 0);
    put(f, "bin/busybox", "busybox", 0755);
    link_(f, "/bin/busybox", "bin/sh");
    link_(f, "/bin/busybox", "bin/ls");
    link_(f, "../../bin/busybox", "usr/bin/wget");
    put(f, "sbin/apk", "apk", 0755);
    put(f, "sbin/nologin", "nologin", 0755);
    put(f, "etc/securetty", "console", 0644);
    put(f, "var/cache/apk/APKINDEX.tar.gz", "idx", 0644);
    put(f, "etc/passwd", "root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n", 0644);
    put(f, "lib/apk/db/installed",
        "C:Q1aaa=\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\na:0:0:755\nZ:Q1bbb=\nF:etc\nR:securetty\nZ:Q1ccc=\n\n"
        "C:Q1ddd=\nP:apk-tools\nV:2.14.0-r5\nF:sbin\nR:apk\na:0:0:755\nZ:Q1eee=\n\n", 0644);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    ds_harden_report r;
    ds_harden_report_init(&r);
    int rc = ds_harden_tree(f->root, &o, &r, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    const char *gone[] = {"bin/busybox", "bin/sh", "bin/ls", "usr/bin/wget", "sbin/apk", "var/cache/apk/APKINDEX.tar.gz"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
        if (exists(f, gone[i])) fail_msg("%s should be removed", gone[i]);
    assert_true(has_change(&r, "busybox", "/bin/ls"));
    char *db = slurp(f, "lib/apk/db/installed");
    assert_string_equal(db, "C:Q1aaa=\nP:busybox\nV:1.36.1-r5\nF:bin\nF:etc\nR:securetty\nZ:Q1ccc=\n\n"
                            "C:Q1ddd=\nP:apk-tools\nV:2.14.0-r5\nF:sbin\n\n");
    free(db);
    /* /sbin/nologin is the only nologin here */
    char *pw = slurp(f, "etc/passwd");
    assert_non_null(strstr(pw, "nobody:x:65534:65534:nobody:/:/sbin/nologin\n"));
    assert_non_null(strstr(pw, "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"));
    free(pw);
    ds_harden_report_free(&r);
}

/* Interpreters go unless the entry point runs them: its program (through PATH and the symlink
 * chain), a script's #! interpreter, `env PROG`. keep_interpreters (build) leaves them all. */
static ds_harden_report interp_run(fx *f, const char *entry, bool keep) {
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    json_t *cfg = config_with(entry);
    o.config = cfg;
    o.dry_run = true;
    o.keep_interpreters = keep;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    int rc = ds_harden_tree(f->root, &o, &r, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    json_decref(cfg);
    return r;
}

static void test_interpreters(void **state) {
    fx *f = *state;
    put(f, "usr/bin/perl", "\x7f" "ELFperl", 0755);
    put(f, "usr/bin/python3.11", "\x7f" "ELFpython", 0755);
    link_(f, "python3.11", "usr/bin/python3");
    put(f, "usr/bin/ruby3.1", "\x7f" "ELFruby", 0755);
    link_(f, "ruby3.1", "usr/bin/ruby");
    put(f, "usr/bin/node", "\x7f" "ELFnode", 0755);
    put(f, "app/server.rb", "#!/usr/bin/env ruby\nputs 1\n", 0755);
    put(f, "usr/bin/env", "\x7f" "ELFenv", 0755);

    ds_harden_report r = interp_run(f, "[\"python3\",\"-m\",\"http.server\"]", false);
    assert_true(has_change(&r, "interpreter", "/usr/bin/perl"));
    assert_true(has_change(&r, "interpreter", "/usr/bin/ruby3.1"));
    assert_true(has_change(&r, "interpreter", "/usr/bin/node"));
    assert_false(has_change(&r, "interpreter", "/usr/bin/python3"));
    assert_false(has_change(&r, "interpreter", "/usr/bin/python3.11"));
    ds_harden_report_free(&r);

    r = interp_run(f, "[\"/app/server.rb\"]", false); /* #!/usr/bin/env ruby */
    assert_false(has_change(&r, "interpreter", "/usr/bin/ruby"));
    assert_false(has_change(&r, "interpreter", "/usr/bin/ruby3.1"));
    assert_true(has_change(&r, "interpreter", "/usr/bin/python3.11"));
    assert_true(has_change(&r, "link-to-removed", "/usr/bin/python3") || has_change(&r, "interpreter", "/usr/bin/python3"));
    ds_harden_report_free(&r);

    r = interp_run(f, "[\"env\",\"node\",\"app.js\"]", false);
    assert_false(has_change(&r, "interpreter", "/usr/bin/node"));
    assert_true(has_change(&r, "interpreter", "/usr/bin/perl"));
    ds_harden_report_free(&r);

    r = interp_run(f, "[\"ls\"]", true);
    for (size_t i = 0; i < r.n_changes; i++) assert_string_not_equal(r.changes[i].rule, "interpreter");
    ds_harden_report_free(&r);
}

/* A root image made non-root: warnings for a port below 1024 and for nginx's write paths
 * (its defaults, or nginx.conf's) that the new user cannot write; none for a non-root image. */
static void test_nonroot_warnings(void **state) {
    fx *f = *state;
    put(f, "usr/sbin/nginx", "\x7f" "ELFnginx", 0755);
    dir(f, "var/lib/nginx", 0755);
    dir(f, "var/log/nginx", 0755);
    dir(f, "tmp/ok", 01777);
    put(f, "etc/nginx/nginx.conf", "pid /tmp/ok/nginx.pid;\nhttp {\n  # proxy_temp_path /nope;\n"
                                   "  proxy_temp_path /tmp/ok/proxy;\n}\n", 0644);
    json_error_t je;
    json_t *cfg = json_loads("{\"config\":{\"Env\":[\"PATH=/usr/sbin:/usr/bin\"],\"Entrypoint\":[\"nginx\"],"
                             "\"ExposedPorts\":{\"80/tcp\":{},\"8080/tcp\":{}}}}", 0, &je);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    o.config = cfg;
    o.dry_run = true;
    ds_harden_report r;
    ds_harden_report_init(&r);
    ds_err e;
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    bool port80 = false, body = false, errlog = false;
    for (size_t i = 0; i < r.n_warnings; i++) {
        const char *w = r.warnings[i];
        if (strstr(w, "port 80/tcp, below 1024")) port80 = true;
        if (strstr(w, "8080")) fail_msg("port 8080 needs no warning: %s", w);
        if (strstr(w, "/var/lib/nginx/body (client_body_temp_path, its default)") && strstr(w, "/var/lib/nginx is owned by 0:0, mode 0755")) body = true;
        if (strstr(w, "/var/log/nginx/error.log")) errlog = true;
        if (strstr(w, "proxy_temp_path") || strstr(w, "nginx.pid")) fail_msg("a writable path warned: %s", w);
    }
    if (geteuid() == 0) {
        assert_true(body);
        assert_true(errlog);
    }
    assert_true(port80);
    json_t *j = ds_harden_report_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "warnings")), r.n_warnings);
    json_decref(j);
    ds_harden_report_free(&r);
    /* The image already ran as a non-root user: harden changes nothing there, no warning. */
    json_object_set_new(json_object_get(cfg, "config"), "User", json_string("33:33"));
    ds_harden_report_init(&r);
    assert_int_equal(ds_harden_tree(f->root, &o, &r, &e), 0);
    assert_int_equal(r.n_warnings, 0);
    ds_harden_report_free(&r);
    json_decref(cfg);
}

/* cap_net_bind_service alone on the entry point's program (what distill build gives a server on
 * a port below 1024) stays; on any other file, or with more capabilities, it goes. */
static void test_bind_cap_kept(void **state) {
    fx *f = *state;
    if (geteuid() != 0) fail_msg("needs root (CAP_SETFCAP) to set security.capability");
    put(f, "usr/sbin/srv", "\x7f" "ELFsrv", 0755);
    put(f, "usr/sbin/other", "\x7f" "ELFother", 0755);
    put(f, "usr/sbin/wide", "\x7f" "ELFwide", 0755);
    unsigned char v[DS_FILECAP_V2_SIZE], w[DS_FILECAP_V2_SIZE];
    ds_filecap_encode(1ull << DS_CAP_NET_BIND_SERVICE, true, v);
    ds_filecap_encode((1ull << DS_CAP_NET_BIND_SERVICE) | 1, true, w);
    const char *files[] = {"usr/sbin/srv", "usr/sbin/other", "usr/sbin/wide"};
    for (int i = 0; i < 3; i++) {
        char *p = P(f, files[i]);
        assert_int_equal(setxattr(p, DS_FILECAP_XATTR, i == 2 ? w : v, sizeof v, 0), 0);
        free(p);
    }
    for (int k = 0; k < 2; k++) {
        ds_harden_report r = interp_run(f, k ? "[\"/usr/sbin/wide\"]" : "[\"/usr/sbin/srv\"]", false);
        assert_int_equal(has_change(&r, "file-capability", "/usr/sbin/srv"), k == 1);
        assert_true(has_change(&r, "file-capability", "/usr/sbin/other"));
        assert_true(has_change(&r, "file-capability", "/usr/sbin/wide"));
        ds_harden_report_free(&r);
    }
}

static void test_path_rule(void **state) {
    (void)state;
    assert_string_equal(ds_harden_path_rule("/bin/sh", DS_HARDEN_DEFAULT), "shell");
    assert_string_equal(ds_harden_path_rule("/usr/local/bin/pip3.11", DS_HARDEN_DEFAULT), "package-manager");
    assert_string_equal(ds_harden_path_rule("/busybox/sh", DS_HARDEN_DEFAULT), "shell");
    assert_string_equal(ds_harden_path_rule("/usr/bin/x86_64-linux-gnu-gcc-12", DS_HARDEN_DEFAULT), "compiler");
    assert_null(ds_harden_path_rule("/usr/bin/pipewire", DS_HARDEN_DEFAULT));
    assert_null(ds_harden_path_rule("/usr/share/bash", DS_HARDEN_DEFAULT));
    assert_string_equal(ds_harden_path_rule("/usr/bin/python3", DS_HARDEN_DEFAULT), "interpreter");
    assert_string_equal(ds_harden_path_rule("/usr/bin/perl5.36.0", DS_HARDEN_DEFAULT), "interpreter");
    assert_string_equal(ds_harden_path_rule("/usr/local/bin/node", DS_HARDEN_DEFAULT), "interpreter");
    assert_string_equal(ds_harden_path_rule("/usr/bin/tclsh8.6", DS_HARDEN_DEFAULT), "interpreter");
    assert_null(ds_harden_path_rule("/usr/lib/python3", DS_HARDEN_DEFAULT));
    assert_null(ds_harden_path_rule("/usr/bin/nodeenv-x", DS_HARDEN_DEFAULT));
    assert_null(ds_harden_path_rule("/usr/bin/chmod", DS_HARDEN_DEFAULT));
    assert_string_equal(ds_harden_path_rule("/usr/bin/chmod", DS_HARDEN_STRICT), "admin-tool");
    ds_harden_profile p;
    ds_err e;
    assert_int_equal(ds_harden_profile_parse("strict", &p, &e), 0);
    assert_int_equal(p, DS_HARDEN_STRICT);
    assert_int_equal(ds_harden_profile_parse("lax", &p, &e), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_removes_admin_tools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_entrypoint_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf_entrypoint_dependency_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_glob_and_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_root_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_malformed_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_account_files_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alpine_busybox_and_apk_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interpreters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonroot_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bind_cap_kept, setup, teardown),
        cmocka_unit_test(test_path_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
