/* References of the two engine transports (ref_engine.c), kept apart from ref.c:
 *   docker-daemon:NAME[:TAG]  docker-daemon:sha256:ID
 *   containers-storage:[[STORAGE]]NAME[:TAG][@sha256:DIGEST]  containers-storage:[[STORAGE]]sha256:ID
 * STORAGE is skopeo's [DRIVER@]ROOT[+RUNROOT][:OPTION,...] with ROOT and RUNROOT absolute. */
#ifndef DS_IMAGE_REF_ENGINE_H
#define DS_IMAGE_REF_ENGINE_H
#include "image/image.h"

/* 1 when text names neither transport (out untouched), 0 parsed, -1 bad (err set). */
int ds_ref_parse_engine(const char *text, ds_ref *out, ds_err *err);
/* Back to text for those two transports; NULL for any other. */
char *ds_ref_format_engine(const ds_ref *ref);
/* The name the engine is asked for: "NAME:TAG", "NAME@DIGEST" or the "sha256:ID"; malloc'd. */
char *ds_ref_engine_name(const ds_ref *ref);

typedef struct ds_storage_spec {
    char *driver, *root, *runroot; /* NULL when not given */
    char **options;                /* NULL-terminated, may be empty */
} ds_storage_spec;
int ds_storage_spec_parse(const char *spec, const char *what, ds_storage_spec *out, ds_err *err);
void ds_storage_spec_free(ds_storage_spec *s);

#endif
