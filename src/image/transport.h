/* Internal to src/image: what each transport implements. ds_image_open() and
 * ds_dest_open() (image.c) pick the transport from the reference and call these. */
#ifndef DS_IMAGE_TRANSPORT_H
#define DS_IMAGE_TRANSPORT_H
#include "image/image.h"

struct ds_source_ops {
    /* Manifest or index bytes exactly as stored. digest NULL = what the reference
     * names (its tag / ref name); else that digest, and the bytes are verified against it. */
    int (*get_manifest)(ds_source *s, const char *digest, char **raw, size_t *len,
                        char **media_type, ds_err *err);
    /* A local file holding the blob, verified against d->digest and d->size. */
    int (*blob_path)(ds_source *s, const ds_desc *d, char **path, bool *is_temp, ds_err *err);
    void (*close)(ds_source *s);
};

struct ds_source {
    const struct ds_source_ops *ops;
    const ds_ref *ref;   /* owned by the ds_image */
    ds_opts opts;        /* copied at open */
    void *priv;          /* the transport's own state */
};

/* ds_dest_commit() calls commit; when it fails, abort is called next. So commit frees
 * d->priv only on success; abort always frees it (and removes whatever was staged). */
typedef struct ds_dest_ops {
    int (*put_blob)(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err);
    int (*put_manifest)(ds_dest *d, const char *raw, size_t len, const char *media_type, ds_err *err);
    int (*commit)(ds_dest *d, ds_err *err);
    void (*abort)(ds_dest *d);
} ds_dest_ops;

struct ds_dest {
    const ds_dest_ops *ops;
    ds_ref ref;
    ds_opts opts;
    void *priv;
    /* Set by put_manifest when a reader of the destination will see another manifest than the
     * bytes given (docker-archive stores none: its reader rebuilds one); "" otherwise. */
    char written_digest[DS_DIGEST_LEN + 1];
};

/* One pair per transport (oci.c, oci_archive.c, docker_archive.c, registry.c, rootfs.c). */
int ds_oci_source_open(ds_source *s, ds_err *err);
int ds_oci_dest_open(ds_dest *d, ds_err *err);
int ds_oci_archive_source_open(ds_source *s, ds_err *err);
int ds_oci_archive_dest_open(ds_dest *d, ds_err *err);
int ds_docker_archive_source_open(ds_source *s, ds_err *err);
int ds_docker_archive_dest_open(ds_dest *d, ds_err *err);
int ds_registry_source_open(ds_source *s, ds_err *err);
int ds_registry_dest_open(ds_dest *d, ds_err *err);
int ds_rootfs_source_open(ds_source *s, ds_err *err);
int ds_rootfs_dest_open(ds_dest *d, ds_err *err);
int ds_docker_daemon_source_open(ds_source *s, ds_err *err);
int ds_docker_daemon_dest_open(ds_dest *d, ds_err *err);
int ds_cstorage_source_open(ds_source *s, ds_err *err);
int ds_cstorage_dest_open(ds_dest *d, ds_err *err);

/* docker_archive.c on a stream, for the engines (docker-daemon:, containers-storage:):
 * read a docker-archive from fd once (layers extracted and hashed on the way, as from a
 * file; the archive must hold one image), or write one to fd (a socket: MSG_NOSIGNAL),
 * RepoTags from d->ref.tag, gzip layers passed as they are when pass_gzip. In stream mode
 * commit writes manifest.json and the end of the archive; the caller closes fd. */
int ds_docker_archive_source_open_fd(ds_source *s, int fd, ds_err *err);
/* For the engines, which read a docker-archive stream: the config digest of the manifest the
 * reader synthesised, and a reader's message without its leading "WHAT: ". */
int ds_docker_archive_config_digest(ds_source *s, char out[DS_DIGEST_LEN + 1], ds_err *err);
const char *ds_docker_archive_msg_tail(const ds_err *err, const char *what);
/* A docker-archive reference for the stream an engine loads: NAME[:TAG] ("localhost/app:src")
 * as repo and tag, which the writer joins into RepoTags. */
void ds_docker_archive_ref_named(ds_ref *r, const char *name);
int ds_docker_archive_dest_open_fd(ds_dest *d, int fd, bool pass_gzip, const char *what, ds_err *err);

/* rootfs_platform.c: the platform of a tree ("os/arch[/variant]" into out): flag (--platform) when
 * given, else that of its ELF programs, else this machine's; -1 when the programs contradict flag. */
int ds_rootfs_platform(const char *tree, const char *name, const char *flag, char *out, size_t n, ds_err *err);

#endif
