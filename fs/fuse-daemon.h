/* The FUSE daemons of an image sandbox (fuse-overlayfs for its root,
   squashfuse for a squashfs image's lower layer), started by nook itself,
   joined to the sandbox's user namespace and to a copy of its mount
   namespace: they live in nook's pid namespace, where the sandbox can
   neither see nor signal them, and die with nook. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

/* A daemon that mounts nothing and opens nothing by itself: nook opens
   source (read-only, a regular file) and /dev/fuse for it and mounts the
   FUSE file system at target ("fuse.ARGV0", read-only, nosuid, nodev);
   the argument FUSE_DAEMON_SOURCE of argv becomes /proc/self/fd/N of the
   source, FUSE_DAEMON_MOUNT /dev/fd/N of /dev/fuse (libfuse3's convention
   for a mount made by its caller). confine (may be NULL) then runs in the
   daemon's process just before exec, given the program's path (as the
   daemon sees it) and the source's fd; a negative errno stops the start. */
#define FUSE_DAEMON_SOURCE "@source"
#define FUSE_DAEMON_MOUNT "@mount"
struct fuse_daemon_mount {
        const char *source;
        const char *target;
        int (*confine)(const char *program, int source_fd, void *arg);
        void *arg;
};

/* Runs argv (argv[0] the program's name, found on the host's PATH and run
   as /oldroot/PATH from the sandbox's staging root) joined to child's
   namespaces; m: what nook mounts for it (NULL: it mounts by itself).
   Returns the daemon's pid, with *pidfd, through which every later signal
   and wait goes. Its stderr goes to /dev/null unless verbose. */
pid_t fuse_daemon_start(pid_t child, char *argv[], const struct fuse_daemon_mount *m, bool verbose, int *pidfd,
                        struct nook_err *e);

/* Ends a daemon (SIGTERM, SIGKILL after 5 s) and reaps it; closes and
   clears *pidfd. */
void fuse_daemon_stop(int *pidfd);

/* Ends a daemon that holds nothing to write back (squashfuse: a read-only
   file system) at once: SIGKILL, then reaps it. */
void fuse_daemon_kill(int *pidfd);

/* In the sandbox: waits (a few seconds at most) until target is a FUSE
   mount; what names the daemon in the message. */
int fuse_daemon_wait(const char *target, const char *what, struct nook_err *e);
