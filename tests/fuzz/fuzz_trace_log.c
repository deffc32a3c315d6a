/* libFuzzer target: the trace log loader must reject or accept any bytes without crashing or leaking;
 * and what it loaded, written again in the same representation (paths that are not UTF-8 as text
 * plus "_hex" bytes: util/path_json.h), must load back to the same bytes. The entry point analysis
 * (version 2's exec chain and epochs) must take any loaded log, and its view keep only what it had. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "build/entrypoint.h"
#include "util/path_json.h"
#include "trace/trace_log.h"

static void roundtrip(const ds_trace *t) {
    json_t *files = json_array(), *cmd = json_array();
    for (size_t i = 0; i < t->nfiles; i++)
        json_array_append_new(files, json_pack("{s:o, s:s, s:[], s:b}", "path", ds_json_bytes(t->files[i].path), "kind",
                                               ds_trace_kind_name(t->files[i].kind), "ops", "ok", t->files[i].ok));
    for (size_t i = 0; i < t->ncommand; i++) json_array_append_new(cmd, ds_json_bytes(t->command[i]));
    json_t *doc = json_pack("{s:i, s:o, s:o}", "version", 1, "files", files, "command", cmd);
    ds_json_export(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) __builtin_trap();
    ds_trace *u = NULL;
    ds_err err;
    if (ds_trace_parse(text, strlen(text), "again", &u, &err) != 0) __builtin_trap();
    free(text);
    if (u->nfiles != t->nfiles || u->ncommand != t->ncommand) __builtin_trap();
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(u->files[i].path, t->files[i].path)) __builtin_trap();
    for (size_t i = 0; i < t->ncommand; i++)
        if (strcmp(u->command[i], t->command[i])) __builtin_trap();
    ds_trace_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_trace *t = NULL;
    ds_err err;
    if (ds_trace_parse((const char *)data, size, "fuzz", &t, &err) == 0) {
        /* Walk what was loaded: every lookup must find its own entry. */
        for (size_t i = 0; i < t->nfiles; i++)
            if (ds_trace_find(t, t->files[i].path) != &t->files[i]) __builtin_trap();
        roundtrip(t);
        char *const vols[] = {"/var/lib/app"};
        ds_handover_input in = {.volumes = vols, .n_volumes = 1, .command = t->command, .n_command = t->ncommand};
        ds_handover h;
        ds_handover_analyze(t, NULL, &in, &h);
        if (h.flatten && !h.script) __builtin_trap();
        if (h.script) {
            ds_trace v;
            ds_handover_view(t, &h, &v);
            if (v.nfiles > t->nfiles || v.nexecs > t->nexecs) __builtin_trap();
            json_decref(ds_handover_json(&h, "auto", "x", NULL));
            ds_handover_view_free(&v);
        }
        ds_handover_free(&h);
        ds_trace_free(t);
    }
    return 0;
}
