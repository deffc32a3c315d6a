/* The one vocabulary of distill's machine output (docs/json.md): every JSON document a command
 * prints or writes starts from ds_json_doc(), and the keys that several documents share are
 * spelled here once, so that inspect, layers, scan, harden, ldd and the build report cannot
 * drift apart again. Rules: byte counts are "size" or "*_size" (bytes, integers); ratios
 * (0..1) end in "_ratio", percentages (0..100) in "_percent"; a path that is not UTF-8 is
 * written as "key" (readable, lossy) plus "key_hex" (util/path_json.h). */
#ifndef DS_UTIL_JSON_DOC_H
#define DS_UTIL_JSON_DOC_H
#include <jansson.h>

/* The version of this vocabulary; raised when a key is renamed or changes meaning. */
#define DS_JSON_SCHEMA 1

#define DS_JK_SCHEMA "schema"           /* integer, DS_JSON_SCHEMA, in every document */
#define DS_JK_IMAGE "image"             /* the image reference as given on the command line */
#define DS_JK_SOURCE "source"           /* the SRC reference of a command that writes an image */
#define DS_JK_DESTINATION "destination" /* its DST reference */
#define DS_JK_DIGEST "digest"           /* the manifest digest of the image (or of the blob) described */
#define DS_JK_MEDIA_TYPE "media_type"
#define DS_JK_SIZE "size"               /* bytes */
#define DS_JK_PATH "path"               /* a path inside an image */
#define DS_JK_ERROR "error"             /* a one-line error message */

/* A new object holding only {"schema": DS_JSON_SCHEMA}: the start of every document. */
json_t *ds_json_doc(void);
/* A new JSON array of the n strings of v (an argv, an env list). */
json_t *ds_json_strv(char *const *v, size_t n);

#endif
