#include "sandbox/pty-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "fs/resolve.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"

/* Output the command left when it ended is copied up to this much a
   stream: a process still running inside may keep writing forever. */
#define DRAIN_MAX (1 << 20)

unsigned relay_tty_fds(void)
{
        unsigned ttys = 0;

        for (int fd = 0; fd < 3; fd++)
                if (isatty(fd))
                        ttys |= 1u << fd;
        return ttys;
}

void relay_init(struct relay *r)
{
        r->ttys = 0;
        r->eof_to_pty = false;
        r->master = r->slave = -1;
        for (int i = 0; i < 3; i++)
                r->child[i] = r->ours[i] = -1;
}

void relay_close(struct relay *r)
{
        closep(&r->master);
        closep(&r->slave);
        for (int i = 0; i < 3; i++) {
                closep(&r->child[i]);
                closep(&r->ours[i]);
        }
        relay_init(r);
}

/* The caller's terminal that shows the command's output: its stdout, else
   its stderr, else its stdin (a terminal is read-write as a rule). */
static int term_fd(unsigned ttys)
{
        return ttys & 2 ? 1 : ttys & 4 ? 2 : 0;
}

static void copy_winsize(int from, int master)
{
        struct winsize ws;

        /* -t with output piped: the size of whichever of fds 0-2 is a
           terminal */
        for (int fd = 0; fd < 3 && ioctl(from, TIOCGWINSZ, &ws) < 0; fd++)
                from = fd;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
}

/* -t with no terminal of the caller's: the size a terminal has by default */
static void default_winsize(int master)
{
        struct winsize ws;

        if (ioctl(master, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 0 && ws.ws_col == 0) {
                ws.ws_row = 24;
                ws.ws_col = 80;
                ioctl(master, TIOCSWINSZ, &ws);
        }
}

static int open_pty(struct relay *r, int root, struct nook_err *e)
{
        int unlock = 0, n;

        /* the instance's own node, not /dev/ptmx: one link fewer to follow
           in a tree the sandbox may have changed (nook enter); O_NONBLOCK
           for the relay, and so a planted FIFO cannot hang us */
        r->master = resolve_open(root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (r->master < 0)
                return nook_errf(e, -r->master,
                                 "cannot open a new terminal for the command (/dev/pts/ptmx in the sandbox): %m (keep the sandbox's /dev/pts, or run it with no terminal: </dev/null >FILE 2>&1)");
        /* only a pty master answers TIOCGPTN */
        if (ioctl(r->master, TIOCGPTN, &n) < 0 || ioctl(r->master, TIOCSPTLCK, &unlock) < 0)
                return nook_errf(e, errno, "cannot open a new terminal: /dev/pts/ptmx in the sandbox is not one (%m)");
        /* by the master, not by a path: the slave of this very master */
        r->slave = ioctl(r->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (r->slave < 0)
                return nook_errf(e, errno, "cannot open the new terminal's other end: %m");
        copy_winsize(term_fd(r->ttys), r->master);
        default_winsize(r->master);
        return 0;
}

int relay_prepare(struct relay *r, unsigned ttys, bool pipes, int root, struct nook_err *e)
{
        relay_init(r);
        r->ttys = ttys;
        if (ttys) {
                int rc = open_pty(r, root, e);
                if (rc < 0) {
                        relay_close(r);
                        return rc;
                }
        }
        for (int fd = 0; pipes && fd < 3; fd++) {
                int p[2];
                if (ttys & (1u << fd))
                        continue;
                if (pipe2(p, O_CLOEXEC) < 0) {
                        relay_close(r);
                        return nook_errf(e, errno, "cannot create a pipe: %m");
                }
                r->child[fd] = fd == 0 ? p[0] : p[1];
                r->ours[fd] = fd == 0 ? p[1] : p[0];
                fcntl(r->ours[fd], F_SETFL, O_NONBLOCK);
        }
        return 0;
}

int relay_child(struct relay *r, uid_t uid, gid_t gid, struct nook_err *e)
{
        /* out of the caller's session: its controlling terminal, which
           /dev/tty would open, is no longer ours */
        if (setsid() < 0)
                return nook_errf(e, errno, "cannot start a session for the command: %m");
        if (r->slave >= 0) {
                /* best effort: under --map=single the image's user has no id */
                if (uid != (uid_t)-1 && fchown(r->slave, uid, gid) < 0)
                        errno = 0;
                if (ioctl(r->slave, TIOCSCTTY, 0) < 0)
                        return nook_errf(e, errno, "cannot give the command its terminal: %m");
        }
        for (int fd = 0; fd < 3; fd++) {
                int src = r->ttys & (1u << fd) ? r->slave : r->child[fd];
                if (src < 0)
                        continue;
                if (src == fd ? fcntl(fd, F_SETFD, 0) < 0 : dup2(src, fd) < 0)
                        return nook_errf(e, errno, "cannot give the command its fd %d: %m", fd);
        }
        return 0;
}

void relay_parent(struct relay *r)
{
        closep(&r->slave);
        r->slave = -1;
        for (int i = 0; i < 3; i++) {
                closep(&r->child[i]);
                r->child[i] = -1;
        }
}

/* The caller's terminal while it is raw: what a fatal signal restores. */
static struct {
        int fd;
        struct termios mode;
        volatile sig_atomic_t raw;
} saved = { .fd = -1 };

static const int fatal[] = { SIGABRT, SIGALRM, SIGBUS, SIGFPE, SIGILL, SIGIO, SIGPROF, SIGPWR,
                             SIGSEGV, SIGSYS, SIGTRAP, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGSTKFLT };

static void restore_and_die(int sig)
{
        if (saved.raw)
                tcsetattr(saved.fd, TCSANOW, &saved.mode);
        /* SA_RESETHAND|SA_NODEFER: the default action, now */
        raise(sig);
}

static void make_raw(void)
{
        struct termios raw = saved.mode;

        cfmakeraw(&raw);
        if (tcsetattr(saved.fd, TCSADRAIN, &raw) == 0)
                saved.raw = 1;
}

static void tty_enter(int fd)
{
        struct sigaction sa = { .sa_handler = restore_and_die, .sa_flags = SA_RESETHAND | SA_NODEFER };

        if (tcgetattr(fd, &saved.mode) < 0)
                return;
        saved.fd = fd;
        for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
                sigaction(fatal[i], &sa, NULL);
        make_raw();
}

static void tty_leave(void)
{
        if (saved.raw)
                tcsetattr(saved.fd, TCSADRAIN, &saved.mode);
        saved.raw = 0;
        for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
                signal(fatal[i], SIG_DFL);
}

/* One stream: bytes from src to dst, one buffer at a time. */
struct chan {
        int src, dst;   /* dst -1: read and dropped */
        bool in;        /* the caller's stdin to the command */
        bool paused;    /* not read meanwhile (a terminal we are in the
                           background of) */
        bool eof, done;
        size_t len, off, drained;
        char last;      /* the last byte read */
        char buf[4096];
};

/* In the background of the caller's terminal (nook run ... &) we neither
   read it nor touch its modes, which would stop us (SIGTTIN, SIGTTOU): the
   shell has it. In the foreground again (fg: SIGCONT), raw again. A
   terminal that is not our controlling one has no foreground to mind. */
static void follow_foreground(struct chan *in)
{
        pid_t fg = tcgetpgrp(0);

        if (fg >= 0 && fg != getpgrp()) {
                saved.raw = 0;
                if (in)
                        in->paused = true;
                return;
        }
        if (in)
                in->paused = false;
        if (saved.fd < 0)
                tty_enter(0);
        else
                make_raw();
}

static void close_ours(struct relay *r, int fd)
{
        for (int i = 0; i < 3; i++)
                if (r->ours[i] == fd) {
                        close(fd);
                        r->ours[i] = -1;
                }
}

/* > 0 read, 0 nothing more now (EAGAIN), or EOF marked */
static ssize_t chan_read(struct chan *c)
{
        ssize_t n = read(c->src, c->buf, sizeof(c->buf));

        if (n > 0) {
                c->last = c->buf[n - 1];
                c->len = c->dst >= 0 ? (size_t)n : 0;
                c->off = 0;
                c->drained += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                c->eof = true;  /* EIO: the pty's last slave is closed */
        }
        return n > 0 ? n : 0;
}

/* The far side of dst is gone: the command closed its stdin (read no
   more of the caller's), or the caller's output went away (the command
   meets a closed pipe too; a pty is read on and dropped, so that the
   command does not hang on it). */
static void chan_broken(struct chan *c, struct relay *r)
{
        c->len = c->off = 0;
        if (c->in) {
                close_ours(r, c->dst);
                c->done = true;
        } else if (c->src == r->master) {
                c->dst = -1;
        } else {
                close_ours(r, c->src);
                c->done = true;
        }
}

static void chan_write(struct chan *c, struct relay *r)
{
        ssize_t n = write(c->dst, c->buf + c->off, c->len - c->off);

        if (n > 0) {
                c->off += (size_t)n;
                if (c->off == c->len)
                        c->len = c->off = 0;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                chan_broken(c, r);
        }
}

/* The end of a stdin that is no terminal, told to a command reading the
   pty: its EOF character, twice after a line left unfinished (the first
   only ends that line). A command that made its terminal raw reads it as
   a byte, as it would from a keyboard. */
static void type_eof(int master, char last)
{
        struct termios t;

        if (tcgetattr(master, &t) < 0 || !(t.c_lflag & ICANON))
                return;
        char eof[2] = { (char)t.c_cc[VEOF], (char)t.c_cc[VEOF] };
        size_t n = last && last != '\n' ? 2 : 1;
        (void)!write(master, eof, n);
}

/* All read: the command's stdin pipe is closed so that it sees EOF. */
static void chan_settle(struct chan *c, struct relay *r)
{
        if (c->done || !c->eof || c->len)
                return;
        if (c->in && c->dst != r->master)
                close_ours(r, c->dst);
        if (c->in && c->dst == r->master && r->eof_to_pty)
                type_eof(r->master, c->last);
        c->done = true;
}

static size_t make_chans(struct relay *r, struct chan *ch)
{
        size_t n = 0;

        if (r->ttys & 1)
                ch[n++] = (struct chan){ .src = 0, .dst = r->master, .in = true };
        else if (r->ours[0] >= 0)
                ch[n++] = (struct chan){ .src = 0, .dst = r->ours[0], .in = true };
        if (r->master >= 0)
                ch[n++] = (struct chan){ .src = r->master, .dst = term_fd(r->ttys) };
        for (int fd = 1; fd < 3; fd++)
                if (!(r->ttys & (1u << fd)) && r->ours[fd] >= 0)
                        ch[n++] = (struct chan){ .src = r->ours[fd], .dst = fd };
        return n;
}

/* After the command: what it left in the pty and the pipes, without
   waiting for more (a process it left behind may hold them open). */
static void drain(struct chan *ch, size_t n, struct relay *r)
{
        for (size_t i = 0; i < n; i++) {
                struct chan *c = &ch[i];
                if (c->in)
                        continue;
                c->drained = 0;
                while (!c->done) {
                        if (c->len) {
                                struct pollfd p = { .fd = c->dst, .events = POLLOUT };
                                if (poll(&p, 1, 5000) <= 0)
                                        break;
                                chan_write(c, r);
                                continue;
                        }
                        if (c->eof || c->drained >= DRAIN_MAX)
                                break;
                        if (chan_read(c) == 0 && !c->eof)
                                break;
                }
        }
}

static int handle_signal(struct relay *r, int sigfd, relay_signal_fn on_signal, void *arg, bool *ended)
{
        struct signalfd_siginfo si;
        ssize_t got = read(sigfd, &si, sizeof(si));

        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (got != (ssize_t)sizeof(si))
                return -errno;
        /* the caller's terminal was resized: so is the command's, and the
           kernel tells the command */
        if (si.ssi_signo == SIGWINCH && r->master >= 0)
                copy_winsize(term_fd(r->ttys), r->master);
        if (si.ssi_signo == SIGWINCH && si.ssi_code == SI_KERNEL)
                return 0;
        if (on_signal(arg, &si))
                *ended = true;
        return 0;
}

int relay_run(struct relay *r, int sigfd, relay_signal_fn on_signal, void *arg, struct nook_err *e)
{
        struct chan ch[4];
        size_t n = make_chans(r, ch);
        sigset_t cont, old;
        int rc = 0;

        /* a stopped relay, continued: its shell may have reset the terminal */
        sigemptyset(&cont);
        sigaddset(&cont, SIGCONT);
        sigprocmask(SIG_BLOCK, &cont, &old);
        _cleanup_close_ int contfd = signalfd(-1, &cont, SFD_CLOEXEC | SFD_NONBLOCK);
        void (*was_pipe)(int) = signal(SIGPIPE, SIG_IGN);
        struct chan *in = n && ch[0].in && (r->ttys & 1) ? &ch[0] : NULL;
        if (in)
                follow_foreground(in);
        bool ended = on_signal(arg, NULL);
        while (!ended) {
                struct pollfd p[2 + 4];
                struct chan *of[2 + 4];
                size_t np = 0;
                p[np] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
                of[np++] = NULL;
                p[np] = (struct pollfd){ .fd = contfd, .events = POLLIN };
                of[np++] = NULL;
                for (size_t i = 0; i < n; i++) {
                        if (ch[i].done || (!ch[i].len && (ch[i].eof || ch[i].paused)))
                                continue;
                        p[np] = (struct pollfd){ .fd = ch[i].len ? ch[i].dst : ch[i].src,
                                                 .events = ch[i].len ? POLLOUT : POLLIN };
                        of[np++] = &ch[i];
                }
                if (poll(p, np, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = nook_errf(e, errno, "cannot relay the command's terminal: %m");
                        break;
                }
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(contfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                                ;
                        if (in)
                                follow_foreground(in);
                        if (r->master >= 0)
                                copy_winsize(term_fd(r->ttys), r->master);
                }
                for (size_t i = 2; i < np; i++) {
                        if (!p[i].revents)
                                continue;
                        if (of[i]->len)
                                chan_write(of[i], r);
                        else
                                chan_read(of[i]);
                        chan_settle(of[i], r);
                }
                if (p[0].revents && handle_signal(r, sigfd, on_signal, arg, &ended) < 0) {
                        rc = nook_errf(e, errno, "cannot watch signals: %m");
                        break;
                }
        }
        drain(ch, n, r);
        if (saved.fd >= 0)
                tty_leave();
        saved.fd = -1;
        signal(SIGPIPE, was_pipe);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return rc;
}

int relay_send_master(int sock, int master, struct nook_err *e)
{
        int r = fd_send(sock, master);

        if (r < 0)
                return nook_errf(e, -r, "cannot hand nook the command's terminal: %m");
        return 0;
}

int relay_recv_master(int sock)
{
        return fd_recv(sock, MSG_DONTWAIT);
}
