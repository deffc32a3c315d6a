/* distill.yaml: the build recipe kept in a repository. Each key is a flag name:
 *   runtime: runc
 *   test: ["curl -f http://{LOCALHOST}:8080/"]
 *   keep-shell: true
 *   command: ["/usr/sbin/nginx", "-g", "daemon off;"]    # the part after `--`
 * `false` becomes --key=false. Flags on the command line come after these, so they win for
 * single values. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "build/build.h"

static void push(char ***argv, int *argc, char *s) {
    *argv = ds_xrealloc(*argv, (size_t)(*argc + 2) * sizeof **argv);
    (*argv)[(*argc)++] = s;
    (*argv)[*argc] = NULL;
}

int ds_project_file_args(const char *path, char ***argv, int *argc, ds_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return ds_fail_errno(err, "project file %s", path);
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    yaml_event_t ev;
    int depth = 0, r = 0;
    char *key = NULL;
    bool in_seq = false;
    char **cmd = NULL;
    int ncmd = 0;
    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&p, &ev)) {
            r = ds_fail(err, "project file %s: line %zu: %s", path, p.problem_mark.line + 1,
                        p.problem ? p.problem : "YAML error");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_MAPPING_START_EVENT:
            if (++depth > 1) r = ds_fail(err, "project file %s: nested mappings are not flags", path);
            break;
        case YAML_MAPPING_END_EVENT: depth--; break;
        case YAML_SEQUENCE_START_EVENT:
            if (!key) r = ds_fail(err, "project file %s: a list without a key", path);
            in_seq = true;
            break;
        case YAML_SEQUENCE_END_EVENT: in_seq = false; free(key); key = NULL; break;
        case YAML_SCALAR_EVENT: {
            const char *val = (const char *)ev.data.scalar.value;
            if (depth != 1) { r = ds_fail(err, "project file %s: expected a mapping of flags", path); break; }
            if (!key) { key = ds_xstrdup(val); break; }
            if (!strcmp(key, "command")) {
                cmd = ds_xrealloc(cmd, (size_t)(ncmd + 1) * sizeof *cmd);
                cmd[ncmd++] = ds_xstrdup(val);
            } else if (!in_seq && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!strcmp(val, "true") || !strcmp(val, "false") || !strcmp(val, "yes") || !strcmp(val, "no"))) {
                bool on = !strcmp(val, "true") || !strcmp(val, "yes");
                push(argv, argc, on ? ds_xasprintf("--%s", key) : ds_xasprintf("--%s=false", key));
            } else {
                push(argv, argc, ds_xasprintf("--%s", key));
                push(argv, argc, ds_xstrdup(val));
            }
            if (!in_seq) { free(key); key = NULL; }
            break;
        }
        default: break;
        }
        yaml_event_delete(&ev);
        if (r < 0) break;
    }
    free(key);
    yaml_parser_delete(&p);
    fclose(f);
    if (r == 0 && ncmd) {
        push(argv, argc, ds_xstrdup("--"));
        for (int i = 0; i < ncmd; i++) push(argv, argc, cmd[i]);
    } else {
        for (int i = 0; i < ncmd; i++) free(cmd[i]);
    }
    free(cmd);
    return r;
}
