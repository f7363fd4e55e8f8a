/* The image root through fuse-overlayfs, for kernels that do not allow
   overlayfs in a user namespace (or on request), started as
   fs/fuse-daemon.h says; fuse_daemon_stop ends it. */
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
pid_t fuse_overlay_start(pid_t child, size_t n_layers, const char *persist_dir, unsigned flags, int *pidfd,
                         struct nook_err *e);
/* flags */
#define FUSE_OVERLAY_VERBOSE 1u         /* its messages shown */
#define FUSE_OVERLAY_FUSE_LOWER 2u      /* the lower layer is a FUSE mount (nook-squashfs), which has
                                           no ACLs to ask for: the kernel would fail every
                                           permission check on its EOPNOTSUPP (noacl) */
#define FUSE_OVERLAY_SQUASH_TO_ROOT 4u  /* every file shown as root's (one id mapped) */
