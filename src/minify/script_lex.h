/* What the Perl and Ruby import readers (perlimports.c, rbimports.c) share of scanning a
 * script: skipping a line, and heredocs (their terminators, then their bodies after the
 * line that opened them). */
#ifndef DS_MINIFY_SCRIPT_LEX_H
#define DS_MINIFY_SCRIPT_LEX_H
#include <stdbool.h>
#include <stddef.h>

/* The index just past the end of the line at i (its '\n' included). */
size_t ds_slx_skip_line(const char *s, size_t len, size_t i);
/* From i (the start of the line after the heredocs' opening line): past the bodies of the
 * n heredocs with terminators hd (each freed; *n set to 0), in order; hd_indent[h]: the
 * terminator may be indented (<<~ in Ruby and Perl, <<- in Ruby). Returns the new index. */
size_t ds_slx_skip_heredocs(const char *s, size_t len, size_t i, char **hd, const bool *hd_indent, int *n);
/* At i, just after `<<` and its indent mark: the heredoc's terminator, quoted or a word
 * (word_char), queued in hd (with indent) when there is room for it (max). Returns the
 * index after it and its closing quote; *quote gets the quote ('"', '\'' or 0). */
size_t ds_slx_heredoc_open(const char *s, size_t len, size_t i, bool indent, bool (*word_char)(char), char **hd,
                           bool *hd_indent, int *n, int max, char *quote);
/* The closing delimiter of a bracketing opener ('(' -> ')'), else the opener itself. */
char ds_slx_closer(char o);

#endif
