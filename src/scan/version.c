/* Version ordering per ecosystem, exact where it matters for "is this fixed":
 * dpkg (Debian policy 5.6.12: epoch, upstream, revision; '~' before anything,
 * letters before non-letters), apk (apk-tools token rules), semver 2.0 and the
 * basics of PEP 440. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "scan/report.h"

/* ---- dpkg ---------------------------------------------------------------- */

static int dpkg_order(int c) {
    if (isdigit(c)) return 0;
    if (isalpha(c)) return c;
    if (c == '~') return -1;
    if (c) return c + 256;
    return 0;
}

/* dpkg's verrevcmp over [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be) {
#define AC (a < ae ? (unsigned char)*a : 0)
#define BC (b < be ? (unsigned char)*b : 0)
    while (a < ae || b < be) {
        int first_diff = 0;
        while ((AC && !isdigit(AC)) || (BC && !isdigit(BC))) {
            int ac = dpkg_order(AC), bc = dpkg_order(BC);
            if (ac != bc) return ac - bc;
            a++;
            b++;
        }
        while (AC == '0') a++;
        while (BC == '0') b++;
        while (isdigit(AC) && isdigit(BC)) {
            if (!first_diff) first_diff = AC - BC;
            a++;
            b++;
        }
        if (isdigit(AC)) return 1;
        if (isdigit(BC)) return -1;
        if (first_diff) return first_diff;
    }
    return 0;
#undef AC
#undef BC
}

typedef struct dver {
    unsigned long epoch;
    const char *up, *up_end, *rev, *rev_end;
} dver;

static void dpkg_split(const char *v, dver *d) {
    while (isspace((unsigned char)*v)) v++;
    const char *end = v + strlen(v);
    while (end > v && isspace((unsigned char)end[-1])) end--;
    const char *colon = memchr(v, ':', (size_t)(end - v));
    d->epoch = 0;
    if (colon) {
        for (const char *p = v; p < colon && isdigit((unsigned char)*p); p++) d->epoch = d->epoch * 10 + (unsigned long)(*p - '0');
        v = colon + 1;
    }
    const char *hy = NULL;
    for (const char *p = v; p < end; p++)
        if (*p == '-') hy = p;
    d->up = v;
    d->up_end = hy ? hy : end;
    d->rev = hy ? hy + 1 : end;
    d->rev_end = end;
}

int ds_ver_cmp_dpkg(const char *a, const char *b) {
    dver x, y;
    dpkg_split(a, &x);
    dpkg_split(b, &y);
    if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
    int r = verrevcmp(x.up, x.up_end, y.up, y.up_end);
    if (r) return r < 0 ? -1 : 1;
    r = verrevcmp(x.rev, x.rev_end, y.rev, y.rev_end);
    return r < 0 ? -1 : r > 0;
}

int ds_ver_dpkg_valid(const char *v) {
    dver d;
    if (!*v) return -1;
    dpkg_split(v, &d);
    if (d.up == d.up_end || !isdigit((unsigned char)*d.up)) return -1;
    for (const char *p = d.up; p < d.up_end; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".+-~:", *p)) return -1;
    for (const char *p = d.rev; p < d.rev_end; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".+~", *p)) return -1;
    return 0;
}

/* ---- apk ----------------------------------------------------------------- */

enum { T_DIGIT, T_LETTER, T_SUFFIX, T_SUFFIX_NO, T_REVISION_NO, T_END, T_INVALID };

typedef struct apk_tok {
    int type;
    const char *s;   /* digits: start of the digits */
    size_t len;
    long long val;   /* letter / suffix rank / numbers */
} apk_tok;

static const struct { const char *name; int rank; } APK_SUFFIX[] = {
    {"alpha", -4}, {"beta", -3}, {"pre", -2}, {"rc", -1}, {"cvs", 1}, {"svn", 2}, {"git", 3}, {"hg", 4}, {"p", 5},
};

/* Next token from *p; `prev` is the previous token's type (what may follow). */
static apk_tok apk_next(const char **p, int prev) {
    apk_tok t = {T_END, NULL, 0, 0};
    const char *s = *p;
    if (!*s || *s == '~') return t; /* "~hash" commit suffixes do not order */
    if (prev == -1 || ((prev == T_DIGIT) && *s == '.' && isdigit((unsigned char)s[1]))) {
        if (*s == '.') s++;
        if (!isdigit((unsigned char)*s)) { t.type = T_INVALID; return t; }
        t.type = T_DIGIT;
        t.s = s;
        while (isdigit((unsigned char)*s)) s++;
        t.len = (size_t)(s - t.s);
    } else if ((prev == T_DIGIT) && islower((unsigned char)*s) && !islower((unsigned char)s[1])) {
        t.type = T_LETTER;
        t.val = *s++;
    } else if (*s == '_') {
        s++;
        t.type = T_INVALID;
        for (size_t i = 0; i < sizeof APK_SUFFIX / sizeof *APK_SUFFIX; i++) {
            size_t n = strlen(APK_SUFFIX[i].name);
            if (strncmp(s, APK_SUFFIX[i].name, n) == 0 && !islower((unsigned char)s[n])) {
                t.type = T_SUFFIX;
                t.val = APK_SUFFIX[i].rank;
                s += n;
                break;
            }
        }
    } else if (prev == T_SUFFIX && isdigit((unsigned char)*s)) {
        t.type = T_SUFFIX_NO;
        t.s = s;
        while (isdigit((unsigned char)*s)) s++;
        t.len = (size_t)(s - t.s);
    } else if (s[0] == '-' && s[1] == 'r' && isdigit((unsigned char)s[2])) {
        s += 2;
        t.type = T_REVISION_NO;
        t.s = s;
        while (isdigit((unsigned char)*s)) s++;
        t.len = (size_t)(s - t.s);
    } else {
        t.type = T_INVALID;
    }
    *p = s;
    return t;
}

/* Digits compare as numbers; after the first component a leading zero makes it
 * a fraction, compared as a string (apk's rule: 1.01 < 1.1). */
static int digits_cmp(const apk_tok *a, const apk_tok *b, bool fraction) {
    if (fraction && ((a->len && a->s[0] == '0') || (b->len && b->s[0] == '0'))) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, n);
        if (c) return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    const char *x = a->s, *y = b->s;
    size_t xl = a->len, yl = b->len;
    while (xl > 1 && *x == '0') { x++; xl--; }
    while (yl > 1 && *y == '0') { y++; yl--; }
    if (xl != yl) return xl < yl ? -1 : 1;
    int c = memcmp(x, y, xl);
    return c < 0 ? -1 : c > 0;
}

int ds_ver_cmp_apk(const char *a, const char *b) {
    int at = -1, bt = -1;
    bool first = true;
    for (;;) {
        apk_tok x = apk_next(&a, at), y = apk_next(&b, bt);
        at = x.type;
        bt = y.type;
        if (at == T_INVALID || bt == T_INVALID) {
            if (at == bt) return 0;
            return at == T_INVALID ? -1 : 1;
        }
        if (at == bt) {
            if (at == T_END) return 0;
            int c = 0;
            if (at == T_DIGIT || at == T_SUFFIX_NO || at == T_REVISION_NO)
                c = digits_cmp(&x, &y, at == T_DIGIT && !first);
            else if (x.val != y.val)
                c = x.val < y.val ? -1 : 1;
            if (c) return c;
            first = false;
            continue;
        }
        /* Different kinds: the version that goes on is greater, unless what
         * follows is a pre-release suffix. */
        if (at == T_SUFFIX && x.val < 0) return -1;
        if (bt == T_SUFFIX && y.val < 0) return 1;
        return at > bt ? -1 : 1;
    }
}

/* ---- semver -------------------------------------------------------------- */

static const char *num(const char *s, unsigned long long *v) {
    *v = 0;
    while (isdigit((unsigned char)*s)) *v = *v * 10 + (unsigned long long)(*s++ - '0');
    return s;
}

static int prerelease_cmp(const char *a, const char *b) {
    /* No pre-release ranks above any pre-release. */
    if (!*a || !*b) return *a ? -1 : *b ? 1 : 0;
    for (;;) {
        size_t al = strcspn(a, "."), bl = strcspn(b, ".");
        bool an = al > 0, bn = bl > 0;
        for (size_t i = 0; i < al; i++) if (!isdigit((unsigned char)a[i])) an = false;
        for (size_t i = 0; i < bl; i++) if (!isdigit((unsigned char)b[i])) bn = false;
        int c;
        if (an && bn) {
            unsigned long long x, y;
            num(a, &x); num(b, &y);
            c = x < y ? -1 : x > y;
        } else if (an != bn) {
            c = an ? -1 : 1;
        } else {
            size_t n = al < bl ? al : bl;
            c = memcmp(a, b, n);
            if (!c) c = al < bl ? -1 : al > bl;
            c = c < 0 ? -1 : c > 0;
        }
        if (c) return c;
        a += al; b += bl;
        if (!*a || !*b) return *a ? 1 : *b ? -1 : 0;
        a++; b++;
    }
}

int ds_ver_cmp_semver(const char *a, const char *b) {
    if (*a == 'v' || *a == 'V') a++;
    if (*b == 'v' || *b == 'V') b++;
    for (int i = 0; i < 3; i++) {
        unsigned long long x, y;
        a = num(a, &x);
        b = num(b, &y);
        if (x != y) return x < y ? -1 : 1;
        if (*a == '.') a++;
        if (*b == '.') b++;
    }
    /* Pre-release after '-', build metadata after '+' (ignored). */
    char pa[256] = "", pb[256] = "";
    if (*a == '-') { size_t n = strcspn(a + 1, "+"); if (n > 255) n = 255; memcpy(pa, a + 1, n); pa[n] = 0; }
    if (*b == '-') { size_t n = strcspn(b + 1, "+"); if (n > 255) n = 255; memcpy(pb, b + 1, n); pb[n] = 0; }
    return prerelease_cmp(pa, pb);
}

/* ---- PEP 440 (the common forms) ------------------------------------------ */

typedef struct pep {
    unsigned long long epoch, rel[16];
    int nrel;
    long long pre_phase, pre_num; /* phase: a 0, b 1, rc 2; "none" encoded by the comparer */
    bool has_pre, has_post, has_dev;
    unsigned long long post, dev;
} pep;

static const char *skip_sep(const char *s) {
    if (*s == '.' || *s == '-' || *s == '_') s++;
    return s;
}

static void pep_parse(const char *s, pep *v) {
    memset(v, 0, sizeof *v);
    while (isspace((unsigned char)*s)) s++;
    if (*s == 'v' || *s == 'V') s++;
    unsigned long long n;
    const char *e = num(s, &n);
    if (*e == '!') { v->epoch = n; s = e + 1; }
    while (isdigit((unsigned char)*s)) {
        s = num(s, &n);
        if (v->nrel < 16) v->rel[v->nrel++] = n;
        if (*s == '.' && isdigit((unsigned char)s[1])) s++;
        else break;
    }
    while (v->nrel > 1 && v->rel[v->nrel - 1] == 0) v->nrel--; /* 1.0 == 1 */
    for (;;) {
        const char *t = skip_sep(s);
        static const struct { const char *w; int kind, phase; } W[] = {
            {"alpha", 0, 0}, {"beta", 0, 1}, {"preview", 0, 2}, {"pre", 0, 2}, {"rc", 0, 2}, {"a", 0, 0},
            {"b", 0, 1}, {"c", 0, 2}, {"post", 1, 0}, {"rev", 1, 0}, {"r", 1, 0}, {"dev", 2, 0}};
        bool hit = false;
        for (size_t i = 0; i < sizeof W / sizeof *W; i++) {
            size_t wl = strlen(W[i].w);
            if (strncasecmp(t, W[i].w, wl) != 0) continue;
            t = skip_sep(t + wl);
            t = num(t, &n);
            if (W[i].kind == 0) { v->has_pre = true; v->pre_phase = W[i].phase; v->pre_num = (long long)n; }
            else if (W[i].kind == 1) { v->has_post = true; v->post = n; }
            else { v->has_dev = true; v->dev = n; }
            s = t;
            hit = true;
            break;
        }
        if (hit) continue;
        if (*s == '-' && isdigit((unsigned char)s[1])) { s = num(s + 1, &n); v->has_post = true; v->post = n; continue; }
        break;
    }
}

static int cmp_ll(long long a, long long b) { return a < b ? -1 : a > b; }

int ds_ver_cmp_pep440(const char *a, const char *b) {
    pep x, y;
    pep_parse(a, &x);
    pep_parse(b, &y);
    if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
    int n = x.nrel > y.nrel ? x.nrel : y.nrel;
    for (int i = 0; i < n; i++) {
        unsigned long long p = i < x.nrel ? x.rel[i] : 0, q = i < y.nrel ? y.rel[i] : 0;
        if (p != q) return p < q ? -1 : 1;
    }
    /* Pre: a dev release of a final sorts before its pre-releases; no pre sorts after. */
    long long xp = x.has_pre ? x.pre_phase * 1000000 + x.pre_num : (!x.has_post && x.has_dev) ? INT64_MIN : INT64_MAX;
    long long yp = y.has_pre ? y.pre_phase * 1000000 + y.pre_num : (!y.has_post && y.has_dev) ? INT64_MIN : INT64_MAX;
    int c = cmp_ll(xp, yp);
    if (c) return c;
    c = cmp_ll(x.has_post ? (long long)x.post : -1, y.has_post ? (long long)y.post : -1);
    if (c) return c;
    return cmp_ll(x.has_dev ? (long long)x.dev : INT64_MAX, y.has_dev ? (long long)y.dev : INT64_MAX);
}

/* ---- rpm (rpmvercmp) ------------------------------------------------------ */

/* rpm's segment comparison: alnum runs, '~' sorts before anything, '^' after the
 * end but before anything else; numbers beat letters. [s, se) and [t, te). */
static int rpmvercmp(const char *s, const char *se, const char *t, const char *te) {
    while (s < se || t < te) {
        while (s < se && !isalnum((unsigned char)*s) && *s != '~' && *s != '^') s++;
        while (t < te && !isalnum((unsigned char)*t) && *t != '~' && *t != '^') t++;
        bool sl = s < se && *s == '~', tl = t < te && *t == '~';
        if (sl || tl) {
            if (!sl) return 1;
            if (!tl) return -1;
            s++; t++;
            continue;
        }
        bool sc = s < se && *s == '^', tc = t < te && *t == '^';
        if (sc || tc) {
            if (s >= se) return -1;
            if (t >= te) return 1;
            if (!sc) return 1;
            if (!tc) return -1;
            s++; t++;
            continue;
        }
        if (s >= se || t >= te) break;
        const char *a = s, *b = t;
        bool num = isdigit((unsigned char)*s);
        if (num) {
            while (s < se && isdigit((unsigned char)*s)) s++;
            while (t < te && isdigit((unsigned char)*t)) t++;
        } else {
            while (s < se && isalpha((unsigned char)*s)) s++;
            while (t < te && isalpha((unsigned char)*t)) t++;
        }
        if (a == s) return -1;
        if (b == t) return num ? 1 : -1;
        if (num) {
            while (a < s && *a == '0') a++;
            while (b < t && *b == '0') b++;
            if (s - a != t - b) return s - a > t - b ? 1 : -1;
        }
        size_t la = (size_t)(s - a), lb = (size_t)(t - b);
        int c = memcmp(a, b, la < lb ? la : lb);
        if (c) return c < 0 ? -1 : 1;
        if (la != lb) return la < lb ? -1 : 1;
    }
    if (s >= se && t >= te) return 0;
    return s < se ? 1 : -1;
}

int ds_ver_cmp_rpm(const char *a, const char *b) {
    dver x, y; /* epoch:version-release splits the same way as dpkg's */
    dpkg_split(a, &x);
    dpkg_split(b, &y);
    if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
    int r = rpmvercmp(x.up, x.up_end, y.up, y.up_end);
    if (r) return r;
    return rpmvercmp(x.rev, x.rev_end, y.rev, y.rev_end);
}

int ds_ver_cmp_ecosystem(const char *eco, const char *a, const char *b) {
    static const char *const RPM_ECOS[] = {"rpm:", "Red Hat", "Rocky Linux", "AlmaLinux", "Oracle Linux", "openSUSE",
                                           "SUSE", "Azure Linux", "Mariner", NULL};
    for (const char *const *r = RPM_ECOS; *r; r++)
        if (!strncmp(eco, *r, strlen(*r))) return ds_ver_cmp_rpm(a, b);
    if (!strncmp(eco, "Debian", 6) || !strncmp(eco, "Ubuntu", 6)) return ds_ver_cmp_dpkg(a, b);
    if (!strncmp(eco, "Alpine", 6) || !strncmp(eco, "Wolfi", 5) || !strncmp(eco, "Chainguard", 10))
        return ds_ver_cmp_apk(a, b);
    if (!strcmp(eco, "PyPI")) return ds_ver_cmp_pep440(a, b);
    return ds_ver_cmp_semver(a, b);
}
