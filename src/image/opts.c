#include <string.h>
#include "image/image.h"

void ds_opts_init(ds_opts *o) {
    memset(o, 0, sizeof *o);
    o->src_tls_verify = true;
    o->dest_tls_verify = true;
}
