/* `distill harden` on images: unpack SRC, apply the rules, write DST as SRC plus one
 * layer holding what changed (whiteouts for what was removed), or as one squashed layer. */
#ifndef DS_HARDEN_IMAGE_H
#define DS_HARDEN_IMAGE_H
#include <stdbool.h>
#include "harden/harden.h"
#include "image/image.h"

typedef struct ds_harden_image_result {
    char manifest_digest[DS_DIGEST_LEN + 1]; /* of DST's manifest ("" for a dry run) */
    char layer_digest[DS_DIGEST_LEN + 1];    /* the new layer blob */
    int64_t layer_size;
    size_t n_layers;                         /* layers in DST */
} ds_harden_image_result;

/* o->config is set from SRC here (the caller leaves it NULL). With o->dry_run nothing is
 * written: the report says what would change. */
int ds_harden_image(const char *src_ref, const char *dst_ref, ds_harden_opts *o, const ds_opts *topts, bool squash,
                    ds_harden_report *rep, ds_harden_image_result *res, ds_err *err);

#endif
