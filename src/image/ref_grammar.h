/* The reference grammar of distribution/reference (what docker, podman and skopeo accept):
 *
 *   name             := [domain '/'] path
 *   domain           := host [':' port-number]
 *   host             := domain-name | '[' IPv6address ']'
 *   domain-name      := domain-component ['.' domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   port-number      := /[0-9]+/            (here also 1..65535)
 *   path             := path-component ['/' path-component]*
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *
 * A name is at most 255 characters, domain included. Checks on byte ranges,
 * used by ds_ref_parse (the one place references are validated). */
#ifndef DS_IMAGE_REF_GRAMMAR_H
#define DS_IMAGE_REF_GRAMMAR_H
#include <stdbool.h>
#include <stddef.h>

#define DS_REF_NAME_MAX 255
#define DS_REF_TAG_MAX 128

bool ds_ref_domain_valid(const char *s, size_t n);
bool ds_ref_path_valid(const char *s, size_t n);
bool ds_ref_tag_valid(const char *s, size_t n);
/* The length of NAME's leading domain ("host[:port]" before the first '/'), or 0 when the
 * first component does not look like a host (distribution's rule: it has a '.' or a ':',
 * is "localhost", or starts with '['). */
size_t ds_ref_domain_len(const char *name);

#endif
