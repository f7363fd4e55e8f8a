/* The image root through fuse-overlayfs, for kernels that do not allow
   overlayfs in a user namespace (or on request). The daemon is started by
   nook itself, joined to the sandbox's user and mount namespaces, so it
   lives in nook's pid namespace: the sandbox can neither see nor signal it,
   and it dies with nook. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

/* fuse-overlayfs loses writes silently on a full file system: nook warns
   when a persistent sandbox's has less than this left (bytes or percent). */
#define FUSE_LOW_SPACE_BYTES (100ULL << 20)
#define FUSE_LOW_SPACE_PERCENT 5

/* In nook: mounts the image root (n_layers layers; persist_dir: the
   persistent writable layer's host directory, or NULL) at /newroot of the staging root
   of `child` (whose layers are linked at /l/N and writable layer at /rw).
   Returns the daemon's pid (for the run state), with *pidfd, through which
   every later signal and wait goes. Warns (one line) first when a
   persistent writable layer's file system is nearly full. */
pid_t fuse_overlay_start(pid_t child, size_t n_layers, const char *persist_dir, bool verbose, int *pidfd, struct nook_err *e);

/* Ends the daemon (SIGTERM, SIGKILL after 5 s) and reaps it; closes and
   clears *pidfd. */
void fuse_overlay_stop(int *pidfd);

/* In the sandbox: waits (a few seconds at most) until target is the fuse
   mount. */
int fuse_overlay_wait(const char *target, struct nook_err *e);
