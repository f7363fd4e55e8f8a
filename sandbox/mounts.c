#include "sandbox/mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/mount.h"
#include "fs/resolve.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"


static int mount_point(const struct roots *r, const char *dst, bool dir, struct nook_err *e)
{
        int t = dir ? resolve_mkdirs(r->new, dst, 0755) : resolve_mkfile(r->new, dst);

        if (t >= 0)
                return t;
        if (t == -EROFS)
                return nook_errf(e, -t, "cannot create %s in the sandbox: it lies in a read-only part of it (choose another path)", dst);
        return nook_errf(e, -t, "cannot create %s in the sandbox: %m", dst);
}

/* STEP_LINK: when the source is itself a symbolic link, the same link at
   dst (1: made), read from the host's directory without following it;
   0 when it is no link (bound as any source). */
static int copy_link(const struct step *s, const struct roots *r, struct nook_err *e)
{
        char parent[4096], target[4096];
        const char *base = path_split(s->src, parent, sizeof(parent));
        _cleanup_close_ int dir = resolve_open_exact(r->old, parent, O_PATH | O_DIRECTORY);

        if (dir < 0)
                return 0;       /* bound, or missing, as a plain source is */
        ssize_t n = readlinkat(dir, base, target, sizeof(target) - 1);
        if (n < 0)
                return 0;
        target[n] = '\0';
        const char *dbase = path_split(s->dst, parent, sizeof(parent));
        _cleanup_close_ int ddir = mount_point(r, parent, true, e);
        if (ddir < 0)
                return ddir;
        if (symlinkat(target, ddir, dbase) < 0)
                return nook_errf(e, errno, "cannot create symlink %s: %m", s->dst);
        return 1;
}

static int apply_bind(const struct step *s, const struct roots *r, struct nook_err *e)
{
        if (s->flags & STEP_LINK) {
                int l = copy_link(s, r, e);
                if (l != 0)
                        return l < 0 ? l : 0;
        }
        /* nook made the path exact: a symbolic link on it now was put
           there since */
        _cleanup_close_ int src = resolve_open_exact(r->old, s->src, O_PATH);
        struct stat st;

        if (src == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (src == -ENOENT)
                return nook_errf(e, ENOENT, "bind source %s does not exist", s->src);
        if (src == -ELOOP)
                return nook_errf(e, ELOOP, "bind source %s changed while the sandbox started: a symbolic link is now on its way (start it again, and see who changes it)", s->src);
        if (src < 0)
                return nook_errf(e, -src, "cannot open bind source %s: %m", s->src);
        if (fstat(src, &st) < 0)
                return nook_errf(e, errno, "cannot stat bind source %s: %m", s->src);
        _cleanup_close_ int tgt = mount_point(r, s->dst, S_ISDIR(st.st_mode), e);
        if (tgt < 0)
                return tgt;
        _cleanup_close_ int m = mnt_clone(src, s->src, e);
        if (m < 0)
                return m;
        uint64_t attrs = MOUNT_ATTR_NOSUID | (s->flags & STEP_DEV ? MOUNT_ATTR_NOEXEC : MOUNT_ATTR_NODEV) |
                         (s->flags & STEP_RO ? MOUNT_ATTR_RDONLY : 0);
        int rc = mnt_set_attrs(m, attrs, true, e);
        if (rc < 0)
                return nook_err_prefix(e, "bind %s", s->src);
        return mnt_attach(m, tgt, s->dst, e);
}

static int attach_new(int m, const struct roots *r, const char *dst, struct nook_err *e)
{
        _cleanup_close_ int mnt = m;
        if (mnt < 0)
                return mnt;
        _cleanup_close_ int tgt = mount_point(r, dst, true, e);
        if (tgt < 0)
                return tgt;
        return mnt_attach(mnt, tgt, dst, e);
}

static int apply_symlink(const struct step *s, const struct roots *r, struct nook_err *e)
{
        char parent[4096];
        const char *base = path_split(s->dst, parent, sizeof(parent));
        _cleanup_close_ int dir = mount_point(r, parent, true, e);

        if (dir < 0)
                return dir;
        if (symlinkat(s->src, dir, base) < 0)
                return nook_errf(e, errno, "cannot create symlink %s: %m", s->dst);
        return 0;
}

static int apply_remount_ro(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH);

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t < 0)
                return nook_errf(e, -t, "cannot make %s read-only: %m", s->dst);
        _cleanup_close_ int m = mnt_clone(t, s->dst, e);
        if (m < 0)
                return m;
        int rc = mnt_set_attrs(m, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true, e);
        if (rc < 0)
                return nook_err_prefix(e, "read-only %s", s->dst);
        return mnt_attach(m, t, s->dst, e);
}

static int apply_pin(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH | O_DIRECTORY);

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t < 0)
                return nook_errf(e, -t, "cannot pin %s: %m", s->dst);
        _cleanup_close_ int m = mnt_clone(t, s->dst, e);
        if (m < 0)
                return m;
        return mnt_attach(m, t, s->dst, e);
}

static int apply_mask(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH);
        _cleanup_close_ int devnull = -1;
        struct stat st;
        int m;

        if (t == -ENOENT && (s->flags & STEP_TRY))
                return 0;
        if (t == -ENOENT)
                return nook_errf(e, ENOENT, "cannot hide %s: it does not exist in the sandbox", s->dst);
        if (t < 0 || fstat(t, &st) < 0)
                return nook_errf(e, t < 0 ? -t : errno, "cannot hide %s: %m", s->dst);
        if (S_ISDIR(st.st_mode)) {
                m = mnt_new_tmpfs(4096, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, e);
        } else {
                int src = r->empty;
                uint64_t attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
                if (s->flags & STEP_NULL) {
                        devnull = resolve_open_exact(r->old, "/dev/null", O_PATH);
                        if (devnull < 0)
                                return nook_errf(e, -devnull, "cannot hide %s: /dev/null: %m", s->dst);
                        src = devnull;
                } else {
                        attrs |= MOUNT_ATTR_NODEV;
                }
                m = mnt_clone(src, s->dst, e);
                if (m >= 0 && mnt_set_attrs(m, attrs, true, e) < 0) {
                        close(m);
                        return nook_err_prefix(e, "hide %s", s->dst);
                }
        }
        if (m < 0)
                return m;
        _cleanup_close_ int mnt = m;
        return mnt_attach(mnt, t, s->dst, e);
}

static int apply_seal(const struct step *s, const struct roots *r, struct nook_err *e)
{
        _cleanup_close_ int t = resolve_open(r->new, s->dst, O_PATH | O_DIRECTORY);

        if (t < 0)
                return nook_errf(e, -t, "cannot seal %s: %m", s->dst);
        if (mnt_set_attrs(t, MOUNT_ATTR_RDONLY, false, e) < 0)
                return nook_err_prefix(e, "seal %s read-only", s->dst);
        return 0;
}

/* A file whose text nook decides (/etc/hosts of an image), written in the
   staging tmpfs and bound read-only where the plan says. */
static int apply_file(const struct step *s, struct roots *r, struct nook_err *e)
{
        char name[32];
        size_t len = strlen(s->src);

        if (STR_FMT(name, "file-%u", r->files++) < 0)
                return nook_errf(e, ENAMETOOLONG, "cannot write %s: no name for it", s->dst);
        _cleanup_close_ int fd = openat(r->stage, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, s->src, len) != (ssize_t)len)
                return nook_errf(e, errno, "cannot write %s: %m", s->dst);
        _cleanup_close_ int src = openat(r->stage, name, O_PATH | O_CLOEXEC);
        _cleanup_close_ int tgt = mount_point(r, s->dst, false, e);
        if (src < 0 || tgt < 0)
                return tgt < 0 ? tgt : nook_errf(e, errno, "cannot open %s: %m", name);
        _cleanup_close_ int m = mnt_clone(src, s->dst, e);
        if (m < 0)
                return m;
        if (mnt_set_attrs(m, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true, e) < 0)
                return nook_err_prefix(e, "%s", s->dst);
        return mnt_attach(m, tgt, s->dst, e);
}

/* A tmpfs of the plan; one owned by an id the sandbox's map lacks (an
   image's user under --map=single) is the mounter's instead, open to pass
   through (0711), as the command could not own it anyway. */
static int new_tmpfs(const struct step *s, struct nook_err *e)
{
        uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        int m = mnt_new_tmpfs_owned(s->size, s->mode, s->uid, s->gid, attrs, e);

        if (m < 0 && (s->uid != (uid_t)-1 || s->gid != (gid_t)-1)) {
                memset(e, 0, sizeof(*e));
                m = mnt_new_tmpfs(s->size, s->mode | 0711, attrs, e);
        }
        return m;
}

/* Whether the directory dir is empty and lies on the new root's tmpfs (in
   the root's mount or in one of its directories bound as a tmpfs step),
   not on anything else mounted in it. */
static bool fresh_on_root(int dir, const struct roots *r)
{
        struct stat st;
        _Alignas(struct dirent64) char buf[1024];

        if (fstat(dir, &st) < 0 || st.st_dev != r->root_tmpfs)
                return false;
        ssize_t n = getdents64(dir, buf, sizeof(buf));
        for (ssize_t off = 0; n > 0 && off < n;) {
                const struct dirent64 *d = (const struct dirent64 *)(buf + off);
                if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
                        return false;
                off += d->d_reclen;
        }
        return n >= 0;
}

/* A tmpfs step. On a host sandbox's root, itself nook's tmpfs, a plain one
   (no size, no owner) is the root's own directory there, bound on itself
   writable (the root is sealed read-only at the end): no file system of
   its own to make, nor to tear down when the sandbox ends, about 50 µs
   each. What the sandbox writes in all of them shares the root's size.
   Anywhere else (inside a bind, an image's root, a directory that is not
   empty): a tmpfs of its own. */
static int apply_tmpfs(const struct step *s, const struct roots *r, struct nook_err *e)
{
        if (!r->root_tmpfs || s->size || s->uid != (uid_t)-1 || s->gid != (gid_t)-1)
                return attach_new(new_tmpfs(s, e), r, s->dst, e);
        _cleanup_close_ int tgt = mount_point(r, s->dst, true, e);
        if (tgt < 0)
                return tgt;
        _cleanup_close_ int dir = openat(tgt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return nook_errf(e, errno, "cannot open %s in the sandbox: %m", s->dst);
        if (!fresh_on_root(dir, r)) {
                _cleanup_close_ int m = new_tmpfs(s, e);
                return m < 0 ? m : mnt_attach(m, tgt, s->dst, e);
        }
        if (fchmod(dir, s->mode) < 0)
                return nook_errf(e, errno, "cannot set the mode of %s in the sandbox: %m", s->dst);
        _cleanup_close_ int m = mnt_clone(tgt, s->dst, e);
        if (m < 0)
                return m;
        if (mnt_set_attrs(m, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false, e) < 0)
                return nook_err_prefix(e, "tmpfs %s", s->dst);
        return mnt_attach(m, tgt, s->dst, e);
}

int mounts_apply_step(const struct step *s, struct roots *r, struct nook_err *e)
{
        switch (s->kind) {
        case STEP_BIND:
                return apply_bind(s, r, e);
        case STEP_TMPFS:
                return apply_tmpfs(s, r, e);
        case STEP_PROC:
                return attach_new(mnt_new_proc(e), r, s->dst, e);
        case STEP_DEVPTS:
                return attach_new(mnt_new_devpts(e), r, s->dst, e);
        case STEP_SYMLINK:
                return apply_symlink(s, r, e);
        case STEP_REMOUNT_RO:
                return apply_remount_ro(s, r, e);
        case STEP_PIN:
                return apply_pin(s, r, e);
        case STEP_MASK:
                return apply_mask(s, r, e);
        case STEP_SEAL_RO:
                return apply_seal(s, r, e);
        case STEP_FILE:
                return apply_file(s, r, e);
        }
        return nook_errf(e, EINVAL, "unknown setup step %d", (int)s->kind);
}
