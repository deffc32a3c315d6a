/* Helpers shared by the files of src/scan only. */
#ifndef DS_SCAN_INTERNAL_H
#define DS_SCAN_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include "scan/scan.h"

/* ELF peeking (never executes): is_elf, and the PT_INTERP string (malloc'd or NULL).
 * Returns -1 when the file cannot be read. */
int ds_elf_peek(const char *host_path, bool *is_elf, char **interp);
/* Bytes of the section NAME (malloc'd); -1 when absent or not ELF, -2 when the file has no section headers. */
int ds_elf_section(const char *host_path, const char *name, unsigned char **data, size_t *len);

/* Last path component (points into path). */
const char *ds_base(const char *path);
/* Trimmed copy of [s, s+n). */
char *ds_trim_dup(const char *s, size_t n);
#endif
