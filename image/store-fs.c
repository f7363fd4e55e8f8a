#include "image/store-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/strutil.h"

/* statfs(2) f_type of the file systems whose permissions and owners are
   checked elsewhere than in this kernel (<linux/magic.h> has some; the
   cluster file systems' are their own) */
static const unsigned long remote_magic[] = {
        0x6969,         /* NFS */
        0x517b,         /* SMB */
        0xff534d42,     /* CIFS */
        0xfe534d42,     /* SMB2 */
        0x01021997,     /* 9p */
        0x00c36400,     /* Ceph */
        0x65735546,     /* FUSE (and fuseblk) */
        0x5346414f,     /* AFS (OpenAFS) */
        0x6b414653,     /* AFS (kAFS) */
        0x0bd00bd0,     /* Lustre */
        0x47504653,     /* GPFS */
        0x19830326,     /* BeeGFS */
        0x20030528,     /* OrangeFS */
};

bool store_fs_remote(const struct store_fs *f)
{
        for (size_t i = 0; i < ARRAY_SIZE(remote_magic); i++)
                if (f->magic == remote_magic[i])
                        return true;
        return false;
}

bool store_fs_nfs(const struct store_fs *f)
{
        return f->magic == 0x6969;
}

bool store_fs_lock_unsupported(int err)
{
        return err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS || err == EINVAL;
}

/* The type /proc/self/mountinfo gives the mount of device dev ("fuse.bindfs"
   where statfs only says FUSE). */
static void mount_type(dev_t dev, char *out, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned maj, min;

        snprintf(out, size, "?");
        while (f && getline(&line, &cap, f) > 0) {
                if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2 || makedev(maj, min) != dev)
                        continue;
                const char *dash = strstr(line, " - ");
                if (!dash)
                        continue;
                size_t n = strcspn(dash + 3, " \n");
                if (n > 0 && n < size) {
                        memcpy(out, dash + 3, n);
                        out[n] = '\0';
                }
                return;
        }
}

int store_fs_probe_dir(int dfd, struct store_fs *f)
{
        struct statfs sfs;
        struct stat st;
        char name[64], v[2] = "";
        uint32_t rnd = 0;

        memset(f, 0, sizeof(*f));
        snprintf(f->type, sizeof(f->type), "?");
        if (fstatfs(dfd, &sfs) < 0 || fstat(dfd, &st) < 0)
                return -errno;
        f->magic = (unsigned long)sfs.f_type;
        mount_type(st.st_dev, f->type, sizeof(f->type));
        if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) ||
            str_fmt(name, sizeof(name), ".nook-fs-probe-%d-%08x", (int)getpid(), rnd) < 0)
                return -EIO;
        /* O_PATH fds (the store's) take no openat of a file through them on
           every kernel: a real directory fd */
        _cleanup_close_ int dir = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        int fd = openat(dir, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        f->xattr = fsetxattr(fd, "user.nook.probe", "y", 1, 0) == 0 && fgetxattr(fd, "user.nook.probe", v, 1) == 1 &&
                   v[0] == 'y';
        f->flock = flock(fd, LOCK_EX | LOCK_NB) == 0;
        close(fd);
        unlinkat(dir, name, 0);
        f->probed = true;
        return 0;
}

int store_fs_probe_path(const char *path, struct store_fs *f)
{
        _cleanup_free_ char *p = strdup(path);
        struct stat st;

        if (!p)
                return -ENOMEM;
        while (stat(p, &st) < 0 && strrchr(p, '/') && strrchr(p, '/') != p)
                *strrchr(p, '/') = '\0';
        if (stat(p, &st) < 0 && p[0] == '/')
                p[1] = '\0';
        _cleanup_close_ int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return dfd < 0 ? -errno : store_fs_probe_dir(dfd, f);
}

/* `fs` of the store: "dev=MAJ:MIN magic=HEX xattr=0|1 flock=0|1 type=NAME" */
static bool read_cache(const struct store *s, dev_t dev, struct store_fs *f)
{
        _cleanup_close_ int fd = openat(s->dfd, "fs", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char buf[256];
        unsigned maj, min;
        int x, l;

        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        memset(f, 0, sizeof(*f));
        if (sscanf(buf, "dev=%u:%u magic=%lx xattr=%d flock=%d type=%63s", &maj, &min, &f->magic, &x, &l, f->type) != 6 ||
            makedev(maj, min) != dev)
                return false;
        f->xattr = x == 1;
        f->flock = l == 1;
        f->probed = true;
        return true;
}

static bool write_cache(const struct store *s, dev_t dev, const struct store_fs *f)
{
        char tmp[64], buf[256];
        struct nook_err ignored = { 0 };
        int fd = store_mkstemp(s, "fs-", tmp, sizeof(tmp), &ignored);

        if (fd < 0)
                return false;
        int n = snprintf(buf, sizeof(buf), "dev=%u:%u magic=%lx xattr=%d flock=%d type=%s\n", major(dev), minor(dev),
                         f->magic, f->xattr, f->flock, f->type);
        bool ok = n > 0 && (size_t)n < sizeof(buf) && write(fd, buf, (size_t)n) == n;
        close(fd);
        if (ok && renameat(s->dfd, tmp, s->dfd, "fs") == 0)
                return true;
        unlinkat(s->dfd, tmp, 0);
        return false;
}

/* What nook does on such a file system, said when the store's `fs` is
   first written: once per store. */
static void note(const struct store *s, const struct store_fs *f)
{
        if (!f->xattr)
                nook_say("note: the image store %s is on %s, which keeps no user xattrs: its images run with fuse-overlayfs, not kernel overlayfs (for kernel overlayfs, put the store on a local disk: [Store] Path= in nook.conf)",
                         s->root, f->type);
        else if (store_fs_remote(f))
                nook_say("note: the image store %s is on %s, whose owners and permissions are not this kernel's: persistent sandboxes use fuse-overlayfs there, and images with owners other than root need --map single (a store on a local disk has neither limit: [Store] Path= in nook.conf)",
                         s->root, f->type);
        if (!f->flock)
                nook_say("note: flock(2) fails on %s, the file system of the image store %s: sandboxes run without the store's locks, and importing, removing and persistent sandboxes are refused (put the store on a local disk: [Store] Path= in nook.conf)",
                         f->type, s->root);
}

void store_fs_get(const struct store *s, struct store_fs *f)
{
        struct stat st;

        memset(f, 0, sizeof(*f));
        snprintf(f->type, sizeof(f->type), "?");
        /* what nothing could be learnt of is taken as a local disk's: the
           failures then say what failed, as before */
        f->xattr = f->flock = true;
        /* nook writes nothing in a shared store, and needs nothing of it */
        if (s->shared || fstat(s->dfd, &st) < 0 || read_cache(s, st.st_dev, f))
                return;
        int tmp = openat(s->dfd, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct store_fs probed;
        int r = tmp < 0 ? -errno : store_fs_probe_dir(tmp, &probed);
        if (tmp >= 0)
                close(tmp);
        if (r < 0)
                return;
        *f = probed;
        if (write_cache(s, st.st_dev, f) && (!f->xattr || !f->flock || store_fs_remote(f)))
                note(s, f);
}

int store_fs_blame(const struct store *s, struct nook_err *e, const char *what)
{
        struct store_fs f;
        char old[sizeof(e->msg)];

        store_fs_get(s, &f);
        memcpy(old, e->msg, sizeof(old));
        return nook_errf(e, e->code ? e->code : EIO, "%s (%s on %s, the file system of the image store: put the store on a local disk with [Store] Path= in nook.conf, or --store DIR)",
                         old, what, f.type);
}
