/* distill list-tags IMAGE: the tags of a layout, an archive or a registry repository, as skopeo
 * list-tags prints them. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "image/list_tags.h"

static const char usage[] =
    "Usage: distill list-tags [OPTIONS] LOCATION\n\n"
    "Print the tags (image names) LOCATION holds as JSON, as skopeo list-tags does:\n"
    "{\"Repository\": ..., \"Tags\": [...]}. Nothing is extracted or pulled.\n\n"
    "  oci:DIR                    the ref names in the layout's index.json\n"
    "  oci-archive:PATH           the same, read from the tar\n"
    "  docker-archive:PATH        every RepoTags entry of manifest.json\n"
    "  docker://HOST[:PORT]/REPO  the registry's tag list (every page)\n\n"
    "Options:\n"
    "  --tls-verify=BOOL         require HTTPS and verify certificates (default true; also --src-tls-verify)\n"
    "  --authfile PATH           registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n"
    "  --creds USER:PASS         credentials on the command line (also --src-creds)\n";

int cmd_list_tags(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    const char *loc = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(usage, stdout); return DS_EXIT_OK; }
        static const char *no_use[] = {"--dest-tls-verify", "--dest-creds", "--compress", "--platform"};
        for (size_t k = 0; k < sizeof no_use / sizeof *no_use; k++) {
            size_t n = strlen(no_use[k]);
            if (!strncmp(a, no_use[k], n) && (a[n] == 0 || a[n] == '='))
                return cli_usage_error("list-tags", "%s does not apply to listing tags", no_use[k]);
        }
        if (!strcmp(a, "--creds") || !strncmp(a, "--creds=", 8)) {
            if (a[7] == '=') opts.src_creds = a + 8;
            else if (i + 1 < argc) opts.src_creds = argv[++i];
            else return cli_usage_error("list-tags", "--creds needs a value");
            continue;
        }
        int t = cli_transport_flag("list-tags", argc, argv, &i, &opts);
        if (t < 0) return DS_EXIT_USAGE;
        if (t > 0) continue;
        if (a[0] == '-' && a[1]) return cli_usage_error("list-tags", "unknown option '%s'", a);
        if (loc) return cli_usage_error("list-tags", "one LOCATION only (got '%s' and '%s')", loc, a);
        loc = a;
    }
    if (!loc) return cli_usage_error("list-tags", "no LOCATION given");
    ds_err err = {0};
    json_t *o = NULL;
    if (ds_list_tags(loc, &opts, &o, &err) < 0) return cli_error("list-tags", &err);
    char *txt = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    puts(txt);
    free(txt);
    json_decref(o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ds_fail_errno(&err, "%s: writing to standard output", loc);
        return cli_error("list-tags", &err);
    }
    return DS_EXIT_OK;
}
