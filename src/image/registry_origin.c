/* Blob origins for cross-repository mounts: a small process-wide ring of
 * (endpoint, repo, digest) noted by registry sources after a verified download. */
#include <pthread.h>
#include <string.h>
#include "image/registry.h"

#define ORIGINS 256

typedef struct origin {
    char *endpoint, *repo;
    char digest[DS_DIGEST_LEN + 1];
} origin;

static origin ring[ORIGINS];
static size_t next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void ds_reg_note_origin(const char *endpoint, const char *repo, const char *digest) {
    if (!ds_digest_valid(digest)) return;
    pthread_mutex_lock(&lock);
    origin *o = &ring[next_slot++ % ORIGINS];
    free(o->endpoint);
    free(o->repo);
    o->endpoint = ds_xstrdup(endpoint);
    o->repo = ds_xstrdup(repo);
    memcpy(o->digest, digest, DS_DIGEST_LEN + 1);
    pthread_mutex_unlock(&lock);
}

char *ds_reg_find_origin(const char *endpoint, const char *digest, const char *not_repo) {
    char *out = NULL;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < ORIGINS && !out; i++) {
        origin *o = &ring[i];
        if (o->endpoint && !strcmp(o->digest, digest) && !strcmp(o->endpoint, endpoint) &&
            strcmp(o->repo, not_repo))
            out = ds_xstrdup(o->repo);
    }
    pthread_mutex_unlock(&lock);
    return out;
}
