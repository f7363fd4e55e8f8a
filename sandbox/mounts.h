/* pid 1 applies the plan's mount steps, one at a time, to the new root it
   assembles: every target resolved inside it, every source inside the
   host's root, through the fd-based mount API. */
#pragma once

#include <sys/types.h>

#include "lib/err.h"
#include "sandbox/plan.h"

/* Where the sandbox is assembled, inside its own mount namespace (see
   sandbox/root.h). */
struct roots {
        int old;        /* the host's root, for bind sources */
        int new;        /* the sandbox's root */
        int empty;      /* an empty mode-0000 file (-1: no staging tmpfs) */
        int stage;      /* the staging tmpfs, for files nook writes (-1: none) */
        unsigned files; /* how many it holds */
        dev_t root_tmpfs; /* the new root's file system when it is
                             nook's tmpfs (a host sandbox), else 0 */
};

int mounts_apply_step(const struct step *s, struct roots *r, struct nook_err *e);
