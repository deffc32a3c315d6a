/* Licenses as recorded (Debian DEP-5 short names, SPDX, rpm's "GPLv2+", PyPI free text)
 * to valid SPDX license expressions. DEP-5 names map to SPDX ids (GPL-2+ ->
 * GPL-2.0-or-later, GPL-2 -> GPL-2.0-only, Expat -> MIT, BSD-3-clause -> BSD-3-Clause...),
 * "and"/"or"/"with" and DEP-5's commas become AND/OR/WITH with parentheses, any other
 * name becomes LicenseRef-<name>. Ids are checked against the SPDX list (spdx_ids.inc). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "scan/scan.h"

static const char *const SPDX_IDS[] = {
#include "scan/spdx_ids.inc"
};

static const char *spdx_id(const char *s) {
    size_t lo = 0, hi = sizeof SPDX_IDS / sizeof *SPDX_IDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcasecmp(SPDX_IDS[mid], s);
        if (c == 0) return SPDX_IDS[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

static bool is_exception_id(const char *id) {
    return strcasestr(id, "exception") && !strstr(id, "-with-") && strcasecmp(id, "CAL-1.0-Combined-Work-Exception") &&
           strcasecmp(id, "MPL-2.0-no-copyleft-exception");
}

/* DEP-5 short names (and common spellings) that are not SPDX ids as written. */
static const struct { const char *from, *to; } ALIAS[] = {
    {"Expat", "MIT"}, {"MIT/X11", "MIT"}, {"MIT License", "MIT"}, {"X11", "X11"},
    {"Artistic", "Artistic-1.0"}, {"Artistic-1", "Artistic-1.0"}, {"Artistic-2", "Artistic-2.0"},
    {"Perl", "(Artistic-1.0-Perl OR GPL-1.0-or-later)"},
    {"Apache-2", "Apache-2.0"}, {"Apache 2.0", "Apache-2.0"}, {"Apache License 2.0", "Apache-2.0"},
    {"Apache License, Version 2.0", "Apache-2.0"}, {"ASL 2.0", "Apache-2.0"},
    {"MPL-1", "MPL-1.0"}, {"MPL-2", "MPL-2.0"}, {"CC0", "CC0-1.0"}, {"Python", "Python-2.0"},
    {"PSF", "PSF-2.0"}, {"PSFL", "PSF-2.0"}, {"Python Software Foundation License", "PSF-2.0"},
    {"Zope-2.1", "ZPL-2.1"}, {"ZPL", "ZPL-2.1"}, {"Zope", "ZPL-2.1"}, {"BSD-2", "BSD-2-Clause"},
    {"BSD-3", "BSD-3-Clause"}, {"BSD-4", "BSD-4-Clause"}, {"FreeBSD", "BSD-2-Clause"}, {"zlib/libpng", "Zlib"},
    {"ISC License", "ISC"}, {"Unlicense", "Unlicense"}, {"CDDL", "CDDL-1.0"}, {"EPL", "EPL-1.0"},
};

/* GNU licenses: (A|L)GPL / GFDL(-NIV), optional v, version, optional +: "GPL-2+", "GPLv2+",
 * "LGPL-2.1", "GFDL-NIV-1.3+", "GPL-2.0-or-later". Writes the SPDX id in out. */
static bool gnu_id(const char *s, char *out, size_t cap) {
    static const char *const fams[] = {"AGPL", "LGPL", "GPL", "GFDL-NIV", "GFDL"};
    for (size_t i = 0; i < sizeof fams / sizeof *fams; i++) {
        size_t fl = strlen(fams[i]);
        if (strncasecmp(s, fams[i], fl)) continue;
        const char *p = s + fl;
        if (*p == '-' || *p == 'v' || *p == 'V') p++;
        if (!isdigit((unsigned char)*p)) return false;
        int maj = *p++ - '0', min = 0;
        bool has_min = false;
        if (*p == '.' && isdigit((unsigned char)p[1])) { min = p[1] - '0'; has_min = true; p += 2; }
        bool later = false, only = false;
        if (*p == '+') { later = true; p++; }
        else if (!strcasecmp(p, "-or-later")) { later = true; p += strlen(p); }
        else if (!strcasecmp(p, "-only")) { only = true; p += strlen(p); }
        if (*p) return false;
        (void)only;
        (void)has_min;
        bool niv = !strcmp(fams[i], "GFDL-NIV");
        snprintf(out, cap, "%s-%d.%d%s-%s", niv ? "GFDL" : fams[i], maj, min, niv ? "-no-invariants" : "",
                 later ? "or-later" : "only");
        return spdx_id(out) != NULL;
    }
    return false;
}

/* LicenseRef-<name>: letters, digits, '.' and '-' only. */
static char *license_ref(const char *name) {
    char *o = ds_xmalloc(strlen(name) * 5 + 16);
    strcpy(o, "LicenseRef-");
    size_t n = strlen(o), start = n;
    for (const unsigned char *p = (const unsigned char *)name; *p && n < start + 64; p++) {
        if (isalnum(*p) || *p == '.') o[n++] = (char)*p;
        else if (*p == '+') { memcpy(o + n, "-plus", 5); n += 5; }
        else if (n > start && o[n - 1] != '-') o[n++] = '-';
    }
    while (n > start && o[n - 1] == '-') n--;
    if (n == start) { memcpy(o + n, "unknown", 7); n += 7; }
    o[n] = 0;
    return o;
}

/* One license name (words joined by single spaces) as an SPDX id, or a LicenseRef. */
static char *map_name(const char *name, ds_strlist *refs) {
    for (size_t i = 0; i < sizeof ALIAS / sizeof *ALIAS; i++)
        if (!strcasecmp(name, ALIAS[i].from)) return ds_xstrdup(ALIAS[i].to);
    char g[64];
    if (gnu_id(name, g, sizeof g)) return ds_xstrdup(g);
    const char *id = spdx_id(name);
    /* Deprecated ids with a "+" or none of -only/-or-later were handled above; others pass. */
    if (id && !is_exception_id(id)) return ds_xstrdup(id);
    char *ref = license_ref(name);
    if (refs) {
        char *entry = ds_xasprintf("%s\t%s", ref, name);
        if (!ds_strlist_has(refs, entry)) ds_strlist_add(refs, entry);
        free(entry);
    }
    return ref;
}

typedef struct tok { int kind; char *s; } tok; /* kind: 'w' word, '(' ')' ',' , 'A' and, 'O' or, 'W' with */

static void toks_free(tok *t, size_t n) {
    for (size_t i = 0; i < n; i++) free(t[i].s);
    free(t);
}

static size_t tokenize(const char *s, tok **out) {
    tok *t = NULL;
    size_t n = 0;
    while (*s) {
        if (isspace((unsigned char)*s)) { s++; continue; }
        t = ds_xrealloc(t, (n + 1) * sizeof *t);
        if (strchr("(),", *s)) { t[n].kind = *s++; t[n++].s = NULL; continue; }
        size_t l = strcspn(s, " \t\r\n(),");
        char *w = ds_xstrndup(s, l);
        s += l;
        t[n].s = w;
        if (!strcasecmp(w, "and") || !strcmp(w, "&")) t[n].kind = 'A';
        else if (!strcasecmp(w, "or") || !strcmp(w, "|")) t[n].kind = 'O';
        else if (!strcasecmp(w, "with")) t[n].kind = 'W';
        else t[n].kind = 'w';
        n++;
    }
    *out = t;
    return n;
}

typedef struct ps { tok *t; size_t n, i; ds_strlist *refs; bool bad; } ps;

static char *words(ps *p) {
    char *acc = NULL;
    while (p->i < p->n && p->t[p->i].kind == 'w') {
        char *a = ds_xasprintf("%s%s%s", acc ? acc : "", acc ? " " : "", p->t[p->i].s);
        free(acc);
        acc = a;
        p->i++;
    }
    return acc;
}

static char *expr(ps *p, int depth);

/* term := '(' expr ')' | words [with words] */
static char *term(ps *p, int depth) {
    if (p->i < p->n && p->t[p->i].kind == '(') {
        p->i++;
        char *e = expr(p, depth + 1);
        if (p->i < p->n && p->t[p->i].kind == ')') p->i++;
        else p->bad = true;
        if (!e) return NULL;
        char *r = ds_xasprintf("(%s)", e);
        free(e);
        return r;
    }
    char *name = words(p);
    if (!name) { p->bad = true; return NULL; }
    if (p->i < p->n && p->t[p->i].kind == 'W') {
        p->i++;
        char *exc = words(p);
        if (!exc) { p->bad = true; free(name); return NULL; }
        /* "OpenSSL exception" -> "OpenSSL-exception" when that is an SPDX exception id. */
        char *dashed = ds_xstrdup(exc);
        for (char *c = dashed; *c; c++) if (*c == ' ') *c = '-';
        const char *eid = spdx_id(dashed);
        char *lic = map_name(name, NULL);
        char *r;
        if (eid && is_exception_id(eid) && strncmp(lic, "LicenseRef-", 11) && lic[0] != '(') {
            r = ds_xasprintf("%s WITH %s", lic, eid);
        } else {
            char *whole = ds_xasprintf("%s with %s", name, exc);
            r = map_name(whole, p->refs);
            free(whole);
        }
        free(lic); free(dashed); free(exc); free(name);
        return r;
    }
    char *r = map_name(name, p->refs);
    free(name);
    return r;
}

/* and-list := term (and term)*; or-list := and-list (or and-list)*; comma groups: ", and X" / ", or X" / ", X" (and). */
static char *expr(ps *p, int depth) {
    if (depth > 32) { p->bad = true; return NULL; }
    char *acc = term(p, depth);
    if (!acc) return NULL;
    while (p->i < p->n && !p->bad) {
        int k = p->t[p->i].kind;
        if (k == ')') break;
        if (k == 'A' || k == 'O') {
            p->i++;
            char *r = term(p, depth);
            if (!r) { free(acc); return NULL; }
            char *a = ds_xasprintf("%s %s %s", acc, k == 'A' ? "AND" : "OR", r);
            free(acc); free(r);
            acc = a;
        } else if (k == ',') {
            p->i++;
            int op = 'A';
            if (p->i < p->n && (p->t[p->i].kind == 'A' || p->t[p->i].kind == 'O')) op = p->t[p->i++].kind;
            char *r = expr(p, depth + 1);
            if (!r) { free(acc); return NULL; }
            char *a = ds_xasprintf("(%s) %s (%s)", acc, op == 'A' ? "AND" : "OR", r);
            free(acc); free(r);
            return a;
        } else {
            p->bad = true;
        }
    }
    return acc;
}

char *ds_spdx_expression(const char *recorded, ds_strlist *refs) {
    if (!recorded) return NULL;
    while (isspace((unsigned char)*recorded)) recorded++;
    if (!*recorded || !strcasecmp(recorded, "UNKNOWN") || !strcasecmp(recorded, "NOASSERTION") ||
        !strcasecmp(recorded, "NONE"))
        return NULL;
    size_t len = strlen(recorded);
    if (len > 4096) return NULL;
    /* Free text (a sentence, a URL, a license text): one LicenseRef for all of it. */
    bool free_text = strpbrk(recorded, "\n:;\"'<>[]{}=") != NULL;
    tok *t = NULL;
    size_t n = free_text ? 0 : tokenize(recorded, &t);
    size_t run = 0;
    for (size_t i = 0; i < n && !free_text; i++) {
        run = t[i].kind == 'w' ? run + 1 : 0;
        if (run > 4) free_text = true;
    }
    char *r = NULL;
    if (!free_text) {
        ps p = {.t = t, .n = n, .refs = NULL};
        /* First pass without refs: only a whole parse adds its refs. */
        r = expr(&p, 0);
        if (p.bad || p.i != n) { free(r); r = NULL; }
        if (r && refs) {
            free(r);
            ps q = {.t = t, .n = n, .refs = refs};
            r = expr(&q, 0);
        }
    }
    toks_free(t, n);
    if (!r) {
        char *flat = ds_xstrndup(recorded, 200);
        for (char *c = flat; *c; c++) if (*c == '\n' || *c == '\t') *c = ' ';
        r = map_name(flat, refs);
        free(flat);
    }
    return r;
}

/* The LicenseRef entries added by ds_spdx_expression: "LicenseRef-x\tname". */
void ds_spdx_ref_split(const char *entry, char **id, char **name) {
    const char *tab = strchr(entry, '\t');
    *id = tab ? ds_xstrndup(entry, (size_t)(tab - entry)) : ds_xstrdup(entry);
    *name = ds_xstrdup(tab ? tab + 1 : entry);
}
