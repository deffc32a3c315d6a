/* Shared scanning helpers of the script import readers (see script_lex.h). */
#include <stdlib.h>
#include <string.h>
#include "minify/script_lex.h"
#include "util/err.h"

size_t ds_slx_skip_line(const char *s, size_t len, size_t i) {
    while (i < len && s[i] != '\n') i++;
    return i < len ? i + 1 : i;
}

size_t ds_slx_skip_heredocs(const char *s, size_t len, size_t i, char **hd, const bool *hd_indent, int *n) {
    for (int h = 0; h < *n; h++) {
        size_t tl = strlen(hd[h]);
        while (i < len) {
            size_t b = i;
            if (hd_indent[h])
                while (b < len && (s[b] == ' ' || s[b] == '\t')) b++;
            bool end = b + tl <= len && !strncmp(s + b, hd[h], tl) &&
                       (b + tl == len || s[b + tl] == '\n' || s[b + tl] == '\r');
            i = ds_slx_skip_line(s, len, i);
            if (end) break;
        }
        free(hd[h]);
    }
    *n = 0;
    return i;
}

size_t ds_slx_heredoc_open(const char *s, size_t len, size_t i, bool indent, bool (*word_char)(char), char **hd,
                           bool *hd_indent, int *n, int max, char *quote) {
    char q = i < len ? s[i] : 0;
    size_t b;
    if (q == '"' || q == '\'') {
        b = ++i;
        while (i < len && s[i] != q && s[i] != '\n') i++;
    } else {
        q = 0;
        b = i;
        while (i < len && word_char(s[i])) i++;
    }
    if (*n < max && i > b) {
        hd_indent[*n] = indent;
        hd[(*n)++] = ds_xstrndup(s + b, i - b);
    }
    if (q && i < len && s[i] == q) i++;
    *quote = q;
    return i;
}

char ds_slx_closer(char o) { return o == '(' ? ')' : o == '[' ? ']' : o == '{' ? '}' : o == '<' ? '>' : o; }
