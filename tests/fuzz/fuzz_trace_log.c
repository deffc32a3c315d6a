/* libFuzzer target: the trace log loader must reject or accept any bytes without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "trace/trace_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_trace *t = NULL;
    ds_err err;
    if (ds_trace_parse((const char *)data, size, "fuzz", &t, &err) == 0) {
        /* Walk what was loaded: every lookup must find its own entry. */
        for (size_t i = 0; i < t->nfiles; i++)
            if (ds_trace_find(t, t->files[i].path) != &t->files[i]) __builtin_trap();
        ds_trace_free(t);
    }
    return 0;
}
