#include "cli/cmd-image-export.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image-export.h"
#include "image/store.h"
#include "image/store-publish.h"
#include "image/store-shared.h"
#include "cli/conf-load.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

static void publish_usage(FILE *out)
{
        fputs("Usage: nook image publish NAME DIR [--name NEW[:TAG]] [--compression C] [--store DIR]\n"
              "                          [--map MODE]\n"
              "\n"
              "Writes image NAME of your store into the shared image store DIR as a\n"
              "squashfs image (exported first when it is a layered one) with its record,\n"
              "for every user whose nook.conf names DIR in [Store] Shared=. Its files are\n"
              "readable by all (0644, directories 0755); DIR's own mode says who reaches\n"
              "them. Readers never see half an image; when NAME is in DIR already (or\n"
              "another publisher wins the race for it), publish fails and changes nothing.\n"
              "Needs tar2sqfs (squashfs-tools-ng) for a layered image.\n"
              "\n"
              "      --name NEW        the name it has in DIR (default: NAME)\n"
              "      --compression C   zstd (default), lz4 (starts faster, a bigger file),\n"
              "                        gzip or xz, when NAME is a layered image\n"
              "      --store DIR       your image store (default $XDG_DATA_HOME/nook)\n"
              "      --map MODE        the mapping the store's layers were unpacked with:\n"
              "                        auto (default), range or single\n"
              "\n"
              "See nook(1), IMAGES, and nook.conf(5), [Store].\n",
              out);
}

static void usage(FILE *out)
{
        fputs("Usage: nook image export NAME -o FILE.sqsh [--compression C] [--store DIR] [--map MODE]\n"
              "\n"
              "Writes the image's root, its layers applied, as one squashfs file: owners,\n"
              "modes, links and file capabilities as the image has them inside, the same\n"
              "bytes for the same image. Its config (Env, Entrypoint, Cmd, WorkingDir,\n"
              "User) goes beside it, FILE.json. Blocks of 64 KiB (a sandbox decompresses\n"
              "less of what its command does not read). Needs tar2sqfs (squashfs-tools-ng).\n"
              "\n"
              "  -o, --output FILE     the squashfs file to write (replaced whole)\n"
              "      --compression C   zstd (default), lz4 (every sandbox of the image starts\n"
              "                        a few ms sooner; a file about 1.3x the size, which\n"
              "                        Debian 12's unsquashfs cannot read), gzip or xz\n"
              "      --store DIR       the image store (default $XDG_DATA_HOME/nook)\n"
              "      --map MODE        the mapping the store's layers were unpacked with:\n"
              "                        auto (default), range or single\n"
              "\n"
              "See nook(1), IMAGES.\n",
              out);
}

struct export_args {
        const char *store, *output, *name;
        const char *compressor;
        const char *as;         /* publish --name */
        enum userns_mode map;
};

static int parse_map(const char *s, enum userns_mode *out)
{
        static const char *const names[] = { [USERNS_AUTO] = "auto", [USERNS_SINGLE] = "single", [USERNS_RANGE] = "range" };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(s, names[i]) == 0) {
                        *out = (enum userns_mode)i;
                        return 0;
                }
        return -EINVAL;
}

static bool known_compressor(const char *name)
{
        for (size_t i = 0; image_export_compressors[i]; i++)
                if (strcmp(name, image_export_compressors[i]) == 0)
                        return true;
        return false;
}

/* 0 to go on, 1 when the help was printed, -EINVAL after a message. */
static int parse(int argc, char **argv, struct export_args *a, bool publish)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "store", required_argument, NULL, 's' },
                { "map", required_argument, NULL, 'm' },    { "help", no_argument, NULL, 'h' },
                { "name", required_argument, NULL, 'n' },  { "compression", required_argument, NULL, 'c' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        if (publish)
                                goto unknown;
                        a->output = optarg;
                        break;
                case 's': a->store = optarg; break;
                case 'c':
                        if (!known_compressor(optarg)) {
                                fprintf(stderr, "nook: --compression '%s' is not one of zstd, lz4, gzip, xz\n", nook_val(optarg));
                                return -EINVAL;
                        }
                        a->compressor = optarg;
                        break;
                case 'n':
                        if (!publish)
                                goto unknown;
                        a->as = optarg;
                        break;
                case 'm':
                        if (parse_map(optarg, &a->map) < 0) {
                                fprintf(stderr, "nook: --map '%s' is not one of auto, range, single\n", nook_val(optarg));
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        publish ? publish_usage(stdout) : usage(stdout);
                        return 1;
                default:
                unknown:
                        fprintf(stderr, "nook: unknown option '%s' for 'nook image %s' (see 'nook image %s --help')\n",
                                nook_val(argv[optind - 1]), argv[0], argv[0]);
                        return -EINVAL;
                }
        }
        if (publish) {
                if (optind != argc - 2) {
                        fprintf(stderr, "nook: image publish takes an image NAME and a directory DIR (see 'nook image publish --help')\n");
                        return -EINVAL;
                }
                a->name = argv[optind];
                a->output = argv[optind + 1];
                return 0;
        }
        if (optind != argc - 1 || !a->output) {
                fprintf(stderr, "nook: image export takes one image NAME and -o FILE (see 'nook image export --help')\n");
                return -EINVAL;
        }
        a->name = argv[optind];
        return 0;
}

/* The image a.name, found in the user's store or a shared one, held (the
   user's own: rm waits while it is read; a shared store has no rm and no
   lock), and the mapping to read it with. 0, or -errno with e filled. */
static int open_image(const struct export_args *a, const struct store_search *ss, struct store *s, char *norm,
                      size_t size, int *lock, struct userns_map *m, struct nook_err *e)
{
        json_t *rec = NULL;
        int r = store_normalize_name(a->name, norm, size, e);

        *lock = -1;
        if (r == 0)
                r = store_find_image(ss, norm, s, &rec, e);
        json_decref(rec);
        if (r == 0 && !s->shared && (*lock = store_image_lock(s, norm, false, e)) < 0)
                r = *lock;
        return r == 0 ? userns_map_choose(m, a->map, e) : r;
}

/* export and publish: parse, open the image, do the work, print. */
static int run_command(int argc, char **argv, bool publish)
{
        struct export_args a = { 0 };
        struct store_search ss = { 0 };
        char **shared = NULL;
        struct nook_err e = { 0 };
        struct store s = { .dfd = -1 };
        struct userns_map m;
        char norm[512], as[512];
        int lock = -1;
        int r = parse(argc, argv, &a, publish);

        if (r == 0)
                r = cli_conf_image_stores(&a.store, &shared, &ss.n_shared);
        if (r != 0)
                return r > 0 ? 0 : 125;
        ss.own = a.store;
        ss.shared = shared;
        r = open_image(&a, &ss, &s, norm, sizeof(norm), &lock, &m, &e);
        if (r == 0 && publish)
                r = store_normalize_name(a.as ? a.as : a.name, as, sizeof(as), &e);
        if (r == 0)
                r = publish ? store_publish(&s, norm, as, a.output, &m, a.compressor, &e)
                            : image_export(&s, norm, a.output, &m, a.compressor, &e);
        if (lock >= 0)
                close(lock);
        store_close(&s);
        strv_free(shared);
        if (r < 0) {
                nook_err_print(&e);
                return 125;
        }
        if (publish) {
                printf("%s\n", as);
                return 0;
        }
        _cleanup_free_ char *cfg = image_export_config_path(a.output);
        printf("%s\n%s\n", a.output, cfg ? cfg : "");
        return 0;
}

int cmd_image_export(int argc, char **argv)
{
        return run_command(argc, argv, false);
}

int cmd_image_publish(int argc, char **argv)
{
        return run_command(argc, argv, true);
}
