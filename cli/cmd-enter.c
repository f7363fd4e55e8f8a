#include "cli/cmd-enter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "cred/caps.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "cli/cmd-run.h"
#include "cli/enter-env.h"
#include "sandbox/exec.h"
#include "sandbox/init.h"
#include "sandbox/landlock.h"
#include "sandbox/pty-relay.h"
#include "state/runstate.h"
#include "sandbox/seccomp.h"

static void usage(FILE *out)
{
        fputs("Usage: nook enter [-i] [-t] [-w DIR] [--caller-env] NAME|ID [-- COMMAND [ARG...]]\n"
              "       nook exec [-i] [-t] NAME|ID [--] COMMAND [ARG...]\n"
              "\n"
              "Run COMMAND (default /bin/sh) inside a running sandbox (nook ps lists\n"
              "them): in its namespaces, its root and its network, confined as its\n"
              "command is: the same user, limits, capabilities, Landlock rules and\n"
              "seccomp filter, as recorded when the sandbox started; with the command's\n"
              "environment (your TERM) and in its working directory. The exit status\n"
              "is COMMAND's; 125 when nook enter itself fails. None of your fds enters:\n"
              "COMMAND gets a new terminal for yours, and pipes for the others, which\n"
              "nook enter relays until COMMAND ends.\n"
              "\n"
              "  -t, --tty     a new terminal on all of fds 0-2, even when yours are none\n"
              "  -w, --workdir=DIR  run COMMAND in DIR (an absolute path inside)\n"
              "  --try-workdir=DIR  in DIR when it is a directory inside, else as without\n"
              "  --caller-env[=NAME,...]  add your environment's variables that the\n"
              "                command's lacks; each NAME given (PREFIX* for all that\n"
              "                start so) takes yours even where it has one\n"
              "  -i, --interactive  accepted: stdin always reaches COMMAND\n"
              "  -h, --help    show this help\n"
              "nook exec is nook enter, as podman's exec: -it, and the command may\n"
              "follow the name without '--'.\n"
              "See nook(1).\n",
              out);
}

/* The sandbox's command, as the host sees it: the oldest child of pid 1. */
static pid_t find_command(pid_t pid1)
{
        DIR *dp = opendir("/proc");
        struct dirent *de;
        pid_t best = -1;
        unsigned long long best_start = 0;

        while (dp && (de = readdir(dp))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                pid_t ppid;
                unsigned long long start;
                if (pid <= 0 || *end || runstate_proc_stat((pid_t)pid, &ppid, &start) < 0 || ppid != pid1)
                        continue;
                if (best < 0 || start < best_start) {
                        best = (pid_t)pid;
                        best_start = start;
                }
        }
        if (dp)
                closedir(dp);
        return best;
}

/* A process's environment, as /proc/PID/environ shows it (the process can
   have changed it: it is only ever used inside its own sandbox). NULL with
   errno set. */
static char **read_environ(pid_t pid)
{
        char path[64];
        size_t used = 0, n = 0;

        if (STR_FMT(path, "/proc/%d/environ", (int)pid) < 0) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = fd >= 0 ? read_all(fd, 1 << 24, &used) : NULL;
        if (!buf)
                return NULL;
        /* NUL-separated, and read_all ends the last one */
        char **env = calloc(1, sizeof(*env));
        for (size_t i = 0; env && i < used; i += strlen(buf + i) + 1)
                if (strv_push(&env, &n, buf + i) < 0) {
                        strv_free(env);
                        errno = ENOMEM;
                        return NULL;
                }
        if (!env)
                errno = ENOMEM;
        return env;
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/PID/status all equal
   to id: as the reader's user namespace sees them. */
static bool status_ids_are(const char *status, const char *key, unsigned id)
{
        const char *p = strstr(status, key);
        unsigned v[4];

        return p && sscanf(p + strlen(key), " %u %u %u %u", &v[0], &v[1], &v[2], &v[3]) == 4 && v[0] == id &&
               v[1] == id && v[2] == id && v[3] == id;
}

/* What enter runs gets the live environment of pid only when pid runs as
   no other id than what enter runs as (or enter runs as root of the
   namespace, which may read any): joined to the owner namespace, nook
   could read the environment of any process there, and must not hand
   that of a more privileged one down to a lesser id. */
static int environ_is_ours_to_take(pid_t pid, uid_t uid, gid_t gid, struct nook_err *e)
{
        char path[64];
        size_t len = 0;

        if (uid == 0)
                return 0;
        if (STR_FMT(path, "/proc/%d/status", (int)pid) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot name the status of the sandbox's command");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *status = fd >= 0 ? read_all(fd, 1 << 16, &len) : NULL;
        if (!status)
                return nook_errf(e, errno ? errno : EIO, "cannot read the ids of the sandbox's command: %m");
        if (!status_ids_are(status, "\nUid:", uid) || !status_ids_are(status, "\nGid:", gid))
                return nook_errf(e, EPERM, "the sandbox's command no longer runs as uid %u, gid %u, as it started: its environment is not passed to what enters",
                                 (unsigned)uid, (unsigned)gid);
        return 0;
}

/* The namespaces of a process, opened before any is joined: once in the
   sandbox's, the host's /proc paths no longer mean the same. */
struct ns_set {
        int owner;      /* the user namespace that owns its mounts and network */
        int own_user;   /* its own user namespace (below owner when nested) */
        int fds[6];
};

static const struct {
        const char *name;
        int type;
} ns_kinds[] = {
        { "mnt", CLONE_NEWNS }, { "net", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC },
        { "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID },
};

static bool same_as_ours(int fd, const char *name)
{
        char path[64];
        struct stat a, b;

        return STR_FMT(path, "/proc/self/ns/%s", name) == 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
               a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int open_namespaces(pid_t pid, struct ns_set *ns, struct nook_err *e)
{
        char path[64];

        ns->owner = ns->own_user = -1;
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++)
                ns->fds[i] = -1;
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
                ns->fds[i] = STR_FMT(path, "/proc/%d/ns/%s", (int)pid, ns_kinds[i].name) == 0
                                     ? open(path, O_RDONLY | O_CLOEXEC) : -1;
                if (ns->fds[i] < 0)
                        return nook_errf(e, errno, "cannot open the sandbox's %s namespace: %m", ns_kinds[i].name);
                /* --net host: the host's own, joined already. Told apart
                   here: once in the sandbox's mounts, /proc/self is gone
                   (its /proc shows its own pid namespace only). */
                if (i > 0 && same_as_ours(ns->fds[i], ns_kinds[i].name)) {
                        close(ns->fds[i]);
                        ns->fds[i] = -1;
                }
        }
        ns->own_user = STR_FMT(path, "/proc/%d/ns/user", (int)pid) == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (ns->own_user < 0)
                return nook_errf(e, errno, "cannot open the sandbox's user namespace: %m");
        ns->owner = ioctl(ns->fds[0], NS_GET_USERNS);
        if (ns->owner < 0)
                return nook_errf(e, errno, "cannot find the user namespace of the sandbox's mounts: %m");
        return 0;
}

static void close_namespaces(struct ns_set *ns)
{
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++)
                closep(&ns->fds[i]);
        closep(&ns->owner);
        closep(&ns->own_user);
}

static int join_owner(const struct ns_set *ns, struct nook_err *e)
{
        if (setns(ns->owner, CLONE_NEWUSER) < 0)
                return nook_errf(e, errno, "cannot join the sandbox's user namespace: %m");
        return 0;
}

/* After join_owner(): the mount namespace first, the others after it. */
static int join_the_others(const struct ns_set *ns, struct nook_err *e)
{
        for (size_t i = 0; i < ARRAY_SIZE(ns_kinds); i++) {
                if (ns->fds[i] < 0)     /* ours already */
                        continue;
                if (setns(ns->fds[i], ns_kinds[i].type) < 0)
                        return nook_errf(e, errno, "cannot join the sandbox's %s namespace: %m", ns_kinds[i].name);
        }
        return 0;
}

struct entered {
        pid_t child;
        int status;
};

/* What a process or the caller's terminal sends us goes to the entered
   command, which has a session of its own; returns true once it has ended,
   with its exit status, as nook run's. */
static bool entered_signal(void *arg, const struct signalfd_siginfo *si)
{
        struct entered *x = arg;
        int st;
        pid_t p;

        if (si && si->ssi_signo != SIGCHLD) {
                kill(x->child, (int)si->ssi_signo);
                return false;
        }
        while ((p = waitpid(x->child, &st, WNOHANG)) < 0 && errno == EINTR)
                ;
        if (p == x->child)
                x->status = init_exit_status(st);
        else if (p < 0)
                x->status = NOOK_EXIT_FAILURE;
        return p != 0;
}

/* The command's uid in an image sandbox, which its terminal is given to. */
static uid_t image_uid(const struct nook_spec *s)
{
        return s->uid_set ? s->uid : s->run_as_set ? s->run_uid : 0;
}

static gid_t image_gid(const struct nook_spec *s)
{
        return s->gid_set ? s->gid : s->run_as_set ? s->run_gid : 0;
}

/* -t: the pty on all of fds 0-2, as nook run -t */
static bool force_tty;

/* --caller-env[=NAME,...], -w DIR, --try-workdir=DIR */
static struct {
        bool caller_env;
        const char *keep;       /* the NAMEs, or NULL */
        const char *workdir;
        const char *try_workdir;
} opt;

/* Runs the entered command with a pty (for the caller's fds 0-2 that are a
   terminal) and pipes (for the others) that this process, staying outside,
   relays: none of the caller's fds 0-2 enters the sandbox, where a process
   could keep it, or reopen it through /proc/PID/fd, after we return. */
static int run_entered(struct exec_ctx *x, const struct run_confine *c, int *status, struct nook_err *e)
{
        struct relay relay;
        sigset_t block, old;

        /* the sandbox's root since setns: its own devpts */
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return nook_errf(e, errno, "cannot open the sandbox's root: %m");
        int r = relay_prepare(&relay, force_tty ? 7 : relay_tty_fds(), true, root, e);
        if (r < 0)
                return r;
        init_forwarded_signals(&block);
        sigaddset(&block, SIGCHLD);
        sigprocmask(SIG_BLOCK, &block, &old);
        _cleanup_close_ int sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                relay_close(&relay);
                return nook_errf(e, errno, "cannot watch signals: %m");
        }
        /* not dumpable since it joined (enter()): the child holds the
           sandbox's capabilities until it drops them, and the sandbox's
           processes must not trace it meanwhile; exec makes the command
           dumpable again */
        fflush(NULL);
        pid_t child = fork();   /* into the sandbox's pid namespace */
        if (child == 0) {
                struct nook_err ce = { 0 };
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (relay_child(&relay, c->image ? image_uid(x->spec) : (uid_t)-1,
                                c->image ? image_gid(x->spec) : (gid_t)-1, &ce) < 0) {
                        nook_err_print(&ce);
                        _exit(NOOK_EXIT_FAILURE);
                }
                x->sigmask = &old;
                exec_command(x);
        }
        if (child < 0) {
                relay_close(&relay);
                return nook_errf(e, errno, "cannot start the command: %m");
        }
        relay_parent(&relay);
        /* what stays outside holds nothing the sandbox could use */
        struct nook_err ce = { 0 };
        if (caps_drop_all(&ce) < 0) {
                kill(child, SIGKILL);
                nook_err_print(&ce);
        }
        struct entered ent = { .child = child, .status = NOOK_EXIT_FAILURE };
        r = relay_run(&relay, sfd, entered_signal, &ent, e);
        relay_close(&relay);
        if (r < 0) {
                kill(child, SIGKILL);
                waitpid(child, NULL, 0);
                return r;
        }
        *status = ent.status;
        return 0;
}

/* The sandbox's pid 1 is still the one the state names (a child of its
   nook, started when recorded), and cmd its child. */
static bool identities_hold(const struct run_state *st, unsigned long long pid1_start, pid_t cmd)
{
        pid_t ppid;
        unsigned long long start;

        if (runstate_proc_stat(st->pid1, &ppid, &start) < 0 || ppid != st->nook_pid || start != pid1_start)
                return false;
        return cmd < 0 || (runstate_proc_stat(cmd, &ppid, &start) == 0 && ppid == st->pid1);
}

/* Still running: while it does, no other process can have its pid, so what
   was opened under /proc/PID was its. */
static bool still_running(int pidfd)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0) == 0;
}

/* What enter holds of the sandbox on its way in. */
struct entering {
        struct nook_spec spec;          /* the confinement recorded, then the command */
        struct run_confine c;
        struct seccomp_prog prog;
        struct ns_set ns;
        pid_t cmd;                      /* the sandbox's command, as the host sees it */
        int pidfd;                      /* of cmd: while it runs, its pid is its */
        int cwd;                        /* its working directory, or -1 */
        char **env;                     /* its environment */
        bool nested;                    /* it runs in a user namespace below the owner */
};

/* The confinement recorded when the command started: no profile is read
   again, since the sandbox may have written one since. */
static int load_confinement(const struct run_state *st, struct entering *x, struct nook_err *e)
{
        int r = runstate_confinement(st, &x->spec, &x->c, e);

        return r < 0 ? r : exec_build_filter(&x->spec, &x->prog, e);
}

/* The command's process (a pidfd), its namespaces and its directory, all
   opened while it was still the one the state names. */
static int open_command(const struct run_state *st, struct entering *x, struct nook_err *e)
{
        char cwd_link[64];
        struct stat a, b;

        x->cmd = find_command(st->pid1);
        if (x->cmd < 0 || !identities_hold(st, x->c.pid1_start, -1))
                return nook_errf(e, ESRCH, "the sandbox's command is gone (it is ending)");
        x->pidfd = (int)syscall(SYS_pidfd_open, x->cmd, 0);
        if (x->pidfd < 0 || !identities_hold(st, x->c.pid1_start, x->cmd))
                return nook_errf(e, ESRCH, "the sandbox's command is gone (it is ending)");
        int r = open_namespaces(x->cmd, &x->ns, e);
        if (r < 0)
                return r;
        if (STR_FMT(cwd_link, "/proc/%d/cwd", (int)x->cmd) == 0)
                x->cwd = open(cwd_link, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!still_running(x->pidfd))
                return nook_errf(e, ESRCH, "the sandbox's command ended meanwhile");
        /* nested: the command unshared a user namespace below the one that
           owns the sandbox; so does what enters */
        x->nested = fstat(x->ns.owner, &a) == 0 && fstat(x->ns.own_user, &b) == 0 && a.st_ino != b.st_ino;
        return 0;
}

/* Joined to the owner user namespace, before its mounts: there, and only
   there, the command's environment is ours to read even when a
   subordinate id owns it (an image's -u 1000); the host's /proc still
   names it. */
static int take_environ(struct entering *x, struct nook_err *e)
{
        uid_t uid = x->c.image ? image_uid(&x->spec) : getuid();
        gid_t gid = x->c.image ? image_gid(&x->spec) : getgid();

        int r = environ_is_ours_to_take(x->cmd, uid, gid, e);
        if (r < 0)
                return r;
        errno = 0;
        x->env = read_environ(x->cmd);
        if (!x->env)
                return nook_errf(e, errno ? errno : ENOMEM, "cannot read the environment of the sandbox's command: %m");
        /* what was read under /proc/PID was the command's */
        if (!still_running(x->pidfd))
                return nook_errf(e, ESRCH, "the sandbox's command ended meanwhile");
        return 0;
}

/* Once in the sandbox's mounts: --try-workdir's directory where there is
   one, else -w's (which must be), else the command's own, else /. */
static int enter_workdir(int cmd_cwd, struct nook_err *e)
{
        if (opt.try_workdir && chdir(opt.try_workdir) == 0)
                return 0;
        if (opt.workdir && chdir(opt.workdir) < 0)
                return nook_errf(e, errno, "cannot change to %s in the sandbox: %m", nook_val(opt.workdir));
        if (opt.workdir)
                return 0;
        if ((cmd_cwd < 0 || fchdir(cmd_cwd) < 0) && chdir("/") < 0)
                return nook_errf(e, errno, "cannot change directory in the sandbox: %m");
        return 0;
}

static int set_command(struct nook_spec *spec, char **command, struct nook_err *e)
{
        size_t n = 0;

        for (char **p = command; p && *p; p++)
                if (strv_push(&spec->argv, &n, *p) < 0)
                        return nook_errf(e, ENOMEM, "out of memory");
        if (!command && strv_push(&spec->argv, &n, "/bin/sh") < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        return 0;
}

static int enter(const struct run_state *st, char **command, struct nook_err *e)
{
        struct entering x = { .ns = { .owner = -1, .own_user = -1, .fds = { -1, -1, -1, -1, -1, -1 } },
                              .pidfd = -1, .cwd = -1 };
        int status = NOOK_EXIT_FAILURE;

        spec_init(&x.spec);
        int r = load_confinement(st, &x, e);
        if (r == 0)
                r = open_command(st, &x, e);
        /* from here on this process holds the sandbox's capabilities (and
           the caller's fds): no process of the sandbox's may trace it */
        prctl(PR_SET_DUMPABLE, 0);
        if (r == 0)
                r = join_owner(&x.ns, e);
        if (r == 0)
                r = take_environ(&x, e);
        if (r == 0)
                r = join_the_others(&x.ns, e);
        if (r == 0 && opt.caller_env)
                r = enter_env_merge(&x.env, environ, opt.keep, e);
        if (r == 0)
                r = enter_workdir(x.cwd, e);
        if (r == 0)
                r = set_command(&x.spec, command, e);
        if (r == 0) {
                struct exec_ctx ctx = { .spec = &x.spec, .seccomp = x.spec.seccomp == SPEC_SECCOMP_DEFAULT ? &x.prog : NULL,
                                        .image = x.c.image, .nest = x.nested, .nest_uid = x.c.nest_uid,
                                        .nest_gid = x.c.nest_gid, .environ = x.env };
                r = run_entered(&ctx, &x.c, &status, e);
        }
        close_namespaces(&x.ns);
        closep(&x.pidfd);
        closep(&x.cwd);
        strv_free(x.env);
        seccomp_prog_free(&x.prog);
        spec_free(&x.spec);
        return r < 0 ? r : status;
}

/* The value of option name at argv[0] ("--name=V", or "--name V" and
   "-n V" with short): the words it takes in *used, 0 when it is not this
   option. */
static const char *option_value(char **argv, int argc, const char *name, const char *shortname, int *used)
{
        size_t n = strlen(name);

        *used = 0;
        if (strncmp(argv[0], name, n) == 0 && argv[0][n] == '=') {
                *used = 1;
                return argv[0] + n + 1;
        }
        if (strcmp(argv[0], name) != 0 && (!shortname || strcmp(argv[0], shortname) != 0))
                return NULL;
        *used = argc > 1 ? 2 : -1;
        return argc > 1 ? argv[1] : NULL;
}

/* One option before the name: the words it took, 0 when argv[0] is none,
   -1 (said) when it is incomplete. */
static int take_option(int argc, char **argv)
{
        const char *a = argv[0];
        int used = 0;

        if (a[0] != '-' || !a[1])
                return 0;
        /* podman's -i, -t, -it, -ti */
        if (strspn(a + 1, "it") == strlen(a + 1) || strcmp(a, "--tty") == 0 || strcmp(a, "--interactive") == 0) {
                if (strchr(a + 1, 't') && strcmp(a, "--interactive") != 0)
                        force_tty = true;
                return 1;
        }
        if (strcmp(a, "--caller-env") == 0 || strncmp(a, "--caller-env=", 13) == 0) {
                opt.caller_env = true;
                opt.keep = a[12] == '=' ? a + 13 : NULL;
                return 1;
        }
        const char *v = option_value(argv, argc, "--workdir", "-w", &used);
        if (used > 0)
                opt.workdir = v;
        if (used == 0 && (v = option_value(argv, argc, "--try-workdir", NULL, &used)) && used > 0)
                opt.try_workdir = v;
        if (used < 0)
                fprintf(stderr, "nook: enter: %s needs a directory\n", nook_val(a));
        if (used > 0 && v[0] != '/') {
                fprintf(stderr, "nook: enter: %s '%s' is not an absolute path\n", used == 2 ? a : "the working directory", nook_val(v));
                return -1;
        }
        return used;
}

int cmd_enter(int argc, char **argv)
{
        struct nook_err e = { 0 };
        int first = 1;
        bool exec = strcmp(argv[0], "exec") == 0;

        if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                usage(stdout);
                return 0;
        }
        /* options before the name */
        int used;
        while (argc > 1 && (used = take_option(argc - 1, argv + 1)) != 0) {
                if (used < 0)
                        return NOOK_EXIT_FAILURE;
                argv += used;
                argc -= used;
        }
        if (argc < 2 || argv[1][0] == '-') {
                fprintf(stderr, "nook: %s: name the sandbox to enter (nook %s NAME|ID [-- COMMAND...]; nook ps lists them)\n",
                        exec ? "exec" : "enter", exec ? "exec" : "enter");
                return NOOK_EXIT_FAILURE;
        }
        char **command = NULL;
        /* nook exec NAME CMD...: podman's form, without "--" */
        if (exec && argc > 2 && strcmp(argv[2], "--") != 0)
                command = argv + 2;
        else if (argc > 2) {
                if (strcmp(argv[2], "--") != 0 || argc == 3) {
                        fprintf(stderr, "nook: enter: the command comes after '--' (nook enter %s -- COMMAND...)\n", nook_val(argv[1]));
                        return NOOK_EXIT_FAILURE;
                }
                command = argv + 3;
        }
        /* a closed fd 0-2 of the caller's is /dev/null to us, so that no
           pipe or file of ours takes its number and is taken for it */
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
                        fprintf(stderr, "nook: enter: cannot open /dev/null for fd %d: %m\n", fd);
                        return NOOK_EXIT_FAILURE;
                }
        struct run_state st;
        int r = runstate_find(argv[first], &st, &e);
        if (r == 0) {
                r = enter(&st, command, &e);
                run_state_free(&st);
        }
        if (r < 0) {
                nook_err_print(&e);
                return NOOK_EXIT_FAILURE;
        }
        return r;
}
