/* The package databases' line formats, one reader each, shared by the scanners
 * (src/scan/pkg_*.c: what is installed), the build's metadata writer
 * (src/minify/pkg_meta.c: what was kept) and harden (src/harden/dpkg_meta.c: what
 * is left after removals). Readers take (text, len): no NUL needed, nothing read
 * past len; paths handed to callbacks are absolute image paths, NUL-terminated. */
#ifndef DS_SCAN_PKGDB_H
#define DS_SCAN_PKGDB_H
#include <stdbool.h>
#include <stddef.h>

/* Deb control text (status, status.d/PKG): the next paragraph [*ps, *pe) at or after
 * *pos (a line that is empty or only blanks ends one); false at the end. */
bool ds_control_next(const char *text, size_t len, size_t *pos, const char **ps, const char **pe);

/* Should the file at PATH stay listed? */
typedef bool (*ds_pkgdb_keep_fn)(const char *path, void *arg);
/* One line of a database: the file it names (NULL when it names none) and the line
 * itself (without its '\n'). */
typedef void (*ds_pkgdb_line_fn)(const char *path, const char *line, size_t line_len, void *arg);

/* dpkg file lists: info/PKG.list ("/usr/bin/x"; "/." names no file) and md5sums
 * ("<md5>  usr/bin/x", relative to the root) of info/ and status.d/. */
void ds_dpkg_list_each(const char *text, size_t len, bool md5sums, ds_pkgdb_line_fn fn, void *arg);
/* The lines whose file keep() accepts, plus those naming no file (malloc'd, NUL-terminated,
 * each line ends in '\n'); counts of the files kept and dropped. */
char *ds_dpkg_list_filter(const char *text, size_t len, bool md5sums, ds_pkgdb_keep_fn keep, void *arg,
                          size_t *out_len, size_t *n_kept, size_t *n_dropped);

/* apk's lib/apk/db/installed: records of "K:value" lines separated by blank lines.
 * F: opens a folder, R: names a file in it, a: and Z: after an R: belong to that file. */
typedef struct ds_apk_line {
    const char *line;   /* the whole line */
    size_t len;
    char key;           /* 'P', 'V', 'R', ...; 0 ends a record (a blank line or the end of the text) */
    const char *val;    /* after "K:" */
    size_t val_len;
    const char *file;   /* R:, a:, Z: lines: the file's image path; else NULL */
} ds_apk_line;
typedef void (*ds_apk_line_fn)(const ds_apk_line *l, void *arg);
void ds_apk_each(const char *text, size_t len, ds_apk_line_fn fn, void *arg);
/* The records with only the files keep() accepts (their R:, a:, Z: lines); with drop_empty
 * a record left with no file goes too (a package record has a P: line). */
char *ds_apk_filter(const char *text, size_t len, ds_pkgdb_keep_fn keep, void *arg, bool drop_empty,
                    size_t *out_len, size_t *n_kept, size_t *n_dropped);

/* Python RECORD ("path,hash,size" CSV; paths relative to the site directory SITE, or
 * absolute): one call per line, path normalized ("a/../b" -> "b"), NULL for a quoted path. */
void ds_python_record_each(const char *text, size_t len, const char *site, ds_pkgdb_line_fn fn, void *arg);
char *ds_python_record_filter(const char *text, size_t len, const char *site, ds_pkgdb_keep_fn keep, void *arg,
                              size_t *out_len, size_t *n_kept, size_t *n_dropped);

/* "a/b/../c" -> "/a/c", never above "/" (malloc'd). */
char *ds_path_normalize(const char *path);
#endif
