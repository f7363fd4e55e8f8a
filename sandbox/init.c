#include "sandbox/init.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "lib/cleanup.h"
#include "lib/timing.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

void init_forwarded_signals(sigset_t *set)
{
        sigemptyset(set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(set, forwarded[i]);
}

int init_exit_status(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 125;
}

int init_wait(pid_t command, bool own_session)
{
        sigset_t set;
        siginfo_t si;

        init_forwarded_signals(&set);
        sigaddset(&set, SIGCHLD);
        for (;;) {
                if (sigwaitinfo(&set, &si) < 0) {
                        if (errno == EINTR)
                                continue;
                        return 125;
                }
                if (si.si_signo != SIGCHLD) {
                        /* A signal from the terminal already reached the
                           command when it shares our process group: sending
                           it again would deliver it twice. In a session of
                           its own (it has a pty), only its pty's SIGWINCH
                           is its business. */
                        if (si.si_code != SI_KERNEL || (own_session && si.si_signo != SIGWINCH))
                                kill(command, si.si_signo);
                        continue;
                }
                for (;;) {
                        int st;
                        pid_t p = waitpid(-1, &st, WNOHANG);
                        if (p <= 0)
                                break;
                        if (p == command) {
                                timing_mark(TIMING_CMD_EXIT);
                                return init_exit_status(st);
                        }
                }
        }
}
