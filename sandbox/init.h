/* pid 1 of the sandbox. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The signals init and the launcher pass on to the command. */
void init_forwarded_signals(sigset_t *set);

/* Waits for the command, reaping every orphan meanwhile and forwarding the
   signals of init_forwarded_signals() that a process (not the terminal) sent,
   or with own_session (the command has a pty, in a session of its own) also
   those the terminal sent, but SIGWINCH. The caller has blocked those
   signals and SIGCHLD. Returns the exit status for the sandbox: the
   command's own, or 128+N when it died of signal N. */
int init_wait(pid_t command, bool own_session);

/* Exit status for a wait(2) status. */
int init_exit_status(int wstatus);
