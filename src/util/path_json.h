/* File names in JSON. Linux paths are bytes, JSON strings are UTF-8 (jansson refuses anything
 * else: json_string gives NULL and the value silently vanishes). The representation used by the
 * trace log and by every JSON distill writes about paths (docs/trace.md, "Paths that are not
 * UTF-8"):
 *   - a valid UTF-8 path is written as it is, nothing else;
 *   - otherwise "key" holds a readable lossy form (each invalid byte is U+FFFD) and "key_hex" the
 *     exact bytes in hex, e.g. {"path":"/d/caf\ufffd","path_hex":"2f642f636166e9"};
 *   - an array of paths or arguments gets a parallel "key_hex" array (same length, null for the
 *     elements that are valid UTF-8) when at least one element is not.
 * A NUL cannot occur in a path, so 00 is refused when decoding. */
#ifndef DS_UTIL_PATH_JSON_H
#define DS_UTIL_PATH_JSON_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "util/utf8_seq.h" /* ds_utf8_valid */

/* malloc'd copy of s with each byte that is not part of valid UTF-8 replaced by U+FFFD. */
char *ds_utf8_lossy(const char *s);
/* Same with repl (any string) in place of each such byte. */
char *ds_utf8_replace(const char *s, const char *repl);
/* malloc'd lowercase hex of the bytes of s. */
char *ds_hex_of(const char *s);
/* Decode len hex digits (either case) into a malloc'd C string; NULL with *why set when the
 * length is odd, a digit is not hex, or a byte is 00. */
char *ds_hex_decode(const char *hex, size_t len, const char **why);

/* A JSON string holding the exact bytes of s, UTF-8 or not (jansson's unchecked string). It
 * must go through ds_json_export before json_dump*, which would fail on invalid UTF-8. */
json_t *ds_json_bytes(const char *s);
/* A JSON string of the lossy form of s (for messages, not for paths). */
json_t *ds_json_lossy(const char *s);
/* Rewrite, in place and recursively, every string value that is not valid UTF-8 into the
 * representation above: object members get the lossy form plus a "<key>_hex" member, arrays of
 * strings that are members of an object get a parallel "<key>_hex" array; any other such
 * string (nested arrays, top level) gets the lossy form only. */
void ds_json_export(json_t *v);

#endif
