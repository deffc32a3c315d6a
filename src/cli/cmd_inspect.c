/* distill inspect IMAGE: the image as JSON (manifest digest, platform, config,
 * layers, history), or the manifest / config exactly as stored. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "util/json_doc.h"
#include "util/path_json.h"

static const char usage[] =
    "Usage: distill inspect [OPTIONS] IMAGE\n\n"
    "Print an image's manifest digest, platform, config (entrypoint, cmd, env, user, workdir,\n"
    "exposed ports, labels, stop signal), layers and history as JSON. Nothing is run.\n\n"
    "Options:\n"
    "  --raw     print the manifest exactly as stored\n"
    "  --config  print the config exactly as stored\n"
    "  --platform OS/ARCH[/VARIANT]  pick this platform from a multi-arch image (default: this machine);\n"
    "                                a single-platform image of another one is printed, with a warning\n"
    "  --src-tls-verify=BOOL         require HTTPS and verify certificates (default true; also --tls-verify)\n"
    "  --authfile PATH               registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n"
    "  --src-creds USER:PASS         credentials on the command line\n"
    "  --tmpdir DIR                  temporary work, e.g. extracted archives (default: $TMPDIR, else /var/tmp)\n"
    "\nIMAGE is oci:PATH[:REF|@DIGEST], oci-archive:PATH[:REF|@DIGEST], docker-archive:PATH[:REPO:TAG],\n"
    "docker://HOST[:PORT]/REPO[:TAG|@DIGEST], rootfs:DIR, docker-daemon:NAME[:TAG] (the Docker Engine\n"
    "on $DOCKER_HOST, default unix:///var/run/docker.sock) or containers-storage:[[STORAGE]]NAME[:TAG]\n"
    "(podman's store, through podman; STORAGE is [DRIVER@]ROOT[+RUNROOT][:OPTIONS]).\n";

static json_t *copy_or_null(json_t *v) { return v ? json_deep_copy(v) : json_null(); }

static json_t *inspect_json(const char *name, ds_image *img) {
    json_t *o = ds_json_doc();
    json_object_set_new(o, DS_JK_IMAGE, ds_json_bytes(name));
    json_object_set_new(o, DS_JK_DIGEST, json_string(img->manifest_digest));
    json_object_set_new(o, DS_JK_MEDIA_TYPE, json_string(img->manifest_media_type));
    if (img->index_digest[0]) json_object_set_new(o, "index_digest", json_string(img->index_digest));
    char plat[256];
    snprintf(plat, sizeof plat, "%s/%s%s%s", img->os ? img->os : "unknown", img->arch ? img->arch : "unknown",
             img->variant ? "/" : "", img->variant ? img->variant : "");
    json_object_set_new(o, "platform", json_string(plat));
    json_object_set_new(o, "os", json_string(img->os ? img->os : ""));
    json_object_set_new(o, "architecture", json_string(img->arch ? img->arch : ""));
    if (img->variant) json_object_set_new(o, "variant", json_string(img->variant));
    json_t *created = json_object_get(img->config, "created");
    if (json_is_string(created)) json_object_set(o, "created", created);

    json_t *c = json_object_get(img->config, "config");
    json_t *cfg = json_object();
    json_object_set_new(cfg, "entrypoint", copy_or_null(json_object_get(c, "Entrypoint")));
    json_object_set_new(cfg, "cmd", copy_or_null(json_object_get(c, "Cmd")));
    json_t *env = json_object_get(c, "Env");
    json_object_set_new(cfg, "env", json_is_array(env) ? json_deep_copy(env) : json_array());
    const char *user = json_string_value(json_object_get(c, "User"));
    json_object_set_new(cfg, "user", json_string(user ? user : ""));
    const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
    json_object_set_new(cfg, "working_dir", json_string(wd ? wd : ""));
    json_t *ports = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(c, "ExposedPorts"), k, v) json_array_append_new(ports, json_string(k));
    json_object_set_new(cfg, "exposed_ports", ports);
    json_t *labels = json_object_get(c, "Labels");
    json_object_set_new(cfg, "labels", json_is_object(labels) ? json_deep_copy(labels) : json_object());
    const char *ss = json_string_value(json_object_get(c, "StopSignal"));
    json_object_set_new(cfg, "stop_signal", ss ? json_string(ss) : json_null());
    json_object_set_new(o, "config", cfg);

    json_t *layers = json_array();
    json_int_t total = 0;
    json_t *diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    for (size_t i = 0; i < img->n_layers; i++) {
        const ds_desc *l = &img->layers[i];
        json_t *e = json_pack("{s:s, s:I, s:s}", DS_JK_DIGEST, l->digest, DS_JK_SIZE, (json_int_t)l->size,
                              DS_JK_MEDIA_TYPE, l->media_type);
        const char *did = json_string_value(json_array_get(diff_ids, i));
        if (did) json_object_set_new(e, "diff_id", json_string(did));
        json_array_append_new(layers, e);
        total += l->size;
    }
    json_object_set_new(o, "config_digest", json_string(img->config_desc.digest));
    json_object_set_new(o, "layers", layers);
    json_object_set_new(o, DS_JK_SIZE, json_integer(total));
    json_t *hist = json_object_get(img->config, "history");
    json_object_set_new(o, "history", json_is_array(hist) ? json_deep_copy(hist) : json_array());
    ds_json_export(o); /* a reference that is not UTF-8: "image" + "image_hex" */
    return o;
}

int cmd_inspect(int argc, char **argv) {
    ds_opts opts;
    ds_opts_init(&opts);
    bool raw = false, config = false;
    const cli_opt own[] = {{.name = "raw", .kind = CLI_BOOL, .target = &raw},
                           {.name = "config", .kind = CLI_BOOL, .target = &config},
                           {0}};
    /* inspect only reads: the flags for a destination are not among its options. */
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &opts, CLI_T_SRC | CLI_T_AUTH | CLI_T_TMPDIR);
    cli_list args = {0};
    int pr = cli_parse("inspect", usage, own, shared, argc - 1, argv + 1, &args, NULL);
    size_t npos = args.n;
    const char *image = npos ? args.v[0] : NULL, *second = npos > 1 ? args.v[1] : NULL;
    cli_list_free(&args);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (second) return cli_usage_error("inspect", "one IMAGE only (got '%s' and '%s')", image, second);
    if (!image) return cli_usage_error("inspect", "no IMAGE given");
    if (raw && config) return cli_usage_error("inspect", "--raw and --config exclude each other");
    ds_err err = {0};
    ds_image *img = NULL;
    if (ds_image_open(image, &opts, &img, &err) < 0) return cli_error("inspect", &err);
    cli_platform_warn(&opts, img);
    if (raw) {
        fwrite(img->manifest_raw, 1, img->manifest_len, stdout);
    } else if (config) {
        fwrite(img->config_raw, 1, img->config_len, stdout);
    } else {
        json_t *o = inspect_json(image, img);
        char *txt = json_dumps(o, JSON_INDENT(2));
        puts(txt);
        free(txt);
        json_decref(o);
    }
    ds_image_close(img);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ds_fail_errno(&err, "%s: writing to standard output", image);
        return cli_error("inspect", &err);
    }
    return DS_EXIT_OK;
}
