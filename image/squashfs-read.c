#include "image/squashfs-read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include "lib/cleanup.h"

struct sqsh {
        sqfs_file_t *file;
        sqfs_super_t super;
        sqfs_compressor_t *cmp;
        sqfs_id_table_t *ids;
        sqfs_dir_reader_t *dirs;
        sqfs_data_reader_t *data;
};

bool sqsh_magic(int fd)
{
        char magic[4];

        return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) && memcmp(magic, "hsqs", 4) == 0;
}

void sqsh_close(struct sqsh *q)
{
        if (q->data)
                sqfs_destroy(q->data);
        if (q->dirs)
                sqfs_destroy(q->dirs);
        if (q->ids)
                sqfs_destroy(q->ids);
        if (q->cmp)
                sqfs_destroy(q->cmp);
        if (q->file)
                sqfs_destroy(q->file);
        free(q);
}

static uint64_t count_tree(const sqfs_tree_node_t *n)
{
        uint64_t c = 1;

        for (const sqfs_tree_node_t *k = n->children; k; k = k->next)
                c += count_tree(k);
        return c;
}

/* Every table the kernel or nook-squashfs would read: a damaged or crafted
   image is refused at import, not found out at run time. */
static int check_tree(struct sqsh *q, const char *label, uint64_t *entries, struct nook_err *e)
{
        sqfs_tree_node_t *root = NULL;
        int r = sqfs_dir_reader_get_full_hierarchy(q->dirs, q->ids, NULL, 0, &root);

        if (r != 0)
                return nook_errf(e, EINVAL, "%s: the squashfs directory tree is damaged (libsquashfs error %d)", label, r);
        if (entries)
                *entries = count_tree(root);
        sqfs_dir_tree_destroy(root);
        return 0;
}

static int open_tables(struct sqsh *q, const char *label, struct nook_err *e)
{
        sqfs_compressor_config_t cfg;
        int r = sqfs_super_read(&q->super, q->file);

        if (r != 0)
                return nook_errf(e, EINVAL, "%s is not a squashfs image nook can read (libsquashfs error %d on its superblock)", label, r);
        r = sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)q->super.compression_id, q->super.block_size,
                                        SQFS_COMP_FLAG_UNCOMPRESS);
        if (r == 0)
                r = sqfs_compressor_create(&cfg, &q->cmp);
        if (r != 0)
                return nook_errf(e, ENOTSUP, "%s: squashfs compressor %u is not supported (make it with gzip, xz, lz4 or zstd)",
                                 label, (unsigned)q->super.compression_id);
        q->ids = sqfs_id_table_create(0);
        q->dirs = sqfs_dir_reader_create(&q->super, q->cmp, q->file, 0);
        q->data = sqfs_data_reader_create(q->file, q->super.block_size, q->cmp, 0);
        if (!q->ids || !q->dirs || !q->data)
                return nook_errf(e, ENOMEM, "out of memory");
        r = sqfs_id_table_read(q->ids, q->file, &q->super, q->cmp);
        if (r == 0)
                r = sqfs_data_reader_load_fragment_table(q->data, &q->super);
        if (r != 0)
                return nook_errf(e, EINVAL, "%s: the squashfs tables are damaged (libsquashfs error %d)", label, r);
        return 0;
}

int sqsh_open(const char *path, const char *label, struct sqsh **out, uint64_t *entries, struct nook_err *e)
{
        struct sqsh *q = calloc(1, sizeof(*q));
        int r;

        *out = NULL;
        if (!q)
                return nook_errf(e, ENOMEM, "out of memory");
        q->file = sqfs_open_file(path, SQFS_FILE_OPEN_READ_ONLY);
        if (!q->file)
                r = nook_errf(e, errno ? errno : EIO, "cannot open %s: %m", label);
        else
                r = open_tables(q, label, e);
        if (r == 0)
                r = check_tree(q, label, entries, e);
        if (r < 0) {
                sqsh_close(q);
                return r;
        }
        *out = q;
        return 0;
}

static bool is_file(const sqfs_inode_generic_t *i)
{
        return i->base.type == SQFS_INODE_FILE || i->base.type == SQFS_INODE_EXT_FILE;
}

int sqsh_read_file(struct sqsh *q, const char *path, size_t max, char **out, size_t *len, struct nook_err *e)
{
        sqfs_inode_generic_t *inode = NULL;
        sqfs_u64 size = 0;

        *out = NULL;
        *len = 0;
        if (sqfs_dir_reader_find_by_path(q->dirs, NULL, path, &inode) != 0)
                return -ENOENT;
        if (!is_file(inode) || sqfs_inode_get_file_size(inode, &size) != 0) {
                sqfs_free(inode);
                return -ENOENT;
        }
        if (size > max) {
                sqfs_free(inode);
                return nook_errf(e, EFBIG, "the image's /%s has %llu bytes, more than nook reads (%zu)", path,
                                 (unsigned long long)size, max);
        }
        char *buf = malloc((size_t)size + 1);
        sqfs_s32 got = buf ? sqfs_data_reader_read(q->data, inode, 0, buf, (sqfs_u32)size) : 0;
        sqfs_free(inode);
        if (!buf)
                return nook_errf(e, ENOMEM, "out of memory");
        if (got < 0 || (sqfs_u64)got != size) {
                free(buf);
                return nook_errf(e, EINVAL, "cannot read the image's /%s: the squashfs data is damaged", path);
        }
        buf[size] = '\0';
        *out = buf;
        *len = (size_t)size;
        return 0;
}

bool sqsh_has_dir(struct sqsh *q, const char *path)
{
        sqfs_inode_generic_t *inode = NULL;

        if (sqfs_dir_reader_find_by_path(q->dirs, NULL, path, &inode) != 0)
                return false;
        bool dir = inode->base.type == SQFS_INODE_DIR || inode->base.type == SQFS_INODE_EXT_DIR;
        sqfs_free(inode);
        return dir;
}
