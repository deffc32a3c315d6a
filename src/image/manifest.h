/* Parsing of manifests, indexes and configs from bytes (untrusted: fuzzed in
 * tests/fuzz/fuzz_manifest.c). Internal to src/image, usable by other modules. */
#ifndef DS_IMAGE_MANIFEST_H
#define DS_IMAGE_MANIFEST_H
#include <jansson.h>
#include <stdbool.h>
#include "image/image.h"

#define DS_MAX_MANIFEST (4u << 20) /* larger manifests/configs are refused */
#define DS_ANN_REF_NAME "org.opencontainers.image.ref.name"

/* Parse JSON bytes as a manifest or index. The media type comes from the document's
 * mediaType field, else hint, else the shape ("manifests" = index). *is_index is set. */
int ds_manifest_load(const char *raw, size_t len, const char *hint, const char *what,
                     json_t **out, char **media_type, bool *is_index, ds_err *err);
bool ds_mt_is_index(const char *mt);

/* A descriptor from JSON: mediaType, digest (validated), size >= 0. annotations is
 * borrowed from j. */
int ds_desc_parse(json_t *j, ds_desc *out, const char *what, ds_err *err);
void ds_desc_free(ds_desc *d);
void ds_desc_copy(ds_desc *dst, const ds_desc *src); /* media type duplicated; annotations borrowed */

/* Config descriptor and layers of an image manifest. */
int ds_manifest_parse(json_t *m, const char *what, ds_desc *config, ds_desc **layers, size_t *n_layers, ds_err *err);

/* This machine's platform ("linux/amd64", "linux/arm64/v8", ...). */
void ds_platform_host(char *buf, size_t n);
/* OS/ARCH[/VARIANT] with non-empty lowercase parts (what --platform accepts). */
bool ds_platform_valid(const char *platform);
/* The image platform os/arch/variant is `platform` (OS/ARCH[/VARIANT]; a variant only compared when
 * `platform` names one; arm64 and arm64/v8 are one). */
bool ds_platform_matches(const char *platform, const char *os, const char *arch, const char *variant);
/* Pick platform ("os/arch[/variant]", NULL = this machine) from an index. The error
 * lists the platforms it has. */
int ds_index_pick(json_t *index, const char *platform, const char *what, ds_desc *out, ds_err *err);

/* Config JSON: must be an object; os/architecture/variant extracted (malloc'd, may be NULL). */
int ds_config_load(const char *raw, size_t len, const char *what, json_t **out,
                   char **os, char **arch, char **variant, ds_err *err);

/* Compression a layer media type says (or -1 when it is not a known layer type). */
int ds_mt_compression(const char *mt); /* returns ds_compress values */

#endif
