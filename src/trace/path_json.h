/* Moved to util/ (scan and harden, which may not include trace/, write paths the same way):
 * this forward keeps branches written against the old place building. */
#include "util/path_json.h"
