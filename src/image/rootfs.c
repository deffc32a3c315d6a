#include "image/transport.h"
int ds_rootfs_source_open(ds_source *s, ds_err *err) { (void)s; return ds_fail(err, "rootfs: not yet"); }
int ds_rootfs_dest_open(ds_dest *d, ds_err *err) { (void)d; return ds_fail(err, "rootfs: not yet"); }
