#include "sandbox/pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cred/caps.h"
#include "fs/mount.h"
#include "lib/cleanup.h"
#include "lib/timing.h"
#include "netns/egress.h"
#include "netns/loopback.h"
#include "sandbox/exec.h"
#include "sandbox/init.h"
#include "sandbox/mounts.h"
#include "sandbox/pty-relay.h"
#include "sandbox/root.h"

/* Its name, its loopback and its egress rules, as the plan says: the
   sandbox's UTS and network namespaces, set up before any capability is
   dropped, so that the command can never change them. */
static int setup_namespaces(const struct plan *p, struct nook_err *e)
{
        int rc;

        if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0)
                return nook_errf(e, errno, "cannot set hostname '%s': %m", p->hostname);
        if (p->loopback) {
                rc = loopback_up(e);
                if (rc < 0)
                        return rc;
        }
        if (p->egress) {
                rc = egress_apply(p->egress, e);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static void close_roots(struct roots *r)
{
        closep(&r->old);
        closep(&r->new);
        closep(&r->empty);
        closep(&r->stage);
}

/* The new root, the plan's steps on it (-v prints each), then the pivot
   into it. */
static int setup_root(const struct launch_ctx *c, const struct pid1_link *link, struct nook_err *e)
{
        _cleanup_(close_roots) struct roots r = { .old = -1, .new = -1, .empty = -1, .stage = -1 };
        int rc = mnt_make_rslave(e);

        if (rc == 0)
                rc = root_assemble(c->spec, c->plan, link, &r, e);
        for (size_t i = 0; rc == 0 && i < c->plan->n; i++) {
                const struct step *s = &c->plan->steps[i];
                if (c->spec->verbose) {
                        _cleanup_free_ char *line = step_describe(s);
                        nook_say("[%zu/%zu] %s", i + 1, c->plan->n,     /* paths are the user's */
                                 line ? line : step_kind_name(s->kind));
                }
                rc = mounts_apply_step(s, &r, e);
        }
        if (rc == 0)
                rc = mnt_pivot_into(r.new, e);
        timing_mark(TIMING_PIVOT);
        return rc;
}

static int enter_workdir(const struct plan *p, struct nook_err *e)
{
        char cwd[4096];

        for (size_t i = 0; i < p->n_chdir; i++) {
                if (chdir(p->chdir[i]) == 0)
                        break;
                if (p->chdir_strict)
                        return nook_errf(e, errno, "cannot change directory to %s in the sandbox: %m", p->chdir[i]);
        }
        /* getcwd() says "(unreachable)" (or fails) for a directory outside
           our root; never start the command there. */
        if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
                return nook_errf(e, EPERM, "the working directory is outside the sandbox root");
        return 0;
}

static int setup_sandbox(const struct launch_ctx *c, const struct pid1_link *link, struct nook_err *e)
{
        int rc = setup_namespaces(c->plan, e);

        if (rc == 0)
                rc = setup_root(c, link, e);
        if (rc == 0)
                rc = enter_workdir(c->plan, e);
        return rc;
}

/* The caller's terminal: a pty of the sandbox's own devpts (tty(1) inside
   names a file that exists there), its master handed to nook, which relays
   it; pid 1 keeps neither end. */
static int make_terminal(struct relay *relay, unsigned ttys, int ptysock, struct nook_err *e)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int rc = root < 0 ? nook_errf(e, errno, "cannot open the sandbox's root: %m")
                          : relay_prepare(relay, ttys, false, root, e);
        if (rc == 0)
                rc = relay_send_master(ptysock, relay->master, e);
        closep(&relay->master);
        relay->master = -1;
        return rc;
}

/* pid 1 lets go of the caller's terminal, which only the command had a use
   for, and the command now has a pty instead. */
static void drop_terminal(unsigned ttys)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        for (int fd = 0; null >= 0 && fd < 3; fd++)
                if (ttys & (1u << fd))
                        dup2(null, fd);
        if (null > 2)
                close(null);
}

/* None of fds 0-2 is a terminal, but the caller may have a controlling one,
   which /dev/tty would open: the command lets go of it. Not a session
   leader, it keeps its session and process group, so that ^C and ^Z typed
   there still reach it. */
static void leave_terminal(void)
{
        int t = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

        if (t >= 0) {
                ioctl(t, TIOCNOTTY);
                close(t);
        }
}

/* pid 1 cannot go on: it says why (nook learns of it by the closed pipe). */
_Noreturn static void fail(struct nook_err *e, int reqfd)
{
        if (reqfd >= 0)
                close(reqfd);
        nook_err_print(e);
        _exit(125);
}

/* The command's process, between fork and exec: its terminal, then
   exec_command(). exec_fail: written to when it cannot start. */
_Noreturn static void command_main(const struct launch_ctx *c, const struct pid1_args *a, struct relay *relay,
                                   int exec_fail)
{
        struct nook_err e = { 0 };

        if (a->ttys && relay_child(relay, c->map ? spec_command_uid(c->spec, c->host->uid) : (uid_t)-1,
                                   c->map ? spec_command_gid(c->spec, c->host->gid) : (gid_t)-1, &e) < 0) {
                nook_err_print(&e);
                if (write(exec_fail, "x", 1) < 0)
                        _exit(125);
                _exit(125);
        }
        if (!a->ttys)
                leave_terminal();
        struct exec_ctx x = { .spec = c->spec, .seccomp = c->seccomp, .sigmask = a->cmd_mask,
                              .image = c->spec->n_layers > 0,
                              .nest = launch_nests_userns(c->spec, c->host, c->map != NULL),
                              .nest_uid = spec_command_uid(c->spec, c->host->uid),
                              .nest_gid = spec_command_gid(c->spec, c->host->gid),
                              .exec_fail_fd = exec_fail, .notify_sock = c->notify_sock };
        exec_command(&x);
}

/* Forks the command; *started: its exec went through (the pipe closed by
   it without a word). */
static pid_t start_command(const struct launch_ctx *c, const struct pid1_args *a, struct relay *relay,
                           bool *started, struct nook_err *e)
{
        int execp[2];

        if (pipe2(execp, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot start the command: %m");
        /* vfork: copying pid 1's page tables and the copy-on-write faults
           after a fork cost more than the rest of the command's start (on
           a VM, about 1 ms for nook's 2.5 MB). pid 1 waits until the exec,
           as it would on the pipe anyway, and does nothing between the
           fork and the exec but wait. The command's last steps change only
           what is its own (creds, limits, seccomp, Landlock, fds: not
           shared) and the environment, which pid 1 no longer reads. Not
           when the command makes a user namespace of its own: unshare()
           refuses a process that shares its memory. Nor when nook
           observes it (learn, --audit): the command then makes itself
           dumpable for the observer, and dumpable belongs to the memory,
           so under vfork pid 1 (no filter, no Landlock) became dumpable
           too, and the command could ptrace it and run in it what the
           filter refuses. */
        bool nest = launch_nests_userns(c->spec, c->host, c->map != NULL);
        bool observed = c->notify_sock > 2;
        pid_t cmd = nest || observed ? fork() : vfork();
        if (cmd < 0)
                return nook_errf(e, errno, "cannot start the command: %m");
        if (cmd == 0)
                command_main(c, a, relay, execp[1]);
        relay_close(relay);
        close(execp[1]);
        char failed;
        ssize_t got;
        do
                got = read(execp[0], &failed, 1);
        while (got < 0 && errno == EINTR);
        close(execp[0]);
        *started = got == 0;
        return cmd;
}

_Noreturn void pid1_main(const struct launch_ctx *c, const struct pid1_args *a)
{
        struct nook_err e = { 0 };
        struct pid1_link link = { .sync = a->sync, .req = a->req, .fds = a->ptysock };
        char go;

        /* If the launcher dies, so does the sandbox (pid 1's death takes every
           process of the pid namespace with it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(a->sync, &go, 1) != 1)
                _exit(125);     /* the launcher failed or died; it says why */
        /* -d's pipe to the caller is nook's, never the sandbox's */
        if (c->ready_fd >= 0)
                close(c->ready_fd);
        int rc = setup_sandbox(c, &link, &e);
        close(a->sync);
        if (rc < 0)
                fail(&e, a->req);
        /* The command runs as the same uid: keep it from reading or tracing
           the setup process. */
        prctl(PR_SET_DUMPABLE, 0);
        struct relay relay;
        relay_init(&relay);
        if (a->ttys && make_terminal(&relay, a->ttys, a->ptysock, &e) < 0)
                fail(&e, a->req);
        if (a->ptysock >= 0)
                close(a->ptysock);
        bool started = false;
        pid_t cmd = start_command(c, a, &relay, &started, &e);
        if (cmd < 0)
                fail(&e, -1);
        /* nook waits on req until the command runs: "S" when its exec went
           through, nothing when it failed (and said why) */
        if (started && write(a->req, "S", 1) != 1) {
                nook_errf(&e, errno, "cannot tell nook the command runs: %m");
                nook_err_print(&e);
        }
        /* req stays open (close-on-exec: the command has none of it) for
           the "E" below; killed, pid 1 says it by its end of file */
        if (!started)
                close(a->req);
        if (caps_drop_all(&e) < 0) {
                nook_err_print(&e);
                kill(cmd, SIGKILL);
                _exit(125);
        }
        if (a->ttys)
                drop_terminal(a->ttys);
        int status = init_wait(cmd, a->ttys != 0);
        /* "E": the command has ended and pid 1 does too. Said before the
           kernel's exit, which first frees pid 1's memory (about 0.2 ms
           before its files close): nook removes the run directory
           meanwhile. Whatever else runs in the sandbox is killed by that
           same exit. Not written, nook learns it from the end of file. */
        if (started)
                (void)!write(a->req, "E", 1);
        _exit(status);
}
