/* Inside the layer store (store.h): mounts, one layer's making, its manifest. */
#ifndef DS_STORE_STORE_INT_H
#define DS_STORE_STORE_INT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "image/image.h"
#include "store/store.h"
#include "util/err.h"

/* An overlay at target: lowers[0] is the topmost. upper and work NULL: read-only (overlayfs
 * needs two lowers then: give an empty directory as the last one). Stored layers are never
 * written: metacopy, redirect_dir and index are off. nodev: device nodes cannot be opened. Registered for detaching on ^C. */
int ds_store_overlay_mount(const char *target, const char *const *lowers, size_t n, const char *upper,
                           const char *work, bool nodev, ds_err *err);
void ds_store_overlay_umount(const char *target);

/* Open DIR (created with layers/, locks/, tmp/), take its lock (shared, or exclusive), and
 * remove what killed processes left in tmp/. Returns the lock fd. */
int ds_store_open_locked(const char *dir, bool exclusive, ds_err *err);

/* Layer i of img into the store as chain (its ChainID hex), made on top of the parents'
 * trees (parent_trees[0] the topmost). The DiffID is checked against want_diff_id. Reuses a
 * stored layer whose manifest still matches (all content re-hashed with verify), redoes one
 * that does not. */
int ds_store_layer_ensure(const char *dir, ds_image *img, size_t i, const char *chain_hex,
                          const char *want_diff_id, const char *const *parent_trees, size_t n_parents,
                          const ds_unpack_opts *uo, bool verify, ds_store_stats *st, ds_err *err);

/* The manifest of a layer tree: every path below tree with type, mode, size, mtime, owner,
 * and with hashes the sha256 of each regular file. */
int ds_store_manifest_make(const char *tree, bool hashes, json_t **out, ds_err *err);
/* 0 when tree still matches manifest (content re-hashed with verify), 1 when it does not
 * (why says what differs first), -1 on an error. */
int ds_store_manifest_check(const char *tree, json_t *manifest, bool verify, char *why, size_t why_len, ds_err *err);

#endif
