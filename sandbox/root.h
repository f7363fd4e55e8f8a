/* pid 1's new root, before the plan's steps go on it. A host sandbox's is
   an empty tmpfs mounted on top of the host's root. Otherwise a staging
   tmpfs over /tmp holds the host's root (/oldroot), an empty file to hide
   files with, the files nook writes, and the new root (/newroot): an empty
   tmpfs for a host sandbox that needs those, the image's overlay (kernel
   overlayfs, or fuse-overlayfs that nook starts on request) for an image,
   over the image's layers or over its squashfs file, mounted here and
   served by nook-squashfs, which nook starts before the sandbox. */
#pragma once

#include "lib/err.h"
#include "sandbox/mounts.h"
#include "sandbox/plan.h"
#include "spec/spec.h"

/* Where pid 1 mounts a squashfs image (nook-squashfs serves it) in the
   staging root: the lower layer of its overlay. */
#define SQUASHFS_MOUNT "/sq"

/* pid 1's pipes to nook while it sets up: it asks for fuse-overlayfs with
   "F" (nook-squashfs to serve its mount with "Q") on req and reads nook's
   answer ("k": started, "x": not) on sync. */
struct pid1_link {
        int sync;
        int req;
        int fds;        /* a unix socket to nook: fds go up it (a /dev/fuse) */
};

/* Mounts the new root on top of the host's; or mounts the staging tmpfs
   over /tmp (of our own mount namespace only), moves the host's root under
   it and mounts the new root there, as bubblewrap does, an image root as
   the plan says. From then on host paths are read under r->old, resolved
   in it. Fills r's fds (r->empty and r->stage only with the staging). */
int root_assemble(const struct nook_spec *spec, const struct plan *plan, const struct pid1_link *link,
                  struct roots *r, struct nook_err *e);
