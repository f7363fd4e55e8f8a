/* The FUSE daemons of an image sandbox (fuse-overlayfs for its root,
   nook-squashfs for a squashfs image's lower layer), started by nook
   itself, joined to the sandbox's user namespace, each in a mount
   namespace of its own: they live in nook's pid namespace, where the
   sandbox can neither see nor signal them, and die with nook. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/err.h"

/* Runs argv (argv[0] the program's name, found on the host's PATH and run
   as /oldroot/PATH from the sandbox's staging root) joined to child's user
   namespace and to a copy of its mount namespace, where it mounts by
   itself (fuse-overlayfs). Returns the daemon's pid, with *pidfd, through
   which every later signal and wait goes. Its stderr goes to /dev/null
   unless verbose. */
pid_t fuse_daemon_start(pid_t child, char *argv[], bool verbose, int *pidfd, struct nook_err *e);

/* A daemon that opens and mounts nothing by itself (nook-squashfs),
   started before the sandbox, so that its exec and start overlap the
   sandbox's: in a user namespace of its own, it is given source (opened
   read-only, a regular file) and its end of *sock, and runs argv[0] (a host
   path) with the argument FUSE_DAEMON_SOURCE become /proc/self/fd/N of the
   source and FUSE_DAEMON_SOCKET the number of its end of the socket. On it
   comes the /dev/fuse of its mount (fuse_daemon_serve); on it the daemon
   writes one byte once it has the kernel's INIT. confine (may be NULL)
   runs just before exec, given argv[0] and the source's fd; a negative
   errno stops the start. */
#define FUSE_DAEMON_SOURCE "@source"
#define FUSE_DAEMON_SOCKET "@socket"
struct fuse_daemon_mount {
        const char *source;
        int (*confine)(const char *program, int source_fd, void *arg);
        void *arg;
};
pid_t fuse_daemon_start_early(char *argv[], const struct fuse_daemon_mount *m, bool verbose, int *pidfd, int *sock,
                              struct nook_err *e);

/* Gives the daemon dev, the /dev/fuse of a mount made for it, on *sock
   (closed and cleared), and waits at most ms until it serves; what names
   the daemon in messages. */
int fuse_daemon_serve(int *sock, int dev, const char *what, int ms, struct nook_err *e);

/* Ends a daemon (SIGTERM, SIGKILL after 5 s) and reaps it; closes and
   clears *pidfd. */
void fuse_daemon_stop(int *pidfd);

/* Ends a daemon that holds nothing to write back (nook-squashfs: a read-only
   file system) at once: SIGKILL, then reaps it. */
void fuse_daemon_kill(int *pidfd);

/* In the sandbox: waits (a few seconds at most) until target is a FUSE
   mount; what names the daemon in the message. */
int fuse_daemon_wait(const char *target, const char *what, struct nook_err *e);
