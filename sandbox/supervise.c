#include "sandbox/supervise.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "sandbox/init.h"

struct supervised {
        pid_t child;
        int status;
};

/* Forwards what a process sent us to pid 1 (what the caller's terminal
   sent reached pid 1 too: it shares our process group), reaps the
   helpers; true once pid 1 has ended. */
static bool supervise_signal(void *arg, const struct signalfd_siginfo *si)
{
        struct supervised *s = arg;
        int st;
        pid_t p;

        if (si && si->ssi_signo != SIGCHLD) {
                if (si->ssi_code != SI_KERNEL)
                        kill(s->child, (int)si->ssi_signo);
                return false;
        }
        while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                if (p == s->child) {
                        s->status = init_exit_status(st);
                        return true;
                }
        return false;
}

/* The next signal on sfd; meanwhile the ending pipe, until pid 1's "E"
   or its end of file, when end->ending runs. */
static ssize_t wait_signal(int sfd, struct pid1_ending *end, struct signalfd_siginfo *si)
{
        while (end && end->fd >= 0) {
                struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = end->fd, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                if (p[1].revents) {
                        char c;
                        ssize_t n = read(end->fd, &c, 1);
                        if (n > 0 && c != 'E')
                                continue;       /* nothing else is said on it: skipped */
                        if (n < 0 && errno == EINTR)
                                continue;
                        end->fd = -1;
                        end->ending(end->arg);
                }
                if (p[0].revents)
                        break;
        }
        return read(sfd, si, sizeof(*si));
}

/* The launcher's side: forwards signals, relays the command's terminal
   when it has one, and waits for pid 1 to end. */
int supervise_pid1(pid_t child, int *status, struct relay *relay, struct pid1_ending *end, struct nook_err *e)
{
        sigset_t set;
        _cleanup_close_ int sfd = -1;
        struct supervised s = { .child = child };

        init_forwarded_signals(&set);
        sigaddset(&set, SIGCHLD);
        sfd = signalfd(-1, &set, SFD_CLOEXEC | (relay ? SFD_NONBLOCK : 0));
        if (sfd < 0)
                return nook_errf(e, errno, "cannot watch signals: %m");
        if (relay) {
                int rc = relay_run(relay, sfd, supervise_signal, &s, e);
                *status = s.status;
                return rc;
        }
        while (!supervise_signal(&s, NULL)) {
                struct signalfd_siginfo si;
                ssize_t n = wait_signal(sfd, end, &si);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t)sizeof(si))
                        return nook_errf(e, errno, "cannot watch signals: %m");
                if (supervise_signal(&s, &si))
                        break;
        }
        *status = s.status;
        return 0;
}
