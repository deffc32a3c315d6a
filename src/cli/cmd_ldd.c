/* distill ldd — list the shared libraries an ELF file needs, resolved statically
 * inside an image root the way its dynamic loader would, without running anything. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "store/store.h"
#include "image/blob.h"
#include "elf/elf_parse.h"
#include "elf/resolve.h"
#include "fs/unpack.h"
#include "util/fsutil.h"
#include "util/json_doc.h"
#include "util/path_json.h"
#include "util/progress.h"

static const char usage[] =
    "Usage: distill ldd [--root DIR | --image IMAGE] [--json] [--tree] [--ld-library-path P] [--all] FILE...\n"
    "List the shared libraries each ELF FILE (a path inside the image) needs, resolved as the\n"
    "image's dynamic loader (glibc or musl) would, for any architecture, without running anything.\n"
    "\n"
    "  --root DIR              the image's root directory (default /)\n"
    "  --image IMAGE           unpack IMAGE (oci:PATH, docker://..., ...) to a temporary root\n"
    "  --all                   every ELF file under the root (FILE arguments not needed)\n"
    "  --tree                  show who needs what\n"
    "  --json                  machine-readable output, with the directories searched and why\n"
    "  --ld-library-path P     LD_LIBRARY_PATH as the program would see it (default: from the\n"
    "                          image config's Env with --image, else none)\n"
    CLI_TRANSPORT_HELP
    CLI_STORE_HELP
    "\n"
    "Exit status: 0 all found, 1 a library was not found, 2 usage error, 3 a file could not be read\n"
    "or is a malformed ELF.\n";

typedef struct outopts { bool json, tree, multi; } outopts;

/* Names in text output come from the image (file names, DT_NEEDED, PT_INTERP): cli_shown
 * escapes them so a hostile name cannot break lines or drive the terminal. */

static void print_tree(const ds_elf_result *r, int i, int depth, bool *expanded) {
    const ds_elf_obj *o = &r->objs[i];
    expanded[i] = true;
    for (size_t k = 0; k < o->n_needed; k++) {
        int j = o->needed_idx[k];
        const ds_elf_obj *c = &r->objs[j];
        printf("%*s%s => %s", 4 * (depth + 1), "", cli_shown(o->needed[k]), c->path ? cli_shown(c->path) : "not found");
        if (c->error && strcmp(c->error, "not found")) printf(" (%s)", cli_shown(c->error));
        bool expand = !expanded[j] && c->n_needed;
        if (!expand && c->n_needed && j != 0) printf(" (see above)");
        printf("\n");
        if (expand) print_tree(r, j, depth + 1, expanded);
    }
}

static void print_text(const ds_elf_result *r, const outopts *oo) {
    if (oo->multi || oo->tree) printf("%s:\n", cli_shown(r->file));
    if (!r->is_elf || !r->dynamic) { printf("\tnot a dynamic executable\n"); return; }
    if (oo->tree) {
        if (r->interp >= 0) {
            const ds_elf_obj *in = &r->objs[r->interp];
            printf("    interpreter %s%s\n", cli_shown(in->name), in->error ? " => not found" : "");
        }
        bool *expanded = ds_xcalloc(r->n_objs, sizeof *expanded);
        print_tree(r, 0, 0, expanded);
        free(expanded);
        return;
    }
    if (!r->n_order) { printf("\tstatically linked\n"); return; }
    for (size_t q = 0; q < r->n_order; q++) {
        const ds_elf_obj *o = &r->objs[r->order[q]];
        if (o->error) {
            if (strcmp(o->error, "not found")) printf("\t%s => not found (%s)\n", cli_shown(o->name), cli_shown(o->error));
            else printf("\t%s => not found\n", cli_shown(o->name));
        } else if (!strcmp(o->name, o->path)) printf("\t%s\n", cli_shown(o->path));
        else printf("\t%s => %s\n", cli_shown(o->name), cli_shown(o->path));
    }
}

/* Names come from the image and its ELF files: not necessarily UTF-8. They go in as bytes;
 * ds_json_export turns the ones that are not UTF-8 into "key" + "key_hex" (docs/json.md). */

static json_t *to_json(const ds_elf_result *r) {
    json_t *j = json_object();
    json_object_set_new(j, "file", ds_json_bytes(r->file));
    json_object_set_new(j, "elf", json_boolean(r->is_elf));
    if (!r->is_elf) return j;
    json_object_set_new(j, "class", json_string(r->cls == 2 ? "ELF64" : "ELF32"));
    json_object_set_new(j, "machine", json_string(ds_elf_machine_name(r->machine)));
    json_object_set_new(j, "dynamic", json_boolean(r->dynamic));
    json_object_set_new(j, "loader", json_string(r->flavor));
    json_object_set_new(j, "interpreter", r->interp >= 0 ? ds_json_bytes(r->objs[r->interp].path ? r->objs[r->interp].path : r->objs[r->interp].name) : json_null());
    json_t *libs = json_array();
    for (size_t q = 0; q < r->n_order; q++) {
        const ds_elf_obj *o = &r->objs[r->order[q]];
        json_t *l = json_object();
        json_object_set_new(l, "name", ds_json_bytes(o->name));
        json_object_set_new(l, "path", ds_json_bytes(o->path));
        json_object_set_new(l, "real", ds_json_bytes(o->real));
        json_object_set_new(l, "needed_by", ds_json_bytes(r->objs[o->parent >= 0 ? o->parent : 0].path));
        json_object_set_new(l, "found_by", o->error ? json_null() : ds_json_bytes(o->how));
        json_object_set_new(l, "error", ds_json_bytes(o->error));
        json_t *s = json_array();
        for (size_t k = 0; k < o->n_searched; k++) {
            json_t *e = json_object();
            json_object_set_new(e, "dir", ds_json_bytes(o->searched[k].dir));
            json_object_set_new(e, "reason", ds_json_bytes(o->searched[k].reason));
            json_array_append_new(s, e);
        }
        json_object_set_new(l, "searched", s);
        if (o->n_alternatives) {
            json_t *a = json_array();
            for (size_t k = 0; k < o->n_alternatives; k++) json_array_append_new(a, ds_json_bytes(o->alternatives[k]));
            json_object_set_new(l, "hwcaps_alternatives", a);
        }
        json_array_append_new(libs, l);
    }
    json_object_set_new(j, "libraries", libs);
    json_t *needs = json_object();
    for (size_t i = 0; i < r->n_objs; i++) {
        const ds_elf_obj *o = &r->objs[i];
        if (!o->path || !o->n_needed) continue;
        json_t *a = json_array();
        for (size_t k = 0; k < o->n_needed; k++) json_array_append_new(a, ds_json_bytes(o->needed[k]));
        /* A key has no "_hex" twin: the lossy form (the exact bytes are in libraries[].path_hex). */
        char *key = ds_utf8_lossy(o->path);
        json_object_set_new(needs, key, a);
        free(key);
    }
    json_object_set_new(j, "needs", needs);
    json_t *files = json_array(), *missing = json_array();
    for (size_t k = 0; k < r->n_files; k++) json_array_append_new(files, ds_json_bytes(r->files[k]));
    for (size_t k = 0; k < r->n_missing; k++) json_array_append_new(missing, ds_json_bytes(r->missing[k]));
    json_object_set_new(j, "files", files);
    json_object_set_new(j, "missing", missing);
    return j;
}

/* --all: every regular file under the root starting with the ELF magic, staying on
 * the root's filesystem and never following symlinks. */
typedef struct flist { char **v; size_t n; } flist;
static void walk(int dfd, const char *rel, dev_t dev, flist *out, int depth) {
    if (depth > 256) return;
    int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return; }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *child = !strcmp(rel, ".") ? ds_xstrdup(de->d_name) : ds_xasprintf("%s/%s", rel, de->d_name);
        struct stat st;
        if (fstatat(dfd, child, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (S_ISDIR(st.st_mode) && st.st_dev == dev) walk(dfd, child, dev, out, depth + 1);
            else if (S_ISREG(st.st_mode) && st.st_size >= 16) {
                int ffd = openat(dfd, child, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                unsigned char m[4];
                if (ffd >= 0 && pread(ffd, m, 4, 0) == 4 && !memcmp(m, "\177ELF", 4)) {
                    out->v = ds_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
                    out->v[out->n++] = ds_xasprintf("/%s", child);
                }
                if (ffd >= 0) close(ffd);
            }
        }
        free(child);
    }
    closedir(d);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *llp_from_config(const ds_image *img) {
    json_t *env = img->config ? json_object_get(json_object_get(img->config, "config"), "Env") : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
        const char *s = json_string_value(v);
        if (s && !strncmp(s, "LD_LIBRARY_PATH=", 16)) return ds_xstrdup(s + 16);
    }
    return NULL;
}

int cmd_ldd(int argc, char **argv) {
    const char *root = NULL, *image = NULL, *llp = NULL;
    outopts oo = {0};
    bool all = false;
    ds_opts opts;
    ds_opts_init(&opts);
    cli_list fl = {0};
    int rc = DS_EXIT_OK;
    const cli_opt own[] = {
        {.name = "root", .kind = CLI_STR, .target = &root},
        {.name = "image", .kind = CLI_STR, .target = &image},
        {.name = "ld-library-path", .kind = CLI_STR, .target = &llp},
        {.name = "json", .kind = CLI_BOOL, .target = &oo.json},
        {.name = "tree", .kind = CLI_BOOL, .target = &oo.tree},
        {.name = "all", .kind = CLI_BOOL, .target = &all},
        {0},
    };
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_SRC | CLI_T_AUTH | CLI_T_TMPDIR | CLI_T_STORE);
    int pr = cli_parse("ldd", usage, own, shared, argc - 1, argv + 1, &fl, NULL);
    char **files = fl.v;
    size_t n_files = fl.n;
    if (pr) { free(files); return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE; }
    for (size_t k = 0; k < n_files; k++)
        if (!*files[k]) { free(files); return cli_usage_error("ldd", "an empty FILE name was given"); }
    if (root && image) { free(files); return cli_usage_error("ldd", "--root and --image cannot be used together"); }
    if (!n_files && !all) { free(files); return cli_usage_error("ldd", "no FILE given (or use --all)"); }

    ds_err err = {0};
    ds_image *img = NULL;
    char *tmp = NULL, *img_root = NULL, *img_llp = NULL;
    ds_store_view view = DS_STORE_VIEW_INIT;
    if (image) {
        if (ds_image_open(image, &opts, &img, &err) < 0) { free(files); return cli_error("ldd", &err); }
        if (ds_image_mkdtemp(&opts, "distill-ldd", &tmp, &err) < 0) { ds_image_close(img); free(files); return cli_error("ldd", &err); }
        img_root = ds_xasprintf("%s/rootfs", tmp);
        ds_unpack_opts uo;
        ds_unpack_opts_default(&uo);
        ds_store_stats st;
        if (ds_store_unpack(&opts, img, img_root, tmp, false, &uo, &st, &view, &err) < 0) { rc = cli_error("ldd", &err); goto out; }
        if (!llp) llp = img_llp = llp_from_config(img);
        root = img_root;
    }
    if (!root) root = "/";

    ds_elf_ctx *ctx;
    if (ds_elf_ctx_new(root, llp, &ctx, &err) < 0) { rc = cli_error("ldd", &err); goto out; }
    flist found = {0};
    if (all) {
        struct stat st;
        int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ds_progress("Finding ELF files in %s", image ? image : root);
        if (rfd >= 0 && fstat(rfd, &st) == 0) walk(rfd, ".", st.st_dev, &found, 0);
        if (rfd >= 0) close(rfd);
        ds_progress_done();
        qsort(found.v, found.n, sizeof *found.v, cmp_str);
    }
    size_t total = n_files + found.n;
    oo.multi = total > 1;
    json_t *arr = oo.json ? json_array() : NULL;
    for (size_t k = 0; k < total; k++) {
        const char *f = k < n_files ? files[k] : found.v[k - n_files];
        ds_elf_result *r;
        if (ds_elf_resolve(ctx, f, &r, &err) < 0) {
            fflush(stdout);
            cli_error("ldd", &err);
            rc = DS_EXIT_ERROR;
            if (arr) {
                json_t *e = json_object();
                json_object_set_new(e, "file", ds_json_bytes(f));
                json_object_set_new(e, "error", ds_json_bytes(err.msg));
                json_array_append_new(arr, e);
            }
            continue;
        }
        if (r->n_missing && rc == DS_EXIT_OK) rc = DS_EXIT_FAILED;
        if (arr) json_array_append_new(arr, to_json(r));
        else print_text(r, &oo);
        ds_elf_result_free(r);
    }
    if (arr) {
        json_t *doc = ds_json_doc();
        json_object_set_new(doc, "results", arr);
        ds_json_export(doc);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(doc);
    }
    cli_shown_free();
    ds_strv_free(found.v, found.n);
    ds_elf_ctx_free(ctx);
out:
    ds_store_view_release(&view);
    if (tmp) { ds_err e2; ds_rmtree(tmp, &e2); }
    free(tmp); free(img_root); free(img_llp);
    if (img) ds_image_close(img);
    free(files);
    return rc;
}
