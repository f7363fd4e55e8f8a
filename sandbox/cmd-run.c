#include "sandbox/cmd-run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox/cleanup.h"
#include "sandbox/host.h"
#include "sandbox/launch.h"
#include "sandbox/plan.h"
#include "sandbox/seccomp.h"
#include "sandbox/suggest.h"

enum {
        OPT_BIND = 0x100, OPT_RO_BIND, OPT_TMPFS, OPT_HIDE, OPT_UNSETENV, OPT_CLEARENV,
        OPT_CHDIR, OPT_HOSTNAME, OPT_UID, OPT_GID, OPT_SHARE_NET, OPT_SECCOMP, OPT_FD,
        OPT_NO_CWD, OPT_VERSION,
};

static const struct option run_options[] = {
        { "bind", required_argument, NULL, OPT_BIND },
        { "ro-bind", required_argument, NULL, OPT_RO_BIND },
        { "tmpfs", required_argument, NULL, OPT_TMPFS },
        { "hide", required_argument, NULL, OPT_HIDE },
        { "env", required_argument, NULL, 'e' },
        { "unsetenv", required_argument, NULL, OPT_UNSETENV },
        { "clearenv", no_argument, NULL, OPT_CLEARENV },
        { "chdir", required_argument, NULL, OPT_CHDIR },
        { "hostname", required_argument, NULL, OPT_HOSTNAME },
        { "uid", required_argument, NULL, OPT_UID },
        { "gid", required_argument, NULL, OPT_GID },
        { "share-net", no_argument, NULL, OPT_SHARE_NET },
        { "seccomp", required_argument, NULL, OPT_SECCOMP },
        { "fd", required_argument, NULL, OPT_FD },
        { "no-cwd", no_argument, NULL, OPT_NO_CWD },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
};

void run_usage(FILE *out)
{
        fputs("Usage: nook run [OPTIONS] [--] COMMAND [ARG...]\n"
              "\n"
              "Run COMMAND in a sandbox built from the host system: /usr, /etc and /opt\n"
              "read-only, a fresh /proc and minimal /dev, private /tmp /run /var/tmp, an\n"
              "empty home, the current directory read-write, no network but lo, no\n"
              "capabilities, and a seccomp filter. The user keeps their uid and gid.\n"
              "\n"
              "Filesystem:\n"
              "      --bind SRC[:DST]      bind host path SRC read-write at DST (default: SRC)\n"
              "      --ro-bind SRC[:DST]   the same, read-only\n"
              "      --tmpfs DST[:size=N]  a fresh tmpfs at DST; N takes K, M, G, T\n"
              "      --hide PATH           cover PATH with an empty, unreadable, read-only node\n"
              "      --no-cwd              do not bind the current directory\n"
              "      --chdir DIR           start the command in DIR (inside the sandbox)\n"
              "\n"
              "Environment and identity:\n"
              "  -e, --env K=V             set K to V for the command\n"
              "      --unsetenv K          remove K from the command's environment\n"
              "      --clearenv            start from an empty environment (then --env applies)\n"
              "      --uid N, --gid N      run as uid/gid N inside (0 to 4294967294)\n"
              "      --hostname NAME       the sandbox's hostname\n"
              "\n"
              "Isolation:\n"
              "      --share-net           use the host's network instead of a private lo\n"
              "      --seccomp MODE        default (deny dangerous syscalls) or none\n"
              "      --fd N                pass fd N to the command (every other fd above 2\n"
              "                            is closed)\n"
              "\n"
              "Other:\n"
              "  -v, --verbose             print each setup step\n"
              "  -h, --help                show this help\n"
              "      --version             show nook's version\n"
              "\n"
              "Exit status: the command's own; 128+N when it was killed by signal N; 125\n"
              "when nook itself failed; 126 when COMMAND could not run; 127 when it was not\n"
              "found.\n"
              "\n"
              "Example: nook run --ro-bind ~/music:/music --hostname box -- mpv /music\n"
              "See nook(1) for more.\n",
              out);
}

static int unknown_option(const char *arg, struct nook_err *e)
{
        const char *names[ARRAY_SIZE(run_options)];
        char word[64];
        size_t n = 0;

        for (const struct option *o = run_options; o->name; o++)
                names[n++] = o->name;
        /* "--bnd=x" → "bnd" */
        snprintf(word, sizeof(word), "%s", arg + strspn(arg, "-"));
        word[strcspn(word, "=")] = '\0';
        const char *hint = suggest_closest(word, names, n);
        if (hint)
                return nook_errf(e, EINVAL, "unknown option '%s' for 'nook run' (did you mean '--%s'?)", arg, hint);
        return nook_errf(e, EINVAL, "unknown option '%s' for 'nook run' (see 'nook run --help')", arg);
}

static int check_hostname(const char *h, struct nook_err *e)
{
        size_t n = strlen(h);

        if (n == 0 || n > 64 || strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n ||
            h[0] == '-' || h[0] == '.')
                return nook_errf(e, EINVAL, "hostname '%s' is not valid (1 to 64 letters, digits, '-' and '.')", h);
        return 0;
}

static int parse_one(int c, const char *arg, struct nook_spec *s, struct nook_err *e)
{
        switch (c) {
        case OPT_BIND: return spec_add_bind(s, arg, 0, e);
        case OPT_RO_BIND: return spec_add_bind(s, arg, SPEC_BIND_RO, e);
        case OPT_TMPFS: return spec_add_tmpfs(s, arg, e);
        case OPT_HIDE: return spec_add_hide(s, arg, e);
        case 'e': return spec_add_env(s, SPEC_ENV_SET, arg, e);
        case OPT_UNSETENV: return spec_add_env(s, SPEC_ENV_UNSET, arg, e);
        case OPT_CLEARENV: s->clearenv = true; return 0;
        case OPT_UID: return spec_set_id(s, false, arg, e);
        case OPT_GID: return spec_set_id(s, true, arg, e);
        case OPT_SHARE_NET: s->share_net = true; return 0;
        case OPT_NO_CWD: s->no_cwd = true; return 0;
        case OPT_FD: return spec_add_fd(s, arg, e);
        case 'v': s->verbose++; return 0;
        case OPT_CHDIR:
                if (arg[0] != '/')
                        return nook_errf(e, EINVAL, "--chdir '%s' is not an absolute path", arg);
                free(s->chdir);
                s->chdir = strdup(arg);
                return s->chdir ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_HOSTNAME:
                if (check_hostname(arg, e) < 0)
                        return -EINVAL;
                free(s->hostname);
                s->hostname = strdup(arg);
                return s->hostname ? 0 : nook_errf(e, ENOMEM, "out of memory");
        case OPT_SECCOMP:
                if (strcmp(arg, "default") == 0)
                        s->seccomp = SPEC_SECCOMP_DEFAULT;
                else if (strcmp(arg, "none") == 0)
                        s->seccomp = SPEC_SECCOMP_NONE;
                else
                        return nook_errf(e, EINVAL, "--seccomp '%s' is not a mode (use 'default' or 'none')", arg);
                return 0;
        }
        return nook_errf(e, EINVAL, "unhandled option");
}

int run_parse_args(int argc, char **argv, struct nook_spec *s, struct nook_err *e)
{
        int c, r;

        optind = 0;     /* full reset: this may be called more than once (tests) */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+e:vh", run_options, NULL)) != -1) {
                const char *bad = argv[optind - 1];
                switch (c) {
                case 'h':
                        run_usage(stdout);
                        return 1;
                case OPT_VERSION:
                        printf("nook %s\n", NOOK_VERSION);
                        return 1;
                case '?':
                        if (optopt == 'e')
                                return nook_errf(e, EINVAL, "option '-e' needs a value (see 'nook run --help')");
                        /* a long option missing its value has its val in optopt */
                        for (const struct option *o = run_options; o->name && optopt >= 0x100; o++)
                                if (o->val == optopt)
                                        return nook_errf(e, EINVAL, o->has_arg
                                                         ? "option '--%s' needs a value (see 'nook run --help')"
                                                         : "option '--%s' takes no value (see 'nook run --help')",
                                                         o->name);
                        return unknown_option(bad, e);
                default:
                        r = parse_one(c, optarg, s, e);
                        if (r < 0)
                                return r;
                }
        }
        if (optind >= argc)
                return nook_errf(e, EINVAL, "no command given (usage: nook run [OPTIONS] [--] COMMAND [ARG...])");
        s->argv = calloc((size_t)(argc - optind + 1), sizeof(char *));
        if (!s->argv)
                return nook_errf(e, ENOMEM, "out of memory");
        for (int i = optind; i < argc; i++)
                if (!(s->argv[i - optind] = strdup(argv[i])))
                        return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

/* Checks that need the host but must fail before anything is started. */
static int check_host_inputs(const struct nook_spec *s, struct nook_err *e)
{
        struct stat st;

        for (size_t i = 0; i < s->n_binds; i++) {
                const struct spec_bind *b = &s->binds[i];
                if (!(b->flags & SPEC_BIND_TRY) && stat(b->src, &st) < 0)
                        return nook_errf(e, errno, "bind source %s: %m (check the path given to --%sbind)", b->src,
                                         b->flags & SPEC_BIND_RO ? "ro-" : "");
        }
        for (size_t i = 0; i < s->n_keep_fds; i++)
                if (fcntl(s->keep_fds[i], F_GETFD) < 0)
                        return nook_errf(e, EBADF, "--fd %d: no such open file descriptor", s->keep_fds[i]);
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct nook_spec spec;
        struct host_facts host = { 0 };
        struct plan plan = { 0 };
        struct seccomp_prog prog = { 0 };
        struct nook_err e = { 0 };
        int status = NOOK_EXIT_FAILURE;
        int r;

        spec_init(&spec);
        r = run_parse_args(argc, argv, &spec, &e);
        if (r == 1) {
                spec_free(&spec);
                return 0;
        }
        if (r == 0)
                r = host_facts_read(&host, &e);
        if (r == 0)
                r = check_host_inputs(&spec, &e);
        if (r == 0)
                r = plan_build(&spec, &host, &plan, &e);
        /* Compiled once here, before clone: the sandbox only loads it. */
        if (r == 0 && spec.seccomp == SPEC_SECCOMP_DEFAULT)
                r = seccomp_build_default(&prog, &e);
        if (r == 0) {
                struct launch_ctx c = {
                        .spec = &spec,
                        .host = &host,
                        .plan = &plan,
                        .seccomp = spec.seccomp == SPEC_SECCOMP_DEFAULT ? &prog : NULL,
                };
                r = launch_run(&c, &status, &e);
        }
        if (r < 0) {
                nook_err_print(&e);
                status = NOOK_EXIT_FAILURE;
        }
        seccomp_prog_free(&prog);
        plan_free(&plan);
        host_facts_free(&host);
        spec_free(&spec);
        return status;
}
