/* Opening a layer blob as a stream of tar entries (libarchive), with the
 * decompressor chosen from the media type or, without one, from the magic bytes. */
#ifndef DS_FS_LAYER_READER_H
#define DS_FS_LAYER_READER_H
#include <archive.h>
#include "util/err.h"

int ds_layer_reader_open(const char *blob_path, const char *media_type, struct archive **out, ds_err *err);

/* A plain (uncompressed) tar already in memory: buf (malloc'd) is owned by the archive from
 * here on, freed when it closes (also on failure). name is for errors. */
int ds_layer_reader_open_mem(unsigned char *buf, size_t len, const char *name, struct archive **out, ds_err *err);

/* The next entry of a layer opened above: 1 with *e set, 0 at the end, -1 on a damaged tar (the
 * error names blob_path). libarchive warnings are not errors: the entry is returned. */
int ds_layer_next(struct archive *a, const char *blob_path, struct archive_entry **e, ds_err *err);

/* Entry names made safe: leading "/" and "./" dropped, "." and empty components
 * removed; a ".." component is refused (returns -1). out gets "" for the root. */
int ds_clean_tar_path(const char *name, char **out);

/* An entry name as it may appear in a one-line error: control bytes (a newline, a
 * terminal escape) written as \xNN, cut to 300 bytes with "...". malloc'd. */
char *ds_entry_text(const char *name);

#endif
