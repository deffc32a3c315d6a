/* The modules a Python source names in import statements (see pyimports.h). Not a
 * Python parser: logical lines (backslash and bracket continuations joined, comments
 * dropped), statements split on ';', and those starting with "import" or "from ... import"
 * read, at any indentation (an import inside a function or a try is as likely to run),
 * except in blocks that never run here: `if TYPE_CHECKING:`, another system's branch
 * (`if sys.platform == "win32":`, `if os.name == "nt":`), and on request a def or class
 * body or an `if __name__ == "__main__":` block; and the `except ImportError:` fallback
 * of a try whose body's imports all exist. Blocks are told by indentation.
 * Text in strings may add a name that is not imported; the caller keeps only modules
 * that exist, so that errs towards keeping. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include "minify/pyimports.h"
#include "util/fsutil.h"

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.'; }

/* A dotted name at *s (letters, digits, '_' and '.'), malloc'd, or NULL. */
static char *dotted(const char **s) {
    const char *p = *s;
    while (*p == ' ' || *p == '\t') p++;
    const char *b = p;
    while (ident_char(*p)) p++;
    *s = p;
    return p > b ? ds_xstrndup(b, (size_t)(p - b)) : NULL;
}

static bool word(const char **s, const char *w) {
    const char *p = *s;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(w);
    if (strncmp(p, w, n) || ident_char(p[n])) return false;
    *s = p + n;
    return true;
}

static void add(ds_strlist *out, const char *name) {
    if (!*name || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, "..")) return;
    if (!ds_strlist_has(out, name)) ds_strlist_add(out, name);
}

/* "from X import ..." with X relative (leading dots) against the file's package. */
static char *absolute_module(const char *x, const char *package) {
    size_t dots = strspn(x, ".");
    if (!dots) return ds_xstrdup(x);
    if (!package) return NULL;
    char *base = ds_xstrdup(package);
    for (size_t i = 1; i < dots; i++) {
        char *d = strrchr(base, '.');
        if (!d) { free(base); return NULL; }
        *d = 0;
    }
    char *r = x[dots] ? (*base ? ds_xasprintf("%s.%s", base, x + dots) : ds_xstrdup(x + dots)) : ds_xstrdup(base);
    free(base);
    return *r ? r : (free(r), NULL);
}

/* req: the modules the statement fails without ("import a.b": a.b; "from a import b": a). */
static void statement(const char *s, const char *package, ds_strlist *out, ds_strlist *req) {
    if (word(&s, "import")) {
        for (;;) {
            char *n = dotted(&s);
            if (!n) return;
            add(out, n);
            add(req, n);
            free(n);
            if (word(&s, "as")) free(dotted(&s));
            while (*s == ' ' || *s == '\t') s++;
            if (*s != ',') return;
            s++;
        }
    }
    if (!word(&s, "from")) return;
    char *x = dotted(&s);
    if (!x || !word(&s, "import")) { free(x); return; }
    char *mod = absolute_module(x, package);
    free(x);
    if (!mod) return;
    add(out, mod);
    add(req, mod);
    while (*s == ' ' || *s == '\t' || *s == '(') s++;
    for (;;) {
        char *n = dotted(&s);
        if (!n) break;
        /* "from a import b": b may be a submodule a.b */
        if (!strchr(n, '.')) {
            char *sub = ds_xasprintf("%s.%s", mod, n);
            add(out, sub);
            free(sub);
        }
        free(n);
        if (word(&s, "as")) free(dotted(&s));
        while (*s == ' ' || *s == '\t' || *s == ')') s++;
        if (*s != ',') break;
        s++;
        while (*s == ' ' || *s == '\t' || *s == '(') s++;
    }
    free(mod);
}

static bool starts_block(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    return !strncmp(s, "def ", 4) || !strncmp(s, "async ", 6) || !strncmp(s, "class ", 6) || *s == '@';
}

/* The condition of an `if`/`elif` line, without blanks and with ' for ", or NULL. */
static char *condition(const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    if (!strncmp(s, "if ", 3) || !strncmp(s, "if(", 3)) s += 2;
    else if (!strncmp(s, "elif ", 5) || !strncmp(s, "elif(", 5)) s += 4;
    else return NULL;
    const char *colon = strrchr(s, ':');
    if (!colon) return NULL;
    char *c = ds_xmalloc((size_t)(colon - s) + 1);
    size_t n = 0;
    for (; s < colon; s++)
        if (*s != ' ' && *s != '\t' && *s != '(' && *s != ')') c[n++] = *s == '"' ? '\'' : *s;
    c[n] = 0;
    return c;
}

/* A block whose body never runs on Linux at run time: typing-only imports and other
 * systems' branches. */
static bool dead_block(const char *cond) {
    static const char *const dead[] = {"sys.platform=='win32'", "sys.platform.startswith'win'", "os.name=='nt'",
                                       "sys.platform=='darwin'", "sys.platform=='cygwin'", "_mswindows",
                                       "sys.platform.startswith'darwin'", "sys.platform=='emscripten'",
                                       "sys.platform=='wasi'", "TYPE_CHECKING", "typing.TYPE_CHECKING",
                                       "t.TYPE_CHECKING", "_t.TYPE_CHECKING", "False", "0"};
    for (size_t i = 0; i < sizeof dead / sizeof *dead; i++)
        if (!strcmp(cond, dead[i])) return true;
    return false;
}

static bool main_block(const char *cond) {
    return !strcmp(cond, "__name__=='__main__'") || !strcmp(cond, "'__main__'==__name__");
}

static bool keyword_line(const char *s, const char *kw) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(kw);
    if (strncmp(s, kw, n)) return false;
    s += n;
    return *s == ':' || *s == ' ' || *s == '\t' || *s == '(';
}

/* An open try statement: the modules its body imports. */
typedef struct try_frame {
    int indent;
    bool in_body;
    ds_strlist mods;
} try_frame;

#define MAX_TRY 16

void ds_py_imports(const char *text, size_t len, const char *package, unsigned flags, ds_py_exists_fn exists,
                   void *ctx, ds_strlist *out) {
    char *line = ds_xmalloc(len + 1);
    size_t n = 0;
    int depth = 0, indent = 0, n_try = 0;
    long skip = -1; /* inside a block opened at this indent whose body is not read */
    bool at_start = true;
    try_frame tries[MAX_TRY];
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? text[i] : '\n';
        if (c == '\0') c = ' ';
        if (c == '#') { /* comment: to the end of the line */
            while (i + 1 < len && text[i + 1] != '\n') i++;
            continue;
        }
        if (c == '\\' && i + 1 < len && text[i + 1] == '\n') { i++; line[n++] = ' '; continue; }
        if (c == '(' || c == '[' || c == '{') depth++;
        if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
        if (c == '\r') c = ' ';
        if (c == '\n' && depth > 0 && depth < 64) { line[n++] = ' '; continue; }
        if (c == '\n' || c == ';') {
            line[n] = 0;
            if (strspn(line, " \t") != n) {
                if (skip >= 0 && indent <= skip) skip = -1;
                /* try statements this line closes, or moves on to a clause of */
                bool clause = keyword_line(line, "except") || keyword_line(line, "else") || keyword_line(line, "finally");
                while (n_try && (tries[n_try - 1].indent > indent || (tries[n_try - 1].indent == indent && !clause))) {
                    ds_strlist_free(&tries[n_try - 1].mods);
                    n_try--;
                }
                if (skip < 0) {
                    char *cond = condition(line);
                    try_frame *t = n_try && tries[n_try - 1].indent == indent ? &tries[n_try - 1] : NULL;
                    if (t && clause) {
                        /* `except ImportError:` after a try body whose imports are all
                         * there: the fallback never runs */
                        bool fallback = keyword_line(line, "except") &&
                                        (strstr(line, "ImportError") || strstr(line, "ModuleNotFoundError"));
                        bool all = t->in_body && t->mods.n && exists;
                        for (size_t m = 0; all && m < t->mods.n; m++) all = exists(t->mods.v[m], ctx);
                        t->in_body = false;
                        if (fallback && all) skip = indent;
                    } else if (((flags & DS_PY_TOP_ONLY) && starts_block(line)) ||
                               (cond && (dead_block(cond) || ((flags & DS_PY_NOT_MAIN) && main_block(cond))))) {
                        skip = indent;
                    } else if (keyword_line(line, "try")) {
                        if (n_try < MAX_TRY) tries[n_try++] = (try_frame){.indent = indent, .in_body = true};
                    } else {
                        /* a try body's imports: what an ImportError fallback replaces */
                        ds_strlist req = {0};
                        statement(line, package, out, &req);
                        if (n_try && tries[n_try - 1].in_body && indent > tries[n_try - 1].indent)
                            for (size_t m = 0; m < req.n; m++) add(&tries[n_try - 1].mods, req.v[m]);
                        ds_strlist_free(&req);
                    }
                    free(cond);
                }
            }
            n = 0;
            if (c == '\n') { depth = 0; indent = 0; at_start = true; }
            continue;
        }
        if (at_start && (c == ' ' || c == '\t')) indent++;
        else at_start = false;
        line[n++] = c;
    }
    while (n_try) ds_strlist_free(&tries[--n_try].mods);
    free(line);
}
