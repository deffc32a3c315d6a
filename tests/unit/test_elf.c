/* Unit tests for src/elf: the parser on hand-built and hostile ELF files, ld.so.cache
 * parsing, and the loader rules of the resolver on tiny image roots built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/elf_parse.h"
#include "elf/ldcache.h"
#include "elf/resolve.h"
#include "util/fsutil.h"

/* ---- a tiny ELF writer: header, PT_LOAD over the file, PT_INTERP, PT_DYNAMIC ---- */
typedef struct spec {
    int cls, be;
    uint16_t machine;
    uint32_t flags;
    const char *interp, *rpath, *runpath, *soname;
    const char *needed[8];
    uint64_t flags_1;
} spec;

typedef struct buf { unsigned char d[4096]; size_t n; } buf;
static void put(buf *b, size_t off, uint64_t v, int size, int be) {
    for (int i = 0; i < size; i++) b->d[off + (be ? (size_t)(size - 1 - i) : (size_t)i)] = (unsigned char)(v >> (8 * i));
    if (off + (size_t)size > b->n) b->n = off + (size_t)size;
}

static size_t build(const spec *s, buf *b) {
    memset(b, 0, sizeof *b);
    int is64 = s->cls == 64, be = s->be, W = is64 ? 8 : 4;
    size_t ehsz = is64 ? 64 : 52, phsz = is64 ? 56 : 32, nph = 3;
    memcpy(b->d, ELFMAG, 4);
    b->d[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
    b->d[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
    b->d[EI_VERSION] = 1;
    /* strings */
    size_t str = ehsz + nph * phsz, sn = 1;
    char strtab[1024] = {0};
    size_t off_needed[8] = {0}, off_rpath = 0, off_runpath = 0, off_soname = 0, n_needed = 0;
#define ADD(str_, var) do { var = sn; strcpy(strtab + sn, str_); sn += strlen(str_) + 1; } while (0)
    for (; n_needed < 8 && s->needed[n_needed]; n_needed++) ADD(s->needed[n_needed], off_needed[n_needed]);
    if (s->rpath) ADD(s->rpath, off_rpath);
    if (s->runpath) ADD(s->runpath, off_runpath);
    if (s->soname) ADD(s->soname, off_soname);
    size_t interp = str + sn, interp_len = s->interp ? strlen(s->interp) + 1 : 0;
    memcpy(b->d + str, strtab, sn);
    if (s->interp) memcpy(b->d + interp, s->interp, interp_len);
    size_t dyn = (interp + interp_len + 7) & ~(size_t)7, nd = 0;
    uint64_t dv[32][2];
    for (size_t i = 0; i < n_needed; i++) { dv[nd][0] = DT_NEEDED; dv[nd++][1] = off_needed[i]; }
    if (s->rpath) { dv[nd][0] = DT_RPATH; dv[nd++][1] = off_rpath; }
    if (s->runpath) { dv[nd][0] = DT_RUNPATH; dv[nd++][1] = off_runpath; }
    if (s->soname) { dv[nd][0] = DT_SONAME; dv[nd++][1] = off_soname; }
    if (s->flags_1) { dv[nd][0] = DT_FLAGS_1; dv[nd++][1] = s->flags_1; }
    dv[nd][0] = DT_STRTAB; dv[nd++][1] = str;
    dv[nd][0] = DT_STRSZ; dv[nd++][1] = sn;
    dv[nd][0] = DT_NULL; dv[nd++][1] = 0;
    for (size_t i = 0; i < nd; i++) { put(b, dyn + i * 2 * (size_t)W, dv[i][0], W, be); put(b, dyn + i * 2 * (size_t)W + (size_t)W, dv[i][1], W, be); }
    size_t end = dyn + nd * 2 * (size_t)W;
    put(b, 16, ET_DYN, 2, be);
    put(b, 18, s->machine, 2, be);
    put(b, 20, 1, 4, be);
    if (is64) { put(b, 32, ehsz, 8, be); put(b, 48, s->flags, 4, be); put(b, 52, ehsz, 2, be); put(b, 54, phsz, 2, be); put(b, 56, nph, 2, be); }
    else { put(b, 28, ehsz, 4, be); put(b, 36, s->flags, 4, be); put(b, 40, ehsz, 2, be); put(b, 42, phsz, 2, be); put(b, 44, nph, 2, be); }
    /* phdrs: LOAD (whole file), INTERP or NULL, DYNAMIC */
    uint64_t ph[3][4] = {{PT_LOAD, 0, 0, end}, {s->interp ? PT_INTERP : PT_NULL, interp, interp, interp_len}, {PT_DYNAMIC, dyn, dyn, end - dyn}};
    for (size_t i = 0; i < nph; i++) {
        size_t p = ehsz + i * phsz;
        put(b, p, ph[i][0], 4, be);
        if (is64) { put(b, p + 8, ph[i][1], 8, be); put(b, p + 16, ph[i][2], 8, be); put(b, p + 32, ph[i][3], 8, be); put(b, p + 40, ph[i][3], 8, be); }
        else { put(b, p + 4, ph[i][1], 4, be); put(b, p + 8, ph[i][2], 4, be); put(b, p + 16, ph[i][3], 4, be); put(b, p + 20, ph[i][3], 4, be); }
    }
    b->n = end;
    return end;
}

static char *root;
static void write_at(const char *path, const void *d, size_t n) {
    char *full = ds_xasprintf("%s%s", root, path), *dir = ds_xstrdup(full);
    *strrchr(dir, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    FILE *f = fopen(full, "wb");
    assert_non_null(f);
    fwrite(d, 1, n, f);
    fclose(f);
    free(full); free(dir);
}
static void elf_at(const char *path, spec s) {
    buf b;
    if (!s.cls) s.cls = 64;
    if (!s.machine) s.machine = EM_X86_64;
    build(&s, &b);
    write_at(path, b.d, b.n);
}
static void link_at(const char *path, const char *target) {
    char *full = ds_xasprintf("%s%s", root, path), *dir = ds_xstrdup(full);
    *strrchr(dir, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(symlink(target, full), 0);
    free(full); free(dir);
}

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-elf", &root, &e), 0);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    free(root);
    root = NULL;
    return 0;
}
/* A fresh root per test with a glibc loader and libc. */
static int fresh(void **state) {
    teardown(state);
    setup(state);
    elf_at("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", (spec){.soname = "ld-linux-x86-64.so.2"});
    link_at("/lib64", "usr/lib64");
    link_at("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    link_at("/lib", "usr/lib");
    elf_at("/usr/lib/x86_64-linux-gnu/libc.so.6", (spec){.soname = "libc.so.6", .needed = {"ld-linux-x86-64.so.2"}});
    return 0;
}

static ds_elf_result *resolve(const char *file, const char *llp) {
    ds_elf_ctx *c;
    ds_err e = {0};
    assert_int_equal(ds_elf_ctx_new(root, llp, &c, &e), 0);
    ds_elf_result *r = NULL;
    int rc = ds_elf_resolve(c, file, &r, &e);
    if (rc) fprintf(stderr, "resolve: %s\n", e.msg);
    assert_int_equal(rc, 0);
    ds_elf_ctx_free(c);
    return r;
}
static const ds_elf_obj *dep(const ds_elf_result *r, const char *name) {
    for (size_t q = 0; q < r->n_order; q++) if (!strcmp(r->objs[r->order[q]].name, name)) return &r->objs[r->order[q]];
    return NULL;
}
static const char *dep_path(const ds_elf_result *r, const char *name) {
    const ds_elf_obj *o = dep(r, name);
    return o && o->path ? o->path : "NOT FOUND";
}

/* ---- parser ---- */
static void test_parse_each_class_and_endian(void **state) {
    (void)state;
    int classes[] = {64, 32, 64, 32};
    int bes[] = {0, 0, 1, 1};
    uint16_t machines[] = {EM_X86_64, EM_386, EM_PPC64, EM_PPC};
    for (int i = 0; i < 4; i++) {
        spec s = {.cls = classes[i], .be = bes[i], .machine = machines[i], .interp = "/lib/ld.so.1",
                  .needed = {"liba.so.1", "libb.so.2"}, .runpath = "$ORIGIN/../lib", .soname = "libx.so.1"};
        buf b;
        build(&s, &b);
        ds_elf_src src = {.mem = b.d, .size = b.n};
        ds_elf_info in;
        ds_err e;
        assert_int_equal(ds_elf_parse(&src, "x", &in, &e), 0);
        assert_int_equal(in.cls, classes[i] == 64 ? ELFCLASS64 : ELFCLASS32);
        assert_int_equal(in.machine, machines[i]);
        assert_string_equal(in.interp, "/lib/ld.so.1");
        assert_int_equal(in.n_needed, 2);
        assert_string_equal(in.needed[1], "libb.so.2");
        assert_string_equal(in.runpath, "$ORIGIN/../lib");
        assert_null(in.rpath);
        assert_string_equal(in.soname, "libx.so.1");
        ds_elf_info_free(&in);
    }
}

static int parse_buf(const unsigned char *d, size_t n, char *msg) {
    ds_elf_src src = {.mem = d, .size = n};
    ds_elf_info in;
    ds_err e = {0};
    int rc = ds_elf_parse(&src, "blob", &in, &e);
    if (rc == 0) ds_elf_info_free(&in);
    if (msg) strcpy(msg, e.msg);
    return rc;
}

static void test_parse_hostile(void **state) {
    (void)state;
    spec s = {.cls = 64, .machine = EM_X86_64, .needed = {"liba.so"}, .interp = "/x"};
    buf b, t;
    build(&s, &b);
    char msg[1024];
    /* every truncation fails cleanly (or parses when nothing needed was cut) */
    for (size_t n = 0; n < b.n; n++) { memcpy(&t, &b, sizeof t); parse_buf(t.d, n, NULL); }
    assert_int_equal(parse_buf(b.d, 10, msg), -1);
    assert_non_null(strstr(msg, "blob"));
    /* program headers past the end */
    memcpy(&t, &b, sizeof t); put(&t, 32, 1u << 30, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    assert_non_null(strstr(msg, "program header"));
    /* program headers overlapping the ELF header */
    memcpy(&t, &b, sizeof t); put(&t, 32, 8, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    assert_non_null(strstr(msg, "overlaps"));
    /* huge count */
    memcpy(&t, &b, sizeof t); put(&t, 56, 0xfffe, 2, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    /* string table without a terminator: DT_STRSZ cut to end in the middle of "liba.so" */
    memcpy(&t, &b, sizeof t);
    size_t dyn = 0;
    for (size_t p = 64; p < 64 + 3 * 56; p += 56) if (t.d[p] == PT_DYNAMIC) dyn = t.d[p + 8] | (size_t)t.d[p + 9] << 8;
    for (size_t q = dyn; q < t.n; q += 16) if (t.d[q] == DT_STRSZ) put(&t, q + 8, 4, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    assert_non_null(strstr(msg, "not terminated"));
    /* DT_NEEDED offset past the string table */
    memcpy(&t, &b, sizeof t);
    for (size_t q = dyn; q < t.n; q += 16) if (t.d[q] == DT_NEEDED) put(&t, q + 8, 100000, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    /* DT_STRTAB outside every PT_LOAD */
    memcpy(&t, &b, sizeof t);
    for (size_t q = dyn; q < t.n; q += 16) if (t.d[q] == DT_STRTAB) put(&t, q + 8, 0x7fffffff, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    assert_non_null(strstr(msg, "DT_STRTAB"));
    /* PT_INTERP not terminated */
    memcpy(&t, &b, sizeof t);
    for (size_t p = 64; p < 64 + 3 * 56; p += 56) if (t.d[p] == PT_INTERP) put(&t, p + 32, 2, 8, 0);
    assert_int_equal(parse_buf(t.d, t.n, msg), -1);
    /* Random bit flips never crash. */
    srand(7);
    for (int i = 0; i < 3000; i++) {
        memcpy(&t, &b, sizeof t);
        for (int k = 0; k < 4; k++) t.d[rand() % t.n] ^= (unsigned char)(1 << (rand() % 8));
        parse_buf(t.d, t.n, NULL);
    }
    /* not ELF */
    assert_int_equal(parse_buf((const unsigned char *)"#!/bin/sh\necho hi\n", 18, msg), -1);
}

/* ---- ld.so.cache ---- */
static void put32(unsigned char *d, size_t off, uint32_t v, int be) {
    for (int k = 0; k < 4; k++) d[off + (be ? (size_t)(3 - k) : (size_t)k)] = (unsigned char)(v >> (8 * k));
}
/* A glibc-ld.so.cache1.1 file in either byte order. */
static size_t mk_cache_e(unsigned char *d, const char *const *kv, const int32_t *flags, size_t n, int be) {
    memset(d, 0, 4096);
    memcpy(d, "glibc-ld.so.cache1.1", 20);
    d[28] = be ? 3 : 2;
    put32(d, 20, (uint32_t)n, be);
    size_t so = 48 + n * 24;
    for (size_t i = 0; i < n; i++) {
        size_t e = 48 + i * 24;
        put32(d, e, (uint32_t)flags[i], be);
        put32(d, e + 4, (uint32_t)so, be);
        strcpy((char *)d + so, kv[2 * i]); so += strlen(kv[2 * i]) + 1;
        put32(d, e + 8, (uint32_t)so, be);
        strcpy((char *)d + so, kv[2 * i + 1]); so += strlen(kv[2 * i + 1]) + 1;
    }
    return so;
}
static size_t mk_cache(unsigned char *d, const char *const *kv, const int32_t *flags, size_t n) {
    return mk_cache_e(d, kv, flags, n, 0);
}

static void test_ldcache_parse(void **state) {
    (void)state;
    unsigned char d[4096];
    const char *kv[] = {"libz.so.1", "/lib32/libz.so.1", "libz.so.1", "/weird/libz.so.1"};
    int32_t fl[] = {0x0003, 0x0303};
    size_t n = mk_cache(d, kv, fl, 2);
    ds_ldcache c;
    ds_err e;
    assert_int_equal(ds_ldcache_parse(d, n, "cache", &c, &e), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.e[1].value, "/weird/libz.so.1");
    assert_int_equal(c.e[1].flags, 0x0303);
    ds_ldcache_free(&c);
    /* hostile: truncated, counts too large, offsets outside */
    for (size_t k = 0; k < n; k++) if (ds_ldcache_parse(d, k, "cache", &c, &e) == 0) ds_ldcache_free(&c);
    /* the same in big endian (an s390x or ppc64 image's cache) */
    unsigned char be[4096];
    size_t nb = mk_cache_e(be, kv, fl, 2, 1);
    assert_int_equal(ds_ldcache_parse(be, nb, "cache", &c, &e), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.e[1].value, "/weird/libz.so.1");
    assert_int_equal(c.e[1].flags, 0x0303);
    ds_ldcache_free(&c);
    d[23] = 0x7f;
    assert_int_equal(ds_ldcache_parse(d, n, "cache", &c, &e), -1);
    d[23] = 0;
    d[48 + 4 + 3] = 0x7f; /* key offset far outside: the entry is dropped */
    assert_int_equal(ds_ldcache_parse(d, n, "cache", &c, &e), 0);
    assert_int_equal(c.n, 1);
    ds_ldcache_free(&c);
}

/* ---- the loader's rules ---- */
static void test_basic_and_interp(void **state) {
    fresh(state);
    elf_at("/usr/bin/prog", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libc.so.6"}});
    ds_elf_result *r = resolve("/usr/bin/prog", NULL);
    assert_string_equal(r->flavor, "glibc");
    assert_int_equal(r->n_order, 2);
    assert_string_equal(dep_path(r, "libc.so.6"), "/lib/x86_64-linux-gnu/libc.so.6");
    assert_string_equal(dep(r, "libc.so.6")->how, "default");
    /* the interpreter is the object libc's DT_NEEDED names (by soname), listed once */
    assert_non_null(dep(r, "/lib64/ld-linux-x86-64.so.2"));
    /* needed files: symlinks and targets */
    int has_lib64 = 0, has_link = 0, has_real = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        has_lib64 |= !strcmp(r->files[i], "/lib64");
        has_link |= !strcmp(r->files[i], "/usr/lib64/ld-linux-x86-64.so.2");
        has_real |= !strcmp(r->files[i], "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    }
    assert_true(has_lib64 && has_link && has_real);
    ds_elf_result_free(r);
}

static void test_rpath_runpath(void **state) {
    fresh(state);
    /* RPATH of the executable is inherited by its libraries' lookups. */
    elf_at("/opt/a/liba.so", (spec){.needed = {"libb.so", "libc.so.6"}});
    elf_at("/opt/b/libb.so", (spec){.needed = {"libc.so.6"}});
    elf_at("/usr/bin/rp", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"liba.so"}, .rpath = "/opt/a:/opt/b"});
    ds_elf_result *r = resolve("/usr/bin/rp", NULL);
    assert_string_equal(dep_path(r, "liba.so"), "/opt/a/liba.so");
    assert_string_equal(dep_path(r, "libb.so"), "/opt/b/libb.so");
    assert_string_equal(dep(r, "libb.so")->how, "rpath");
    ds_elf_result_free(r);
    /* RUNPATH only serves the object's own direct needs. */
    elf_at("/usr/bin/run", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"liba.so"}, .runpath = "/opt/a:/opt/b"});
    r = resolve("/usr/bin/run", NULL);
    assert_string_equal(dep_path(r, "liba.so"), "/opt/a/liba.so");
    assert_string_equal(dep(r, "liba.so")->how, "runpath");
    assert_string_equal(dep_path(r, "libb.so"), "NOT FOUND");
    assert_int_equal(r->n_missing, 1);
    assert_string_equal(r->missing[0], "libb.so");
    ds_elf_result_free(r);
    /* With both, RPATH is ignored. */
    elf_at("/usr/bin/both", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libb.so"}, .rpath = "/opt/b", .runpath = "/nowhere"});
    r = resolve("/usr/bin/both", NULL);
    assert_string_equal(dep_path(r, "libb.so"), "NOT FOUND");
    ds_elf_result_free(r);
    /* LD_LIBRARY_PATH: after RPATH, before RUNPATH. */
    elf_at("/llp/libb.so", (spec){0});
    r = resolve("/usr/bin/both", "/llp");
    assert_string_equal(dep_path(r, "libb.so"), "/llp/libb.so");
    assert_string_equal(dep(r, "libb.so")->how, "ld_library_path");
    ds_elf_result_free(r);
    elf_at("/usr/bin/rp2", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libb.so"}, .rpath = "/opt/b"});
    r = resolve("/usr/bin/rp2", "/llp");
    assert_string_equal(dep_path(r, "libb.so"), "/opt/b/libb.so");
    ds_elf_result_free(r);
}

static void test_origin_lib_platform(void **state) {
    fresh(state);
    elf_at("/app/lib/libo.so", (spec){0});
    elf_at("/usr/lib/x86_64-linux-gnu/x86_64/libp.so", (spec){0});
    elf_at("/app/bin/o", (spec){.needed = {"libo.so", "libp.so"}, .runpath = "${ORIGIN}/../lib:/usr/$LIB/$PLATFORM"});
    ds_elf_result *r = resolve("/app/bin/o", NULL);
    assert_string_equal(dep_path(r, "libo.so"), "/app/bin/../lib/libo.so");
    assert_string_equal(dep(r, "libo.so")->real, "/app/lib/libo.so");
    assert_string_equal(dep_path(r, "libp.so"), "/usr/lib/x86_64-linux-gnu/x86_64/libp.so");
    ds_elf_result_free(r);
    /* a DT_NEEDED with '/' is a path ($ORIGIN expanded) */
    elf_at("/app/bin/o2", (spec){.needed = {"$ORIGIN/../lib/libo.so"}});
    r = resolve("/app/bin/o2", NULL);
    assert_string_equal(dep_path(r, "/app/bin/../lib/libo.so"), "/app/bin/../lib/libo.so"); /* as the loader names it */
    assert_string_equal(dep(r, "/app/bin/../lib/libo.so")->real, "/app/lib/libo.so");
    ds_elf_result_free(r);
}

static void test_origin_of_the_file(void **state) {
    fresh(state);
    elf_at("/real/lib/libr.so", (spec){0});
    elf_at("/real/lib/libq.so", (spec){.needed = {"libr.so"}, .runpath = "$ORIGIN"});
    elf_at("/real/lib/exe", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libr.so"}, .runpath = "$ORIGIN"});
    link_at("/alias", "real");
    /* a library (dlopen, ldd): the directory of the path given */
    ds_elf_result *r = resolve("/alias/lib/libq.so", NULL);
    assert_string_equal(dep_path(r, "libr.so"), "/alias/lib/libr.so");
    ds_elf_result_free(r);
    /* an executable: its real location (/proc/self/exe) */
    r = resolve("/alias/lib/exe", NULL);
    assert_string_equal(dep_path(r, "libr.so"), "/real/lib/libr.so");
    ds_elf_result_free(r);
}

static void test_wrong_class_skipped(void **state) {
    fresh(state);
    elf_at("/first/libw.so", (spec){.cls = 32, .machine = EM_386});
    elf_at("/second/libw.so", (spec){0});
    elf_at("/first/libarm.so", (spec){.machine = EM_AARCH64});
    elf_at("/app/w", (spec){.needed = {"libw.so", "libarm.so"}, .runpath = "/first:/second"});
    ds_elf_result *r = resolve("/app/w", NULL);
    assert_string_equal(dep_path(r, "libw.so"), "/second/libw.so");
    assert_string_equal(dep_path(r, "libarm.so"), "NOT FOUND");
    ds_elf_result_free(r);
    /* a candidate that is not ELF stops the search, as the loader does */
    write_at("/first/libbad.so", "garbage garbage garbage", 23);
    elf_at("/second/libbad.so", (spec){0});
    elf_at("/app/w2", (spec){.needed = {"libbad.so"}, .runpath = "/first:/second"});
    r = resolve("/app/w2", NULL);
    assert_string_equal(dep_path(r, "libbad.so"), "NOT FOUND");
    assert_non_null(strstr(dep(r, "libbad.so")->error, "invalid ELF header"));
    ds_elf_result_free(r);
}

static void test_cycles_and_dedup(void **state) {
    fresh(state);
    elf_at("/l/libx.so", (spec){.needed = {"liby.so", "libc.so.6"}, .soname = "libx.so"});
    elf_at("/l/liby.so", (spec){.needed = {"libx.so", "liby.so", "libalias.so"}});
    link_at("/l/libalias.so", "libx.so"); /* the same file under another name: one object */
    elf_at("/app/c", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libx.so"}, .rpath = "/l"});
    ds_elf_result *r = resolve("/app/c", NULL);
    assert_int_equal(r->n_order, 4); /* libx, liby, libc, ld.so */
    assert_int_equal(r->n_missing, 0);
    ds_elf_result_free(r);
}

static void test_ldcache_and_conf(void **state) {
    fresh(state);
    elf_at("/weird/place/libz.so.1", (spec){.soname = "libz.so.1"});
    elf_at("/lib32/libz.so.1", (spec){.cls = 32, .machine = EM_386});
    unsigned char d[4096];
    const char *kv[] = {"libz.so.1", "/lib32/libz.so.1", "libz.so.1", "/weird/place/libz.so.1"};
    int32_t fl[] = {0x0003, 0x0303};
    size_t n = mk_cache(d, kv, fl, 2);
    write_at("/etc/ld.so.cache", d, n);
    elf_at("/app/z", (spec){.needed = {"libz.so.1"}});
    ds_elf_result *r = resolve("/app/z", NULL);
    assert_string_equal(dep_path(r, "libz.so.1"), "/weird/place/libz.so.1");
    assert_string_equal(dep(r, "libz.so.1")->how, "ld.so.cache");
    ds_elf_result_free(r);
    /* DF_1_NODEFLIB: neither the cache nor the default directories */
    elf_at("/app/z2", (spec){.needed = {"libz.so.1", "libc.so.6"}, .flags_1 = 0x800});
    r = resolve("/app/z2", NULL);
    assert_int_equal(r->n_missing, 2);
    ds_elf_result_free(r);
    /* no cache: the ld.so.conf directories (include globs) */
    fresh(state);
    elf_at("/conf/dir/libq.so", (spec){0});
    write_at("/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n", 42);
    write_at("/etc/ld.so.conf.d/a.conf", "/conf/dir\n", 10);
    write_at("/etc/ld.so.conf.d/loop.conf", "include /etc/ld.so.conf\n", 24);
    elf_at("/app/q", (spec){.needed = {"libq.so"}});
    r = resolve("/app/q", NULL);
    assert_string_equal(dep_path(r, "libq.so"), "/conf/dir/libq.so");
    assert_string_equal(dep(r, "libq.so")->how, "ld.so.conf");
    ds_elf_result_free(r);
}

static void test_musl(void **state) {
    teardown(state);
    setup(state);
    elf_at("/lib/ld-musl-x86_64.so.1", (spec){.soname = "libc.musl-x86_64.so.1"});
    elf_at("/opt/m/libm1.so", (spec){.needed = {"libc.musl-x86_64.so.1"}});
    write_at("/etc/ld-musl-x86_64.path", "/opt/m\n/lib\n", 12);
    elf_at("/app/m", (spec){.interp = "/lib/ld-musl-x86_64.so.1", .needed = {"libm1.so", "libc.musl-x86_64.so.1", "libpthread.so.0"}});
    ds_elf_result *r = resolve("/app/m", NULL);
    assert_string_equal(r->flavor, "musl");
    assert_string_equal(dep_path(r, "libm1.so"), "/opt/m/libm1.so");
    assert_string_equal(dep(r, "libm1.so")->how, "musl_path");
    assert_int_equal(r->n_missing, 0);
    ds_elf_result_free(r);
}

static void test_symlinks_stay_inside(void **state) {
    fresh(state);
    /* absolute and ../ escapes resolve inside the root */
    elf_at("/inside/libs.so", (spec){0});
    link_at("/l1/libs.so", "/inside/libs.so");
    link_at("/l2/libs.so", "../../../../../../../inside/libs.so");
    link_at("/l3/libs.so", "/etc/passwd");       /* missing in the root: not the host's */
    link_at("/loop/libs.so", "/loop/libs.so");   /* a loop is just not found */
    elf_at("/app/s1", (spec){.needed = {"libs.so"}, .runpath = "/l3:/loop:/l1"});
    ds_elf_result *r = resolve("/app/s1", NULL);
    assert_string_equal(dep_path(r, "libs.so"), "/l1/libs.so");
    assert_string_equal(dep(r, "libs.so")->real, "/inside/libs.so");
    ds_elf_result_free(r);
    elf_at("/app/s2", (spec){.needed = {"libs.so"}, .runpath = "/l2"});
    char **paths, **missing;
    size_t np, nm;
    ds_err e;
    assert_int_equal(ds_elf_needed_files(root, "/app/s2", NULL, &paths, &np, &missing, &nm, &e), 0);
    assert_int_equal(np, 2);
    assert_string_equal(paths[0], "/l2/libs.so");
    assert_string_equal(paths[1], "/inside/libs.so");
    assert_int_equal(nm, 0);
    ds_strv_free(paths, np);
    ds_strv_free(missing, nm);
    /* not ELF: no paths, no error */
    write_at("/app/script", "#!/bin/sh\n", 10);
    assert_int_equal(ds_elf_needed_files(root, "/app/script", NULL, &paths, &np, NULL, NULL, &e), 0);
    assert_int_equal(np, 0);
    ds_strv_free(paths, np);
    /* malformed: an error naming the file */
    write_at("/app/bad", "\177ELF\002\001\001", 7);
    assert_int_equal(ds_elf_needed_files(root, "/app/bad", NULL, &paths, &np, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "/app/bad"));
}

static void test_foreign_arch(void **state) {
    teardown(state);
    setup(state);
    /* An aarch64 tree: multiarch dirs for aarch64, never the host's. */
    elf_at("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", (spec){.machine = EM_AARCH64, .soname = "ld-linux-aarch64.so.1"});
    link_at("/lib", "usr/lib");
    link_at("/usr/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu/ld-linux-aarch64.so.1");
    elf_at("/usr/lib/aarch64-linux-gnu/libc.so.6", (spec){.machine = EM_AARCH64, .needed = {"ld-linux-aarch64.so.1"}});
    elf_at("/usr/lib/x86_64-linux-gnu/libc.so.6", (spec){0});
    elf_at("/usr/bin/a", (spec){.machine = EM_AARCH64, .interp = "/lib/ld-linux-aarch64.so.1", .needed = {"libc.so.6"}});
    ds_elf_result *r = resolve("/usr/bin/a", NULL);
    assert_string_equal(dep_path(r, "libc.so.6"), "/lib/aarch64-linux-gnu/libc.so.6");
    assert_int_equal(r->n_missing, 0);
    assert_int_equal(r->n_order, 2);
    ds_elf_result_free(r);
    /* big-endian s390x, 32-bit ARM hard-float: the right directories */
    elf_at("/usr/lib/s390x-linux-gnu/libs.so", (spec){.machine = EM_S390, .be = 1});
    elf_at("/usr/bin/s", (spec){.machine = EM_S390, .be = 1, .needed = {"libs.so"}});
    r = resolve("/usr/bin/s", NULL);
    assert_string_equal(dep_path(r, "libs.so"), "/lib/s390x-linux-gnu/libs.so");
    ds_elf_result_free(r);
    elf_at("/usr/lib/arm-linux-gnueabihf/libh.so", (spec){.cls = 32, .machine = EM_ARM, .flags = EF_ARM_ABI_FLOAT_HARD});
    elf_at("/usr/bin/h", (spec){.cls = 32, .machine = EM_ARM, .flags = EF_ARM_ABI_FLOAT_HARD, .needed = {"libh.so"}});
    r = resolve("/usr/bin/h", NULL);
    assert_string_equal(dep_path(r, "libh.so"), "/lib/arm-linux-gnueabihf/libh.so");
    ds_elf_result_free(r);
}

static void test_hwcaps_and_missing_interp(void **state) {
    fresh(state);
    elf_at("/usr/lib/x86_64-linux-gnu/libh.so", (spec){0});
    elf_at("/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libh.so", (spec){0});
    elf_at("/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2/libonly.so", (spec){0});
    elf_at("/app/h", (spec){.interp = "/lib64/ld-linux-x86-64.so.2", .needed = {"libh.so", "libonly.so"}});
    ds_elf_result *r = resolve("/app/h", NULL);
    /* the baseline is what every CPU can load; the v3 build is kept as an alternative */
    assert_string_equal(dep_path(r, "libh.so"), "/lib/x86_64-linux-gnu/libh.so");
    assert_int_equal(dep(r, "libh.so")->n_alternatives, 1);
    assert_string_equal(dep(r, "libh.so")->alternatives[0], "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libh.so");
    assert_string_equal(dep_path(r, "libonly.so"), "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v2/libonly.so");
    int kept_v3 = 0;
    for (size_t i = 0; i < r->n_files; i++) kept_v3 |= !strcmp(r->files[i], "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libh.so");
    assert_true(kept_v3);
    ds_elf_result_free(r);
    /* an interpreter missing from the image is reported, not fatal */
    elf_at("/app/noi", (spec){.interp = "/lib/ld-missing.so.1", .needed = {"libh.so"}});
    r = resolve("/app/noi", NULL);
    assert_int_equal(r->n_missing, 1);
    assert_string_equal(r->missing[0], "/lib/ld-missing.so.1");
    assert_string_equal(dep_path(r, "libh.so"), "/lib/x86_64-linux-gnu/libh.so");
    ds_elf_result_free(r);
    /* $ORIGIN in LD_LIBRARY_PATH is the executable's directory */
    elf_at("/app/sub/libl.so", (spec){0});
    elf_at("/app/l", (spec){.needed = {"libl.so"}});
    r = resolve("/app/l", "$ORIGIN/sub");
    assert_string_equal(dep_path(r, "libl.so"), "/app/sub/libl.so");
    assert_string_equal(dep(r, "libl.so")->how, "ld_library_path");
    ds_elf_result_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_each_class_and_endian),
        cmocka_unit_test(test_parse_hostile),
        cmocka_unit_test(test_ldcache_parse),
        cmocka_unit_test(test_basic_and_interp),
        cmocka_unit_test(test_rpath_runpath),
        cmocka_unit_test(test_origin_lib_platform),
        cmocka_unit_test(test_origin_of_the_file),
        cmocka_unit_test(test_wrong_class_skipped),
        cmocka_unit_test(test_cycles_and_dedup),
        cmocka_unit_test(test_ldcache_and_conf),
        cmocka_unit_test(test_musl),
        cmocka_unit_test(test_symlinks_stay_inside),
        cmocka_unit_test(test_foreign_arch),
        cmocka_unit_test(test_hwcaps_and_missing_interp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
