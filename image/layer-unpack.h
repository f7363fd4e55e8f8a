/* Unpacking one image layer, done safely: every path is resolved inside the
   layer's root without following symlinks, and every hostile entry is
   refused with the layer and the entry named. */
#pragma once

#include <stdbool.h>

#include "image/digest.h"
#include "lib/err.h"

enum layer_flags {
        LAYER_SQUASH_IDS = 1 << 0,      /* single-id mapping: every file is ours */
        LAYER_OPAQUE_FILE = 1 << 1,     /* a store without user xattrs: an opaque
                                           directory keeps a .wh..wh..opq file,
                                           which fuse-overlayfs reads */
};

/* Reads the layer (plain, gzip, zstd or xz tar) from fd and unpacks it into
   the empty directory rootfd; OCI whiteouts become overlay whiteouts (0/0
   character devices) and opaque markers (the user.overlay.opaque xattr, or with LAYER_OPAQUE_FILE
   the marker file itself).
   diff_id receives the digest of the uncompressed tar. `name` names the
   layer in messages. Runs in the process that will own the files. */
int layer_unpack(int fd, int rootfd, const char *name, unsigned flags, char diff_id[DIGEST_STR_LEN + 1],
                 struct nook_err *e);
