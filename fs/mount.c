#include "fs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

/* <sys/mount.h> and <linux/mount.h> clash on glibc 2.36, so the mount API is
   called through syscall(2) with the kernel's own header. */
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif

int mnt_set_attrs(int mntfd, uint64_t set, bool recursive, struct nook_err *e)
{
        struct mount_attr attr = { .attr_set = set };
        unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

        if (syscall(SYS_mount_setattr, mntfd, "", flags, &attr, sizeof(attr)) < 0)
                return nook_errf(e, errno, "cannot set mount flags: %m");
        return 0;
}

int mnt_set_propagation(int mntfd, unsigned long how, struct nook_err *e)
{
        struct mount_attr attr = { .propagation = how };

        if (syscall(SYS_mount_setattr, mntfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return nook_errf(e, errno, "cannot set mount propagation: %m");
        return 0;
}

int mnt_clone(int fd, const char *what, struct nook_err *e)
{
        int m = (int)syscall(SYS_open_tree, fd, "",
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (m < 0)
                return nook_errf(e, errno, "cannot bind %s: %m", what);
        return m;
}

int mnt_attach(int mntfd, int targetfd, const char *where, struct nook_err *e)
{
        if (syscall(SYS_move_mount, mntfd, "", targetfd, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return nook_errf(e, errno, "cannot mount on %s: %m", where);
        return 0;
}

static int fs_open(const char *type, struct nook_err *e)
{
        int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return nook_errf(e, errno, "cannot create a %s filesystem: %m", type);
        return fs;
}

static int fs_set(int fs, const char *type, const char *key, const char *val, struct nook_err *e)
{
        unsigned cmd = val ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
        if (syscall(SYS_fsconfig, fs, cmd, key, val, 0) < 0)
                return nook_errf(e, errno, "cannot set %s=%s on %s: %m", key, val ? val : "", type);
        return 0;
}

static int fs_mount(int fs, const char *type, uint64_t attrs, struct nook_err *e)
{
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return nook_errf(e, errno, "cannot create %s: %m", type);
        int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
        if (m < 0)
                return nook_errf(e, errno, "cannot mount %s: %m", type);
        return m;
}

int mnt_new_tmpfs(uint64_t size, mode_t mode, uint64_t attrs, struct nook_err *e)
{
        return mnt_new_tmpfs_owned(size, mode, (uid_t)-1, (gid_t)-1, attrs, e);
}

/* A numeric option of a tmpfs (octal: a mode). */
static int tmpfs_set_num(int fs, const char *key, unsigned long long v, bool octal, struct nook_err *e)
{
        char buf[32];
        int r = octal ? STR_FMT(buf, "%04llo", v) : STR_FMT(buf, "%llu", v);

        return r < 0 ? nook_errf(e, -r, "cannot set the %s of a tmpfs: %m", key) : fs_set(fs, "tmpfs", key, buf, e);
}

int mnt_new_tmpfs_owned(uint64_t size, mode_t mode, uid_t uid, gid_t gid, uint64_t attrs, struct nook_err *e)
{
        _cleanup_close_ int fs = fs_open("tmpfs", e);
        int r;

        if (fs < 0)
                return fs;
        r = tmpfs_set_num(fs, "mode", mode, true, e);
        if (r == 0 && size)
                r = tmpfs_set_num(fs, "size", size, false, e);
        if (r == 0 && uid != (uid_t)-1)
                r = tmpfs_set_num(fs, "uid", uid, false, e);
        if (r == 0 && gid != (gid_t)-1)
                r = tmpfs_set_num(fs, "gid", gid, false, e);
        if (r < 0)
                return r;
        return fs_mount(fs, "tmpfs", attrs, e);
}

int mnt_new_proc(struct nook_err *e)
{
        _cleanup_close_ int fs = fs_open("proc", e);

        if (fs < 0)
                return fs;
        return fs_mount(fs, "proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
}

int mnt_new_fuse(int dev, const char *name, uid_t uid, gid_t gid, struct nook_err *e)
{
        _cleanup_close_ int fs = fs_open("fuse", e);
        char n[3][32];
        int r;

        if (fs < 0)
                return fs;
        if (STR_FMT(n[0], "%d", dev) < 0 || STR_FMT(n[1], "%u", (unsigned)uid) < 0 ||
            STR_FMT(n[2], "%u", (unsigned)gid) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot mount %s", name);
        /* the options libfuse gives when it mounts by itself */
        r = fs_set(fs, "fuse", "source", name, e);
        if (r == 0)
                r = fs_set(fs, "fuse", "subtype", name, e);
        if (r == 0)
                r = fs_set(fs, "fuse", "fd", n[0], e);
        if (r == 0)
                r = fs_set(fs, "fuse", "rootmode", "40000", e);
        if (r == 0)
                r = fs_set(fs, "fuse", "user_id", n[1], e);
        if (r == 0)
                r = fs_set(fs, "fuse", "group_id", n[2], e);
        if (r < 0)
                return r;
        return fs_mount(fs, "fuse", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
}

int mnt_new_devpts(struct nook_err *e)
{
        _cleanup_close_ int fs = fs_open("devpts", e);
        int r;

        if (fs < 0)
                return fs;
        /* A private instance: the sandbox sees only its own terminals. */
        r = fs_set(fs, "devpts", "newinstance", NULL, e);
        if (r == 0)
                r = fs_set(fs, "devpts", "ptmxmode", "0666", e);
        if (r == 0)
                r = fs_set(fs, "devpts", "mode", "0620", e);
        if (r < 0)
                return r;
        return fs_mount(fs, "devpts", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
}

int mnt_new_overlay(const char *const *lower, size_t n, const char *upper, const char *work, struct nook_err *e)
{
        _cleanup_close_ int fs = fs_open("overlay", e);
        _cleanup_(buf_free) struct buf all = { 0 };
        int r = 0;

        if (fs < 0)
                return fs;
        for (size_t i = 0; i < n && r == 0; i++)
                r = buf_appendf(&all, "%s%s", i ? ":" : "", lower[i]);
        if (r < 0)
                return nook_errf(e, ENOMEM, "cannot build the overlay options: out of memory");
        /* fsconfig(2) takes at most 256 bytes a value: a longer list goes
           one layer at a time ("lowerdir+", Linux 6.8) */
        if (all.len < 256) {
                r = fs_set(fs, "overlay", "lowerdir", buf_str(&all), e);
        } else {
                for (size_t i = 0; i < n && r == 0; i++)
                        r = fs_set(fs, "overlay", "lowerdir+", lower[i], e);
        }
        if (r == 0)
                r = fs_set(fs, "overlay", "upperdir", upper, e);
        if (r == 0)
                r = fs_set(fs, "overlay", "workdir", work, e);
        /* the only xattrs a user namespace may write: user.overlay.* */
        if (r == 0)
                r = fs_set(fs, "overlay", "userxattr", NULL, e);
        if (r < 0)
                return r;
        return fs_mount(fs, "overlay", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
}

int mnt_make_rslave(struct nook_err *e)
{
        /* Before any mount of ours: nothing we do may propagate to the host,
           while the host's later mounts still reach our binds. */
        if (syscall(SYS_mount, NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return nook_errf(e, errno, "cannot make mounts private: %m");
        return 0;
}

int mnt_pivot_into(int newrootfd, struct nook_err *e)
{
        /* pivot_root(".", ".") stacks the old root on top of the new one;
           detaching "." then drops the old root and everything under it. */
        if (fchdir(newrootfd) < 0)
                return nook_errf(e, errno, "cannot enter the new root: %m");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return nook_errf(e, errno, "cannot pivot into the new root: %m");
        if (syscall(SYS_umount2, ".", MNT_DETACH) < 0)
                return nook_errf(e, errno, "cannot detach the old root: %m");
        if (chdir("/") < 0)
                return nook_errf(e, errno, "cannot enter the new root: %m");
        return 0;
}
