/* nook-squashfs: a squashfs image served read-only over FUSE, the lower
   layer of a squashfs image's sandbox. nook opens the image and confines
   the process (a user namespace of its own, Landlock, seccomp, no
   capability) before it execs nook-squashfs, and pid 1 makes the mount;
   this only answers the kernel's requests. */
#pragma once

#include <stdbool.h>

struct squashfs_serve_opts {
        const char *image;      /* a path to the image: /proc/self/fd/N */
        int sock;               /* a unix socket: the /dev/fuse of the mount
                                   comes on it, and one byte goes back once
                                   the kernel's INIT has come */
        bool root_owned;        /* every file shown as 0:0 (one id mapped) */
};

/* Serves until the kernel ends the connection (the mount is gone) or the
   process is killed. 0 when the connection ended, else a message said why
   on stderr and 1. */
int squashfs_serve(const struct squashfs_serve_opts *o);
