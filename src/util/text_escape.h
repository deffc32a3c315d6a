/* Text output of names that come from an image (tar entry names, config fields, package
 * names, DT_NEEDED strings): a hostile name must not reach the user's terminal as control
 * bytes (an ESC sequence can rewrite the screen, a newline forges a line of output). */
#ifndef DS_UTIL_TEXT_ESCAPE_H
#define DS_UTIL_TEXT_ESCAPE_H

/* A malloc'd copy of s (NULL gives "") that is safe to print: every byte below 0x20, DEL
 * (0x7f), each byte that is not part of valid UTF-8 and the UTF-8 forms of the C1 controls
 * (U+0080..U+009F: 0x9b is CSI on terminals that take 8-bit controls) are written as \xNN
 * (lowercase hex), so one item stays one line and no escape sequence survives. Anything else,
 * backslashes included, is kept as it is. */
char *ds_text_escape(const char *s);

#endif
