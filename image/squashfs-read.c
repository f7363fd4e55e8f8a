#include "image/squashfs-read.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_reader.h>
#include <sqfs/super.h>

#include "fs/squashfs-dir.h"
#include "lib/cleanup.h"
#include "lib/launcher.h"
#include "lib/strutil.h"

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

/* libsquashfs's whole-tree read unfolds the tree: a copy of an inode for
   every name, a hard-linked file's block list (a 16 GiB sparse file's is
   16 MB) as many times as it has names, and a directory named from many
   places (a crafted image) as many times again: a megabyte file took all
   24 GB of a test machine. The walk reads each inode once, the first time
   its number is seen, each directory from a queue, and refuses a directory
   seen twice. */

struct dir_queue {
        sqfs_inode_generic_t **v;
        size_t head, n, cap;
};

static int queue_push(struct dir_queue *d, sqfs_inode_generic_t *in)
{
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 64;
                sqfs_inode_generic_t **v = realloc(d->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                d->v = v;
                d->cap = cap;
        }
        d->v[d->n++] = in;
        return 0;
}

static bool is_dir(const sqfs_inode_generic_t *i)
{
        return i->base.type == SQFS_INODE_DIR || i->base.type == SQFS_INODE_EXT_DIR;
}

/* Marks inode number ino seen: false when it was, or is no inode's. */
static bool first_sight(uint8_t *seen, sqfs_u32 count, sqfs_u32 ino)
{
        if (ino == 0 || ino > count || (seen[ino / 8] & (1u << (ino % 8))))
                return false;
        seen[ino / 8] |= (uint8_t)(1u << (ino % 8));
        return true;
}

struct walk {
        sqfs_meta_reader_t *dir_table, *inode_table;
        uint8_t *seen;                  /* a bit an inode number */
        struct dir_queue queue;
        uint64_t entries;
};

/* One directory's entries read, each inode the first time its number is
   seen (its owners resolved; a hard link read once, however many names it
   has), its subdirectories queued. 0, -ENOMEM, -ELOOP (a directory seen
   twice, a number out of range or not its inode's), or a libsquashfs
   error. */
static int walk_dir(struct sqsh *q, struct walk *w, const sqfs_inode_generic_t *dir)
{
        sqfs_readdir_state_t st;
        int r = sqfs_readdir_state_init(&st, &q->super, dir);

        while (r == 0) {
                sqfs_dir_entry_t *ent = NULL;
                sqfs_inode_generic_t *in = NULL;
                sqfs_u32 ino = 0, id;
                sqfs_u64 ref = 0;
                int got = sqfs_meta_reader_readdir(w->dir_table, &st, &ent, &ino, &ref);
                if (got > 0)
                        break;
                r = got;
                bool is_dir_entry = r == 0 && ent->type == SQFS_INODE_DIR;
                sqfs_free(ent);
                if (r == 0)
                        w->entries++;
                if (r == 0 && !first_sight(w->seen, q->super.inode_count, ino)) {
                        r = is_dir_entry || ino == 0 || ino > q->super.inode_count ? -ELOOP : 0;
                        continue;
                }
                if (r == 0)
                        r = sqfs_meta_reader_read_inode(w->inode_table, &q->super, ref >> 16, ref & 0xffff, &in);
                if (r == 0 && (in->base.inode_number != ino || is_dir(in) != is_dir_entry))
                        r = -ELOOP;
                if (r == 0)
                        r = sqfs_id_table_index_to_id(q->ids, in->base.uid_idx, &id);
                if (r == 0)
                        r = sqfs_id_table_index_to_id(q->ids, in->base.gid_idx, &id);
                if (r == 0 && is_dir_entry) {
                        r = queue_push(&w->queue, in);
                        if (r == 0)
                                in = NULL;
                }
                sqfs_free(in);
        }
        return r;
}

/* Every table the kernel or nook-squashfs would read: a damaged or crafted
   image is refused at import, not found out at run time. */
static int check_tree(struct sqsh *q, const char *label, uint64_t *entries, struct nook_err *e)
{
        struct walk w = { 0 };
        sqfs_inode_generic_t *root = NULL;

        if (q->super.inode_count == 0 || q->super.inode_count > SQUASHFS_MAX_INODES)
                return nook_errf(e, EINVAL, "%s: the squashfs image says it has %u inodes (nook reads at most %u)",
                                 label, q->super.inode_count, SQUASHFS_MAX_INODES);
        w.seen = calloc(q->super.inode_count / 8 + 1, 1);
        int r = w.seen ? squashfs_tables_open(q->file, q->cmp, &q->super, &w.inode_table, &w.dir_table) : -ENOMEM;
        if (r == 0)
                r = sqfs_meta_reader_read_inode(w.inode_table, &q->super, q->super.root_inode_ref >> 16,
                                                q->super.root_inode_ref & 0xffff, &root);
        if (r == 0)
                r = !is_dir(root) ? SQFS_ERROR_NOT_DIR
                  : first_sight(w.seen, q->super.inode_count, root->base.inode_number) ? queue_push(&w.queue, root)
                                                                                       : -ELOOP;
        if (r == 0)
                root = NULL;
        sqfs_free(root);
        for (; r == 0 && w.queue.head < w.queue.n; w.queue.head++) {
                r = walk_dir(q, &w, w.queue.v[w.queue.head]);
                sqfs_free(w.queue.v[w.queue.head]);
        }
        for (; w.queue.head < w.queue.n; w.queue.head++)
                sqfs_free(w.queue.v[w.queue.head]);
        free(w.queue.v);
        free(w.seen);
        if (w.dir_table)
                sqfs_destroy(w.dir_table);
        if (w.inode_table)
                sqfs_destroy(w.inode_table);
        if (r == -ENOMEM)
                return nook_errf(e, ENOMEM, "out of memory");
        if (r == -ELOOP)
                return nook_errf(e, EINVAL, "%s: the squashfs directory tree is damaged (a directory reached twice, or an inode number out of range)",
                                 label);
        if (r != 0)
                return nook_errf(e, EINVAL, "%s: the squashfs directory tree is damaged (libsquashfs error %d)", label, r);
        if (entries)
                *entries = w.entries + 1;
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
        if (r == SQFS_ERROR_ALLOC)
                return nook_errf(e, ENOMEM, "%s: the squashfs tables are larger than nook reads, or damaged", label);
        if (r != 0)
                return nook_errf(e, EINVAL, "%s: the squashfs tables are damaged (libsquashfs error %d)", label, r);
        return 0;
}

/* The check runs in a child with at most CHECK_MEMORY of address space,
   given CHECK_SECONDS: libsquashfs allocates and decompresses what a
   header says (the fragment table, a block list, a link target, a
   directory index), so a crafted file of a few megabytes could otherwise
   take the machine's memory, or its CPU for as long as it likes. Its
   answer comes back whole on a pipe; what the parent then loads was
   loaded within the limit. */
#define CHECK_MEMORY (2048ul << 20)
#define CHECK_SECONDS 300

struct check_answer {
        int r;
        uint64_t entries;
        struct nook_err e;
};

static int check_in_child(const char *path, const char *label, struct check_answer *a)
{
        struct sqsh q = { 0 };

        q.file = sqfs_open_file(path, SQFS_FILE_OPEN_READ_ONLY);
        a->r = !q.file ? nook_errf(&a->e, errno ? errno : EIO, "cannot open %s: %m", label)
                       : open_tables(&q, label, &a->e);
        if (a->r == 0)
                a->r = check_tree(&q, label, &a->entries, &a->e);
        return a->r;
}

static int check_bounded(const char *path, const char *label, uint64_t *entries, struct nook_err *e)
{
        struct check_answer a = { 0 };
        _cleanup_close_ int pidfd = -1;
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return nook_errf(e, errno, "cannot check %s: %m", label);
        pid_t pid = launcher_fork_keep(&pidfd, &p[1], 1, e);
        if (pid == 0) {
#ifndef NOOK_SANITIZERS
                struct rlimit mem = { CHECK_MEMORY, CHECK_MEMORY };
                (void)setrlimit(RLIMIT_AS, &mem);
#endif
                (void)check_in_child(path, label, &a);
                _exit(write(p[1], &a, sizeof(a)) == (ssize_t)sizeof(a) ? 0 : 1);
        }
        close(p[1]);
        _cleanup_close_ int rd = p[0];
        if (pid < 0)
                return pid;
        struct pollfd pf = { .fd = rd, .events = POLLIN };
        int n = poll(&pf, 1, CHECK_SECONDS * 1000);
        bool whole = n > 0 && read(rd, &a, sizeof(a)) == (ssize_t)sizeof(a);
        launcher_end(&pidfd, whole ? 0 : SIGKILL, 2000);
        if (n == 0)
                return nook_errf(e, ETIMEDOUT, "%s: checking the squashfs image took more than %d s: refused as damaged or crafted",
                                 label, CHECK_SECONDS);
        if (!whole)
                return nook_errf(e, ENOMEM, "%s: checking the squashfs image took more than %lu MiB of memory: refused as damaged or crafted",
                                 label, CHECK_MEMORY >> 20);
        if (a.r < 0) {
                *e = a.e;
                return a.r;
        }
        *entries = a.entries;
        return 0;
}

int sqsh_open(const char *path, const char *label, struct sqsh **out, uint64_t *entries, struct nook_err *e)
{
        struct sqsh *q = calloc(1, sizeof(*q));
        int r;

        *out = NULL;
        if (!q)
                return nook_errf(e, ENOMEM, "out of memory");
        /* one open file for the check and what follows it: a name that
           someone else can rename over (a shared store's blobs/) could
           otherwise give the unbounded load another file than the one
           checked */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        char by_fd[32];
        if (fd < 0)
                r = nook_errf(e, errno, "cannot open %s: %m", label);
        else if (STR_FMT(by_fd, "/proc/self/fd/%d", fd) < 0)
                r = nook_errf(e, ENAMETOOLONG, "cannot open %s", label);
        else
                r = check_bounded(by_fd, label, entries ? entries : &(uint64_t){ 0 }, e);
        if (r == 0) {
                q->file = sqfs_open_file(by_fd, SQFS_FILE_OPEN_READ_ONLY);
                r = q->file ? open_tables(q, label, e) : nook_errf(e, errno ? errno : EIO, "cannot open %s: %m", label);
        }
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
