#include "cli/cmd-image-export.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image-export.h"
#include "image/store.h"
#include "lib/cleanup.h"

static void usage(FILE *out)
{
        fputs("Usage: nook image export NAME -o FILE.sqsh [--store DIR] [--map MODE]\n"
              "\n"
              "Writes the image's root, its layers applied, as one squashfs file: owners,\n"
              "modes, links and file capabilities as the image has them inside, the same\n"
              "bytes for the same image. Its config (Env, Entrypoint, Cmd, WorkingDir,\n"
              "User) goes beside it, FILE.json. Needs tar2sqfs (squashfs-tools-ng).\n"
              "\n"
              "  -o, --output FILE     the squashfs file to write (replaced whole)\n"
              "      --store DIR       the image store (default $XDG_DATA_HOME/nook)\n"
              "      --map MODE        the mapping the store's layers were unpacked with:\n"
              "                        auto (default), range or single\n"
              "\n"
              "See nook(1), IMAGES.\n",
              out);
}

struct export_args {
        const char *store, *output, *name;
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

/* 0 to go on, 1 when the help was printed, -EINVAL after a message. */
static int parse(int argc, char **argv, struct export_args *a)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "store", required_argument, NULL, 's' },
                { "map", required_argument, NULL, 'm' },    { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o': a->output = optarg; break;
                case 's': a->store = optarg; break;
                case 'm':
                        if (parse_map(optarg, &a->map) < 0) {
                                fprintf(stderr, "nook: --map '%s' is not one of auto, range, single\n", nook_val(optarg));
                                return -EINVAL;
                        }
                        break;
                case 'h': usage(stdout); return 1;
                default:
                        fprintf(stderr, "nook: unknown option '%s' for 'nook image export' (see 'nook image export --help')\n",
                                nook_val(argv[optind - 1]));
                        return -EINVAL;
                }
        }
        if (optind != argc - 1 || !a->output) {
                fprintf(stderr, "nook: image export takes one image NAME and -o FILE (see 'nook image export --help')\n");
                return -EINVAL;
        }
        a->name = argv[optind];
        return 0;
}

int cmd_image_export(int argc, char **argv)
{
        struct export_args a = { 0 };
        struct nook_err e = { 0 };
        struct store s;
        struct userns_map m;
        char norm[512];
        int r = parse(argc, argv, &a);

        if (r != 0)
                return r > 0 ? 0 : 125;
        r = store_normalize_name(a.name, norm, sizeof(norm), &e);
        if (r == 0)
                r = store_open(&s, a.store, &e);
        if (r < 0) {
                nook_err_print(&e);
                return 125;
        }
        /* the image stays as it is while it is read: rm waits */
        int lock = store_image_lock(&s, norm, false, &e);
        r = lock < 0 ? lock : userns_map_choose(&m, a.map, &e);
        if (r == 0)
                r = image_export(&s, norm, a.output, &m, &e);
        if (lock >= 0)
                close(lock);
        store_close(&s);
        if (r < 0) {
                nook_err_print(&e);
                return 125;
        }
        _cleanup_free_ char *cfg = image_export_config_path(a.output);
        printf("%s\n%s\n", a.output, cfg ? cfg : "");
        return 0;
}
