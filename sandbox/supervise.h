/* nook's side while the sandbox runs: forwards signals to pid 1, relays the
   command's terminal when it has one, reaps what ends. */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "sandbox/pty-relay.h"

/* Waits for pid 1 (child) to end; *status: its exit status for nook run.
   relay: the command's pty, or NULL. The caller has blocked the signals of
   init_forwarded_signals() and SIGCHLD. */
int supervise_pid1(pid_t child, int *status, struct relay *relay, struct nook_err *e);
