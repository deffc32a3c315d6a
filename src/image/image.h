/* The image model shared by every command: a reference, a source that yields a
 * verified manifest/config/layers, and a destination that stores them atomically.
 *
 * Transports (skopeo spelling):
 *   oci:PATH[:REF|@sha256:...]     OCI image layout (REF = org.opencontainers.image.ref.name;
 *                                  a digest names a manifest of index.json, tagged or not)
 *   oci-archive:PATH[:REF|@sha256:...] a tar of an OCI image layout
 *   docker-archive:PATH[:REPO:TAG] what `docker save` / `podman save` write
 *   docker://HOST[:PORT]/REPO[:TAG|@sha256:...]   an OCI registry (distribution API)
 *   rootfs:DIR                     a plain directory tree: read as one layer, written unpacked
 *   docker-daemon:NAME[:TAG] | docker-daemon:sha256:ID   a Docker Engine (its API on a unix socket)
 *   containers-storage:[[STORAGE]]NAME[:TAG|@DIGEST]     podman's local store, through podman
 *
 * Every blob handed out by a source has been checked against its digest and size. */
#ifndef DS_IMAGE_IMAGE_H
#define DS_IMAGE_IMAGE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "fs/unpack.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/media_types.h"

typedef enum {
    DS_T_OCI = 1,
    DS_T_OCI_ARCHIVE,
    DS_T_DOCKER_ARCHIVE,
    DS_T_DOCKER,
    DS_T_ROOTFS,
    DS_T_DOCKER_DAEMON,
    DS_T_CONTAINERS_STORAGE,
} ds_transport;

typedef struct ds_ref {
    ds_transport transport;
    char *path;   /* oci, oci-archive, docker-archive, rootfs */
    char *tag;    /* oci ref name; docker-archive tag; registry tag (NULL when by digest) */
    char *host;   /* registry "host[:port]" */
    char *repo;   /* registry repository "library/nginx"; docker-archive "[host/]repo" */
    char *digest; /* registry, oci and oci-archive "@sha256:..." pin, or NULL */
    /* docker-daemon / containers-storage (ref_engine.c): repo = the image name as written
     * ("app", "localhost:5000/x/app"), tag (default "latest"), digest = an image ID
     * ("sha256:...", repo NULL) or for containers-storage a NAME@sha256: pin; host = the
     * containers-storage STORAGE spec inside [...], or NULL. */
} ds_ref;

/* Parsed once, checked against distribution/reference's grammar (image/ref_grammar.h);
 * code below gets a valid ds_ref and does not check names again. */
int ds_ref_parse(const char *text, ds_ref *out, ds_err *err);
void ds_ref_free(ds_ref *ref);
char *ds_ref_format(const ds_ref *ref); /* back to text, malloc'd */
/* docker-archive's "repo:tag" (RepoTags spelling), malloc'd; NULL when the ref names none. */
char *ds_ref_docker_name(const ds_ref *ref);
/* Before writing dst_text from src: -1 when it names the source itself (same path,
 * or for oci: the same layout and ref) or a place inside a source directory (writing
 * there would change the image being read), or when its parent directory is missing. */
int ds_dest_check(const ds_ref *src, const char *dst_text, ds_err *err);

/* Options that apply to transports, set from the CLI (skopeo/podman names). */
typedef struct ds_opts {
    const char *platform;     /* "os/arch[/variant]"; NULL = this machine */
    bool src_tls_verify;      /* default true; false allows plain HTTP */
    bool dest_tls_verify;
    const char *authfile;     /* NULL = the usual places ($REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json) */
    const char *src_creds;    /* "user:password" or NULL */
    const char *dest_creds;
    const char *compress;     /* "gzip" | "zstd" | "none" | NULL (keep what the source has) */
    const char *tmpdir;       /* scratch space; NULL = $TMPDIR or /var/tmp */
    /* The layer store (store/store.h): used by commands that set use_store (the CLI's
     * --store flags), at store_dir or the default; no_store (--no-store) bypasses it. */
    bool use_store, no_store, verify_store;
    const char *store_dir;
} ds_opts;
void ds_opts_init(ds_opts *o);

typedef struct ds_desc {
    char *media_type;
    char digest[DS_DIGEST_LEN + 1];
    int64_t size;
    json_t *annotations; /* borrowed/owned by the image's JSON, may be NULL */
} ds_desc;

typedef struct ds_source ds_source;

typedef struct ds_image {
    ds_ref ref;
    ds_source *src;
    /* The manifest actually used (after an index picked the platform). */
    char *manifest_raw;
    size_t manifest_len;
    char *manifest_media_type;
    char manifest_digest[DS_DIGEST_LEN + 1];
    json_t *manifest;
    /* Config blob. */
    ds_desc config_desc;
    char *config_raw;
    size_t config_len;
    json_t *config;
    /* Layers in order, as stored (media type says the compression). */
    size_t n_layers;
    ds_desc *layers;
    char *os, *arch, *variant; /* from the config */
    char index_digest[DS_DIGEST_LEN + 1]; /* the index the manifest was picked from; "" when none */
} ds_image;

/* Open an image for reading: parse the reference, fetch and verify the manifest
 * (choosing opts->platform from an index) and the config. */
int ds_image_open(const char *ref_text, const ds_opts *opts, ds_image **out, ds_err *err);
void ds_image_close(ds_image *img);

/* A local, verified file holding blob `d`. For an OCI layout this is the blob in
 * place; for other transports a temp file that *is_temp says to unlink when done. */
int ds_image_blob_path(ds_image *img, const ds_desc *d, char **path, bool *is_temp, ds_err *err);

/* Destination: blobs go in first, the manifest last; nothing is visible at the
 * destination until ds_dest_commit (temp + rename); ds_dest_abort leaves it as it was. */
typedef struct ds_dest ds_dest;
int ds_dest_open(const char *ref_text, const ds_opts *opts, ds_dest **out, ds_err *err);
int ds_dest_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err);
/* manifest_raw is written as is (its digest is the manifest digest). config is needed
 * by transports that store it outside blobs (docker-archive). */
int ds_dest_put_manifest(ds_dest *d, const char *manifest_raw, size_t len, const char *media_type, ds_err *err);
/* After put_manifest: the manifest digest a reader of the destination will report, the digest of
 * the raw bytes put except where the destination stores no manifest (docker-archive: the one its
 * reader rebuilds). What commands print, so it always equals what inspect says. */
void ds_dest_digest(const ds_dest *d, const char *raw, size_t len, char out[DS_DIGEST_LEN + 1]);
int ds_dest_commit(ds_dest *d, ds_err *err);
void ds_dest_abort(ds_dest *d);

/* Unpack every layer of img, in order, into root_dir (created if missing, must be empty),
 * each applied with ds_layer_apply (fs/unpack.h). */
int ds_image_unpack(ds_image *img, const char *root_dir, const ds_unpack_opts *opts, ds_err *err);

/* Copy SRC to DST (the `distill copy` job): blobs carried over, recompressed only
 * when opts->compress or the destination requires it. On success, out_digest (if
 * not NULL) gets the manifest digest written. */
int ds_image_copy(ds_image *src, const char *dst_ref, const ds_opts *opts, char out_digest[DS_DIGEST_LEN + 1], ds_err *err);

#endif
