#include "fs/squashfs-dir.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <sqfs/block.h>
#include <sqfs/dir.h>
#include <sqfs/error.h>
#include <sqfs/inode.h>
#include <sqfs/super.h>

/* An extended directory's index names the first entry of each metadata
   block of its listing: the scan for name starts at the last one not past
   it, as the kernel's lookup does, rather than at the listing's start (a
   lookup in a directory of 100k entries read them all). The index is read
   once, in place (libsquashfs's accessor walks it from its first entry for
   each one asked for); one far longer than its listing has blocks, that
   goes backwards, or that points outside the listing is not followed. */
static void skip_by_index(const sqfs_super_t *super, const sqfs_inode_generic_t *dir, const char *name,
                          sqfs_readdir_state_t *st)
{
        sqfs_u32 offset = 0, block = 0, last_index = 0, last_block = 0;
        bool found = false;

        if (dir->base.type != SQFS_INODE_EXT_DIR)
                return;
        size_t count = dir->data.dir_ext.inodex_count;
        /* about one a metadata block of listing; a crafted count beyond
           that would make every lookup pay for it */
        if (count > st->init.size / 1024 + 16)
                return;
        const sqfs_u8 *p = (const sqfs_u8 *)dir->extra, *end = p + dir->payload_bytes_used;
        for (size_t i = 0; i < count; i++) {
                sqfs_u32 f[3];  /* index, start_block, size (the name's length - 1) */
                if ((size_t)(end - p) < sizeof(f))
                        return;
                memcpy(f, p, sizeof(f));
                sqfs_u32 idx = le32toh(f[0]), blk = le32toh(f[1]), len = le32toh(f[2]) + 1;
                p += sizeof(f);
                if (len > 256 || (size_t)(end - p) < len || idx >= st->init.size || idx < last_index ||
                    blk < last_block)
                        return;
                char entry_name[257];
                memcpy(entry_name, p, len);
                entry_name[len] = '\0';
                p += len;
                if (strcmp(entry_name, name) > 0)
                        break;
                offset = last_index = idx;
                block = last_block = blk;
                found = true;
        }
        if (!found)
                return;
        st->current.block = super->directory_table_start + block;
        st->current.offset = (st->init.offset + offset) % SQFS_META_BLOCK_SIZE;
        st->current.size = st->init.size - offset;
        st->entries = 0;
}

int squashfs_find_entry(sqfs_meta_reader_t *dir_table, const sqfs_super_t *super, const sqfs_inode_generic_t *dir,
                        const char *name, sqfs_u32 *ino, sqfs_u64 *ref)
{
        sqfs_readdir_state_t st;
        int r = sqfs_readdir_state_init(&st, super, dir);

        if (r == 0)
                skip_by_index(super, dir, name, &st);
        while (r == 0) {
                sqfs_dir_entry_t *ent = NULL;
                r = sqfs_meta_reader_readdir(dir_table, &st, &ent, ino, ref);
                if (r != 0)
                        break;
                int cmp = strcmp((const char *)ent->name, name);
                sqfs_free(ent);
                if (cmp == 0)
                        return 0;
                if (cmp > 0)
                        return 1;
        }
        return r;
}


int squashfs_tables_open(sqfs_file_t *file, sqfs_compressor_t *cmp, const sqfs_super_t *super,
                         sqfs_meta_reader_t **inodes, sqfs_meta_reader_t **dirs)
{
        sqfs_u64 dir_end = super->id_table_start;

        if (super->fragment_table_start < dir_end)
                dir_end = super->fragment_table_start;
        if (super->export_table_start < dir_end)
                dir_end = super->export_table_start;
        *inodes = sqfs_meta_reader_create(file, cmp, super->inode_table_start, super->directory_table_start);
        *dirs = sqfs_meta_reader_create(file, cmp, super->directory_table_start, dir_end);
        if (*inodes && *dirs)
                return 0;
        if (*inodes)
                sqfs_destroy(*inodes);
        if (*dirs)
                sqfs_destroy(*dirs);
        *inodes = *dirs = NULL;
        return -ENOMEM;
}
