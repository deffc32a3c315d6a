/* The start of every JSON document distill writes (vocabulary in util/json_doc.h). */
#include "util/json_doc.h"

json_t *ds_json_doc(void) {
    json_t *o = json_object();
    json_object_set_new(o, DS_JK_SCHEMA, json_integer(DS_JSON_SCHEMA));
    return o;
}

json_t *ds_json_strv(char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}
