/* distill list-tags (list_tags.c): the names an image location holds. */
#ifndef DS_IMAGE_LIST_TAGS_H
#define DS_IMAGE_LIST_TAGS_H
#include <jansson.h>
#include "image/image.h"

/* oci:DIR and oci-archive:PATH: the ref names in index.json; docker-archive:PATH: every RepoTags
 * entry; docker://HOST/REPO: the registry's tags (all pages). *out = {"Repository": R, "Tags": [...]}
 * (R: "HOST/REPO" for a registry, the reference text otherwise), in the order found, each once.
 * A reference naming one image (:REF, :TAG, @DIGEST) or a rootfs: is an error. */
int ds_list_tags(const char *ref_text, const ds_opts *opts, json_t **out, ds_err *err);

#endif
