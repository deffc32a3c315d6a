/* docker:// transport — placeholder until the registry client lands (issue 2). */
#include "image/transport.h"

int ds_registry_source_open(ds_source *s, ds_err *err) {
    (void)s;
    return ds_fail(err, "docker:// transport is not implemented yet");
}
int ds_registry_dest_open(ds_dest *d, ds_err *err) {
    (void)d;
    return ds_fail(err, "docker:// transport is not implemented yet");
}
