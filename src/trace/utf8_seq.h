/* Moved to util/ (the text escaper in util/ needs it too): this forward keeps branches
 * written against the old place building. */
#include "util/utf8_seq.h"
