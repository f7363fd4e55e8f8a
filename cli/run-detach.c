/* nook run -d: the sandbox goes on in a child of its own session, its
   output through a relay into a log; the caller waits until it has started
   (or failed), says which, and returns. */
#include "cli/run-detach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd-run.h"
#include "cli/run-options.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "state/runlog.h"
#include "state/runstate.h"

/* What -d needs to know before anything else: whether it is asked for,
   and the --fd it must pass on. */
struct detach {
        int *keep;
        size_t n_keep;
        int max_fd;     /* the highest of them, or 2 */
};

static bool wants_detach(int argc, char **argv, struct detach *d)
{
        struct run_args a;
        struct nook_err e = { 0 };

        run_args_init(&a);
        a.quiet = true;         /* the full parse prints help, once */
        bool on = run_args_parse(&a, argc, argv, NULL, &e) == 0 && a.direct.detach;
        d->max_fd = 2;
        for (size_t i = 0; on && i < a.direct.n_keep_fds; i++) {
                /* one that is not open: the full parse says so */
                if (fcntl(a.direct.keep_fds[i], F_GETFD) < 0)
                        on = false;
                if (a.direct.keep_fds[i] > d->max_fd)
                        d->max_fd = a.direct.keep_fds[i];
        }
        d->keep = steal_ptr(&a.direct.keep_fds);
        d->n_keep = a.direct.n_keep_fds;
        a.direct.n_keep_fds = 0;
        run_args_free(&a);
        return on;
}

static bool kept(const struct detach *d, int fd)
{
        for (size_t i = 0; i < d->n_keep; i++)
                if (d->keep[i] == fd)
                        return true;
        return false;
}

/* The sandbox's output file for -d: $XDG_STATE_HOME/nook/logs/ID.log, in a
   directory of the user's own (0700, not a link), a new regular file (an
   old one of a reused ID is replaced, never written through). */
static int detach_log(pid_t id, char **path, struct nook_err *e)
{
        char dir[4096];
        struct stat st;

        runstate_logs_dir(dir, sizeof(dir));
        int r = mkdir_p(dir, 0700);
        if (r == -EPERM)
                return nook_errf(e, EPERM, "cannot create %s: a directory on its way is another user's, or others may write it (set XDG_STATE_HOME to a private directory of yours)", dir);
        if (r < 0)
                return nook_errf(e, -r, "cannot create %s: %m", dir);
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
                return nook_errf(e, EPERM, "%s is not a private directory of yours (remove it, or set XDG_STATE_HOME)", dir);
        if (asprintf(path, "%s/%d.log", dir, (int)id) < 0) {
                *path = NULL;
                return nook_errf(e, ENOMEM, "out of memory");
        }
        unlink(*path);
        int fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
                return nook_errf(e, errno, "cannot create %s: %m", *path);
        /* back to blocking writes: a full disk must not look like EAGAIN */
        fcntl(fd, F_SETFL, O_APPEND);
        return fd;
}

/* The pipe whose write end tells the caller that the command runs: above
   every --fd, so that none of them is taken for it. */
static int ready_pipe(int max_fd, int ready[2])
{
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        for (int i = 0; i < 2; i++)
                if (ready[i] <= max_fd) {
                        int moved = fcntl(ready[i], F_DUPFD_CLOEXEC, max_fd + 1);
                        close(ready[i]);
                        ready[i] = moved;
                }
        return 0;
}

/* In the child: a session of its own, stdin /dev/null, stdout and stderr
   the log's relay, nothing of the caller's open but what --fd passes (a
   pipe held open here would keep the caller's reader waiting). */
static void become_background(const struct detach *d, int ready_w, struct detached *bg)
{
        struct nook_err e = { 0 };
        int max_fd = d->max_fd;

        setsid();
        int fd = detach_log(getpid(), &bg->log, &e);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || null < 0) {
                nook_err_print(&e);
                _exit(NOOK_EXIT_FAILURE);
        }
        /* through a relay that caps the log (runlog.h); the caller learns
           that it failed once the relay has written all */
        fd = runlog_relay(fd, bg->log, ready_w);
        char logs[4096];
        runstate_logs_dir(logs, sizeof(logs));
        runlog_prune(logs);
        dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        close(null);
        if (ready_w > max_fd + 1)
                syscall(SYS_close_range, (unsigned)max_fd + 1, (unsigned)ready_w - 1, 0);
        syscall(SYS_close_range, (unsigned)ready_w + 1, ~0U, 0);
        for (int f = 3; f <= max_fd; f++)
                if (!kept(d, f))
                        close(f);
        bg->ready_fd = ready_w;
}

/* In the caller: the child's ID once its command runs; else what it said
   before it failed (its log, which is then removed) and its status. */
static int report_start(pid_t child, int ready_r)
{
        char c = 0;
        ssize_t n;

        do
                n = read(ready_r, &c, 1);
        while (n < 0 && errno == EINTR);
        close(ready_r);
        if (n == 1) {
                printf("%d\n", (int)child);
                return 0;
        }
        int st = 0;
        waitpid(child, &st, 0);
        char dir[4096];
        _cleanup_free_ char *path = NULL;
        runstate_logs_dir(dir, sizeof(dir));
        if (asprintf(&path, "%s/%d.log", dir, (int)child) < 0)
                return NOOK_EXIT_FAILURE;
        FILE *f = fopen(path, "re");
        if (f) {
                /* helpers write there too: as text, not as terminal controls */
                nook_copy_lines(f, stderr);
                fclose(f);
        }
        /* it never ran: its log was only this */
        unlink(path);
        return WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : NOOK_EXIT_FAILURE;
}

static enum detach_side fork_background(const struct detach *d, struct detached *bg, int *status)
{
        int ready[2];

        *status = NOOK_EXIT_FAILURE;
        if (ready_pipe(d->max_fd, ready) < 0) {
                perror("nook: cannot start in the background");
                return DETACH_CALLER;
        }
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
                perror("nook: cannot start in the background");
                return DETACH_CALLER;
        }
        if (child == 0) {
                close(ready[0]);
                become_background(d, ready[1], bg);
                return DETACH_SANDBOX;
        }
        close(ready[1]);
        *status = report_start(child, ready[0]);
        return DETACH_CALLER;
}

enum detach_side run_detach(int argc, char **argv, struct detached *bg, int *status)
{
        struct detach d = { 0 };

        bg->ready_fd = -1;
        bg->log = NULL;
        bool on = wants_detach(argc, argv, &d);
        enum detach_side side = on ? fork_background(&d, bg, status) : DETACH_NOT_ASKED;
        free(d.keep);
        return side;
}
