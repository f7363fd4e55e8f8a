#include "lib/launcher.h"

#include <sched.h>
#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"

void launcher_log_output(const char *log)
{
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
        }
}

/* The process that forked the helper: a child that finds another parent
   has missed the death of its own, which PR_SET_PDEATHSIG only reports
   from the moment it is armed. */
static pid_t helper_parent;

/* Armed in the child, again just before exec: a change of credentials on
   the way (setns into a user namespace, a capability set) may clear it. */
static void die_with_parent(void)
{
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != helper_parent)
                _exit(125);
}

/* A helper's child before its own code: it dies with nook, and every fd
   from 3 up but keep is close-on-exec: what nook holds (its own pipes, the
   fds it inherited and keeps for the command) is not the helper's. Marked
   rather than closed: the child's own code may still use them before it
   execs. close_range's flag is there on every kernel nook runs on (5.12
   and later, as sandbox/exec.c's close_range); where something above nook
   refuses it, the child ends rather than pass nook's fds on. */
static void child_prepare(const int *keep, size_t n_keep)
{
        die_with_parent();
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                fprintf(stderr, "nook: cannot start a helper: close_range: %s\n", strerror(errno));
                _exit(125);
        }
        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] > 2)
                        fcntl(keep[i], F_SETFD, 0);
}

pid_t launcher_fork_keep(int *pidfd, const int *keep, size_t n_keep, struct nook_err *e)
{
        *pidfd = -1;
        helper_parent = getpid();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return nook_errf(e, errno, "cannot fork: %m");
        if (pid == 0) {
                child_prepare(keep, n_keep);
                return 0;
        }
        /* nothing but this thread reaps before it is open, so pid is still
           the child's (a zombie at worst, which a pidfd also names) */
        *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (*pidfd < 0) {
                int err = errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return nook_errf(e, err, "cannot open a pidfd of a helper: %m");
        }
        return pid;
}

#ifndef NOOK_SANITIZERS
struct spawn {
        int (*child)(void *);
        void *arg;
        const int *keep;
        size_t n_keep;
};

static int spawn_child(void *p)
{
        const struct spawn *s = p;

        child_prepare(s->keep, s->n_keep);
        return s->child(s->arg);
}
#endif

pid_t launcher_spawn(int *pidfd, const int *keep, size_t n_keep, int (*child)(void *), void *arg, struct nook_err *e)
{
#ifdef NOOK_SANITIZERS
        /* the sanitizers' runtime does not follow a child that shares
           its memory on a stack of its own: forked there */
        pid_t pid = launcher_fork_keep(pidfd, keep, n_keep, e);
        if (pid == 0)
                _exit(child(arg));
        return pid;
#else
        /* the child's stack, in this frame: nook waits while it is used */
        _Alignas(16) char stack[SPAWN_STACK];
        struct spawn s = { child, arg, keep, n_keep };

        *pidfd = -1;
        helper_parent = getpid();
        fflush(NULL);
        pid_t pid = clone(spawn_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &s,
                          pidfd);
        if (pid < 0)
                return nook_errf(e, errno, "cannot start a helper: %m");
        return pid;
#endif
}

/* What nook's own state would otherwise hand on through exec: signals it
   blocks (for its signalfd) stay blocked, signals ignored (by nook, or by
   whoever started nook: nohup, a shell's background job) stay ignored.
   Handlers need no reset: exec resets them itself. */
static void clean_signals(void)
{
        /* the kernel's struct, through the raw call: glibc's sigaction()
           refuses its own two real-time signals (32, 33), which an ignoring
           parent (a CI runner) would otherwise hand on */
        struct {
                void *handler;
                unsigned long flags;
                void *restorer;
                uint64_t mask;
        } dfl = { .handler = (void *)SIG_DFL };
        sigset_t none;

        for (int sig = 1; sig <= 64; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

int launcher_exec_program(const char *program, char **argv)
{
        die_with_parent();
        clean_signals();
        if (strchr(program, '/'))
                execv(program, argv);
        else
                execvp(program, argv);
        return -errno;
}

_Noreturn void launcher_exec(char **argv)
{
        /* its sockets (slirp4netns's API) and files: the user's alone */
        umask(077);
        launcher_exec_program(argv[0], argv);
        _exit(127);
}

struct log_exec {
        const char *log;
        char **argv;
};

static int log_exec_child(void *arg)
{
        const struct log_exec *x = arg;

        if (x->log)
                launcher_log_output(x->log);
        launcher_exec(x->argv);
}

pid_t launcher_spawn_exec(int *pidfd, const int *keep, size_t n_keep, const char *log, char **argv,
                          struct nook_err *e)
{
        struct log_exec x = { log, argv };

        return launcher_spawn(pidfd, keep, n_keep, log_exec_child, &x, e);
}

static bool helper_gone(int pidfd, int ms)
{
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r != 0;
}

int launcher_wait(int pidfd, int ms)
{
        siginfo_t si = { 0 };

        if (!helper_gone(pidfd, ms))
                return -ETIMEDOUT;
        /* ECHILD: reaped already by nook's subreaper loop */
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return -ECHILD;
        return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

void launcher_end(int *pidfd, int sig, int grace_ms)
{
        if (*pidfd < 0)
                return;
        if (sig)
                (void)syscall(SYS_pidfd_send_signal, *pidfd, sig, NULL, 0);
        if (grace_ms > 0 && launcher_wait(*pidfd, grace_ms) == -ETIMEDOUT) {
                (void)syscall(SYS_pidfd_send_signal, *pidfd, SIGKILL, NULL, 0);
                launcher_wait(*pidfd, 2000);
        }
        close(*pidfd);
        *pidfd = -1;
}

struct capture {
        char **argv;
        int in, out, which;
        int (*setup)(void *);
        void *arg;
};

/* An fd of launcher_capture's moved above 0-2, where the child's dup2 onto
   itself would leave it close-on-exec (nook started with 0-2 closed). */
static int above_stdio(int fd)
{
        if (fd < 0 || fd > 2)
                return fd;
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        return moved;
}

static int capture_child(void *arg)
{
        const struct capture *c = arg;
        /* above 0-2 too, or the dup2 onto 0 below would take its place */
        int null = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));

        if (c->setup && c->setup(c->arg) < 0)
                return 125;
        if (dup2(c->in >= 0 ? c->in : null, 0) < 0 || dup2(c->out, c->which) < 0 ||
            dup2(null, c->which == 1 ? 2 : 1) < 0)
                return 125;
        launcher_exec_program(c->argv[0], c->argv);
        return 127;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd until its end of file, or the program's end (then what it
   wrote is taken, and no more waited for: a child it left behind may hold
   the pipe), before deadline (now_ms's); false when it passed first. */
static bool read_output(int fd, int pidfd, char *buf, size_t size, int64_t deadline)
{
        size_t n = 0;
        bool ended = false;
        char drop[256];

        buf[0] = '\0';
        for (;;) {
                int64_t left = deadline - now_ms();
                if (left <= 0)
                        return false;
                struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
                int r = poll(p, ended ? 1 : 2, ended ? 0 : (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return false;
                if (r == 0)
                        return ended;   /* it ended, and nothing more is there */
                if (!ended && p[1].revents)
                        ended = true;
                if (!p[0].revents)
                        continue;
                ssize_t got = n + 1 < size ? read(fd, buf + n, size - 1 - n) : read(fd, drop, sizeof(drop));
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        return got == 0;
                if (n + 1 < size) {
                        n += (size_t)got;
                        buf[n] = '\0';
                }
        }
}

int launcher_capture(char **argv, int in, int which, int (*setup)(void *), void *arg, char *buf, size_t size,
                     int ms, struct nook_err *e)
{
        int pipefd[2], pidfd = -1;

        buf[0] = '\0';
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot run %s: pipe: %m", argv[0]);
        pipefd[0] = above_stdio(pipefd[0]);
        pipefd[1] = above_stdio(pipefd[1]);
        int input = in >= 0 && in <= 2 ? fcntl(in, F_DUPFD_CLOEXEC, 3) : in;
        if (pipefd[0] < 0 || pipefd[1] < 0 || (in >= 0 && input < 0)) {
                int err = errno;
                closep(&pipefd[0]);
                closep(&pipefd[1]);
                if (input != in)
                        closep(&input);
                return nook_errf(e, err, "cannot run %s: %m", argv[0]);
        }
        struct capture c = { argv, input, pipefd[1], which, setup, arg };
        /* what it gets, it gets through dup2 (fds 0-2): every other fd stays nook's */
        pid_t pid = launcher_spawn(&pidfd, NULL, 0, capture_child, &c, e);
        close(pipefd[1]);
        if (input != in)
                close(input);
        if (pid < 0) {
                close(pipefd[0]);
                return (int)pid;
        }
        int64_t deadline = now_ms() + ms;
        bool whole = read_output(pipefd[0], pidfd, buf, size, deadline);
        close(pipefd[0]);
        /* past the deadline, its answer is no answer, however it ended */
        int64_t left = deadline - now_ms();
        int st = whole ? launcher_wait(pidfd, left > 0 ? (int)left : 0) : -ETIMEDOUT;
        if (st == -ETIMEDOUT) {
                launcher_end(&pidfd, SIGKILL, 2000);
                return nook_errf(e, ETIMEDOUT, "%s did not answer within %.1f s", argv[0], ms / 1000.0);
        }
        close(pidfd);
        if (st < 0)
                return nook_errf(e, -st, "cannot wait for %s: %m", argv[0]);
        return st;
}

void launcher_last_line(const char *log, const char *skip, char *buf, size_t size)
{
        char line[512];
        FILE *f = fopen(log, "re");

        buf[0] = '\0';
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] && !(skip && strstr(line, skip))) {
                        /* a message, not a path: cut at 200 bytes */
                        size_t n = strnlen(line, 200);
                        if (n >= size)
                                n = size - 1;
                        memcpy(buf, line, n);
                        buf[n] = '\0';
                }
        }
        if (f)
                fclose(f);
}
