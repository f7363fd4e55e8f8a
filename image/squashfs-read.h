/* Reading a squashfs image with libsquashfs, in nook-image only (nook run
   never loads it): checking that a file is a squashfs image whose tables
   all parse, and reading the few files the host needs from it at import
   (the image's /etc/passwd and /etc/group). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct sqsh;

/* True when the first bytes of fd are a squashfs superblock's magic. */
bool sqsh_magic(int fd);

/* Opens path (the caller's name for it is label) and checks its
   superblock, compressor, id table and whole directory tree. *entries:
   how many entries the tree has. */
int sqsh_open(const char *path, const char *label, struct sqsh **out, uint64_t *entries, struct nook_err *e);
void sqsh_close(struct sqsh *q);
/* for _cleanup_(sqsh_closep) */
static inline void sqsh_closep(struct sqsh **q)
{
        if (*q)
                sqsh_close(*q);
}

/* The regular file at path (relative, no "..") in the image, whole, into
   *out (to free) when it has at most max bytes. -ENOENT (e untouched) when
   there is none or it is not a regular file (a symlink is not followed);
   -EFBIG, said in e, when it is larger. */
int sqsh_read_file(struct sqsh *q, const char *path, size_t max, char **out, size_t *len, struct nook_err *e);
/* True when path is a directory of the image. */
bool sqsh_has_dir(struct sqsh *q, const char *path);
