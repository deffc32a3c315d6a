/* The modules a Perl source loads by name (see perlimports.h). Not a Perl parser: a
 * tokenizer that knows enough to step over what would hide or fake a statement (POD,
 * comments, quoted strings and the quote-like operators q qq qw qr m s tr y, heredocs,
 * regexes where a term cannot stand), and counts braces to tell a sub body. A regex it
 * takes for a division (or the reverse) can shift what follows; a top-level `sub` at
 * column 0 resets the count, so one bad guess does not spread over the file. The caller
 * keeps only modules that exist, so a name read from a misparsed string errs towards
 * keeping. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "minify/perlimports.h"
#include "minify/script_lex.h"
#include "util/fsutil.h"

enum { T_END, T_WORD, T_STR, T_VAR, T_NUM, T_PUNCT };

typedef struct tok {
    int k;
    char c;      /* T_PUNCT */
    bool col0;   /* first on its line, at column 0 */
    bool interp; /* T_STR: interpolates a variable */
    char *text;  /* T_WORD, T_STR (NULL for a regex) */
} tok;

#define MAX_HEREDOC 8

typedef struct lx {
    const char *s;
    size_t len, i;
    bool term; /* the last token was a term: a '/' now divides */
    char *hd[MAX_HEREDOC]; /* heredoc terminators whose bodies start on the next line */
    bool hd_indent[MAX_HEREDOC];
    int n_hd;
    tok back; /* one token pushed back */
    bool has_back;
} lx;

static bool word_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

static bool at_line_start(const lx *l) { return l->i == 0 || l->s[l->i - 1] == '\n'; }

static void skip_line(lx *l) { l->i = ds_slx_skip_line(l->s, l->len, l->i); }

/* The bodies of the heredocs opened on the line just ended. */
static void skip_heredocs(lx *l) { l->i = ds_slx_skip_heredocs(l->s, l->len, l->i, l->hd, l->hd_indent, &l->n_hd); }

static char closer(char o) { return ds_slx_closer(o); }

/* A delimited group from l->i (just after its opening delimiter o); its content malloc'd. */
static char *group(lx *l, char o, bool *interp) {
    char c = closer(o);
    int nest = 0;
    size_t b = l->i;
    while (l->i < l->len) {
        char ch = l->s[l->i];
        if (ch == '\\' && l->i + 1 < l->len) { l->i += 2; continue; }
        if (ch == '$' || ch == '@') *interp = true;
        if (ch == c && !nest) break;
        if (c != o && ch == o) nest++;
        else if (c != o && ch == c) nest--;
        l->i++;
    }
    char *r = ds_xstrndup(l->s + b, l->i - b);
    if (l->i < l->len) l->i++;
    return r;
}

static void skip_blank(lx *l) {
    while (l->i < l->len && (l->s[l->i] == ' ' || l->s[l->i] == '\t')) l->i++;
}

/* Words after which an operand, not an operator, follows: a '/' there starts a regex. */
static bool operator_word(const char *w) {
    static const char *const ops[] = {"split", "grep", "map", "join", "if", "unless", "elsif", "and", "or", "not",
                                      "return", "push", "unshift", "while", "until", "eq", "ne", "lt", "gt", "le",
                                      "ge", "cmp", "x", "xor", "die", "warn", "print", "when"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(w, ops[i])) return true;
    return false;
}

/* q qq qw qr m s tr y followed by a delimiter: a string or a regex. */
static bool quote_like(lx *l, const char *w, tok *t) {
    int parts = !strcmp(w, "s") || !strcmp(w, "tr") || !strcmp(w, "y") ? 2 : 1;
    if (parts == 1 && strcmp(w, "q") && strcmp(w, "qq") && strcmp(w, "qw") && strcmp(w, "qr") && strcmp(w, "m"))
        return false;
    size_t save = l->i, b = save - strlen(w);
    /* a method (->s), a file test (-s), a sub's name */
    size_t p = b;
    while (p > 0 && (l->s[p - 1] == ' ' || l->s[p - 1] == '\t')) p--;
    if ((p >= 2 && l->s[p - 1] == '>' && l->s[p - 2] == '-') || (b > 0 && l->s[b - 1] == '-') ||
        (p >= 4 && !strncmp(l->s + p - 3, "sub", 3) && p < b))
        return false;
    skip_blank(l);
    char d = l->i < l->len ? l->s[l->i] : 0;
    bool blank = l->i > save;
    /* a hash key (`{s}`, `y => 1`), an argument list's end, or a blank then not a bracket */
    if (!d || word_char(d) || isspace((unsigned char)d) || (d == '=' && l->i + 1 < l->len && l->s[l->i + 1] == '>') ||
        d == ')' || d == '}' || (blank && !strchr("([{</|!", d)) || (d == '#' && blank)) {
        l->i = save;
        return false;
    }
    l->i++;
    bool interp = false;
    char *text = group(l, d, &interp);
    if (parts == 2) {
        if (closer(d) != d) { /* s{a}{b}: a second group of its own */
            while (l->i < l->len && isspace((unsigned char)l->s[l->i])) l->i++;
            if (l->i < l->len) {
                char d2 = l->s[l->i++];
                free(group(l, d2, &interp));
            }
        } else {
            free(group(l, d, &interp));
        }
    }
    while (l->i < l->len && isalpha((unsigned char)l->s[l->i])) l->i++; /* modifiers */
    bool is_str = !strcmp(w, "q") || !strcmp(w, "qq") || !strcmp(w, "qw");
    if (!is_str) { free(text); text = NULL; }
    *t = (tok){.k = T_STR, .text = text, .interp = interp && strcmp(w, "q") && strcmp(w, "qw")};
    return true;
}

static tok next(lx *l) {
    if (l->has_back) { l->has_back = false; return l->back; }
    for (;;) {
        if (l->i >= l->len) return (tok){.k = T_END};
        bool col0 = at_line_start(l);
        char c = l->s[l->i];
        if (col0 && c == '=' && l->i + 1 < l->len && isalpha((unsigned char)l->s[l->i + 1])) {
            /* POD, to a line starting =cut (and that line) */
            while (l->i < l->len) {
                bool cut = l->i + 4 <= l->len && !strncmp(l->s + l->i, "=cut", 4) && (l->i + 4 >= l->len || !word_char(l->s[l->i + 4]));
                skip_line(l);
                if (cut) break;
            }
            continue;
        }
        if (c == '\n') { l->i++; skip_heredocs(l); continue; }
        if (isspace((unsigned char)c) || c == '\0') { l->i++; continue; }
        if (c == '#') { while (l->i < l->len && l->s[l->i] != '\n') l->i++; continue; }
        tok t = {.col0 = col0};
        if (c == '\'' || c == '"' || c == '`') {
            l->i++;
            bool interp = false;
            t.k = T_STR;
            t.text = group(l, c, &interp);
            t.interp = interp && c != '\'';
            l->term = true;
            return t;
        }
        if (c == '$' || ((c == '@' || c == '%' || c == '&') && !l->term)) {
            size_t b = l->i++;
            if (l->i < l->len && l->s[l->i] == '#') l->i++;
            if (l->i < l->len && (word_char(l->s[l->i]) || l->s[l->i] == ':')) {
                while (l->i < l->len && (word_char(l->s[l->i]) || l->s[l->i] == ':')) l->i++;
            } else if (c == '$' && l->i < l->len && l->s[l->i] != '{' && !isspace((unsigned char)l->s[l->i])) {
                l->i++; /* $_ $& $/ $$ ... */
            }
            if (l->i - b > 1 || c == '$') {
                t.k = T_VAR;
                l->term = true;
                return t;
            }
            l->i = b; /* a lone sigil: an operator */
        }
        if (isdigit((unsigned char)c)) {
            while (l->i < l->len && (isalnum((unsigned char)l->s[l->i]) || l->s[l->i] == '.' || l->s[l->i] == '_'))
                l->i++;
            t.k = T_NUM;
            l->term = true;
            return t;
        }
        if (word_start(c)) {
            size_t b = l->i;
            for (;;) {
                while (l->i < l->len && word_char(l->s[l->i])) l->i++;
                if (l->i + 2 < l->len && l->s[l->i] == ':' && l->s[l->i + 1] == ':' && word_start(l->s[l->i + 2]))
                    l->i += 2;
                else break;
            }
            char *w = ds_xstrndup(l->s + b, l->i - b);
            if (!strcmp(w, "__END__") || !strcmp(w, "__DATA__")) {
                free(w);
                l->i = l->len;
                return (tok){.k = T_END};
            }
            if (quote_like(l, w, &t)) {
                free(w);
                t.col0 = col0;
                l->term = true;
                return t;
            }
            t.k = T_WORD;
            t.text = w;
            l->term = !operator_word(w);
            return t;
        }
        if (c == '<' && l->i + 2 < l->len && l->s[l->i + 1] == '<' &&
            (l->s[l->i + 2] == '"' || l->s[l->i + 2] == '\'' || l->s[l->i + 2] == '~' || word_start(l->s[l->i + 2])) &&
            !l->term) {
            /* a heredoc: its body is skipped after this line */
            l->i += 2;
            bool ind = l->s[l->i] == '~';
            if (ind) l->i++;
            char q;
            l->i = ds_slx_heredoc_open(l->s, l->len, l->i, ind, word_char, l->hd, l->hd_indent, &l->n_hd, MAX_HEREDOC, &q);
            t.k = T_STR;
            t.interp = q != '\'';
            l->term = true;
            return t;
        }
        if (c == '/' && !l->term) {
            l->i++;
            bool interp = false;
            free(group(l, '/', &interp));
            while (l->i < l->len && isalpha((unsigned char)l->s[l->i])) l->i++;
            t.k = T_STR;
            l->term = true;
            return t;
        }
        l->i++;
        t.k = T_PUNCT;
        t.c = c;
        l->term = c == ')' || c == ']' || c == '}';
        return t;
    }
}

static void unget(lx *l, tok t) { l->back = t; l->has_back = true; }
static void tok_free(tok *t) { free(t->text); t->text = NULL; }

static void add(ds_strlist *out, const char *s) {
    if (*s && !ds_strlist_has(out, s)) ds_strlist_add(out, s);
}

/* A module name (A::B) as a file under an @INC dir (A/B.pm); NULL when it is not one. */
static char *module_file(const char *m) {
    if (!word_start(*m)) return NULL;
    for (const char *c = m; *c; c++)
        if (!word_char(*c) && *c != ':') return NULL;
    size_t n = strlen(m);
    if (m[n - 1] == ':') return NULL;
    char *f = ds_xmalloc(n + 4);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i] == ':' && m[i + 1] == ':') { f[o++] = '/'; i++; }
        else f[o++] = m[i];
    }
    memcpy(f + o, ".pm", 4);
    return f;
}

static void add_module(ds_strlist *out, const char *m) {
    char *f = module_file(m);
    if (f) add(out, f);
    free(f);
}

/* A literal path: relative, no "..". */
static void add_path(ds_strlist *out, const char *p) {
    if (*p && *p != '/' && !strstr(p, "..") && !strpbrk(p, " \t\n\r")) add(out, p);
}

/* The class list of `use parent`/`use base`, to the statement's end. */
static void class_list(lx *l, ds_perl_uses *u) {
    bool norequire = false;
    ds_strlist names = {0};
    for (tok t = next(l); t.k != T_END; tok_free(&t), t = next(l)) {
        if (t.k == T_PUNCT && t.c == ';') break;
        if (t.k == T_PUNCT && t.c == '-') {
            tok w = next(l);
            if (w.k == T_WORD && !strcmp(w.text, "norequire")) norequire = true;
            tok_free(&w);
        } else if (t.k == T_STR && t.text && !t.interp) {
            for (char *s = t.text; *s;) {
                size_t n = strcspn(s, " \t\r\n");
                char *one = ds_xstrndup(s, n);
                if (!strcmp(one, "-norequire")) norequire = true;
                else add(&names, one);
                free(one);
                s += n;
                s += strspn(s, " \t\r\n");
            }
        } else if (t.k == T_WORD && strchr(t.text, ':')) {
            add(&names, t.text);
        }
    }
    for (size_t i = 0; !norequire && i < names.n; i++) add_module(&u->files, names.v[i]);
    ds_strlist_free(&names);
}

/* `use if COND, MODULE => ...`: the module after the first comma outside brackets. */
static void use_if(lx *l, ds_perl_uses *u) {
    int nest = 0;
    for (tok t = next(l); t.k != T_END; tok_free(&t), t = next(l)) {
        if (t.k != T_PUNCT) continue;
        if (t.c == ';') { tok_free(&t); return; }
        if (t.c == '(' || t.c == '[' || t.c == '{') nest++;
        if (t.c == ')' || t.c == ']' || t.c == '}') nest--;
        if (t.c == ',' && nest <= 0) break;
    }
    tok m = next(l);
    if ((m.k == T_WORD || (m.k == T_STR && !m.interp)) && m.text) add_module(&u->files, m.text);
    tok_free(&m);
}

/* XSLoader::load(NAME) / bootstrap NAME: NAME, else the current package. */
static void xs_name(lx *l, ds_perl_uses *u, const char *package) {
    tok t = next(l);
    if (t.k == T_PUNCT && t.c == '(') { tok_free(&t); t = next(l); }
    const char *n = (t.k == T_WORD || (t.k == T_STR && !t.interp)) && t.text && strcmp(t.text, "__PACKAGE__")
                        ? t.text : package;
    char *f = n ? module_file(n) : NULL;
    if (f) add(&u->xs, n);
    free(f);
    if (t.k == T_PUNCT) unget(l, t);
    else tok_free(&t);
}

/* A condition false on the perl 5.36 a Debian image runs (old perls' fallbacks):
 * `if ($] < 5.008)`, `unless (defined &utf8::is_utf8)`. c: without blanks. */
static bool dead_condition(const char *kw, const char *c) {
    if (!strcmp(kw, "unless")) return !strcmp(c, "defined&utf8::is_utf8") || !strcmp(c, "defined(&utf8::is_utf8)");
    if (!strncmp(c, "$]<", 3) && (c[3] == '5' || c[3] == '\'' || c[3] == '"')) {
        const char *v = c + 3 + (c[3] != '5');
        double want = strtod(v, NULL);
        return want > 4 && want <= 5.036;
    }
    return false;
}

/* After if/unless: a dead condition's block stepped over whole (true); else l unchanged. */
static bool dead_block(lx *l, const char *kw) {
    /* the '(' is the token peeked at (pushed back): l->i is just after it */
    if (!l->has_back || l->back.k != T_PUNCT || l->back.c != '(') return false;
    size_t save = l->i, b = save;
    bool save_term = l->term;
    int nest = 0;
    while (l->i < l->len && (l->s[l->i] != ')' || nest) && l->s[l->i] != '{' && l->s[l->i] != ';' && l->i - b < 200) {
        if (l->s[l->i] == '(') nest++;
        if (l->s[l->i] == ')') nest--;
        l->i++;
    }
    char cond[256];
    size_t n = 0;
    for (size_t i = b; i < l->i && n + 1 < sizeof cond; i++)
        if (!isspace((unsigned char)l->s[i])) cond[n++] = l->s[i];
    cond[n] = 0;
    bool dead = l->i < l->len && l->s[l->i] == ')' && dead_condition(kw, cond);
    if (dead) {
        l->i++;
        l->has_back = false;
        tok t = next(l);
        dead = t.k == T_PUNCT && t.c == '{';
        tok_free(&t);
        if (!dead) l->has_back = true; /* the '(' again */
    }
    if (!dead) { l->i = save; l->term = save_term; return false; }
    for (int d = 1; d > 0;) {
        tok t = next(l);
        if (t.k == T_END) break;
        if (t.k == T_PUNCT && t.c == '{') d++;
        if (t.k == T_PUNCT && t.c == '}') d--;
        tok_free(&t);
    }
    l->term = false;
    return true;
}

#define MAX_SUBS 64

void ds_perl_imports(const char *text, size_t len, unsigned flags, ds_perl_uses *u) {
    lx l = {.s = text, .len = len};
    int depth = 0, subs[MAX_SUBS], n_subs = 0;
    bool sub_pending = false;
    char *package = ds_xstrdup("main");
    tok prev = {.k = T_PUNCT, .c = ';'};
    for (tok t = next(&l); t.k != T_END; t = next(&l)) {
        bool arrow = prev.k == T_PUNCT && prev.c == '>'; /* ->word: a method */
        if (t.k == T_PUNCT) {
            if (t.c == '{') {
                if (sub_pending && n_subs < MAX_SUBS) subs[n_subs++] = depth;
                sub_pending = false;
                depth++;
            } else if (t.c == '}') {
                if (depth > 0) depth--;
                if (n_subs && depth == subs[n_subs - 1]) n_subs--;
            } else if (t.c == ';') {
                sub_pending = false; /* sub NAME; declares */
            }
        } else if (t.k == T_WORD && !arrow) {
            const char *w = t.text;
            tok peek = next(&l);
            bool key = peek.k == T_PUNCT && (peek.c == '}' || peek.c == '=' || peek.c == ',');
            unget(&l, peek);
            if (key && strcmp(w, "__PACKAGE__")) {
                /* a hash key, or `word => ...` */
            } else if ((!strcmp(w, "if") || !strcmp(w, "unless")) && dead_block(&l, w)) {
                /* an old perl's fallback */
            } else if (!strcmp(w, "sub")) {
                if (t.col0) { n_subs = 0; depth = 0; }
                sub_pending = true;
            } else if (!strcmp(w, "package")) {
                tok n = next(&l);
                if (n.k == T_WORD) { free(package); package = ds_xstrdup(n.text); }
                tok_free(&n);
            } else if (!strcmp(w, "use") || !strcmp(w, "no")) {
                tok n = next(&l);
                if (n.k == T_NUM || (n.k == T_WORD && n.text[0] == 'v' && isdigit((unsigned char)n.text[1]))) {
                    if (!strcmp(w, "use")) {
                        add(&u->files, "feature.pm");
                        add(&u->files, "strict.pm");
                        add(&u->files, "warnings.pm");
                    }
                } else if (n.k == T_WORD) {
                    add_module(&u->files, n.text);
                    if (!strcmp(n.text, "parent") || !strcmp(n.text, "base")) class_list(&l, u);
                    else if (!strcmp(n.text, "if")) use_if(&l, u);
                }
                if (n.k == T_PUNCT) unget(&l, n);
                else tok_free(&n);
            } else if (!strcmp(w, "require")) {
                bool counts = !(flags & DS_PERL_TOP_ONLY) || !n_subs;
                tok n = next(&l);
                if (n.k == T_WORD && strcmp(n.text, "__PACKAGE__")) {
                    if (counts) add_module(&u->files, n.text);
                } else if (n.k == T_STR && n.text && !n.interp) {
                    if (counts) add_path(&u->files, n.text);
                } else if (n.k != T_NUM) {
                    u->dynamic = true; /* require $f, require "A/$b.pm", require(...) */
                }
                if (n.k == T_PUNCT) unget(&l, n);
                else tok_free(&n);
            } else if (!strcmp(w, "XSLoader::load") || !strcmp(w, "DynaLoader::bootstrap") ||
                       (!strcmp(w, "bootstrap") && !(prev.k == T_WORD && !strcmp(prev.text, "sub")))) {
                xs_name(&l, u, package);
            }
        } else if (t.k == T_WORD && arrow && !strcmp(t.text, "bootstrap")) {
            add(&u->xs, package); /* __PACKAGE__->bootstrap */
        }
        tok_free(&prev);
        prev = t;
    }
    tok_free(&prev);
    if (l.has_back) tok_free(&l.back);
    for (int h = 0; h < l.n_hd; h++) free(l.hd[h]);
    free(package);
}

void ds_perl_uses_free(ds_perl_uses *u) {
    ds_strlist_free(&u->files);
    ds_strlist_free(&u->xs);
    u->dynamic = false;
}
