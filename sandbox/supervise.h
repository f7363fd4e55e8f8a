/* nook's side while the sandbox runs: forwards signals to pid 1, relays the
   command's terminal when it has one, reaps what ends. */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "sandbox/pty-relay.h"

/* What nook does as pid 1 begins to exit: fd (-1: none) is a pipe whose
   only writer is pid 1, which writes "E" on it when the command has ended
   and it exits, and which the kernel closes in pid 1's exit (killed, it
   writes nothing); at the first of the two, ending(arg) runs once, beside
   pid 1's teardown. */
struct pid1_ending {
        int fd;
        void (*ending)(void *arg);
        void *arg;
};

/* Waits for pid 1 (child) to end; *status: its exit status for nook run.
   relay: the command's pty, or NULL (the ending is watched only without a
   relay). The caller has blocked the signals of init_forwarded_signals()
   and SIGCHLD. */
int supervise_pid1(pid_t child, int *status, struct relay *relay, struct pid1_ending *end, struct nook_err *e);
