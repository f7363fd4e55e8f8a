#include "fs/squashfs-serve.h"

#define FUSE_USE_VERSION 34

#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sqfs/compressor.h>
#include <sqfs/dir.h>
#include <sqfs/meta_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>

#include "fs/squashfs-data.h"
#include "fs/squashfs-dir.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* The image cannot change while it is mounted: the kernel may keep what it
   was told (names, attributes, absent names, pages) for as long as it likes,
   and asks again only when it has forgotten. */
#define FOREVER 86400.0


/* Entries of one directory listed at once (opendir); more is refused. */
#define MAX_DIR_ENTRIES (1u << 20)

#define NO_XATTR 0xFFFFFFFFu

#define READ_BUFFER (128 * 1024)

struct node {
        sqfs_inode_generic_t *inode;
        uint64_t nlookup;       /* the kernel's references (lookup, forget) */
};

struct server {
        sqfs_file_t *file;
        sqfs_super_t super;
        sqfs_compressor_t *cmp;
        sqfs_id_table_t *ids;
        sqfs_meta_reader_t *dir_table;  /* the directory listings */
        sqfs_meta_reader_t *inode_table;
        struct squashfs_data *data;     /* files' bytes */
        sqfs_xattr_reader_t *xattrs;    /* NULL: the image stores none */
        /* by FUSE node id: an inode number n is id n + 1, the root is id 1 */
        struct node *nodes;
        size_t n_nodes;
        sqfs_u32 root_ino;
        bool root_owned;
        int sock;
        char *buf;      /* read's buffer */
        struct dir_listing *open_dirs;
        size_t buf_size;
};

struct dirent_copy {
        char *name;
        ino_t ino;
        mode_t type;
};

/* A directory's listing while it is open, shared by all who have it open
   (overlayfs opens a lower directory for every open of its own): one copy
   a directory, not one an open. */
struct dir_listing {
        struct dir_listing *next;
        fuse_ino_t id;
        size_t refs;
        size_t n;
        struct dirent_copy *e;
};

static bool is_dir(const sqfs_inode_generic_t *in)
{
        return in->base.type == SQFS_INODE_DIR || in->base.type == SQFS_INODE_EXT_DIR;
}

static bool is_file(const sqfs_inode_generic_t *in)
{
        return in->base.type == SQFS_INODE_FILE || in->base.type == SQFS_INODE_EXT_FILE;
}

static mode_t type_bits(sqfs_u16 type)
{
        switch (type) {
        case SQFS_INODE_DIR:
        case SQFS_INODE_EXT_DIR:
                return S_IFDIR;
        case SQFS_INODE_FILE:
        case SQFS_INODE_EXT_FILE:
                return S_IFREG;
        case SQFS_INODE_SLINK:
        case SQFS_INODE_EXT_SLINK:
                return S_IFLNK;
        case SQFS_INODE_BDEV:
        case SQFS_INODE_EXT_BDEV:
                return S_IFBLK;
        case SQFS_INODE_CDEV:
        case SQFS_INODE_EXT_CDEV:
                return S_IFCHR;
        case SQFS_INODE_FIFO:
        case SQFS_INODE_EXT_FIFO:
                return S_IFIFO;
        case SQFS_INODE_SOCKET:
        case SQFS_INODE_EXT_SOCKET:
                return S_IFSOCK;
        default:
                return 0;
        }
}

static sqfs_u32 link_count(const sqfs_inode_generic_t *in)
{
        switch (in->base.type) {
        case SQFS_INODE_DIR:
                return in->data.dir.nlink;
        case SQFS_INODE_EXT_DIR:
                return in->data.dir_ext.nlink;
        case SQFS_INODE_FILE:
                return 1;
        case SQFS_INODE_EXT_FILE:
                return in->data.file_ext.nlink;
        case SQFS_INODE_SLINK:
        case SQFS_INODE_EXT_SLINK:
                return in->data.slink.nlink;
        case SQFS_INODE_BDEV:
        case SQFS_INODE_CDEV:
        case SQFS_INODE_EXT_BDEV:
        case SQFS_INODE_EXT_CDEV:
                return in->data.dev.nlink;
        default:
                return in->data.ipc.nlink;
        }
}

static int fill_stat(const struct server *s, const sqfs_inode_generic_t *in, struct stat *st)
{
        sqfs_u32 uid = 0, gid = 0;
        sqfs_u64 size = 0;

        memset(st, 0, sizeof(*st));
        st->st_mode = type_bits(in->base.type) | (in->base.mode & 07777);
        if (!(st->st_mode & S_IFMT))
                return -EIO;
        if (!s->root_owned && (sqfs_id_table_index_to_id(s->ids, in->base.uid_idx, &uid) != 0 ||
                               sqfs_id_table_index_to_id(s->ids, in->base.gid_idx, &gid) != 0))
                return -EIO;
        if (is_file(in))
                (void)sqfs_inode_get_file_size(in, &size);
        else if (in->base.type == SQFS_INODE_DIR)
                size = in->data.dir.size;
        else if (in->base.type == SQFS_INODE_EXT_DIR)
                size = in->data.dir_ext.size;
        else if (S_ISLNK(st->st_mode))
                size = in->data.slink.target_size;
        else if (S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) {
                sqfs_u32 d = in->data.dev.devno;
                st->st_rdev = makedev((d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) & 0xfff00));
        }
        st->st_ino = in->base.inode_number;
        st->st_nlink = link_count(in);
        st->st_uid = uid;
        st->st_gid = gid;
        st->st_size = (off_t)size;
        st->st_blksize = (blksize_t)s->super.block_size;
        st->st_blocks = (blkcnt_t)((size + 511) / 512);
        st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = in->base.mod_time;
        return 0;
}

static struct node *node_of(struct server *s, fuse_ino_t id)
{
        return id < s->n_nodes && s->nodes[id].inode ? &s->nodes[id] : NULL;
}

/* The node id of inode number ino, 0 when it is no inode's. */
static fuse_ino_t id_of(const struct server *s, sqfs_u32 ino)
{
        if (ino == s->root_ino)
                return FUSE_ROOT_ID;
        return ino == 0 || ino > s->super.inode_count ? 0 : (fuse_ino_t)ino + 1;
}

/* The node of inode number ino, whose inode is at ref: kept, or read now
   (its number checked against the entry's). NULL: a damaged image. */
static struct node *node_load(struct server *s, sqfs_u32 ino, sqfs_u64 ref, fuse_ino_t *id)
{
        sqfs_inode_generic_t *in = NULL;

        *id = id_of(s, ino);
        if (!*id)
                return NULL;
        struct node *n = &s->nodes[*id];
        if (n->inode)
                return n;
        if (sqfs_meta_reader_read_inode(s->inode_table, &s->super, ref >> 16, ref & 0xffff, &in) != 0)
                return NULL;
        if (in->base.inode_number != ino) {
                sqfs_free(in);
                return NULL;
        }
        n->inode = in;
        return n;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct server *s = fuse_req_userdata(req);
        struct node *p = node_of(s, parent);
        struct fuse_entry_param e = { .attr_timeout = FOREVER, .entry_timeout = FOREVER };
        sqfs_u32 ino = 0;
        sqfs_u64 ref = 0;

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (!is_dir(p->inode)) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        int r = squashfs_find_entry(s->dir_table, &s->super, p->inode, name, &ino, &ref);
        if (r > 0) {
                /* ino 0: an absence the kernel keeps (ld.so's search paths) */
                fuse_reply_entry(req, &e);
                return;
        }
        struct node *n = r == 0 ? node_load(s, ino, ref, &e.ino) : NULL;
        if (!n || fill_stat(s, n->inode, &e.attr) < 0) {
                fuse_reply_err(req, EIO);
                return;
        }
        n->nlookup++;
        if (fuse_reply_entry(req, &e) != 0)
                n->nlookup--;   /* the kernel did not take it */
}

static void forget_one(struct server *s, fuse_ino_t id, uint64_t count)
{
        struct node *n = node_of(s, id);

        if (!n || id == FUSE_ROOT_ID)
                return;
        n->nlookup = count < n->nlookup ? n->nlookup - count : 0;
        if (n->nlookup == 0) {
                sqfs_free(n->inode);
                n->inode = NULL;
        }
}

static void op_forget(fuse_req_t req, fuse_ino_t id, uint64_t count)
{
        forget_one(fuse_req_userdata(req), id, count);
        fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        for (size_t i = 0; i < count; i++)
                forget_one(fuse_req_userdata(req), forgets[i].ino, forgets[i].nlookup);
        fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t id, struct fuse_file_info *fi)
{
        struct server *s = fuse_req_userdata(req);
        struct node *n = node_of(s, id);
        struct stat st;

        (void)fi;
        if (!n)
                fuse_reply_err(req, ESTALE);
        else if (fill_stat(s, n->inode, &st) < 0)
                fuse_reply_err(req, EIO);
        else
                fuse_reply_attr(req, &st, FOREVER);
}

static void op_readlink(fuse_req_t req, fuse_ino_t id)
{
        struct server *s = fuse_req_userdata(req);
        struct node *n = node_of(s, id);

        if (!n || type_bits(n->inode->base.type) != S_IFLNK) {
                fuse_reply_err(req, n ? EINVAL : ESTALE);
                return;
        }
        size_t len = n->inode->data.slink.target_size;
        char *target = len <= n->inode->payload_bytes_used ? malloc(len + 1) : NULL;
        if (!target) {
                fuse_reply_err(req, len <= n->inode->payload_bytes_used ? ENOMEM : EIO);
                return;
        }
        memcpy(target, n->inode->extra, len);
        target[len] = '\0';
        fuse_reply_readlink(req, target);
        free(target);
}

/* ENOSYS: the kernel opens files without asking (no open, no release,
   no flush from then on) and keeps their pages between opens; read finds
   the file by its node. Writes are refused by the read-only mount. */
static void op_open(fuse_req_t req, fuse_ino_t id, struct fuse_file_info *fi)
{
        (void)id;
        (void)fi;
        fuse_reply_err(req, ENOSYS);
}

static void op_read(fuse_req_t req, fuse_ino_t id, size_t size, off_t off, struct fuse_file_info *fi)
{
        struct server *s = fuse_req_userdata(req);
        struct node *n = node_of(s, id);

        (void)fi;
        if (!n || !is_file(n->inode)) {
                fuse_reply_err(req, n ? EISDIR : ESTALE);
                return;
        }
        if (size > s->buf_size) {
                char *b = realloc(s->buf, size);
                if (!b) {
                        fuse_reply_err(req, ENOMEM);
                        return;
                }
                s->buf = b;
                s->buf_size = size;
        }
        ssize_t got = off < 0 ? -EINVAL : squashfs_data_read(s->data, n->inode, (sqfs_u64)off, s->buf, size);
        if (got < 0)
                fuse_reply_err(req, (int)-got);
        else
                fuse_reply_buf(req, s->buf, (size_t)got);
}

static void listing_free(struct dir_listing *l)
{
        for (size_t i = 0; l && i < l->n; i++)
                free(l->e[i].name);
        if (l)
                free(l->e);
        free(l);
}

static int listing_add(struct dir_listing *l, const char *name, size_t len, ino_t ino, mode_t type)
{
        if (l->n >= MAX_DIR_ENTRIES)
                return -EIO;
        if ((l->n & (l->n - 1)) == 0) {
                struct dirent_copy *e = realloc(l->e, (l->n ? l->n * 2 : 16) * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                l->e = e;
        }
        char *copy = strndup(name, len);
        if (!copy)
                return -ENOMEM;
        l->e[l->n++] = (struct dirent_copy){ copy, ino, type };
        return 0;
}

/* The whole listing, read once (a listing is read in many requests,
   between which others come), from the entries alone: their names, inode
   numbers and types, no inode read. */
static int list_dir(struct server *s, const sqfs_inode_generic_t *dir, struct dir_listing *l)
{
        sqfs_u32 parent = dir->base.type == SQFS_INODE_DIR ? dir->data.dir.parent_inode : dir->data.dir_ext.parent_inode;
        sqfs_readdir_state_t st;
        int r = listing_add(l, ".", 1, dir->base.inode_number, S_IFDIR);

        if (r == 0)
                r = listing_add(l, "..", 2, parent ? parent : dir->base.inode_number, S_IFDIR);
        if (r == 0 && sqfs_readdir_state_init(&st, &s->super, dir) != 0)
                r = -EIO;
        while (r == 0) {
                sqfs_dir_entry_t *ent = NULL;
                sqfs_u32 ino = 0;
                int q = sqfs_meta_reader_readdir(s->dir_table, &st, &ent, &ino, NULL);
                if (q > 0)
                        break;
                mode_t type = q == 0 ? type_bits(ent->type) : 0;
                r = !type || ino == 0 ? -EIO : listing_add(l, (const char *)ent->name, strlen((const char *)ent->name), ino, type);
                sqfs_free(ent);
        }
        return r;
}

static struct dir_listing *listing_get(struct server *s, fuse_ino_t id, const sqfs_inode_generic_t *dir, int *err)
{
        for (struct dir_listing *l = s->open_dirs; l; l = l->next)
                if (l->id == id) {
                        l->refs++;
                        return l;
                }
        struct dir_listing *l = calloc(1, sizeof(*l));
        *err = l ? list_dir(s, dir, l) : -ENOMEM;
        if (*err < 0) {
                listing_free(l);
                return NULL;
        }
        l->next = s->open_dirs;
        l->id = id;
        l->refs = 1;
        s->open_dirs = l;
        return l;
}

static void listing_put(struct server *s, struct dir_listing *l)
{
        if (--l->refs)
                return;
        for (struct dir_listing **p = &s->open_dirs; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        listing_free(l);
}

static void op_opendir(fuse_req_t req, fuse_ino_t id, struct fuse_file_info *fi)
{
        struct server *s = fuse_req_userdata(req);
        struct node *n = node_of(s, id);
        int r = 0;

        if (!n || !is_dir(n->inode)) {
                fuse_reply_err(req, n ? ENOTDIR : ESTALE);
                return;
        }
        struct dir_listing *l = listing_get(s, id, n->inode, &r);
        if (!l) {
                fuse_reply_err(req, -r);
                return;
        }
        fi->fh = (uint64_t)(uintptr_t)l;
        fi->keep_cache = 1;
        fi->cache_readdir = 1;
        if (fuse_reply_open(req, fi) != 0)
                listing_put(s, l);
}

static void op_readdir(fuse_req_t req, fuse_ino_t id, size_t size, off_t off, struct fuse_file_info *fi)
{
        const struct dir_listing *l = (const struct dir_listing *)(uintptr_t)fi->fh;
        char *buf = malloc(size);
        size_t used = 0;

        (void)id;
        if (!buf) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        for (size_t i = off < 0 ? l->n : (size_t)off; i < l->n; i++) {
                struct stat st = { .st_ino = l->e[i].ino, .st_mode = l->e[i].type };
                size_t need = fuse_add_direntry(req, buf + used, size - used, l->e[i].name, &st, (off_t)(i + 1));
                if (need > size - used)
                        break;
                used += need;
        }
        fuse_reply_buf(req, buf, used);
        free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t id, struct fuse_file_info *fi)
{
        (void)id;
        listing_put(fuse_req_userdata(req), (struct dir_listing *)(uintptr_t)fi->fh);
        fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t id)
{
        struct server *s = fuse_req_userdata(req);
        struct statvfs sv = { 0 };

        (void)id;
        sv.f_bsize = sv.f_frsize = s->super.block_size;
        sv.f_blocks = (s->super.bytes_used + s->super.block_size - 1) / s->super.block_size;
        sv.f_files = s->super.inode_count;
        sv.f_namemax = 256;
        fuse_reply_statfs(req, &sv);
}

/* Calls fn for each of the node's attributes, by full name, until it
   returns nonzero (that value returned): 0 after the last, -errno. */
static int each_xattr(struct server *s, const sqfs_inode_generic_t *in,
                      int (*fn)(const char *name, const sqfs_xattr_value_t *v, void *arg), void *arg)
{
        sqfs_xattr_id_t desc;
        sqfs_u32 idx = NO_XATTR;

        if (sqfs_inode_get_xattr_index(in, &idx) != 0 || idx == NO_XATTR)
                return 0;
        if (sqfs_xattr_reader_get_desc(s->xattrs, idx, &desc) != 0 || sqfs_xattr_reader_seek_kv(s->xattrs, &desc) != 0)
                return -EIO;
        for (sqfs_u32 i = 0; i < desc.count; i++) {
                sqfs_xattr_entry_t *key = NULL;
                sqfs_xattr_value_t *val = NULL;
                if (sqfs_xattr_reader_read_key(s->xattrs, &key) != 0)
                        return -EIO;
                if (sqfs_xattr_reader_read_value(s->xattrs, key, &val) != 0) {
                        sqfs_free(key);
                        return -EIO;
                }
                /* libsquashfs gives the whole name, its prefix ("user.")
                   put back, NUL-terminated; one it does not know fails
                   the read above */
                int r = fn((const char *)key->key, val, arg);
                sqfs_free(val);
                sqfs_free(key);
                if (r)
                        return r;
        }
        return 0;
}

struct xattr_get {
        const char *name;
        fuse_req_t req;
        size_t size;
};

static int reply_value(const char *name, const sqfs_xattr_value_t *v, void *arg)
{
        struct xattr_get *g = arg;

        if (strcmp(name, g->name) != 0)
                return 0;
        if (g->size == 0)
                fuse_reply_xattr(g->req, v->size);
        else if (g->size < v->size)
                fuse_reply_err(g->req, ERANGE);
        else
                fuse_reply_buf(g->req, (const char *)v->value, v->size);
        return 1;
}

/* The node whose attributes are asked for, or NULL when the answer is
   given: ENOSYS when the image stores no attribute, so that the kernel
   asks no more (a getxattr per lookup and exec otherwise, overlayfs's and
   the kernel's). */
static struct node *xattr_node(fuse_req_t req, fuse_ino_t id)
{
        struct server *s = fuse_req_userdata(req);
        struct node *n = node_of(s, id);

        if (!s->xattrs)
                fuse_reply_err(req, ENOSYS);
        else if (!n)
                fuse_reply_err(req, ESTALE);
        return s->xattrs ? n : NULL;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t id, const char *name, size_t size)
{
        struct node *n = xattr_node(req, id);
        struct xattr_get g = { name, req, size };

        if (!n)
                return;
        int r = each_xattr(fuse_req_userdata(req), n->inode, reply_value, &g);
        if (r == 0)
                fuse_reply_err(req, ENODATA);
        else if (r < 0)
                fuse_reply_err(req, -r);
}

struct xattr_list {
        char *buf;
        size_t len, cap;
};

static int add_name(const char *name, const sqfs_xattr_value_t *v, void *arg)
{
        struct xattr_list *l = arg;
        size_t n = strlen(name) + 1;

        (void)v;
        if (l->len + n > l->cap) {
                size_t cap = (l->len + n) * 2;
                char *b = realloc(l->buf, cap);
                if (!b)
                        return -ENOMEM;
                l->buf = b;
                l->cap = cap;
        }
        memcpy(l->buf + l->len, name, n);
        l->len += n;
        return 0;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t id, size_t size)
{
        struct node *n = xattr_node(req, id);
        struct xattr_list l = { 0 };

        if (!n)
                return;
        int r = each_xattr(fuse_req_userdata(req), n->inode, add_name, &l);
        if (r < 0)
                fuse_reply_err(req, -r);
        else if (size == 0)
                fuse_reply_xattr(req, l.len);
        else if (size < l.len)
                fuse_reply_err(req, ERANGE);
        else
                fuse_reply_buf(req, l.buf, l.len);
        free(l.buf);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        struct server *s = userdata;

        /* the sandbox goes on now: libfuse replies to the INIT as this
           returns, before it reads another request */
        if (write(s->sock, "r", 1) != 1)
                fprintf(stderr, "nook-squashfs: cannot tell nook it serves: %s\n", strerror(errno));
        /* the targets of symbolic links kept, as pages are */
        if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
                conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

static const struct fuse_lowlevel_ops ops = {
        .init = op_init,
        .lookup = op_lookup,
        .forget = op_forget,
        .forget_multi = op_forget_multi,
        .getattr = op_getattr,
        .readlink = op_readlink,
        .open = op_open,
        .read = op_read,
        .opendir = op_opendir,
        .readdir = op_readdir,
        .releasedir = op_releasedir,
        .statfs = op_statfs,
        .getxattr = op_getxattr,
        .listxattr = op_listxattr,
};

static bool has_xattrs(const sqfs_super_t *super)
{
        return !(super->flags & SQFS_FLAG_NO_XATTRS) && super->xattr_id_table_start != UINT64_MAX;
}

static int open_image(struct server *s, const char *path)
{
        sqfs_compressor_config_t cfg;
        sqfs_inode_generic_t *root = NULL;

        s->file = sqfs_open_file(path, SQFS_FILE_OPEN_READ_ONLY);
        if (!s->file)
                return fprintf(stderr, "nook-squashfs: cannot open %s: %s\n", path, strerror(errno ? errno : EIO)), -1;
        if (sqfs_super_read(&s->super, s->file) != 0)
                return fprintf(stderr, "nook-squashfs: %s is not a squashfs image\n", path), -1;
        if (sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)s->super.compression_id, s->super.block_size,
                                        SQFS_COMP_FLAG_UNCOMPRESS) != 0 ||
            sqfs_compressor_create(&cfg, &s->cmp) != 0)
                return fprintf(stderr, "nook-squashfs: %s: compressor %u is not supported\n", path,
                               (unsigned)s->super.compression_id), -1;
        if (s->super.inode_count == 0 || s->super.inode_count > SQUASHFS_MAX_INODES)
                return fprintf(stderr, "nook-squashfs: %s: %u inodes (at most %u)\n", path, s->super.inode_count,
                               SQUASHFS_MAX_INODES), -1;
        s->ids = sqfs_id_table_create(0);
        (void)squashfs_tables_open(s->file, s->cmp, &s->super, &s->inode_table, &s->dir_table);
        /* read's buffer, for the kernel's usual largest read (32 pages),
           touched at once in one call: faulted in page by page on the
           first reads it costs about what decompressing them does */
        s->buf_size = READ_BUFFER;
        s->buf = malloc(READ_BUFFER);
        if (s->buf) {
                uintptr_t from = ((uintptr_t)s->buf + 4095) & ~(uintptr_t)4095;
                uintptr_t to = ((uintptr_t)s->buf + READ_BUFFER) & ~(uintptr_t)4095;
                (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
        }
        s->n_nodes = (size_t)s->super.inode_count + 2;
        s->nodes = calloc(s->n_nodes, sizeof(*s->nodes));
        int data = squashfs_data_open(s->file, s->cmp, &s->super, &s->data);
        if (!s->ids || !s->inode_table || !s->dir_table || data == -ENOMEM || !s->nodes || !s->buf)
                return fprintf(stderr, "nook-squashfs: out of memory\n"), -1;
        if (has_xattrs(&s->super)) {
                s->xattrs = sqfs_xattr_reader_create(0);
                if (!s->xattrs || sqfs_xattr_reader_load(s->xattrs, &s->super, s->file, s->cmp) != 0)
                        return fprintf(stderr, "nook-squashfs: %s: the xattr table is damaged\n", path), -1;
        }
        if (data < 0 || sqfs_id_table_read(s->ids, s->file, &s->super, s->cmp) != 0 ||
            sqfs_meta_reader_read_inode(s->inode_table, &s->super, s->super.root_inode_ref >> 16,
                                        s->super.root_inode_ref & 0xffff, &root) != 0)
                return fprintf(stderr, "nook-squashfs: %s: the squashfs tables are damaged\n", path), -1;
        if (!is_dir(root)) {
                sqfs_free(root);
                return fprintf(stderr, "nook-squashfs: %s: the root is not a directory\n", path), -1;
        }
        s->root_ino = root->base.inode_number;
        s->nodes[FUSE_ROOT_ID] = (struct node){ root, 1 };
        return 0;
}

static void close_image(struct server *s)
{
        for (size_t i = 0; s->nodes && i < s->n_nodes; i++)
                sqfs_free(s->nodes[i].inode);
        free(s->nodes);
        free(s->buf);
        while (s->open_dirs) {
                struct dir_listing *l = s->open_dirs;
                s->open_dirs = l->next;
                listing_free(l);
        }
        squashfs_data_free(s->data);
        sqfs_object_t *objs[] = { (sqfs_object_t *)s->xattrs,
                                  (sqfs_object_t *)s->dir_table,   (sqfs_object_t *)s->inode_table,
                                  (sqfs_object_t *)s->ids,         (sqfs_object_t *)s->cmp,
                                  (sqfs_object_t *)s->file };
        for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
                if (objs[i])
                        sqfs_destroy(objs[i]);
}

int squashfs_serve(const struct squashfs_serve_opts *o)
{
        struct server s = { .root_owned = o->root_owned, .sock = o->sock };
        char *argv[] = { "nook-squashfs", NULL };
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        char dev[32];
        int rc = 1;

        if (open_image(&s, o->image) == 0) {
                /* the image is read while the sandbox is made: the mount
                   comes once pid 1 has made it */
                int fd = fd_recv(o->sock, 0);
                struct fuse_session *se = fd < 0 ? NULL : fuse_session_new(&args, &ops, sizeof(ops), &s);
                if (fd < 0)
                        fprintf(stderr, "nook-squashfs: no mount came from nook\n");
                else if (!se)
                        fprintf(stderr, "nook-squashfs: cannot start the FUSE session\n");
                else if (str_fmt(dev, sizeof(dev), "/dev/fd/%d", fd) < 0 || fuse_session_mount(se, dev) != 0)
                        fprintf(stderr, "nook-squashfs: cannot use the mount's /dev/fuse\n");
                else
                        rc = fuse_session_loop(se) == 0 ? 0 : 1;
                if (se)
                        fuse_session_destroy(se);
        }
        close_image(&s);
        return rc;
}
