/* A squashfs file's bytes, for nook-squashfs's reads: each block read and
   decompressed once while it is among the last few used.

   libsquashfs's own reader keeps one data block: the kernel reads a
   window that straddles two blocks (its readahead is not aligned to
   them), and ld.so and libc come back to a block they left, so that
   starting /bin/true from a Debian image decompressed 21 blocks of which
   6 twice or more (bench/README.md). Fragments (the tails of files,
   packed together) go through the same cache: many small files share one. */
#include "fs/squashfs-data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sqfs/block.h>
#include <sqfs/compressor.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

/* Blocks kept: a readahead window and the blocks ld.so, libc and a
   program's own go back to; 1 MiB at the usual 128 KiB block size. */
#define CACHED_BLOCKS 8

#define NO_FRAGMENT 0xFFFFFFFFu

struct cached_block {
        /* where it is stored and its size word (the stored size, and
           whether it is compressed): a crafted image can give one place
           two words, and each must read the same bytes whatever was read
           before it */
        sqfs_u64 where;
        sqfs_u32 word;
        sqfs_u8 *data;
        size_t len; /* the bytes it decompressed to */
        unsigned long used; /* when it was last used, for the eviction; 0: not read */
};

struct squashfs_data {
        sqfs_file_t *file;
        sqfs_compressor_t *cmp;
        sqfs_frag_table_t *frags; /* NULL: the image has no fragments */
        sqfs_u32 block_size;
        sqfs_u8 *scratch; /* a block as it is stored */
        sqfs_u8 *mem;     /* the slots' and the scratch's memory */
        size_t mem_size;
        unsigned long clock;
        struct cached_block cache[CACHED_BLOCKS];
};

int squashfs_data_open(sqfs_file_t *file, sqfs_compressor_t *cmp, const sqfs_super_t *super, struct squashfs_data **out)
{
        struct squashfs_data *d = calloc(1, sizeof(*d));

        *out = NULL;
        if (!d)
                return -ENOMEM;
        /* touched at once, in one call: a page faulted in on its first
           use costs about what decompressing it does */
        d->mem_size = (size_t)(CACHED_BLOCKS + 1) * super->block_size;
        d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (d->mem == MAP_FAILED) {
                free(d);
                return -ENOMEM;
        }
        for (size_t i = 0; i < CACHED_BLOCKS; i++)
                d->cache[i].data = d->mem + i * super->block_size;
        d->scratch = d->mem + (size_t)CACHED_BLOCKS * super->block_size;
        d->file = file;
        d->cmp = cmp;
        d->block_size = super->block_size;
        if (super->fragment_entry_count > 0 && !(super->flags & SQFS_FLAG_NO_FRAGMENTS)) {
                d->frags = sqfs_frag_table_create(0);
                int r = !d->frags ? -ENOMEM : sqfs_frag_table_read(d->frags, file, super, cmp) != 0 ? -EIO : 0;
                if (r < 0) {
                        squashfs_data_free(d);
                        return r;
                }
        }
        *out = d;
        return 0;
}

void squashfs_data_free(struct squashfs_data *d)
{
        if (!d)
                return;
        if (d->frags)
                sqfs_destroy(d->frags);
        munmap(d->mem, d->mem_size);
        free(d);
}

/* The block stored at where with the size word word, as read (decompressed
   to at most a block): from the cache, else read into the least recently
   used slot. What it holds depends on where and word alone, so the caller
   checks its length against what the file wants. NULL (errno set) when it
   cannot be read. */
static const struct cached_block *block_at(struct squashfs_data *d, sqfs_u64 where, sqfs_u32 word)
{
        struct cached_block *slot = &d->cache[0];
        size_t on_disk = SQFS_ON_DISK_BLOCK_SIZE(word);

        for (size_t i = 0; i < CACHED_BLOCKS; i++) {
                struct cached_block *c = &d->cache[i];
                if (c->used && c->where == where && c->word == word) {
                        c->used = ++d->clock;
                        return c;
                }
                if (!c->data || (slot->data && c->used < slot->used))
                        slot = c;
        }
        /* a block larger than the image's block size is a damaged image */
        if (on_disk > d->block_size) {
                errno = EIO;
                return NULL;
        }
        slot->used = 0; /* empty until it is read */
        sqfs_s32 got;
        if (SQFS_IS_BLOCK_COMPRESSED(word)) {
                got = d->file->read_at(d->file, where, d->scratch, on_disk) != 0
                          ? -1
                          : d->cmp->do_block(d->cmp, d->scratch, (sqfs_u32)on_disk, slot->data, d->block_size);
        } else {
                got = d->file->read_at(d->file, where, slot->data, on_disk) != 0 ? -1 : (sqfs_s32)on_disk;
        }
        if (got <= 0) {
                errno = EIO;
                return NULL;
        }
        slot->where = where;
        slot->word = word;
        slot->len = (size_t)got;
        slot->used = ++d->clock;
        return slot;
}

/* Copies [from, from + n) of a block of len bytes, or says the image is
   damaged (the block is shorter than the file says). */
static int copy_out(char *to, const struct cached_block *b, size_t from, size_t n)
{
        if (from > b->len || n > b->len - from)
                return -EIO;
        memcpy(to, b->data + from, n);
        return 0;
}

/* The file's tail, stored in a fragment: offset within it. */
static int read_tail(struct squashfs_data *d, const sqfs_inode_generic_t *in, size_t offset, char *buf, size_t n)
{
        sqfs_u32 index = NO_FRAGMENT, within = 0;
        sqfs_fragment_t frag;

        sqfs_inode_get_frag_location(in, &index, &within);
        /* a tail is shorter than a block (a file that says otherwise has
           fewer blocks than its size wants) */
        if (offset >= d->block_size || !d->frags || index == NO_FRAGMENT ||
            sqfs_frag_table_lookup(d->frags, index, &frag) != 0)
                return -EIO;
        const struct cached_block *b = block_at(d, frag.start_offset, frag.size);
        if (!b)
                return -errno;
        return copy_out(buf, b, (size_t)within + offset, n);
}

ssize_t squashfs_data_read(struct squashfs_data *d, const sqfs_inode_generic_t *in, sqfs_u64 off, void *buf,
                           size_t size)
{
        sqfs_u64 file_size = 0, where = 0;
        size_t n_blocks = sqfs_inode_get_file_block_count(in);
        size_t done = 0, i = 0;

        if (sqfs_inode_get_file_size(in, &file_size) != 0 || sqfs_inode_get_file_block_start(in, &where) != 0)
                return -EIO;
        if (off >= file_size)
                return 0;
        if (size > file_size - off)
                size = (size_t)(file_size - off);
        /* to the first block wanted, adding up the sizes of those before */
        for (; i < n_blocks && off - (sqfs_u64)i * d->block_size >= d->block_size; i++)
                where += SQFS_ON_DISK_BLOCK_SIZE(in->extra[i]);
        while (done < size) {
                sqfs_u64 pos = off + done;
                size_t within = (size_t)(pos - (sqfs_u64)i * d->block_size);
                size_t n;
                int r;

                if (i >= n_blocks) {
                        r = read_tail(d, in, within, (char *)buf + done, size - done);
                        if (r < 0)
                                return r;
                        return (ssize_t)size;
                }
                /* the last block of a file without a fragment is short */
                sqfs_u64 left = file_size - (sqfs_u64)i * d->block_size;
                size_t len = left < d->block_size ? (size_t)left : d->block_size;
                n = len - within < size - done ? len - within : size - done;
                if (SQFS_IS_SPARSE_BLOCK(in->extra[i])) {
                        memset((char *)buf + done, 0, n);
                } else {
                        const struct cached_block *b = block_at(d, where, in->extra[i]);
                        if (!b)
                                return -errno;
                        r = copy_out((char *)buf + done, b, within, n);
                        if (r < 0)
                                return r;
                }
                where += SQFS_ON_DISK_BLOCK_SIZE(in->extra[i]);
                done += n;
                i++;
        }
        return (ssize_t)done;
}
