/* pid 1 of the sandbox, from clone to its end: waits for nook's go, sets
   the sandbox up (hostname, loopback, egress rules, the root and the plan's
   steps, pivot, working directory), starts the command and waits for it. */
#pragma once

#include <signal.h>

#include "sandbox/launch.h"

struct pid1_args {
        int sync;               /* nook's "g" (go), then its answers to requests */
        int req;                /* pid 1's requests to nook: "F" (start fuse-overlayfs),
                                   "Q" (serve the squashfs mount), "S" (the
                                   command runs), then "E" (it ended: pid 1
                                   exits); kept open until pid 1's exit */
        const sigset_t *cmd_mask; /* the caller's signal mask, for the command */
        unsigned ttys;          /* the caller's fds 0-2 that are a terminal: the
                                   command gets a pty instead */
        int ptysock;            /* where the pty's master goes to nook */
};

_Noreturn void pid1_main(const struct launch_ctx *c, const struct pid1_args *a);
