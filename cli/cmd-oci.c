/* `nook oci run|state|kill|delete`: enough of the OCI runtime's command
   line for Slurm's oci.conf (RunTimeRun, RunTimeQuery, RunTimeKill,
   RunTimeDelete). run reads the bundle (spec/oci-bundle.c), turns it into
   `nook run` options, prepares that run as nook run does, records the
   container (state/oci-state.c) and launches it in the foreground. */
#include "cli/cmd-oci.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd-run.h"
#include "cli/conf-load.h"
#include "cli/run-detach.h"
#include "cli/run-prepare.h"
#include "cred/users.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "spec/oci-bundle.h"
#include "state/oci-state.h"

static void usage(FILE *out)
{
        fputs("Usage: nook oci [--root DIR] run [-b BUNDLE] ID\n"
              "       nook oci [--root DIR] state ID\n"
              "       nook oci [--root DIR] kill [-a] ID [SIGNAL]\n"
              "       nook oci [--root DIR] delete [-f] ID\n"
              "\n"
              "An OCI runtime's commands, enough for Slurm's oci.conf (nook-slurm(8)).\n"
              "run starts the bundle's config.json (root.path, process.args, env, cwd,\n"
              "user, bind and tmpfs mounts, hostname) in a sandbox, in the foreground,\n"
              "and leaves its state until delete; state prints the OCI state JSON;\n"
              "kill signals it (default TERM); delete removes a stopped one (-f: kills\n"
              "it first).\n"
              "\n"
              "  --root DIR      where the containers' states are (default: the oci\n"
              "                  directory of nook's run directories)\n"
              "  -b, --bundle DIR  the bundle (default: the current directory)\n"
              "See nook(1), OCI RUNTIME.\n",
              out);
}

static int fail(const struct nook_err *e)
{
        nook_err_print(e);
        return NOOK_EXIT_FAILURE;
}

static int push(char ***v, size_t *n, const char *s, struct nook_err *e)
{
        return s && strv_push(v, n, s) == 0 ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

static int pushf(char ***v, size_t *n, struct nook_err *e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int pushf(char ***v, size_t *n, struct nook_err *e, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        _cleanup_free_ char *s = str_vdupf(fmt, ap);
        va_end(ap);
        return push(v, n, s, e);
}

static int mount_args(const struct oci_bundle *b, char ***v, size_t *n, struct nook_err *e)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < b->n_mounts; i++) {
                const struct oci_mount *m = &b->mounts[i];
                if (m->tmpfs)
                        r = pushf(v, n, e, "--tmpfs=%s%s%s", m->dst, m->tmpfs_opts ? ":" : "", m->tmpfs_opts ? m->tmpfs_opts : "");
                else
                        r = pushf(v, n, e, "--bind=%s:%s%s", m->src, m->dst, m->ro ? ":ro" : "");
        }
        return r;
}

/* The bundle as `nook run` options: no profile, the bundle's environment
   only, its user, directory, hostname and mounts; the network of the
   caller unless the bundle asks for a namespace of its own; the rootfs
   directory as the image (the one lower layer, under a fresh writable
   one: the rootfs itself is never written). */
static int run_argv(const struct oci_bundle *b, char ***v, size_t *n, struct nook_err *e)
{
        int r = push(v, n, "run", e);

        if (r == 0)
                r = push(v, n, "--noprofile", e);
        if (r == 0)
                r = push(v, n, "--clearenv", e);
        if (r == 0)
                r = pushf(v, n, e, "--uid=%u", (unsigned)b->uid);
        if (r == 0)
                r = pushf(v, n, e, "--gid=%u", (unsigned)b->gid);
        if (r == 0)
                r = pushf(v, n, e, "--workdir=%s", b->cwd);
        if (r == 0 && b->hostname)
                r = pushf(v, n, e, "--hostname=%s", b->hostname);
        if (r == 0 && !b->private_net)
                r = push(v, n, "--net=host", e);
        if (r == 0 && b->terminal)
                r = push(v, n, "-t", e);
        for (size_t i = 0; r == 0 && i < b->n_env; i++)
                r = pushf(v, n, e, "--env=%s", b->env[i]);
        if (r == 0)
                r = mount_args(b, v, n, e);
        if (r == 0)
                r = pushf(v, n, e, "--image=%s", b->rootfs);
        if (r == 0)
                r = push(v, n, "--", e);
        for (size_t i = 0; r == 0 && i < b->n_args; i++)
                r = push(v, n, b->args[i], e);
        return r;
}

/* Checked and prepared before anything is recorded: a bundle nook cannot
   run leaves nothing behind. */
static int oci_run(const char *root, const char *bundle, const char *id)
{
        _cleanup_(oci_bundle_free) struct oci_bundle b = { 0 };
        struct nook_err e = { 0 };
        char **v = NULL;
        size_t n = 0;
        int status = NOOK_EXIT_FAILURE;

        if (!ocistate_id_ok(id)) {
                nook_errf(&e, EINVAL, "container id '%s' is not valid (letters, digits, '.', '_', '-', '+')", nook_val(id));
                return fail(&e);
        }
        if (oci_bundle_read(bundle, &b, &e) < 0 || run_argv(&b, &v, &n, &e) < 0) {
                strv_free(v);
                return fail(&e);
        }
        struct run_setup rs;
        run_setup_init(&rs);
        int r = run_prepare((int)n, v, &rs, &e);
        _cleanup_close_ int rootfd = r == 0 ? ocistate_open_root(root, true, &e) : -1;
        if (r == 0 && rootfd < 0)
                r = rootfd;
        if (r == 0)
                r = ocistate_create(rootfd, id, b.dir, &e);
        const struct detached fg = { .ready_fd = -1, .log = NULL };
        if (r == 0)
                r = cmd_run_launch(&rs, &fg, &status, &e);
        if (r < 0)
                status = fail(&e);
        run_setup_free(&rs);
        strv_free(v);
        return status;
}

static int parse_signal(const char *s, int *sig)
{
        static const struct { const char *name; int sig; } names[] = {
                { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
                { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "ALRM", SIGALRM },
                { "WINCH", SIGWINCH },
        };
        uint64_t num;

        if (parse_u64(s, 64, &num) == 0 && num > 0) {
                *sig = (int)num;
                return 0;
        }
        if (str_has_prefix(s, "SIG"))
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(s, names[i].name) == 0) {
                        *sig = names[i].sig;
                        return 0;
                }
        return -EINVAL;
}

static int print_state(const struct oci_record *r)
{
        const char *status = ocistate_status(r);
        bool running = strcmp(status, "running") == 0;
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "ociVersion", "1.0.2", "id", r->id, "status", status, "pid",
                              (json_int_t)(running ? r->pid : 0), "bundle", r->bundle, "created", r->created);
        char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

        json_decref(o);
        if (!text)
                return NOOK_EXIT_FAILURE;
        puts(text);
        free(text);
        return 0;
}

/* The root directory opened and the record of id read: 0, or the exit
   status with the reason printed. */
static int open_record(const char *root, const char *id, int *rootfd, struct oci_record *r)
{
        struct nook_err e = { 0 };

        *rootfd = ocistate_open_root(root, false, &e);
        if (*rootfd < 0 || ocistate_read(*rootfd, id, r, &e) < 0)
                return fail(&e);
        return 0;
}

static int oci_state(const char *root, const char *id)
{
        _cleanup_(oci_record_free) struct oci_record r = { 0 };
        _cleanup_close_ int rootfd = -1;
        int st = open_record(root, id, &rootfd, &r);

        return st ? st : print_state(&r);
}

static int oci_kill(const char *root, const char *id, const char *signame)
{
        _cleanup_(oci_record_free) struct oci_record r = { 0 };
        _cleanup_close_ int rootfd = -1;
        struct nook_err e = { 0 };
        int sig = SIGTERM;

        if (signame && parse_signal(signame, &sig) < 0) {
                nook_errf(&e, EINVAL, "unknown signal '%s' (a number, or a name such as TERM or SIGKILL)", nook_val(signame));
                return fail(&e);
        }
        int st = open_record(root, id, &rootfd, &r);
        if (st)
                return st;
        return ocistate_signal(&r, sig, &e) < 0 ? fail(&e) : 0;
}

/* -f: SIGKILL ends the nook that runs it, and the sandbox with it; waited
   for 5 s at most. */
static int kill_and_wait(const struct oci_record *r, struct nook_err *e)
{
        int rc = ocistate_signal(r, SIGKILL, e);

        if (rc < 0 && rc != -ESRCH)
                return rc;
        for (int i = 0; i < 100 && strcmp(ocistate_status(r), "running") == 0; i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
        if (strcmp(ocistate_status(r), "running") == 0)
                return nook_errf(e, EBUSY, "container %s still runs 5 s after SIGKILL", r->id);
        return 0;
}

static int oci_delete(const char *root, const char *id, bool force)
{
        _cleanup_(oci_record_free) struct oci_record r = { 0 };
        _cleanup_close_ int rootfd = -1;
        struct nook_err e = { 0 };
        int st = open_record(root, id, &rootfd, &r);

        if (st)
                return st;
        if (strcmp(ocistate_status(&r), "running") == 0) {
                if (!force) {
                        nook_errf(&e, EBUSY, "container %s is running (nook oci kill %s KILL, or nook oci delete -f %s)", id, id, id);
                        return fail(&e);
                }
                if (kill_and_wait(&r, &e) < 0)
                        return fail(&e);
        }
        return ocistate_remove(rootfd, id, &e) < 0 ? fail(&e) : 0;
}

static bool is_opt(const char *a, const char *s, const char *l)
{
        return (s && strcmp(a, s) == 0) || strcmp(a, l) == 0;
}

/* A command's own options (argv[0] is the command), the words left in
   words[] (at most max). */
struct oci_args {
        const char *bundle;
        bool all, force;
        const char *words[2];
        size_t n;
};

static int parse_args(int argc, char **argv, struct oci_args *a)
{
        for (int i = 1; i < argc; i++) {
                const char *s = argv[i];
                if (is_opt(s, "-b", "--bundle") && i + 1 < argc)
                        a->bundle = argv[++i];
                else if (str_has_prefix(s, "--bundle="))
                        a->bundle = s + 9;
                else if (is_opt(s, "-a", "--all"))
                        a->all = true;  /* the signal reaches the sandbox's pid 1, which passes it on */
                else if (is_opt(s, "-f", "--force"))
                        a->force = true;
                else if (s[0] == '-' && s[1])
                        return nook_say("oci %s: unknown option '%s' (see 'nook oci --help')", argv[0], nook_val(s)), -EINVAL;
                else if (a->n < ARRAY_SIZE(a->words))
                        a->words[a->n++] = s;
                else
                        return nook_say("oci %s: too many arguments (see 'nook oci --help')", argv[0]), -EINVAL;
        }
        return 0;
}

static int dispatch(const char *root, int argc, char **argv)
{
        struct oci_args a = { .bundle = "." };
        const char *cmd = argv[0];
        size_t want = strcmp(cmd, "kill") == 0 ? 2 : 1;

        if (parse_args(argc, argv, &a) < 0)
                return NOOK_EXIT_FAILURE;
        if (a.n < 1 || a.n > want) {
                nook_say("oci %s: %s (see 'nook oci --help')", cmd, a.n < 1 ? "which container? (an ID)" : "too many arguments");
                return NOOK_EXIT_FAILURE;
        }
        if (strcmp(cmd, "run") == 0)
                return oci_run(root, a.bundle, a.words[0]);
        if (strcmp(cmd, "state") == 0)
                return oci_state(root, a.words[0]);
        if (strcmp(cmd, "kill") == 0)
                return oci_kill(root, a.words[0], a.n > 1 ? a.words[1] : NULL);
        return oci_delete(root, a.words[0], a.force);
}

/* slurmstepd runs RunTimeRun as the job's user but in its own
   environment, root's in production: a HOME or XDG directory that is not
   this user's is not where this user's nook.conf, store or run
   directories are (nor one it may read). HOME then from the passwd entry. */
static void own_environment(void)
{
        static const char *const dirs[] = { "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_CACHE_HOME",
                                            "XDG_STATE_HOME" };
        uid_t uid = getuid();
        struct stat st;

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                const char *v = getenv(dirs[i]);
                if (v && (stat(v, &st) < 0 || st.st_uid != uid))
                        unsetenv(dirs[i]);
        }
        struct user_entry pw;
        if (!getenv("HOME") && users_by_uid(uid, &pw) && pw.home[0])
                setenv("HOME", pw.home, 1);
}

/* nook.conf read for its RuntimeDir=, as nook ps does */
static int load_conf(void)
{
        static struct nook_conf conf;
        struct nook_err e = { 0 };

        own_environment();
        return cli_conf_load_simple(&conf, &e) == 0 ? 0 : fail(&e);
}

int cmd_oci(int argc, char **argv)
{
        static const char *const cmds[] = { "run", "state", "kill", "delete" };
        const char *root = NULL;
        int i = 1;

        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
                        root = argv[++i];
                else if (str_has_prefix(argv[i], "--root="))
                        root = argv[i] + 7;
                else {
                        nook_say("oci: unknown option '%s' (see 'nook oci --help')", nook_val(argv[i]));
                        return NOOK_EXIT_FAILURE;
                }
        }
        for (size_t k = 0; i < argc && k < ARRAY_SIZE(cmds); k++)
                if (strcmp(argv[i], cmds[k]) == 0)
                        return load_conf() != 0 ? NOOK_EXIT_FAILURE : dispatch(root, argc - i, argv + i);
        if (i < argc)
                nook_say("oci: unknown command '%s' (run, state, kill or delete)", nook_val(argv[i]));
        else
                usage(stderr);
        return NOOK_EXIT_FAILURE;
}
