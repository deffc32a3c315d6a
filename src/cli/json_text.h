/* JSON strings from bytes that need not be UTF-8 (file names, tar entry names,
 * DT_NEEDED strings of a hostile ELF): jansson refuses those (json_string gives
 * NULL and the field silently vanishes), so invalid bytes are written as the
 * text \xNN instead. */
#ifndef DS_CLI_JSON_TEXT_H
#define DS_CLI_JSON_TEXT_H
#include <jansson.h>

/* A malloc'd copy of s, valid UTF-8, invalid bytes spelled \xNN. */
char *cli_utf8_text(const char *s);
/* A JSON string of s (json null when s is NULL); never NULL. */
json_t *cli_json_text(const char *s);
/* json_object_set_new with a key that need not be UTF-8. */
void cli_json_set_text_key(json_t *obj, const char *key, json_t *value);

/* For text output: control bytes (newlines, terminal escapes from a hostile tar entry
 * or DT_NEEDED string) written as \xNN, so one item stays one line. malloc'd. */
char *cli_safe_text(const char *s);

#endif
