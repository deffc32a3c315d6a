/* libFuzzer: policy files (YAML through libyaml into JSON, or JSON). */
#include <stdint.h>
#include "scan/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *pol = NULL;
    ds_err e;
    if (ds_policy_parse((const char *)data, size, "fuzz.yaml", &pol, &e) == 0) json_decref(pol);
    return 0;
}
