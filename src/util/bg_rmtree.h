/* A directory tree removed on a low-priority thread (nice 19) while the caller goes on: a build's
 * candidate tree that a retry replaced goes while the next one is verified, instead of
 * before. */
#ifndef DS_UTIL_BG_RMTREE_H
#define DS_UTIL_BG_RMTREE_H

typedef struct ds_bg_rmtree ds_bg_rmtree;
/* Starts removing path (copied; NULL: nothing). When no thread can start, removes it here
 * and returns NULL. Errors are ignored, as for any leftover of a work dir. */
ds_bg_rmtree *ds_bg_rmtree_start(const char *path);
/* Waits until the tree is gone, and frees r (NULL: nothing). */
void ds_bg_rmtree_join(ds_bg_rmtree *r);

#endif
