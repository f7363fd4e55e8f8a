/* A squashfs file's bytes through a cache of its last few blocks
   (squashfs-data.c), for nook-squashfs. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include <sqfs/predef.h>

struct squashfs_data;

/* The reader of file's data blocks and fragments into *out: 0, -ENOMEM,
   or -EIO when its fragment table cannot be read (a damaged image). */
int squashfs_data_open(sqfs_file_t *file, sqfs_compressor_t *cmp, const sqfs_super_t *super,
                       struct squashfs_data **out);
void squashfs_data_free(struct squashfs_data *d);

/* Up to size bytes of the regular file in from off into buf: the bytes
   read (0 at its end), or -errno (EIO: the image is damaged there). */
ssize_t squashfs_data_read(struct squashfs_data *d, const sqfs_inode_generic_t *in, sqfs_u64 off, void *buf,
                           size_t size);
