/* Text escaped for XML and HTML output (the JUnit report and the HTML report). */
#ifndef DS_SCAN_MARKUP_H
#define DS_SCAN_MARKUP_H
#include <stdio.h>

/* Writes S with < > & " escaped as entities, ' as APOS and each control byte other than \n and \t
 * (not allowed in XML 1.0) as CTRL. JUnit XML wants "&apos;" and "?", HTML "&#39;" and "&#xFFFD;".
 * A NULL S writes nothing. */
void ds_markup_put(FILE *f, const char *s, const char *apos, const char *ctrl);

#endif
