/* Search-path configuration files inside an image: glibc's /etc/ld.so.conf (with
 * `include` globs, as ldconfig reads it) and musl's /etc/ld-musl-ARCH.path. */
#ifndef DS_ELF_LDCONF_H
#define DS_ELF_LDCONF_H
#include <stddef.h>
#include "fs/root_path.h"
#include "util/strvec.h"

typedef ds_strvec ds_dirlist;

void ds_dirlist_add(ds_dirlist *l, const char *dir); /* skips duplicates */
void ds_dirlist_free(ds_dirlist *l);
/* Directories listed by /etc/ld.so.conf and its includes, in order. A missing file
 * gives an empty list; include cycles and deep nesting stop quietly. */
void ds_ldconf_read(ds_root *r, ds_dirlist *out);
/* musl: /etc/ld-musl-ARCH.path, or musl's built-in "/lib:/usr/local/lib:/usr/lib". */
void ds_musl_path_read(ds_root *r, const char *arch, ds_dirlist *out);

#endif
