/* The layer store: every layer of every image unpacked once, shared by every command.
 *
 * Layout of a store DIR (--store DIR, $DISTILL_STORE, else $XDG_CACHE_HOME/distill, or
 * /var/cache/distill as root):
 *   DIR/lock                 flock: shared while a command uses the store, exclusive for prune
 *   DIR/locks/<hex>.lock     flock: held while that layer is being made
 *   DIR/layers/<hex>/tree/   the layer's own files, in overlayfs' lower-dir form: a whiteout is
 *                            a 0:0 character device, an opaque directory has
 *                            trusted.overlay.opaque=y
 *   DIR/layers/<hex>/manifest.json  diff_id, chain_id, every path with type, mode, size,
 *                            mtime, owner (and the sha256 of each regular file)
 *   DIR/layers/<hex>/used    its mtime is when the layer was last used
 *   DIR/tmp/                 layers being made (renamed into layers/ when whole; what a
 *                            killed process left is removed by the next one)
 * <hex> is the layer's ChainID (sha256 of the parent's ChainID, " " and the layer's DiffID;
 * the first layer's is its DiffID), not its DiffID alone: a layer is applied on top of its
 * parents (a path through a parent's symlink resolves in the parents' tree, a whiteout hides
 * a parent's file), so its unpacked form depends on them, as in containerd's snapshots.
 * Two images sharing base layers share those ChainIDs. Each DiffID is checked while the layer
 * is unpacked (the sha256 of the uncompressed tar against the config's rootfs.diff_ids): on a
 * mismatch nothing is stored.
 *
 * A layer is made by applying its tar (fs/unpack.c, the same safe applier as without the
 * store) to an overlay of its parents with a fresh upper dir, which then becomes the layer's
 * tree; an image's tree is an overlay of its stored layers (read-only, or with a private upper
 * dir when the command writes to it). Where the overlay cannot be mounted (no overlayfs,
 * EPERM in a container, or DISTILL_STORE_NO_OVERLAY=1), the image's tree is the stored layers
 * flattened instead (store_flatten.c): hard links to the stored files for a read-only tree, a
 * copy (reflinks where the filesystem can) for a writable one. Making a layer with parents
 * needs the overlay: without it (or without root, or with --no-store) commands unpack into a
 * private tree as before. `copy SRC rootfs:DIR` materialises DIR from the stored layers
 * (ds_store_copy_rootfs, always a copy: DIR is the user's to edit). */
#ifndef DS_STORE_STORE_H
#define DS_STORE_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "image/image.h"
#include "util/err.h"

typedef struct ds_store_stats {
    size_t layers_unpacked; /* made now (a tampered layer redone counts here too) */
    size_t layers_reused;   /* found in the store, manifest checked */
    size_t layers_redone;   /* found but changed behind our back: made again */
    bool used;              /* false: the store was not used (--no-store, not root, ...) */
    bool flattened;         /* the tree is the stored layers flattened (no overlay could be mounted) */
    char why_not[160];      /* when !used and a store was asked for: why */
} ds_store_stats;

/* The store directory a command uses: opts->store_dir, else $DISTILL_STORE, else
 * $XDG_CACHE_HOME/distill ($HOME/.cache/distill), or /var/cache/distill as root. NULL when
 * opts->use_store is false or opts->no_store is set (malloc'd otherwise). */
char *ds_store_dir_for(const ds_opts *opts);

/* An image's tree made from the store. */
typedef struct ds_store_view {
    char *mount;   /* the overlay mount point (== the tree), NULL when not mounted */
    int lock_fd;   /* the store's shared lock while mounted, else -1 */
    /* The stored layers' trees under the mount, top first (NULL-terminated; NULL when not
     * mounted). Read-only for everyone: the stored files never change. */
    char **layers;
    size_t n_layers;
} ds_store_view;
#define DS_STORE_VIEW_INIT {NULL, -1, NULL, 0}

/* The tree of img at root_dir (created, must be empty): through the store when opts asks for
 * one (ds_store_dir_for) and overlayfs can be used, else ds_image_unpack into root_dir. With
 * writable, the tree takes writes into a private upper dir below work_dir (which must exist,
 * on the same filesystem as nothing in particular); without, the tree is read-only. The stored
 * files never change. Release the view (ds_store_view_release) before removing root_dir. */
int ds_store_unpack(const ds_opts *opts, ds_image *img, const char *root_dir, const char *work_dir, bool writable,
                    const ds_unpack_opts *uo, ds_store_stats *st, ds_store_view *view, ds_err *err);
/* Unmount the tree (if mounted) and drop the store's lock. Safe on an unused view. */
void ds_store_view_release(ds_store_view *v);
/* img to rootfs:DIR (dst_ref) through the store: its layers found or made in the store, then
 * DIR made from them as an independent copy (reflinks where the filesystem can: editing DIR
 * never changes the store), in a temp sibling renamed into place. out_digest as
 * ds_image_copy gives it. 1: not for the store (dst_ref is not rootfs:, --compress given,
 * the store is off or cannot be used: st->why_not): the caller copies with ds_image_copy. */
int ds_store_copy_rootfs(ds_image *img, const char *dst_ref, const ds_opts *opts, char out_digest[DS_DIGEST_LEN + 1],
                         ds_store_stats *st, ds_err *err);
/* {"used": bool, "flattened": bool, "layers_unpacked": n, "layers_reused": n, "layers_redone": n[, "why_not": s]} */
json_t *ds_store_stats_json(const ds_store_stats *st);

/* What is in a store: one entry per layer. */
typedef struct ds_store_entry {
    char chain_id[72], diff_id[72];
    uint64_t size;       /* bytes of the layer's files (regular files' sizes) */
    uint64_t disk;       /* bytes on disk (blocks) */
    int64_t last_used;   /* unix seconds */
    int64_t last_used_ns; /* the same in nanoseconds (the order of prune) */
    size_t files;
} ds_store_entry;
int ds_store_list(const char *dir, ds_store_entry **out, size_t *n, ds_err *err);
/* Remove the least recently used layers until the store holds at most max_bytes (on disk);
 * removed/kept get counts and freed bytes. Waits for commands using the store to finish. */
int ds_store_prune(const char *dir, uint64_t max_bytes, size_t *removed, uint64_t *freed, ds_err *err);

#endif
