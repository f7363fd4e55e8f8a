#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cred/idmap.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/timing.h"
#include "sandbox/init.h"
#include "sandbox/launch-helpers.h"
#include "sandbox/pid1.h"
#include "sandbox/pty-relay.h"
#include "sandbox/supervise.h"
#include "state/runstate.h"

/* What nook holds for one sandbox, from clone to its end. */
struct launch {
        const struct launch_ctx *c;
        sigset_t old_mask;      /* the caller's, for the command */
        unsigned ttys;          /* the caller's fds 0-2 the command gets a pty for */
        int sync[2];            /* nook -> pid 1: "g" (go), then answers */
        int req[2];             /* pid 1 -> nook: requests while it sets up */
        int ptys[2];            /* pid 1's pty master and squashfs /dev/fuse come up it */
        pid_t child;            /* pid 1 */
        bool set_up;            /* pid 1 said the command runs */
        struct helpers h;
        struct relay relay;
};

static void close_fd(int *fd)
{
        closep(fd);
        *fd = -1;
}

static void launch_close(struct launch *l)
{
        for (int i = 0; i < 2; i++) {
                close_fd(&l->sync[i]);
                close_fd(&l->req[i]);
                close_fd(&l->ptys[i]);
        }
}

bool launch_nests_userns(const struct nook_spec *spec, const struct host_facts *host, bool mapped)
{
        return !mapped && spec->slirp && spec_command_uid(spec, host->uid) != 0;
}

/* Blocked before clone so nothing sent early is lost; the command gets the
   caller's mask back before exec. Orphans of the sandbox's helpers are
   ours to reap. */
static void block_signals(struct launch *l)
{
        sigset_t block;

        init_forwarded_signals(&block);
        sigaddset(&block, SIGCHLD);
        sigprocmask(SIG_BLOCK, &block, &l->old_mask);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* The pipes between nook and pid 1, and the socket for the pty's master:
   the caller's terminal stays with nook and the command gets a pty (-d has
   none); -t: a pty on all of fds 0-2, terminals or not (with -d, its output
   goes to the log). */
static int open_channels(struct launch *l, struct nook_err *e)
{
        l->ttys = l->c->spec->tty ? 7 : l->c->ready_fd < 0 ? relay_tty_fds() : 0;
        /* pid 1 sends the pty's master on it, and a squashfs mount's /dev/fuse */
        if ((l->ttys || l->c->spec->squashfs) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l->ptys) < 0)
                return nook_errf(e, errno, "cannot create a socket pair: %m");
        if (pipe2(l->sync, O_CLOEXEC) < 0 || pipe2(l->req, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot create a pipe: %m");
        return 0;
}

static int clone_flags(const struct nook_spec *s)
{
        int f = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
        if (!s->share_net)
                f |= CLONE_NEWNET;
        return f;
}

static int clone_error(int err, struct nook_err *e)
{
        if (err == EPERM || err == ENOSPC || err == EINVAL)
                return nook_errf(e, err, "cannot create the sandbox's namespaces: %m (unprivileged user namespaces may be disabled: check sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone and, on Ubuntu, kernel.apparmor_restrict_unprivileged_userns)");
        return nook_errf(e, err, "cannot create the sandbox's namespaces: %m");
}

/* pid 1, in its new namespaces; it waits for nook's go. */
static int clone_pid1(struct launch *l, struct nook_err *e)
{
        fflush(NULL);
        timing_mark(TIMING_CLONE);
        l->child = (pid_t)syscall(SYS_clone, clone_flags(l->c->spec) | SIGCHLD, NULL, NULL, NULL, NULL);
        if (l->child < 0)
                return clone_error(errno, e);
        if (l->child == 0) {
                close_fd(&l->sync[1]);
                close_fd(&l->req[0]);
                close_fd(&l->ptys[0]);
                struct pid1_args a = { .sync = l->sync[0], .req = l->req[1], .cmd_mask = &l->old_mask,
                                       .ttys = l->ttys, .ptysock = l->ptys[1] };
                pid1_main(l->c, &a);
        }
        close_fd(&l->sync[0]);
        close_fd(&l->req[1]);
        close_fd(&l->ptys[1]);
        return 0;
}

static int write_id_maps(const struct launch *l, struct nook_err *e)
{
        const struct launch_ctx *c = l->c;

        if (c->map)
                return userns_map_write(l->child, c->map, e);
        /* nested: root here, the command's ids one namespace down */
        bool nest = launch_nests_userns(c->spec, c->host, false);
        return idmap_write_single(l->child, nest ? 0 : spec_command_uid(c->spec, c->host->uid), c->host->uid,
                                  nest ? 0 : spec_command_gid(c->spec, c->host->gid), c->host->gid, e);
}

static int let_pid1_go(const struct launch *l, struct nook_err *e)
{
        if (write(l->sync[1], "g", 1) != 1)
                return nook_errf(e, errno, "cannot start the sandbox: %m");
        return 0;
}

/* The /dev/fuse of the squashfs mount pid 1 made, sent before its "Q". */
static bool serve_squashfs(struct launch *l)
{
        _cleanup_close_ int dev = fd_recv(l->ptys[0], 0);

        return helpers_serve_squashfs(&l->h, dev);
}

/* pid 1's requests while it sets up, until "S" (the command runs) or EOF
   (it gave up): "F" starts fuse-overlayfs (its overlay fallback), "Q"
   gives nook-squashfs the squashfs image's mount. */
static void serve_pid1(struct launch *l)
{
        char req;

        while (read(l->req[0], &req, 1) == 1) {
                if (req == 'S') {
                        /* pid 1 keeps req open until it exits: its "E"
                           (or end of file) is supervise's "pid 1 is
                           ending" */
                        l->set_up = true;
                        return;
                }
                bool up = req == 'F' ? helpers_start_fuse(l->c, l->child, &l->h)
                                     : req == 'Q' && serve_squashfs(l);
                if (write(l->sync[1], up ? "k" : "x", 1) != 1)
                        break;
        }
}

/* pid 1 sent the pty's master before it started the command (which, if its
   exec failed, said why on it). */
static void receive_terminal(struct launch *l)
{
        l->relay.ttys = l->ttys;
        /* -t with stdin no terminal: its end is the command's ^D (-d: none,
           the command's terminal stays open, as in podman run -dit) */
        l->relay.eof_to_pty = l->c->spec->tty && l->c->ready_fd < 0 && !isatty(0);
        if (l->ttys)
                l->relay.master = relay_recv_master(l->ptys[0]);
}

/* What nook ps, stop and enter read, the helpers included: written while
   the command starts. */
static int record_state(const struct launch *l, struct nook_err *e)
{
        pid_t helpers[5];
        size_t n = helpers_pids(&l->h, helpers);

        return runstate_record(l->h.rundir, l->c->spec, l->child, helpers, n, l->c->log, e);
}

/* -d: the caller may go now (or, when pid 1 failed to set up and said why,
   learn it from the log). */
static void report_ready(const struct launch *l)
{
        int fd = l->c->ready_fd;

        if (fd < 0)
                return;
        /* a caller gone meanwhile (^C, a hangup) must not end the sandbox
           through SIGPIPE: it runs on, and its log says so */
        void (*was)(int) = signal(SIGPIPE, SIG_IGN);
        if (l->set_up && write(fd, "1", 1) != 1)
                fprintf(stderr, "nook: the caller of nook run -d went away (%s); the sandbox runs on\n",
                        strerror(errno));
        signal(SIGPIPE, was);
        close(fd);
}

/* The sandbox is over for its user once its state is gone: its name goes
   with it, so that nook ps, stop and run --name agree while the kernel
   finishes (which waits, for instance, for a stopped nook enter to reap
   what it had inside). */
static void sandbox_ending(void *arg)
{
        struct launch *l = arg;

        if (helpers_sandbox_ending(&l->h))
                runstate_release_name(l->c->spec);
}

static void kill_pid1(const struct launch *l)
{
        kill(l->child, SIGKILL);
        waitpid(l->child, NULL, 0);
}

int launch_run(const struct launch_ctx *c, int *status, struct nook_err *e)
{
        _cleanup_(launch_close) struct launch l = { .c = c, .sync = { -1, -1 }, .req = { -1, -1 },
                                                    .ptys = { -1, -1 }, .child = -1, .h = HELPERS_INIT };
        int rc;

        relay_init(&l.relay);
        block_signals(&l);
        rc = helpers_start_squashfs(c, &l.h, e);
        if (rc == 0)
                rc = open_channels(&l, e);
        if (rc == 0)
                rc = clone_pid1(&l, e);
        if (rc < 0) {
                helpers_stop(&l.h);
                sigprocmask(SIG_SETMASK, &l.old_mask, NULL);
                return rc;
        }
        rc = write_id_maps(&l, e);
        /* the way out is up before the sandbox starts its command; its
           helpers' sockets and logs go to the run directory */
        if (rc == 0)
                rc = helpers_make_rundir(c, &l.h, true, e);
        if (rc == 0)
                rc = helpers_start_dbus(c, &l.h, e);
        if (rc == 0)
                rc = helpers_start_net(c, l.child, &l.h, e);
        if (rc == 0)
                rc = let_pid1_go(&l, e);
        if (rc == 0)
                rc = helpers_make_rundir(c, &l.h, false, e);    /* made while pid 1 sets up */
        if (rc == 0)
                serve_pid1(&l);
        /* pid 1 reads EOF for its go, or its requests' answers, from here */
        close_fd(&l.sync[1]);
        if (rc == 0)
                receive_terminal(&l);
        if (rc == 0)
                rc = record_state(&l, e);
        if (rc == 0)
                report_ready(&l);
        struct pid1_ending end = { l.set_up ? l.req[0] : -1, sandbox_ending, &l };
        if (rc < 0)
                kill_pid1(&l);
        else
                rc = supervise_pid1(l.child, status, l.relay.master >= 0 ? &l.relay : NULL, &end, e);
        relay_close(&l.relay);
        helpers_stop(&l.h);
        return rc;
}
