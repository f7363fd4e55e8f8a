#include "sandbox/cmd-image.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/image-import.h"
#include "fs/store.h"
#include "sandbox/cleanup.h"
#include "sandbox/userns.h"

static void usage(FILE *out)
{
        fputs("Usage: nook image COMMAND [OPTIONS]\n"
              "\n"
              "  import PATH|- [--name NAME[:TAG]]   import an OCI layout directory, an OCI\n"
              "                        archive, a 'docker save' archive, a rootfs tarball\n"
              "                        (plain, gzip, zstd or xz) or a rootfs directory\n"
              "  ls [--json]           list the images in the store\n"
              "  inspect NAME          print an image's record (config, layers) as JSON\n"
              "  rm NAME               remove an image (its layers stay until prune)\n"
              "  prune                 remove the layers and blobs no image uses\n"
              "\n"
              "Options for every command:\n"
              "      --store DIR       the image store (default $XDG_DATA_HOME/nook)\n"
              "      --map MODE        auto (a /etc/subuid range when you have one),\n"
              "                        range, or single (your own id only: ownership in\n"
              "                        images is squashed)\n"
              "\n"
              "See nook(1).\n",
              out);
}

struct image_args {
        const char *store;
        const char *name;
        enum userns_mode map;
        bool json;
        char **pos;
        int n_pos;
};

static int parse(int argc, char **argv, struct image_args *a)
{
        static const struct option opts[] = {
                { "store", required_argument, NULL, 's' },
                { "name", required_argument, NULL, 'n' },
                { "map", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's': a->store = optarg; break;
                case 'n': a->name = optarg; break;
                case 'j': a->json = true; break;
                case 'm':
                        if (strcmp(optarg, "auto") == 0)
                                a->map = USERNS_AUTO;
                        else if (strcmp(optarg, "single") == 0)
                                a->map = USERNS_SINGLE;
                        else if (strcmp(optarg, "range") == 0)
                                a->map = USERNS_RANGE;
                        else {
                                fprintf(stderr, "nook: --map '%s' is not one of auto, range, single\n", optarg);
                                return -1;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        fprintf(stderr, "nook: unknown option '%s' for 'nook image' (see 'nook image --help')\n",
                                argv[optind - 1]);
                        return -1;
                }
        }
        a->pos = argv + optind;
        a->n_pos = argc - optind;
        return 0;
}

static int fail(const struct nook_err *e)
{
        nook_err_print(e);
        return 125;
}

static int do_import(struct image_args *a)
{
        struct store s;
        struct userns_map m;
        struct nook_err e = { 0 };
        _cleanup_free_ char *name = NULL;
        int r;

        if (a->n_pos != 1) {
                fprintf(stderr, "nook: image import takes one PATH (or - for standard input)\n");
                return 125;
        }
        r = store_open(&s, a->store, &e);
        if (r == 0)
                r = userns_map_choose(&m, a->map, &e);
        if (r == 0 && !m.range && a->map == USERNS_AUTO)
                fprintf(stderr, "nook: no /etc/subuid range for you: file ownership in the image is squashed to your own id (ask an admin for a range, see nook(1))\n");
        if (r == 0) {
                struct import_opts o = { .name = a->name, .map = &m, .progress = isatty(2) };
                r = image_import(&s, a->pos[0], &o, &name, &e);
        }
        store_close(&s);
        if (r < 0)
                return fail(&e);
        printf("%s\n", name);
        return 0;
}

struct ls_ctx {
        bool json;
        json_t *all;
};

static int ls_one(const char *name, json_t *rec, void *arg)
{
        struct ls_ctx *c = arg;
        json_t *ls = json_object_get(rec, "layers");

        if (c->json) {
                json_array_append_new(c->all, json_pack("{s:s,s:O,s:I,s:O}", "name", name, "config_digest",
                                                        json_object_get(rec, "config_digest"), "layers",
                                                        (json_int_t)json_array_size(ls), "imported",
                                                        json_object_get(rec, "imported")));
                return 0;
        }
        const char *cd = json_string_value(json_object_get(rec, "config_digest"));
        printf("%-40s %-14.12s %6zu  %s\n", name, cd ? cd + 7 : "?", json_array_size(ls),
               json_string_value(json_object_get(rec, "format")) ?: "");
        return 0;
}

static int do_ls(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        struct ls_ctx c = { .json = a->json, .all = json_array() };

        if (store_open(&s, a->store, &e) < 0)
                return fail(&e);
        if (!a->json)
                printf("%-40s %-14s %6s  %s\n", "NAME", "ID", "LAYERS", "FROM");
        store_image_each(&s, ls_one, &c);
        if (a->json) {
                json_dumpf(c.all, stdout, JSON_INDENT(2));
                putchar('\n');
        }
        json_decref(c.all);
        store_close(&s);
        return 0;
}

static int do_inspect(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        json_t *rec = NULL;
        char name[512];
        int r;

        if (a->n_pos != 1) {
                fprintf(stderr, "nook: image inspect takes one NAME\n");
                return 125;
        }
        r = store_open(&s, a->store, &e);
        if (r == 0)
                r = store_normalize_name(a->pos[0], name, sizeof(name), &e);
        if (r == 0)
                r = store_image_load(&s, name, &rec, &e);
        store_close(&s);
        if (r < 0)
                return fail(&e);
        json_dumpf(rec, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(rec);
        return 0;
}

static int do_rm(struct image_args *a)
{
        struct store s;
        struct nook_err e = { 0 };
        char name[512];
        int r = 0;

        if (a->n_pos < 1) {
                fprintf(stderr, "nook: image rm takes at least one NAME\n");
                return 125;
        }
        if (store_open(&s, a->store, &e) < 0)
                return fail(&e);
        int lock = store_lock(&s, true, &e);
        for (int i = 0; lock >= 0 && i < a->n_pos && r == 0; i++) {
                r = store_normalize_name(a->pos[i], name, sizeof(name), &e);
                if (r == 0)
                        r = store_image_remove(&s, name, &e);
                if (r == 0)
                        printf("%s\n", name);
        }
        if (lock >= 0)
                close(lock);
        store_close(&s);
        return lock < 0 || r < 0 ? fail(&e) : 0;
}

int cmd_image(int argc, char **argv)
{
        struct image_args a = { 0 };

        if (argc < 2) {
                usage(stderr);
                return 125;
        }
        const char *sub = argv[1];
        if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
                usage(stdout);
                return 0;
        }
        int r = parse(argc - 1, argv + 1, &a);
        if (r != 0)
                return r > 0 ? 0 : 125;
        if (strcmp(sub, "import") == 0)
                return do_import(&a);
        if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
                return do_ls(&a);
        if (strcmp(sub, "inspect") == 0)
                return do_inspect(&a);
        if (strcmp(sub, "rm") == 0)
                return do_rm(&a);
        fprintf(stderr, "nook: unknown image command '%s' (see 'nook image --help')\n", sub);
        return 125;
}
