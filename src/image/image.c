/* Image open/copy and transport dispatch — placeholder until image I/O lands (issue 2). */
#include "image/image.h"
#include "image/transport.h"

int ds_ref_parse(const char *text, ds_ref *out, ds_err *err) { (void)out; return ds_fail(err, "%s: image references are not implemented yet", text); }
void ds_ref_free(ds_ref *ref) { (void)ref; }
char *ds_ref_format(const ds_ref *ref) { (void)ref; return ds_xstrdup(""); }
int ds_image_open(const char *ref_text, const ds_opts *opts, ds_image **out, ds_err *err) { (void)opts; (void)out; return ds_fail(err, "%s: image reading is not implemented yet", ref_text); }
void ds_image_close(ds_image *img) { (void)img; }
int ds_image_blob_path(ds_image *img, const ds_desc *d, char **path, bool *is_temp, ds_err *err) { (void)img; (void)d; (void)path; (void)is_temp; return ds_fail(err, "not implemented yet"); }
int ds_dest_open(const char *ref_text, const ds_opts *opts, ds_dest **out, ds_err *err) { (void)opts; (void)out; return ds_fail(err, "%s: image writing is not implemented yet", ref_text); }
int ds_dest_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) { (void)d; (void)desc; (void)path; return ds_fail(err, "not implemented yet"); }
int ds_dest_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) { (void)d; (void)raw; (void)len; (void)mt; return ds_fail(err, "not implemented yet"); }
int ds_dest_commit(ds_dest *d, ds_err *err) { (void)d; return ds_fail(err, "not implemented yet"); }
void ds_dest_abort(ds_dest *d) { (void)d; }
int ds_image_copy(ds_image *src, const char *dst_ref, const ds_opts *opts, char out_digest[DS_DIGEST_LEN + 1], ds_err *err) { (void)src; (void)opts; (void)out_digest; return ds_fail(err, "%s: copy is not implemented yet", dst_ref); }
