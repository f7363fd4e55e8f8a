#include "fs/fuse-daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

#define FUSE_SUPER_MAGIC 0x65735546

/* The daemon runs in the sandbox's staging root, where the host's root is
   /oldroot and only its system directories are linked: a PATH entry such
   as ~/bin would not resolve there. Found here, on the host's PATH, and
   run as /oldroot/PATH. NULL when it is nowhere. */
static char *find_program(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL;

        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                char *full = NULL;
                if (dir[0] != '/' || asprintf(&full, "/oldroot%s/%s", dir, name) < 0)
                        continue;
                if (access(full + strlen("/oldroot"), X_OK) == 0)
                        return full;
                free(full);
        }
        return NULL;
}

static int open_ns(pid_t child, const char *which)
{
        char path[64];

        return STR_FMT(path, "/proc/%d/ns/%s", (int)child, which) < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
}

struct joined {
        int userns, mntns;
        const char *program;
        char **argv;
        bool verbose;
};

/* The daemon's process until it execs, sharing nook's memory
   (launcher_spawn): in the sandbox's namespaces, a mount namespace of its
   own below them. */
static int joined_child(void *arg)
{
        const struct joined *j = arg;

        if (setns(j->userns, CLONE_NEWUSER) < 0 || setns(j->mntns, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0 ||
            chdir("/") < 0) {
                fprintf(stderr, "nook: cannot join the sandbox to start %s: %s\n", j->argv[0], strerror(errno));
                return 125;
        }
        /* they chat ("unknown argument ignored"); -v shows it */
        int null = j->verbose ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
                dup3(null, 2, 0);
        int err = -launcher_exec_program(j->program, j->argv);
        fprintf(stderr, "nook: cannot run %s: %s\n", j->program + strlen("/oldroot"), strerror(err));
        return 127;
}

pid_t fuse_daemon_start(pid_t child, char *argv[], bool verbose, int *pidfd, struct nook_err *e)
{
        _cleanup_free_ char *program = find_program(argv[0]);
        if (!program)
                return nook_errf(e, ENOENT, "%s is not installed (apt-get install %s)", argv[0], argv[0]);
        _cleanup_close_ int userns = open_ns(child, "user");
        _cleanup_close_ int mntns = open_ns(child, "mnt");
        if (userns < 0 || mntns < 0)
                return nook_errf(e, errno, "cannot join the sandbox to start %s: %m", argv[0]);
        /* dies with nook, whatever kills it; takes no fd of nook's */
        struct nook_err fe = { 0 };
        struct joined j = { userns, mntns, program, argv, verbose };
        pid_t pid = launcher_spawn(pidfd, NULL, 0, joined_child, &j, &fe);
        if (pid < 0)
                return nook_errf(e, -pid, "cannot start %s: %s", argv[0], fe.msg);
        return pid;
}

/* In the daemon's process, in a user namespace of its own: the source
   opened (inherited through exec), its end of the socket kept through exec,
   and argv copied to out (n slots) with their numbers. */
static int open_for(const struct fuse_daemon_mount *m, int sock, char *argv[], char *out[], size_t n, char src[32],
                    char num[16])
{
        struct stat st;

        int sfd = open(m->source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (sfd < 0 || fstat(sfd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        int keep = fcntl(sock, F_DUPFD, 3);
        if (keep < 0)
                return -errno;
        if (str_fmt(src, 32, "/proc/self/fd/%d", sfd) < 0 || str_fmt(num, 16, "%d", keep) < 0)
                return -ENAMETOOLONG;
        size_t i = 0;
        for (; argv[i] && i + 1 < n; i++)
                out[i] = strcmp(argv[i], FUSE_DAEMON_SOURCE) == 0 ? src
                       : strcmp(argv[i], FUSE_DAEMON_SOCKET) == 0 ? num
                                                                   : argv[i];
        out[i] = NULL;
        return argv[i] ? -E2BIG : sfd;
}

struct early {
        char **argv;
        const struct fuse_daemon_mount *m;
        const char *name;
        int sock;
        bool verbose;
};

/* The daemon's process until it execs, sharing nook's memory
   (launcher_spawn): what it uses is on its own stack. */
static int early_child(void *arg)
{
        const struct early *x = arg;

        /* a user namespace of its own, where its capabilities can all be
           dropped (it has none here), and an IPC one: no System V object
           of the user's; a session of its own, and nothing of the user's
           terminal */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || unshare(CLONE_NEWUSER | CLONE_NEWIPC) < 0 || setsid() < 0 || dup2(null, 0) < 0 ||
            dup2(null, 1) < 0) {
                fprintf(stderr, "nook: cannot start %s: %s\n", x->name, strerror(errno));
                return 125;
        }
        char *args[16], src[32], num[16];
        /* the source opened where nook runs (a relative --store) */
        int sfd = open_for(x->m, x->sock, x->argv, args, ARRAY_SIZE(args), src, num);
        if (sfd >= 0 && chdir("/") < 0)
                sfd = -errno;
        if (sfd >= 0 && x->m->confine)
                sfd = x->m->confine(x->argv[0], sfd, x->m->arg);
        if (sfd < 0) {
                fprintf(stderr, "nook: cannot start %s: %s\n", x->name, strerror(-sfd));
                return 125;
        }
        /* -v shows what it says */
        if (!x->verbose)
                dup2(null, 2);
        int err = -launcher_exec_program(x->argv[0], args);
        fprintf(stderr, "nook: cannot run %s: %s\n", x->argv[0], strerror(err));
        return 127;
}

pid_t fuse_daemon_start_early(char *argv[], const struct fuse_daemon_mount *m, bool verbose, int *pidfd, int *sock,
                              struct nook_err *e)
{
        const char *slash = strrchr(argv[0], '/');
        const char *name = slash ? slash + 1 : argv[0];
        int pair[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return nook_errf(e, errno, "cannot start %s: %m", name);
        /* dies with nook, whatever kills it; takes no fd of nook's but its
           end of the socket, which open_for copies to the number its
           argument names (pair[1] itself stays close-on-exec: one copy) */
        struct early x = { argv, m, name, pair[1], verbose };
        struct nook_err fe = { 0 };
        pid_t pid = launcher_spawn(pidfd, NULL, 0, early_child, &x, &fe);
        close(pair[1]);
        if (pid < 0) {
                close(pair[0]);
                return nook_errf(e, -pid, "cannot start %s: %s", name, fe.msg);
        }
        *sock = pair[0];
        return pid;
}

int fuse_daemon_serve(int *sock, int dev, const char *what, int ms, struct nook_err *e)
{
        _cleanup_close_ int sk = steal_fd(sock);
        struct pollfd p = { .fd = sk, .events = POLLIN };
        char c = 0;

        if (sk < 0 || fd_send(sk, dev) < 0)
                return nook_errf(e, ENOTCONN, "%s ended before it served its mount (run with -v to see its messages)", what);
        /* one byte once it has the kernel's INIT, or EOF */
        int n = poll(&p, 1, ms);
        if (n == 0)
                return nook_errf(e, ETIMEDOUT, "%s did not serve its mount within %d s (is /dev/fuse usable? run with -v to see its messages)",
                                 what, ms / 1000);
        if (n < 0 || read(sk, &c, 1) != 1)
                return nook_errf(e, ENOTCONN, "%s ended before it served its mount (run with -v to see its messages)", what);
        return 0;
}

void fuse_daemon_stop(int *pidfd)
{
        /* the mount namespace ends with its last process, nook: the daemon
           goes first, given a few seconds to finish its work */
        launcher_end(pidfd, SIGTERM, 5000);
}

void fuse_daemon_kill(int *pidfd)
{
        launcher_end(pidfd, SIGKILL, 2000);
}

/* In a child of the waiter: until the daemon serves target (0) or its
   mount lost its daemon (2). A statfs of a FUSE file system that nook
   mounted waits in the kernel until the daemon answers its INIT, however
   long that takes; the waiter bounds that wait by the child's. */
static _Noreturn void wait_served(const char *target)
{
        struct timespec step = { 0, 500 * 1000 };

        for (;;) {
                struct statfs sf;
                int r = statfs(target, &sf);
                if (r == 0 && (unsigned)sf.f_type == FUSE_SUPER_MAGIC)
                        _exit(0);
                if (r < 0 && (errno == ENOTCONN || errno == ECONNABORTED))
                        _exit(2);
                nanosleep(&step, NULL);
        }
}

int fuse_daemon_wait(const char *target, const char *what, struct nook_err *e)
{
        /* A FUSE daemon mounts a few milliseconds after its exec; every
           step of this wait that overshoots the mount is added to the start
           of the sandbox (5 ms steps cost 2.5 ms a daemon on average), so
           the steps are short: 0.5 ms, a statfs each, in a child that is
           given at most 5 s. */
        struct nook_err fe = { 0 };
        _cleanup_close_ int pidfd = -1;
        pid_t pid = launcher_fork_keep(&pidfd, NULL, 0, &fe);

        if (pid < 0)
                return nook_errf(e, -pid, "cannot wait for %s: %s", what, fe.msg);
        if (pid == 0)
                wait_served(target);
        int r = launcher_wait(pidfd, 5000);
        if (r == 0)
                return 0;
        if (r == -ETIMEDOUT)
                launcher_end(&pidfd, SIGKILL, 1000);
        /* nook mounted it, and the daemon ended before serving it */
        if (r == 2)
                return nook_errf(e, ENOTCONN, "%s ended before it served %s (run with -v to see its messages)", what, target);
        return nook_errf(e, ETIMEDOUT, "%s did not serve %s within 5 s (is /dev/fuse usable? run with -v to see its messages)", what, target);
}
