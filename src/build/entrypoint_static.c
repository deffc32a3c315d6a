/* distill harden's question, without running anything: is the image's shell removable? The same
 * rules as the trace analysis (entrypoint_flatten.c), read from the config and the script's text:
 * a script entry point whose last word is `exec` of a program can be flattened by `distill build`
 * (which proves it with the tests); one that backgrounds and waits, writes into a declared volume
 * or builds the command from a variable cannot. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "build/entrypoint.h"
#include "fs/root_path.h"
#include "util/fsutil.h"

static bool has_word(const char *text, const char *word) {
    size_t l = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p += l) {
        bool start = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool end = !(isalnum((unsigned char)p[l]) || p[l] == '_');
        if (start && end) return true;
    }
    return false;
}

char *ds_entrypoint_static_verdict(const char *root, char *const *entrypoint, size_t n_entrypoint,
                                   char *const *cmd, size_t n_cmd, char *const *volumes, size_t n_volumes,
                                   bool *flattenable) {
    *flattenable = false;
    const char *first = n_entrypoint ? entrypoint[0] : n_cmd ? cmd[0] : NULL;
    if (!first) return ds_xstrdup("no entry point or command: nothing runs a shell");
    bool shell_c = ds_is_shell_program(first) && ((n_entrypoint > 1 && !strcmp(entrypoint[1], "-c")) ||
                                                  (!n_entrypoint && n_cmd > 1 && !strcmp(cmd[1], "-c")));
    const char *script = first;
    if (ds_is_shell_program(first) && !shell_c) script = n_entrypoint > 1 ? entrypoint[1] : n_cmd > 1 ? cmd[1] : first;
    ds_root r;
    char *text = NULL;
    size_t len = 0;
    if (!shell_c && ds_root_open(&r, root, &(ds_err){0}) == 0) {
        const ds_rpath_res *res = ds_root_lookup(&r, script[0] == '/' ? script : "/");
        if (script[0] != '/') {
            /* A bare name: the usual PATH directories. */
            static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
            for (size_t i = 0; i < 6 && !text; i++) {
                char *p = ds_xasprintf("%s/%s", dirs[i], script);
                if (ds_root_read_file(&r, p, 1u << 20, &text, &len, &(ds_err){0}) != 1) text = NULL;
                free(p);
            }
        } else if (res->exists && ds_root_read_file(&r, res->real, 1u << 20, &text, &len, &(ds_err){0}) != 1) {
            text = NULL;
        }
        ds_root_close(&r);
    }
    if (shell_c)
        return ds_xasprintf("the entry point is a shell command line (%s -c): the shell is needed unless it is "
                            "rewritten as a plain command", first);
    if (!text || len < 2 || text[0] != '#' || text[1] != '!') {
        free(text);
        if (ds_is_shell_program(first)) return ds_xasprintf("the entry point runs %s: the shell is needed", first);
        return ds_xasprintf("the entry point %s is not a script: the shell is removable (nothing in the config runs it)",
                            script);
    }
    char *verdict = NULL;
    for (size_t v = 0; v < n_volumes && !verdict; v++)
        if (strstr(text, volumes[v]))
            verdict = ds_xasprintf("the entry point script %s names the declared volume %s (first-start "
                                   "initialisation?): its shell is likely needed at run time", script, volumes[v]);
    if (!verdict && (has_word(text, "wait") || has_word(text, "trap")))
        verdict = ds_xasprintf("the entry point script %s waits for or traps its children (it stays the parent of "
                               "the server): its shell is needed", script);
    if (!verdict && has_word(text, "exec")) {
        *flattenable = true;
        verdict = ds_xasprintf("the entry point script %s ends by exec'ing its command: the shell is removable with "
                               "`distill build --entrypoint auto` (which bakes what the script writes and proves it "
                               "with the tests)", script);
    }
    if (!verdict)
        verdict = ds_xasprintf("the entry point script %s does not exec its command: its shell is needed", script);
    free(text);
    return verdict;
}
