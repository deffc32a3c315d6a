/* distill list-tags IMAGE: the tags of a layout, an archive or a registry repository, as skopeo
 * list-tags prints them. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "image/list_tags.h"
#include "util/json_doc.h"

static const char usage[] =
    "Usage: distill list-tags [OPTIONS] LOCATION\n\n"
    "Print the tags (image names) LOCATION holds as JSON, as skopeo list-tags does:\n"
    "{\"schema\": 1, \"Repository\": ..., \"Tags\": [...]} (docs/json.md). Nothing is extracted or pulled.\n\n"
    "  oci:DIR                    the ref names in the layout's index.json\n"
    "  oci-archive:PATH           the same, read from the tar\n"
    "  docker-archive:PATH        every RepoTags entry of manifest.json\n"
    "  docker://HOST[:PORT]/REPO  the registry's tag list (every page)\n\n"
    "Options:\n"
    "  --tls-verify=BOOL         require HTTPS and verify certificates (default true; also --src-tls-verify)\n"
    "  --authfile PATH           registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n"
    "  --creds USER:PASS         credentials on the command line (also --src-creds)\n";

static int no_use(void *t, const char *v, char *why, size_t n) {
    snprintf(why, n, "does not apply to listing tags");
    return -1;
}

int cmd_list_tags(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_AUTH | CLI_T_TMPDIR);
    const cli_opt own[] = {
        {.name = "creds", .kind = CLI_STR, .target = &opts.src_creds},
        {.name = "src-creds", .kind = CLI_STR, .target = &opts.src_creds},
        {.name = "src-tls-verify", .kind = CLI_BOOL, .target = &opts.src_tls_verify},
        {.name = "platform", .kind = CLI_FN, .target = &opts, .fn = no_use},
        {0},
    };
    cli_list pos = {0};
    int pr = cli_parse("list-tags", usage, own, shared, argc - 1, argv + 1, &pos, NULL);
    const char *loc = pos.n ? pos.v[0] : NULL;
    size_t npos = pos.n;
    char *second = npos > 1 ? pos.v[1] : NULL;
    cli_list_free(&pos);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (npos > 1) return cli_usage_error("list-tags", "one LOCATION only (got '%s' and '%s')", loc, second);
    if (!loc) return cli_usage_error("list-tags", "no LOCATION given");
    ds_err err = {0};
    json_t *o = NULL;
    if (ds_list_tags(loc, &opts, &o, &err) < 0) return cli_error("list-tags", &err);
    /* skopeo's keys (Repository, Tags) as skopeo spells them, after the schema of every document. */
    json_t *doc = ds_json_doc();
    json_object_update(doc, o);
    json_decref(o);
    char *txt = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    puts(txt);
    free(txt);
    json_decref(doc);
    return DS_EXIT_OK;
}
