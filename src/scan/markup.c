/* Markup escaping shared by the JUnit and HTML reports (markup.h). */
#include "scan/markup.h"

void ds_markup_put(FILE *f, const char *s, const char *apos, const char *ctrl) {
    if (!s) return;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs(apos, f); break;
        default:
            if (c < 0x20 && c != '\n' && c != '\t') fputs(ctrl, f);
            else fputc(c, f);
        }
    }
}
