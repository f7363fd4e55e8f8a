/* The FUSE daemons of an image sandbox (fuse-overlayfs for its root,
   squashfuse for a squashfs image's lower layer), started by nook itself,
   joined to the sandbox's user namespace and to a copy of its mount
   namespace: they live in nook's pid namespace, where the sandbox can
   neither see nor signal them, and die with nook. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

/* Runs argv (argv[0] the program's name, found on the host's PATH and run
   as /oldroot/PATH from the sandbox's staging root) joined to child's
   namespaces. Returns the daemon's pid, with *pidfd, through which every
   later signal and wait goes. Its stderr goes to /dev/null unless verbose. */
pid_t fuse_daemon_start(pid_t child, char *argv[], bool verbose, int *pidfd, struct nook_err *e);

/* Ends a daemon (SIGTERM, SIGKILL after 5 s) and reaps it; closes and
   clears *pidfd. */
void fuse_daemon_stop(int *pidfd);

/* In the sandbox: waits (a few seconds at most) until target is a FUSE
   mount; what names the daemon in the message. */
int fuse_daemon_wait(const char *target, const char *what, struct nook_err *e);
