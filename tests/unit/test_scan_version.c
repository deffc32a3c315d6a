/* Version ordering: edge cases per ecosystem, and the Debian ordering checked
 * against `dpkg --compare-versions` on every adjacent pair of thousands of real
 * version strings (this machine's apt package lists and dpkg status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "scan/report.h"

extern char **environ;

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

static void test_dpkg_edges(void **state) {
    (void)state;
    static const struct { const char *a, *b; int r; } C[] = {
        {"1.0", "1.0", 0}, {"1.0", "1.1", -1}, {"1.0~rc1", "1.0", -1}, {"1.0~~", "1.0~", -1},
        {"1.0~", "1.0", -1}, {"1.0", "1.0+b1", -1}, {"1.0a", "1.0", 1}, {"1.0a", "1.0+", -1},
        {"1:0.1", "2.0", 1}, {"0:2.0", "2.0", 0}, {"2.0-1", "2.0-0", 1}, {"2.0", "2.0-0", 0},
        {"1.10", "1.9", 1}, {"1.010", "1.10", 0}, {"1.0-1~bpo1", "1.0-1", -1}, {"7.88.1-10+deb12u5", "7.88.1-10+deb12u14", -1},
        {"2.36-9+deb12u4", "2.36-9+deb12u14", -1}, {"1.2.3-1ubuntu1", "1.2.3-1", 1}, {"a", "b", -1},
        {"1.0-a", "1.0-1", 1}, {"10:1", "9:99", 1}, {"1.0.0", "1.0", 1}, {"1-2-3", "1-2-4", -1},
        {"1.2-3-1", "1.2-4", 1}, {"0.0~git20230101.abc-1", "0.0~git20221231.fff-1", 1},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        if (sgn(ds_ver_cmp_dpkg(C[i].a, C[i].b)) != C[i].r)
            fail_msg("dpkg %s vs %s: expected %d got %d", C[i].a, C[i].b, C[i].r, ds_ver_cmp_dpkg(C[i].a, C[i].b));
        assert_int_equal(sgn(ds_ver_cmp_dpkg(C[i].b, C[i].a)), -C[i].r);
    }
}

static void test_apk_edges(void **state) {
    (void)state;
    static const struct { const char *a, *b; int r; } C[] = {
        {"1.0", "1.0", 0}, {"1.0-r0", "1.0-r1", -1}, {"1.0_rc1", "1.0", -1}, {"1.0_alpha", "1.0_beta", -1},
        {"1.0_beta2", "1.0_rc1", -1}, {"1.0", "1.0_p1", -1}, {"1.0a", "1.0b", -1}, {"1.0", "1.0a", -1},
        {"1.2", "1.10", -1}, {"1.01", "1.1", -1}, {"1.2", "1.2.1", -1}, {"1.2_rc1", "1.2.1", -1},
        {"3.0.13-r0", "3.0.8-r0", 1}, {"2.38-r5", "2.38-r10", -1}, {"1.2.3_git20230101", "1.2.3", 1},
        {"1.2.3_pre1", "1.2.3_rc1", -1}, {"1.36.1-r15", "1.36.1-r2", 1}, {"8.5.0-r0", "8.4.0-r0", 1},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        if (sgn(ds_ver_cmp_apk(C[i].a, C[i].b)) != C[i].r)
            fail_msg("apk %s vs %s: expected %d got %d", C[i].a, C[i].b, C[i].r, ds_ver_cmp_apk(C[i].a, C[i].b));
        assert_int_equal(sgn(ds_ver_cmp_apk(C[i].b, C[i].a)), -C[i].r);
    }
}

static void test_semver_pep440(void **state) {
    (void)state;
    /* semver.org section 11's example chain. */
    const char *chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "v10.0.0"};
    for (size_t i = 0; i + 1 < sizeof chain / sizeof *chain; i++) {
        if (ds_ver_cmp_semver(chain[i], chain[i + 1]) >= 0) fail_msg("semver %s !< %s", chain[i], chain[i + 1]);
        assert_true(ds_ver_cmp_semver(chain[i + 1], chain[i]) > 0);
    }
    assert_int_equal(ds_ver_cmp_semver("1.0.0+build1", "1.0.0+build2"), 0);
    /* PEP 440's own ordering example. */
    const char *pep[] = {"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
                         "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0",
                         "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1!0.1"};
    for (size_t i = 0; i + 1 < sizeof pep / sizeof *pep; i++) {
        if (ds_ver_cmp_pep440(pep[i], pep[i + 1]) >= 0) fail_msg("pep440 %s !< %s", pep[i], pep[i + 1]);
        assert_true(ds_ver_cmp_pep440(pep[i + 1], pep[i]) > 0);
    }
    assert_int_equal(ds_ver_cmp_pep440("1.0", "1.0.0"), 0);
    assert_int_equal(ds_ver_cmp_pep440("1.0-alpha1", "1.0a1"), 0);
    assert_true(ds_ver_cmp_ecosystem("Debian:12", "1.0~rc1", "1.0") < 0);
    assert_true(ds_ver_cmp_ecosystem("Alpine:v3.19", "1.0_rc1", "1.0") < 0);
    assert_true(ds_ver_cmp_ecosystem("npm", "1.0.0-rc.1", "1.0.0") < 0);
    assert_true(ds_ver_cmp_ecosystem("PyPI", "1.0rc1", "1.0") < 0);
}

/* ---- the corpus ---------------------------------------------------------- */

static char **corpus;
static size_t ncorpus;

static int strp_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int dpkg_sort_cmp(const void *a, const void *b) {
    return ds_ver_cmp_dpkg(*(char *const *)a, *(char *const *)b);
}

static void load_corpus(void) {
    FILE *p = popen("{ apt-cache dumpavail; cat /var/lib/dpkg/status; } 2>/dev/null | "
                    "sed -n 's/^Version: //p' | LC_ALL=C sort -u", "r");
    assert_non_null(p);
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line || ds_ver_dpkg_valid(line) < 0) continue;
        if (ncorpus == cap) {
            cap = cap ? cap * 2 : 4096;
            corpus = realloc(corpus, cap * sizeof *corpus);
        }
        corpus[ncorpus++] = strdup(line);
    }
    pclose(p);
}

/* 0 when `dpkg --compare-versions a op b` holds. */
static int dpkg_says(const char *a, const char *op, const char *b) {
    char *argv[] = {"dpkg", "--compare-versions", (char *)a, (char *)op, (char *)b, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "dpkg", NULL, NULL, argv, environ) != 0) return -1;
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_dpkg_corpus(void **state) {
    (void)state;
    load_corpus();
    /* A real corpus is required: a machine without apt lists must not pass silently. */
    if (ncorpus < 1000) fail_msg("only %zu version strings found in apt-cache dumpavail + dpkg status", ncorpus);
    /* Every k-th string keeps the run to a few thousand dpkg calls. */
    size_t want = 3000, step = ncorpus / want ? ncorpus / want : 1;
    char **sample = calloc(ncorpus / step + 64, sizeof *sample);
    size_t ns = 0;
    qsort(corpus, ncorpus, sizeof *corpus, strp_cmp);
    for (size_t i = 0; i < ncorpus; i += step) sample[ns++] = corpus[i];
    static const char *edges[] = {"1:0", "0~", "0~~a", "1.0~rc1+b1", "1.0+~", "1.0-0", "1.0-1~", "99999999999999999999.1",
                                  "1.0.0a", "1.0.0-a", "1.0.0.-a", "2:1.0~a", "1.0+dfsg-1.1~deb12u1", "0", "00"};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) sample[ns++] = (char *)edges[i];
    qsort(sample, ns, sizeof *sample, dpkg_sort_cmp);
    size_t agree = 0, pairs = 0;
    for (size_t i = 0; i + 1 < ns; i++) {
        int ours = ds_ver_cmp_dpkg(sample[i], sample[i + 1]);
        const char *op = ours == 0 ? "eq" : "lt";
        pairs++;
        if (ours > 0 || dpkg_says(sample[i], op, sample[i + 1]) != 0)
            fail_msg("dpkg disagrees: %s %s %s (ours %d)", sample[i], op, sample[i + 1], ours);
        agree++;
    }
    print_message("dpkg ordering: %zu/%zu adjacent pairs agree (%zu strings from a corpus of %zu)\n", agree, pairs, ns, ncorpus);
    assert_int_equal(agree, pairs);
    free(sample);
    for (size_t i = 0; i < ncorpus; i++) free(corpus[i]);
    free(corpus);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpkg_edges),
        cmocka_unit_test(test_apk_edges),
        cmocka_unit_test(test_semver_pep440),
        cmocka_unit_test(test_dpkg_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
