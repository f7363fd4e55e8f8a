/* nolockfs SRC MOUNTPOINT [FUSE OPTION...]: SRC shown again at MOUNTPOINT
   by a FUSE file system whose flock(2) and fcntl(2) locks fail with ENOLCK,
   as they do on an NFS mount whose lock manager cannot be reached. The
   integration tests put an image store on it (store-filesystems.bats): no
   other file system of this host refuses locks. With --no-xattr its xattr
   calls fail with EOPNOTSUPP too.

   Every call is done on the same path under SRC, as
   the user who mounted it. Mounted by fusermount3 like any user's FUSE
   mount; unmounted with fusermount3 -u. */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

static int no_xattr;

/* "/a/b" as SRC/a/b: fuse_main's daemon leaves the working directory for
   "/", so SRC is kept as a path; single-threaded (-s), two paths at most a
   call (rename, link), each in its own buffer */
static char *src;
static char paths[2][8192];
#define REL(p) full(p, 0)
#define REL2(p) full(p, 1)

static const char *full(const char *p, int slot)
{
        snprintf(paths[slot], sizeof(paths[slot]), "%s%s", src, p);
        return paths[slot];
}
#define SYS(call) ((call) < 0 ? -errno : 0)

static int q_getattr(const char *p, struct stat *st, struct fuse_file_info *fi)
{
        return fi ? SYS(fstat((int)fi->fh, st)) : SYS(lstat(REL(p), st));
}

static int q_readlink(const char *p, char *buf, size_t size)
{
        ssize_t n = readlink(REL(p), buf, size - 1);

        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

static int q_mknod(const char *p, mode_t mode, dev_t dev) { return SYS(mknod(REL(p), mode, dev)); }
static int q_mkdir(const char *p, mode_t mode) { return SYS(mkdir(REL(p), mode)); }
static int q_unlink(const char *p) { return SYS(unlink(REL(p))); }
static int q_rmdir(const char *p) { return SYS(rmdir(REL(p))); }
static int q_symlink(const char *t, const char *p) { return SYS(symlink(t, REL(p))); }
static int q_link(const char *a, const char *b) { return SYS(link(REL(a), REL2(b))); }
static int q_access(const char *p, int mask) { return SYS(faccessat(AT_FDCWD, REL(p), mask, AT_SYMLINK_NOFOLLOW)); }

static int q_rename(const char *a, const char *b, unsigned flags)
{
        return SYS(renameat2(AT_FDCWD, REL(a), AT_FDCWD, REL2(b), flags));
}

static int q_chmod(const char *p, mode_t mode, struct fuse_file_info *fi)
{
        return fi ? SYS(fchmod((int)fi->fh, mode)) : SYS(fchmodat(AT_FDCWD, REL(p), mode, 0));
}

static int q_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *fi)
{
        return fi ? SYS(fchown((int)fi->fh, u, g)) : SYS(lchown(REL(p), u, g));
}

static int q_truncate(const char *p, off_t size, struct fuse_file_info *fi)
{
        return fi ? SYS(ftruncate((int)fi->fh, size)) : SYS(truncate(REL(p), size));
}

static int q_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{
        return fi ? SYS(futimens((int)fi->fh, tv)) : SYS(utimensat(AT_FDCWD, REL(p), tv, AT_SYMLINK_NOFOLLOW));
}

static int q_open(const char *p, struct fuse_file_info *fi)
{
        int fd = open(REL(p), fi->flags | O_NOFOLLOW);

        if (fd < 0)
                return -errno;
        fi->fh = (uint64_t)fd;
        return 0;
}

static int q_create(const char *p, mode_t mode, struct fuse_file_info *fi)
{
        int fd = open(REL(p), fi->flags | O_CREAT | O_NOFOLLOW, mode);

        if (fd < 0)
                return -errno;
        fi->fh = (uint64_t)fd;
        return 0;
}

static int q_read(const char *p, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
        (void)p;
        ssize_t n = pread((int)fi->fh, buf, size, off);
        return n < 0 ? -errno : (int)n;
}

static int q_write(const char *p, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
        (void)p;
        ssize_t n = pwrite((int)fi->fh, buf, size, off);
        return n < 0 ? -errno : (int)n;
}

static int q_statfs(const char *p, struct statvfs *st) { return SYS(statvfs(REL(p), st)); }

static int q_release(const char *p, struct fuse_file_info *fi)
{
        (void)p;
        close((int)fi->fh);
        return 0;
}

static int q_fsync(const char *p, int data, struct fuse_file_info *fi)
{
        (void)p;
        return data ? SYS(fdatasync((int)fi->fh)) : SYS(fsync((int)fi->fh));
}

static int q_readdir(const char *p, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
                     enum fuse_readdir_flags flags)
{
        (void)off;
        (void)fi;
        (void)flags;
        DIR *d = opendir(REL(p));
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                struct stat st = { .st_ino = de->d_ino, .st_mode = (mode_t)(de->d_type << 12) };
                if (fill(buf, de->d_name, &st, 0, 0))
                        break;
        }
        closedir(d);
        return 0;
}

/* the point of this file system */
static int q_flock(const char *p, struct fuse_file_info *fi, int op)
{
        (void)p;
        (void)fi;
        (void)op;
        return -ENOLCK;
}

static int q_lock(const char *p, struct fuse_file_info *fi, int cmd, struct flock *l)
{
        (void)p;
        (void)fi;
        (void)cmd;
        (void)l;
        return -ENOLCK;
}

static int q_setxattr(const char *p, const char *n, const char *v, size_t size, int flags)
{
        return no_xattr ? -EOPNOTSUPP : SYS(lsetxattr(REL(p), n, v, size, flags));
}

static int q_getxattr(const char *p, const char *n, char *v, size_t size)
{
        if (no_xattr)
                return -EOPNOTSUPP;
        ssize_t r = lgetxattr(REL(p), n, v, size);
        return r < 0 ? -errno : (int)r;
}

static int q_listxattr(const char *p, char *v, size_t size)
{
        if (no_xattr)
                return -EOPNOTSUPP;
        ssize_t r = llistxattr(REL(p), v, size);
        return r < 0 ? -errno : (int)r;
}

static int q_removexattr(const char *p, const char *n)
{
        return no_xattr ? -EOPNOTSUPP : SYS(lremovexattr(REL(p), n));
}

static void *q_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
        (void)conn;
        cfg->use_ino = 1;
        /* no caching: the tests look at SRC beside the mount */
        cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 0;
        return NULL;
}

static const struct fuse_operations ops = {
        .init = q_init,           .getattr = q_getattr,     .readlink = q_readlink,     .mknod = q_mknod,
        .mkdir = q_mkdir,         .unlink = q_unlink,       .rmdir = q_rmdir,           .symlink = q_symlink,
        .rename = q_rename,       .link = q_link,           .chmod = q_chmod,           .chown = q_chown,
        .truncate = q_truncate,   .open = q_open,           .read = q_read,             .write = q_write,
        .statfs = q_statfs,       .release = q_release,     .fsync = q_fsync,           .setxattr = q_setxattr,
        .getxattr = q_getxattr,   .listxattr = q_listxattr, .removexattr = q_removexattr, .readdir = q_readdir,
        .access = q_access,       .create = q_create,       .utimens = q_utimens,       .lock = q_lock,
        .flock = q_flock,
};

int main(int argc, char **argv)
{
        char *args[64];
        int n = 0, i = 1;

        if (argc > 1 && strcmp(argv[1], "--no-xattr") == 0) {
                no_xattr = 1;
                i++;
        }
        if (argc - i < 2 || argc - i > 50) {
                fprintf(stderr, "usage: nolockfs [--no-xattr] SRC MOUNTPOINT [FUSE OPTION...]\n");
                return 2;
        }
        src = realpath(argv[i], NULL);
        if (!src) {
                perror(argv[i]);
                return 1;
        }
        args[n++] = argv[0];
        args[n++] = "-s";
        args[n++] = "-o";
        args[n++] = "fsname=nolockfs,subtype=nolockfs";
        for (i++; i < argc; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        return fuse_main(n, args, &ops, NULL);
}
