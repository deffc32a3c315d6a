/* The files a Ruby source requires by name (see rbimports.h). Not a Ruby parser: a
 * tokenizer that steps over what would hide or fake a call (comments, =begin blocks,
 * strings with their #{} parts, %-literals, heredocs, symbols, regexes where a term cannot
 * stand), and a stack of the blocks that `end` or `}` closes (def, class, module, begin,
 * case, do, for, and if/unless/while/until where a statement starts; an endless
 * `def x() = ...` opens none) to tell a def body. A `def`, `class` or `module` at column 0
 * resets that stack, so a misread block does not spread over the file. The caller keeps
 * only files that exist, so a misread string errs towards keeping. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include "minify/rbimports.h"
#include "minify/script_lex.h"
#include "util/fsutil.h"

enum { T_END, T_NL, T_WORD, T_STR, T_SYM, T_VAR, T_NUM, T_PUNCT };

typedef struct tok {
    int k;
    char c;       /* T_PUNCT; ':' with dbl for "::" */
    bool dbl;
    bool col0;    /* at column 0 */
    bool space;   /* a blank before it */
    bool interp;  /* T_STR: has #{} */
    bool label;   /* T_WORD followed by ':' (a hash key: `if: x`) */
    char *text;   /* T_WORD, T_STR */
} tok;

#define MAX_HEREDOC 8

typedef struct lx {
    const char *s;
    size_t len, i;
    bool term;        /* the last token was a term */
    bool word_before; /* ... and it was an identifier (`puts /x/` is a regex) */
    char *hd[MAX_HEREDOC];
    bool hd_indent[MAX_HEREDOC];
    int n_hd;
    tok back;
    bool has_back;
} lx;

static bool word_start(char c) { return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80; }
static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80; }

static void skip_line(lx *l) { l->i = ds_slx_skip_line(l->s, l->len, l->i); }

static bool line_is(const lx *l, const char *w) {
    size_t n = strlen(w);
    return l->i + n <= l->len && !strncmp(l->s + l->i, w, n) &&
           (l->i + n == l->len || isspace((unsigned char)l->s[l->i + n]));
}

static void skip_heredocs(lx *l) { l->i = ds_slx_skip_heredocs(l->s, l->len, l->i, l->hd, l->hd_indent, &l->n_hd); }

static char closer(char o) { return ds_slx_closer(o); }

/* A delimited literal from l->i (after its opening o); with interp, #{...} parts are
 * stepped over whole. Its content malloc'd. */
static char *group(lx *l, char o, bool interp_ok, bool *interp) {
    char c = closer(o);
    int nest = 0;
    size_t b = l->i;
    while (l->i < l->len) {
        char ch = l->s[l->i];
        if (ch == '\\' && l->i + 1 < l->len) { l->i += 2; continue; }
        if (interp_ok && ch == '#' && l->i + 1 < l->len && (l->s[l->i + 1] == '{' || l->s[l->i + 1] == '@' ||
                                                             l->s[l->i + 1] == '$')) {
            *interp = true;
            if (l->s[l->i + 1] == '{') {
                int d = 0;
                for (l->i += 2; l->i < l->len; l->i++) {
                    if (l->s[l->i] == '{') d++;
                    else if (l->s[l->i] == '}' && d-- == 0) break;
                }
                if (l->i < l->len) l->i++;
                continue;
            }
        }
        if (ch == c && !nest) break;
        if (c != o && ch == o) nest++;
        else if (c != o && ch == c) nest--;
        l->i++;
    }
    char *r = ds_xstrndup(l->s + b, l->i - b);
    if (l->i < l->len) l->i++;
    return r;
}

static tok str_tok(lx *l, char *text, bool interp) {
    l->term = true;
    l->word_before = false;
    return (tok){.k = T_STR, .text = text, .interp = interp};
}

static tok next(lx *l) {
    if (l->has_back) { l->has_back = false; return l->back; }
    bool space = false;
    for (;;) {
        if (l->i >= l->len) return (tok){.k = T_END};
        bool col0 = l->i == 0 || l->s[l->i - 1] == '\n';
        char c = l->s[l->i];
        if (col0 && line_is(l, "=begin")) {
            while (l->i < l->len && !line_is(l, "=end")) skip_line(l);
            skip_line(l);
            continue;
        }
        if (col0 && line_is(l, "__END__")) { l->i = l->len; return (tok){.k = T_END}; }
        if (c == '\n') {
            l->i++;
            skip_heredocs(l);
            l->term = false;
            l->word_before = false;
            return (tok){.k = T_NL};
        }
        if (c == '\\' && l->i + 1 < l->len && l->s[l->i + 1] == '\n') { l->i += 2; space = true; continue; }
        if (isspace((unsigned char)c) || c == '\0') { l->i++; space = true; continue; }
        if (c == '#') { while (l->i < l->len && l->s[l->i] != '\n') l->i++; continue; }
        char n1 = l->i + 1 < l->len ? l->s[l->i + 1] : 0;
        char n2 = l->i + 2 < l->len ? l->s[l->i + 2] : 0;
        /* where a method's argument may start: `puts /x/`, `foo :sym`, `p %w[a]` */
        bool arg_start = !l->term || (l->word_before && space && n1 != ' ' && n1 != '=');
        tok t;
        if (c == '\'' || c == '"' || c == '`') {
            l->i++;
            bool interp = false;
            char *s = group(l, c, c != '\'', &interp);
            t = str_tok(l, s, interp);
        } else if (c == '%' && ((strchr("qQwWiIrsx", n1) && n1 && n2 && !isalnum((unsigned char)n2) && !isspace((unsigned char)n2) && n2 != '=') ||
                                (arg_start && n1 && strchr("([{<|!/^", n1)))) {
            char kind = strchr("([{<|!/^", n1) ? 'Q' : n1;
            l->i += kind == n1 ? 3 : 2;
            bool interp = false;
            char *s = group(l, l->s[l->i - 1], strchr("QWIrx", kind) != NULL, &interp);
            if (kind == 'r') while (l->i < l->len && isalpha((unsigned char)l->s[l->i])) l->i++;
            t = str_tok(l, s, interp);
        } else if (c == '<' && n1 == '<' &&
                   (((n2 == '~' || n2 == '-') && l->i + 3 < l->len &&
                     (word_start(l->s[l->i + 3]) || l->s[l->i + 3] == '\'' || l->s[l->i + 3] == '"')) ||
                    ((n2 == '\'' || n2 == '"' || isupper((unsigned char)n2)) && arg_start))) {
            l->i += 2;
            bool ind = l->s[l->i] == '~' || l->s[l->i] == '-';
            if (ind) l->i++;
            char q;
            l->i = ds_slx_heredoc_open(l->s, l->len, l->i, ind, word_char, l->hd, l->hd_indent, &l->n_hd, MAX_HEREDOC, &q);
            t = str_tok(l, NULL, q != '\'');
        } else if (c == '/' && arg_start) {
            l->i++;
            bool interp = false;
            free(group(l, '/', true, &interp));
            while (l->i < l->len && isalpha((unsigned char)l->s[l->i])) l->i++;
            t = str_tok(l, NULL, interp);
        } else if (c == '?' && !l->term && n1 && !isspace((unsigned char)n1)) {
            l->i += n1 == '\\' ? 3 : 2; /* a character literal: ?a */
            t = str_tok(l, NULL, false);
        } else if (c == ':' && n1 == ':') {
            l->i += 2;
            t = (tok){.k = T_PUNCT, .c = ':', .dbl = true};
            l->term = false;
            l->word_before = false;
        } else if (c == ':' && (word_start(n1) || n1 == '"' || n1 == '\'') && (arg_start || !l->term || space)) {
            l->i++;
            if (n1 == '"' || n1 == '\'') {
                bool interp = false;
                l->i++;
                free(group(l, n1, n1 == '"', &interp));
            } else {
                while (l->i < l->len && (word_char(l->s[l->i]) || l->s[l->i] == '?' || l->s[l->i] == '!' ||
                                         l->s[l->i] == '='))
                    l->i++;
            }
            t = (tok){.k = T_SYM};
            l->term = true;
            l->word_before = false;
        } else if (c == '$' || c == '@') {
            l->i++;
            if (c == '@' && l->i < l->len && l->s[l->i] == '@') l->i++;
            if (l->i < l->len && word_char(l->s[l->i]))
                while (l->i < l->len && word_char(l->s[l->i])) l->i++;
            else if (c == '$' && l->i < l->len && l->s[l->i] != '\n') l->i++; /* $: $0 $! */
            t = (tok){.k = T_VAR};
            l->term = true;
            l->word_before = false;
        } else if (isdigit((unsigned char)c)) {
            while (l->i < l->len && (isalnum((unsigned char)l->s[l->i]) || l->s[l->i] == '_' ||
                                     (l->s[l->i] == '.' && l->i + 1 < l->len && isdigit((unsigned char)l->s[l->i + 1]))))
                l->i++;
            t = (tok){.k = T_NUM};
            l->term = true;
            l->word_before = false;
        } else if (word_start(c)) {
            size_t b = l->i;
            while (l->i < l->len && word_char(l->s[l->i])) l->i++;
            if (l->i < l->len && (l->s[l->i] == '?' || l->s[l->i] == '!') &&
                !(l->i + 1 < l->len && l->s[l->i + 1] == '='))
                l->i++;
            t = (tok){.k = T_WORD, .text = ds_xstrndup(l->s + b, l->i - b)};
            t.label = l->i + 1 < l->len && l->s[l->i] == ':' && l->s[l->i + 1] != ':';
            l->term = true;
            l->word_before = true;
        } else {
            l->i++;
            t = (tok){.k = T_PUNCT, .c = c};
            l->term = c == ')' || c == ']' || c == '}';
            l->word_before = false;
        }
        t.col0 = col0;
        t.space = space;
        return t;
    }
}

static void unget(lx *l, tok t) { l->back = t; l->has_back = true; }
static void tok_free(tok *t) { free(t->text); t->text = NULL; }

static void add(ds_strlist *out, const char *s) {
    if (*s && *s != '/' && !strstr(s, "..") && !strpbrk(s, " \t\r\n") && !ds_strlist_has(out, s))
        ds_strlist_add(out, s);
}

/* Keywords after which an expression starts (an `if` there opens a block). */
static bool expr_word(const char *w) {
    static const char *const kw[] = {"then", "else", "elsif", "do", "and", "or", "not", "return", "begin",
                                     "when", "in", "unless", "if", "while", "until", "yield", "rescue", "ensure"};
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
        if (!strcmp(w, kw[i])) return true;
    return false;
}

/* The argument of require/require_relative: a literal string, else a computed name. */
static void require_arg(lx *l, ds_strlist *out, bool counts, ds_rb_uses *u) {
    tok a = next(l);
    if (a.k == T_PUNCT && a.c == '(') { tok_free(&a); a = next(l); }
    if (a.k == T_STR && a.text && !a.interp) {
        if (counts) add(out, a.text);
    } else if (a.k != T_NL && a.k != T_END && !(a.k == T_PUNCT && (a.c == ')' || a.c == ';' || a.c == '.'))) {
        u->dynamic = true;
    }
    if (a.k == T_NL || a.k == T_PUNCT) unget(l, a);
    else tok_free(&a);
}

/* autoload :Const, 'file' / autoload(:Const, "file") */
static void autoload_arg(lx *l, ds_rb_uses *u) {
    tok a = next(l);
    if (a.k == T_PUNCT && a.c == '(') { tok_free(&a); a = next(l); }
    bool ok = a.k == T_SYM || a.k == T_STR;
    tok_free(&a);
    if (!ok) return;
    tok comma = next(l);
    bool c = comma.k == T_PUNCT && comma.c == ',';
    if (!c) { unget(l, comma); return; }
    require_arg(l, &u->requires, true, u);
}

#define MAX_DEPTH 256

void ds_rb_imports(const char *text, size_t len, unsigned flags, ds_rb_uses *u) {
    lx l = {.s = text, .len = len};
    char stack[MAX_DEPTH]; /* 'd' def, 'b' other block, '{' brace */
    int depth = 0, n_defs = 0;
    bool loop_line = false; /* a while/until/for on this line: its `do` opens nothing */
    tok prev = {.k = T_NL};
#define PUSH(kind) do { if (depth < MAX_DEPTH) { stack[depth++] = (kind); if ((kind) == 'd') n_defs++; } } while (0)
    for (tok t = next(&l); t.k != T_END; t = next(&l)) {
        bool method = prev.k == T_PUNCT && (prev.c == '.' || (prev.c == ':' && prev.dbl));
        if (t.k == T_NL || (t.k == T_PUNCT && t.c == ';')) loop_line = false;
        if (t.k == T_PUNCT && t.c == '{') PUSH('{');
        if (t.k == T_PUNCT && t.c == '}' && depth) { if (stack[--depth] == 'd') n_defs--; }
        if (t.k == T_WORD && !method && !t.label) {
            const char *w = t.text;
            bool start = prev.k == T_NL || (prev.k == T_PUNCT && !strchr(")]}", prev.c)) ||
                         (prev.k == T_WORD && expr_word(prev.text));
            if (t.col0 && (!strcmp(w, "def") || !strcmp(w, "class") || !strcmp(w, "module"))) {
                depth = 0;
                n_defs = 0;
            }
            if (!strcmp(w, "def")) {
                /* the name as written (self.x, x=, ==, []), then (params), then `=`: endless */
                while (l.i < l.len && (l.s[l.i] == ' ' || l.s[l.i] == '\t')) l.i++;
                while (l.i < l.len && !isspace((unsigned char)l.s[l.i]) && l.s[l.i] != '(' && l.s[l.i] != ';') l.i++;
                l.term = true;
                l.word_before = false;
                tok a = next(&l);
                if (a.k == T_PUNCT && a.c == '(') {
                    int p = 1;
                    while (p > 0) {
                        tok_free(&a);
                        a = next(&l);
                        if (a.k == T_END) break;
                        if (a.k == T_PUNCT && a.c == '(') p++;
                        if (a.k == T_PUNCT && a.c == ')') p--;
                    }
                    tok_free(&a);
                    a = next(&l);
                }
                bool endless = a.k == T_PUNCT && a.c == '=' && l.i < l.len && l.s[l.i] != '=' && l.s[l.i] != '~';
                if (!endless) PUSH('d');
                if (endless) tok_free(&a);
                else unget(&l, a); /* the body's first token (or the newline before it) */
            } else if (!strcmp(w, "class") || !strcmp(w, "module") || !strcmp(w, "begin") || !strcmp(w, "case")) {
                PUSH('b');
            } else if (!strcmp(w, "for")) {
                PUSH('b');
                loop_line = true;
            } else if (!strcmp(w, "do")) {
                if (!loop_line) PUSH('b');
                loop_line = false;
            } else if ((!strcmp(w, "if") || !strcmp(w, "unless") || !strcmp(w, "while") || !strcmp(w, "until")) &&
                       start) {
                PUSH('b');
                loop_line = !strcmp(w, "while") || !strcmp(w, "until");
            } else if (!strcmp(w, "end")) {
                if (depth && stack[--depth] == 'd') n_defs--;
            } else if (!strcmp(w, "require")) {
                require_arg(&l, &u->requires, !(flags & DS_RB_TOP_ONLY) || !n_defs, u);
            } else if (!strcmp(w, "require_relative")) {
                require_arg(&l, &u->relative, !(flags & DS_RB_TOP_ONLY) || !n_defs, u);
            } else if (!strcmp(w, "autoload")) {
                autoload_arg(&l, u);
            }
        } else if (t.k == T_WORD && method && !strcmp(t.text, "autoload")) {
            autoload_arg(&l, u); /* Foo.autoload :C, 'x' */
        }
        tok_free(&prev);
        prev = t;
    }
#undef PUSH
    tok_free(&prev);
    if (l.has_back) tok_free(&l.back);
    for (int h = 0; h < l.n_hd; h++) free(l.hd[h]);
}

void ds_rb_uses_free(ds_rb_uses *u) {
    ds_strlist_free(&u->requires);
    ds_strlist_free(&u->relative);
    u->dynamic = false;
}
