/* OCI and Docker media types: a leaf header (no includes), shared by image/ (manifests,
 * transports) and fs/ (the layer writer names what it writes). */
#ifndef DS_UTIL_MEDIA_TYPES_H
#define DS_UTIL_MEDIA_TYPES_H

#define DS_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DS_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DS_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define DS_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define DS_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define DS_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define DS_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DS_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DS_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define DS_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define DS_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DS_MT_DOCKER_LAYER_ZSTD "application/vnd.docker.image.rootfs.diff.tar.zstd"

#endif
