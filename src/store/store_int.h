/* Inside the layer store (store.h): mounts, one layer's making, its manifest. */
#ifndef DS_STORE_STORE_INT_H
#define DS_STORE_STORE_INT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "image/image.h"
#include "store/store.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/strmap.h"

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

/* A file's hash taken while the unpacker wrote it (fs/unpack.h on_file), keyed by its inode
 * number in decimal; used for a file whose inode, size and ctime still match and which has one
 * link (anything else, e.g. a file copied up by a hard link entry, is read again). */
typedef struct ds_store_known {
    char sha256[DS_DIGEST_LEN + 1];
    off_t size;
    struct timespec ctime;
} ds_store_known;
void ds_store_known_add(ds_strmap *known, int fd, const char *sha256);

/* The manifest of a layer tree: every path below tree with type, mode, size, mtime, owner,
 * and with hashes the sha256 of each regular file (from known where it matches, else read;
 * known may be NULL). */
int ds_store_manifest_make(const char *tree, bool hashes, const ds_strmap *known, json_t **out, ds_err *err);
/* 0 when tree still matches manifest (content re-hashed with verify), 1 when it does not
 * (why says what differs first), -1 on an error. */
int ds_store_manifest_check(const char *tree, json_t *manifest, bool verify, char *why, size_t why_len, ds_err *err);

/* The layer trees (trees[0] the topmost) flattened into dst (an existing empty directory) as an
 * overlay of them would show: DS_FLAT_LINK hard-links the stored files (for a tree nobody
 * writes: a write would change the store), DS_FLAT_COPY copies them (a reflink where the
 * filesystem can). Device nodes only with devices (and root). Errors name the entry. */
typedef enum { DS_FLAT_LINK, DS_FLAT_COPY } ds_flat_mode;
int ds_store_flatten(const char *const *trees, size_t n, const char *dst, ds_flat_mode mode, bool devices, ds_err *err);

/* 1 (with st->why_not) when img cannot go through the store with these unpack options (not
 * root, options other than the store's, no valid diff_id for every layer), else 0. */
int ds_store_usable(ds_image *img, const ds_unpack_opts *uo, ds_store_stats *st);

/* Every layer of img found or made in the store at dir (whose shared lock the caller holds):
 * *trees gets their tree dirs, the topmost first (n of them, malloc'd). 1: the store cannot
 * be used for this image (st->why_not says why; the caller unpacks without it). */
int ds_store_layers_ready(const char *dir, const ds_opts *opts, ds_image *img, ds_store_stats *st, char ***trees,
                          ds_err *err);

#endif
