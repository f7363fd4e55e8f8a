/* nook: a rootless sandbox. main() picks the subcommand; each cmd-*.c does
   the rest and returns the exit status. */
#include <stdio.h>
#include <string.h>

#include "lib/libexec.h"
#include "lib/timing.h"
#include "cli/cmd-doctor.h"
#include "cli/conf-load.h"
#include "cli/cmd-enter.h"
#include "cli/cmd-info.h"
#include "cli/cmd-learn.h"
#include "cli/cmd-desktop.h"
#include "cli/cmd-oci.h"
#include "cli/cmd-profile.h"
#include "cli/cmd-ps.h"
#include "cli/cmd-run.h"

static void usage(FILE *out)
{
        fputs("Usage: nook COMMAND [OPTIONS]\n"
              "\n"
              "A rootless sandbox: namespaces, a read-only view of the host system,\n"
              "no capabilities and a seccomp filter, for any user, without setuid.\n"
              "\n"
              "Commands:\n"
              "  run [OPTIONS] [--] CMD [ARG...]   run CMD in a sandbox (nook run --help)\n"
              "  run PROFILE [-- CMD [ARG...]]     run a profile's sandbox (nook.profile(5))\n"
              "  learn [OPTIONS] -- CMD [ARG...]   write a profile from an observed run of CMD\n"
              "                                    (nook learn --help)\n"
              "  profile ls|show|check|keys        the profile tools (nook profile --help)\n"
              "  desktop install|ls|remove|sync    menu entries that start apps through nook\n"
              "                                    (nook desktop --help)\n"
              "  image import|pull|ls|inspect|rm|prune   the image store (nook image --help)\n"
              "  ps [--json]                       list your running sandboxes\n"
              "  enter NAME|ID [-- CMD [ARG...]]   run CMD in a running sandbox\n"
              "  stop [-t SECONDS] NAME|ID...      stop running sandboxes\n"
              "  logs [-f] NAME|ID                 the output of a sandbox run with -d\n"
              "  rm NAME...                        delete persistent sandboxes (run --persist)\n"
              "  doctor                            check what this host lets nook do\n"
              "  info [--json]                     the configuration in effect, paths, helpers\n"
              "  oci run|state|kill|delete ID      an OCI runtime, for Slurm's --container\n"
              "\n"
              "Aliases, for podman's and docker's habits (nook(1), FOR PODMAN AND DOCKER USERS):\n"
              "  pull REF                          the same as 'nook image pull REF'\n"
              "  images [--json]                   the same as 'nook image ls'\n"
              "  rmi IMAGE...                      the same as 'nook image rm IMAGE...'\n"
              "  exec NAME|ID [-- CMD [ARG...]]    the same as 'nook enter'\n"
              "  help                              show this help\n"
              "\n"
              "Options:\n"
              "  -h, --help       show this help\n"
              "      --version    show nook's version\n"
              "\n"
              "Example: nook run -- sh -c 'id; ls /'\n"
              "See nook(1).\n",
              out);
}

/* ps, stop, logs, enter: nook.conf read for its RuntimeDir=, where the
   sandboxes' run directories are without XDG_RUNTIME_DIR. */
static int load_conf(void)
{
        static struct nook_conf conf;
        struct nook_err e = { 0 };

        if (cli_conf_load_simple(&conf, &e) == 0)
                return 0;
        nook_err_print(&e);
        return -1;
}

int main(int argc, char **argv)
{
        timing_start();
        if (argc < 2) {
                usage(stderr);
                return NOOK_EXIT_FAILURE;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "run") == 0)
                return cmd_run(argc - 1, argv + 1);
        static const char *const uses_rundir[] = { "ps", "stop", "logs", "enter", "exec" };
        for (size_t i = 0; i < sizeof(uses_rundir) / sizeof(uses_rundir[0]); i++)
                if (strcmp(cmd, uses_rundir[i]) == 0 && load_conf() < 0)
                        return NOOK_EXIT_FAILURE;
        if (strcmp(cmd, "profile") == 0)
                return cmd_profile(argc - 1, argv + 1);
        if (strcmp(cmd, "desktop") == 0)
                return cmd_desktop(argc - 1, argv + 1);
        if (strcmp(cmd, "ps") == 0)
                return cmd_ps(argc - 1, argv + 1);
        if (strcmp(cmd, "stop") == 0)
                return cmd_stop(argc - 1, argv + 1);
        if (strcmp(cmd, "logs") == 0)
                return cmd_logs(argc - 1, argv + 1);
        if (strcmp(cmd, "enter") == 0 || strcmp(cmd, "exec") == 0)
                return cmd_enter(argc - 1, argv + 1);
        if (strcmp(cmd, "doctor") == 0)
                return cmd_doctor(argc - 1, argv + 1);      /* reads nook.conf itself */
        if (strcmp(cmd, "info") == 0)
                return cmd_info(argc - 1, argv + 1);
        if (strcmp(cmd, "oci") == 0)
                return cmd_oci(argc - 1, argv + 1);
        if (strcmp(cmd, "learn") == 0)
                return cmd_learn(argc - 1, argv + 1);
        /* podman's words for the store's commands: nook image's own */
        static const char *const image_alias[][2] = { { "pull", "pull" }, { "images", "ls" }, { "rmi", "rm" } };
        for (size_t i = 0; i < sizeof(image_alias) / sizeof(image_alias[0]); i++)
                if (strcmp(cmd, image_alias[i][0]) == 0) {
                        struct nook_err e = { 0 };
                        argv[0] = (char *)"nook-image";
                        argv[1] = (char *)image_alias[i][1];
                        helper_exec("nook-image", argv, &e);
                        nook_err_print(&e);
                        return NOOK_EXIT_FAILURE;
                }
        /* the store's commands live in nook-image (libarchive, libcrypto) */
        if (strcmp(cmd, "image") == 0 || strcmp(cmd, "rm") == 0) {
                struct nook_err e = { 0 };
                argv[0] = "nook-image";
                if (strcmp(cmd, "rm") == 0)
                        argv[1] = "rm-sandbox";
                else
                        argv++;         /* argv[1] "image" becomes argv[0] */
                argv[0] = "nook-image";
                helper_exec("nook-image", argv, &e);
                nook_err_print(&e);
                return NOOK_EXIT_FAILURE;
        }
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
                printf("nook %s\n", NOOK_VERSION);
                return 0;
        }
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, "nook: unknown command '%s' (see 'nook --help')\n", nook_val(cmd));
        return NOOK_EXIT_FAILURE;
}
