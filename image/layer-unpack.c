#include "image/layer-unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/strutil.h"

#define BLOCK (1 << 16)

/* Overlay metadata an image must never be able to forge. */
static const char *const forged_xattrs[] = { "trusted.overlay.", "user.overlay.", "user.fuseoverlayfs." };

struct unpack {
        struct archive *raw;            /* decompresses */
        struct archive *tar;            /* reads the entries */
        struct digest_ctx *diff;        /* of the uncompressed stream */
        int root;
        const char *name;
        unsigned flags;
        char pipe[BLOCK];       /* decompressed bytes on their way to the tar reader */
        char buf[BLOCK];        /* file data on its way to disk */
        /* every path seen, to refuse duplicates; and directories whose
           mode and time are applied last, so a read-only one does not block
           its own entries and no later entry changes its time; implicit:
           a parent the tar left out, made here (its time alone is set) */
        char **seen;
        size_t n_seen, cap_seen;
        struct dirmeta { char *path; mode_t mode; struct timespec mtime; bool implicit; } *dirs;
        size_t n_dirs;
};

/* The tar reader pulls the decompressed bytes through here, which is where
   the diff_id is computed. */
static la_ssize_t pull(struct archive *a, void *arg, const void **out)
{
        struct unpack *u = arg;
        la_ssize_t n = archive_read_data(u->raw, u->pipe, sizeof(u->pipe));

        if (n > 0)
                digest_update(u->diff, u->pipe, (size_t)n);
        if (n < 0)
                archive_set_error(a, EIO, "%s", archive_error_string(u->raw));
        *out = u->pipe;
        return n;
}

static int open_archives(struct unpack *u, int fd, struct nook_err *e)
{
        struct archive_entry *ae;

        u->raw = archive_read_new();
        u->tar = archive_read_new();
        u->diff = digest_new();
        if (!u->raw || !u->tar || !u->diff)
                return nook_errf(e, ENOMEM, "out of memory");
        archive_read_support_filter_all(u->raw);
        archive_read_support_format_raw(u->raw);
        if (archive_read_open_fd(u->raw, fd, BLOCK) != ARCHIVE_OK ||
            archive_read_next_header(u->raw, &ae) != ARCHIVE_OK)
                return nook_errf(e, EINVAL, "layer %s: cannot read it: %s", u->name, archive_error_string(u->raw));
        archive_read_support_format_tar(u->tar);
        if (archive_read_open(u->tar, u, NULL, pull, NULL) != ARCHIVE_OK)
                return nook_errf(e, EINVAL, "layer %s is not a tar archive: %s", u->name, archive_error_string(u->tar));
        return 0;
}

/* "./usr//bin/" → "usr/bin"; "" for the root itself. Refuses absolute paths
   and ".." rather than repairing them: a layer that has them is hostile. */
static int clean_path(const struct unpack *u, const char *in, char *out, size_t size, struct nook_err *e)
{
        size_t o = 0;
        const char *p = in;

        if (in[0] == '/')
                return nook_errf(e, EPERM, "layer %s: entry '%s' has an absolute path", u->name, in);
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0)
                        break;
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return nook_errf(e, EPERM, "layer %s: entry '%s' climbs out with '..'", u->name, in);
                if (!(n == 1 && p[0] == '.')) {
                        if (o + n + 2 > size)
                                return nook_errf(e, ENAMETOOLONG, "layer %s: entry '%.100s...' is too long", u->name, in);
                        if (o)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p = end;
        }
        out[o] = '\0';
        return 0;
}

static size_t hash(const char *s)
{
        size_t h = 14695981039346656037ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

/* Every path seen, in an open-addressing set: layers of 20k entries and
   more must not cost a quadratic search. */
static int remember(struct unpack *u, const char *path, struct nook_err *e)
{
        if (u->n_seen * 2 >= u->cap_seen) {
                size_t cap = u->cap_seen ? u->cap_seen * 2 : 1024;
                char **v = calloc(cap, sizeof(*v));
                if (!v)
                        return nook_errf(e, ENOMEM, "out of memory");
                for (size_t i = 0; i < u->cap_seen; i++) {
                        if (!u->seen[i])
                                continue;
                        size_t k = hash(u->seen[i]) & (cap - 1);
                        while (v[k])
                                k = (k + 1) & (cap - 1);
                        v[k] = u->seen[i];
                }
                free(u->seen);
                u->seen = v;
                u->cap_seen = cap;
        }
        size_t k = hash(path) & (u->cap_seen - 1);
        for (; u->seen[k]; k = (k + 1) & (u->cap_seen - 1))
                if (strcmp(u->seen[k], path) == 0)
                        return nook_errf(e, EEXIST, "layer %s: entry '%s' appears twice", u->name, path);
        if (!(u->seen[k] = strdup(path)))
                return nook_errf(e, ENOMEM, "out of memory");
        u->n_seen++;
        return 0;
}

/* Its mode and time (m, whose path is an allocated copy or NULL, taken
   over here) are set by finish_dirs, once nothing more is written below it. */
static int remember_dir(struct unpack *u, struct dirmeta m, struct nook_err *e)
{
        struct dirmeta *v = m.path ? reallocarray(u->dirs, u->n_dirs + 1, sizeof(*v)) : NULL;

        if (!v) {
                free(m.path);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        u->dirs = v;
        v[u->n_dirs++] = m;
        return 0;
}

/* Makes the missing directories of parent (tar files may omit them), one
   component at a time from the layer's root: a loop, not a recursion, so a
   2000-level entry costs two fds, not 2000 stack frames. */
static int make_parents(struct unpack *u, const char *parent, const char *path, struct nook_err *e)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        _cleanup_close_ int cur = fcntl(u->root, F_DUPFD_CLOEXEC, 0);
        char name[NAME_MAX + 1];

        if (cur < 0)
                return nook_errf(e, errno, "layer %s: entry '%s': %m", u->name, path);
        for (const char *p = parent; *p;) {
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n > NAME_MAX)
                        return nook_errf(e, ENAMETOOLONG, "layer %s: entry '%.100s...' has a name too long", u->name, path);
                memcpy(name, p, n);
                name[n] = '\0';
                p = *end ? end + 1 : end;
                int next = (int)syscall(SYS_openat2, cur, name, &how, sizeof(how));
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
                                return nook_errf(e, errno, "layer %s: cannot create the parents of '%s': %m", u->name, path);
                        /* time 0, as tar2sqfs gives the directories a tar
                           leaves out: not the time of this import */
                        int r = remember_dir(u, (struct dirmeta){ strndup(parent, (size_t)(end - parent)), 0, { 0 }, true }, e);
                        if (r < 0)
                                return r;
                        next = (int)syscall(SYS_openat2, cur, name, &how, sizeof(how));
                }
                if (next < 0 && errno == ELOOP)
                        return nook_errf(e, EPERM, "layer %s: entry '%s' would be written through a symlink", u->name, path);
                if (next < 0)
                        return nook_errf(e, errno, "layer %s: entry '%s': %m", u->name, path);
                close(cur);
                cur = next;
        }
        return steal_fd(&cur);
}

/* The directory that holds path, resolved inside the layer without
   following any symlink: a layer cannot write through one. */
static int open_parent(struct unpack *u, const char *path, const char **base, struct nook_err *e)
{
        char parent[4096];
        const char *slash = strrchr(path, '/');
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };

        *base = slash ? slash + 1 : path;
        /* path came through clean_path, into a buffer of this size */
        if (STR_FMT(parent, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".") < 0)
                return nook_errf(e, ENAMETOOLONG, "layer %s: entry '%.100s...' has too long a name", u->name, path);
        int fd = (int)syscall(SYS_openat2, u->root, parent, &how, sizeof(how));
        if (fd >= 0)
                return fd;
        if (errno == ELOOP)
                return nook_errf(e, EPERM, "layer %s: entry '%s' would be written through a symlink", u->name, path);
        if (errno == ENOENT && slash)
                return make_parents(u, parent, path, e);
        return nook_errf(e, errno, "layer %s: entry '%s': %m", u->name, path);
}

static int set_owner(struct unpack *u, int dirfd, const char *base, struct archive_entry *ae, int fd,
                     const char *path, struct nook_err *e)
{
        if (u->flags & LAYER_SQUASH_IDS)
                return 0;
        uid_t uid = (uid_t)archive_entry_uid(ae);
        gid_t gid = (gid_t)archive_entry_gid(ae);
        int r = fd >= 0 ? fchown(fd, uid, gid) : fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0 && errno == EINVAL)
                return nook_errf(e, EINVAL, "layer %s: entry '%s' is owned by %u:%u, beyond the ids mapped in the sandbox (use a larger /etc/subuid range)",
                                 u->name, path, (unsigned)uid, (unsigned)gid);
        if (r < 0)
                return nook_errf(e, errno, "layer %s: cannot set the owner of '%s': %m", u->name, path);
        return 0;
}

static int set_xattrs(struct unpack *u, int fd, struct archive_entry *ae, const char *path, struct nook_err *e)
{
        const char *name;
        const void *value;
        size_t size;

        archive_entry_xattr_reset(ae);
        while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
                for (size_t i = 0; i < ARRAY_SIZE(forged_xattrs); i++)
                        if (strncmp(name, forged_xattrs[i], strlen(forged_xattrs[i])) == 0)
                                return nook_errf(e, EPERM, "layer %s: entry '%s' carries the overlay attribute '%s'",
                                                 u->name, path, name);
                /* best effort, as tar does: a filesystem or a user namespace
                   may not take every name (trusted.*, some security.*) */
                if (fd >= 0)
                        (void)fsetxattr(fd, name, value, size, 0);
        }
        return 0;
}

static int write_data(struct unpack *u, int fd, const char *path, struct nook_err *e)
{
        for (;;) {
                la_ssize_t n = archive_read_data(u->tar, u->buf, sizeof(u->buf));
                if (n == 0)
                        return 0;
                if (n < 0)
                        return nook_errf(e, EIO, "layer %s: entry '%s': %s", u->name, path, archive_error_string(u->tar));
                for (la_ssize_t off = 0; off < n;) {
                        ssize_t w = write(fd, u->buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0)
                                return nook_errf(e, errno, "layer %s: writing '%s': %m", u->name, path);
                        off += w;
                }
        }
}

/* The directory dir hides the lower layers' content: kernel overlayfs
   (userxattr) and fuse-overlayfs each read their own xattr; on a store
   without user xattrs, the OCI marker file stays, which fuse-overlayfs
   reads (and such a store runs its images with it). -1 and errno. */
static int mark_opaque(const struct unpack *u, int dir)
{
        if (u->flags & LAYER_OPAQUE_FILE) {
                int fd = openat(dir, ".wh..wh..opq", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return -1;
                close(fd);
                return 0;
        }
        if (fsetxattr(dir, "user.overlay.opaque", "y", 1, 0) < 0)
                return -1;
        return fsetxattr(dir, "user.fuseoverlayfs.opaque", "y", 1, 0);
}

static int whiteout(struct unpack *u, int dirfd, const char *base, const char *path, struct nook_err *e)
{
        const char *victim = base + 4;

        if (strcmp(base, ".wh..wh..opq") == 0) {
                _cleanup_close_ int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d < 0 || mark_opaque(u, d) < 0)
                        return nook_errf(e, errno, "layer %s: cannot mark '%s' opaque: %m (does this filesystem keep user xattrs?)",
                                         u->name, path);
                return 0;
        }
        if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
                return nook_errf(e, EPERM, "layer %s: whiteout '%s' names no file", u->name, path);
        /* A whiteout hides the layers below: an entry of the same name made
           by this very layer already does, and stays (the OCI image spec). */
        struct stat st;
        if (fstatat(dirfd, victim, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 0;
        /* the overlay form of a deleted file: a 0/0 character device, which
           a user namespace may create */
        if (mknodat(dirfd, victim, S_IFCHR | 0, 0) < 0)
                return nook_errf(e, errno, "layer %s: cannot create the whiteout of '%s': %m", u->name, path);
        return 0;
}

static int hardlink(struct unpack *u, int dirfd, const char *base, struct archive_entry *ae, const char *path,
                    struct nook_err *e)
{
        char target[4096];
        const char *tbase;
        int r = clean_path(u, archive_entry_hardlink(ae), target, sizeof(target), e);

        if (r < 0)
                return nook_errf(e, EPERM, "layer %s: hardlink '%s' points outside the layer ('%s')", u->name, path,
                                 archive_entry_hardlink(ae));
        if (!*target)
                return nook_errf(e, EPERM, "layer %s: hardlink '%s' points at the layer root", u->name, path);
        _cleanup_close_ int tdir = open_parent(u, target, &tbase, e);
        if (tdir < 0)
                return tdir;
        /* flags 0: the link's target is never followed if it is a symlink */
        if (linkat(tdir, tbase, dirfd, base, 0) < 0)
                return nook_errf(e, errno, "layer %s: hardlink '%s' to '%s': %m", u->name, path, target);
        return 0;
}

/* Removes a 0/0 whiteout this layer created at base; true when it did. */
static bool drop_own_whiteout(int dir, const char *base)
{
        struct stat st;

        if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != 0)
                return false;
        return unlinkat(dir, base, 0) == 0;
}

static int make_file(struct unpack *u, int dir, const char *base, struct archive_entry *ae, const char *path,
                     struct nook_err *e)
{
        _cleanup_close_ int fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return nook_errf(e, errno, "layer %s: cannot create '%s': %m", u->name, path);
        r = write_data(u, fd, path, e);
        if (r == 0)
                r = set_owner(u, dir, base, ae, fd, path, e);
        if (r == 0)
                r = set_xattrs(u, fd, ae, path, e);
        /* chown clears setuid bits: the mode comes after it */
        if (r == 0 && fchmod(fd, archive_entry_perm(ae) & 07777) < 0)
                r = nook_errf(e, errno, "layer %s: chmod '%s': %m", u->name, path);
        if (r == 0) {
                struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) } };
                futimens(fd, ts);
        }
        return r;
}

/* replaced: it stands where this layer put a whiteout, so it must not show
   the lower layers' content (it becomes opaque). */
static int make_dir(struct unpack *u, int dir, const char *base, struct archive_entry *ae, const char *path,
                    bool replaced, struct nook_err *e)
{
        struct stat st;
        int r;

        if (mkdirat(dir, base, 0700) < 0 &&
            !(errno == EEXIST && fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)))
                return nook_errf(e, errno, "layer %s: cannot create directory '%s': %m", u->name, path);
        _cleanup_close_ int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return nook_errf(e, errno, "layer %s: cannot open directory '%s': %m", u->name, path);
        r = set_owner(u, dir, base, ae, fd, path, e);
        if (r == 0)
                r = set_xattrs(u, fd, ae, path, e);
        if (r == 0 && replaced && mark_opaque(u, fd) < 0)
                r = nook_errf(e, errno, "layer %s: cannot mark '%s' opaque: %m", u->name, path);
        if (r < 0)
                return r;
        return remember_dir(u, (struct dirmeta){ strdup(path), archive_entry_perm(ae) & 07777,
                                                 { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) }, false }, e);
}

/* The owner and time of a symlink or a FIFO, base in dir, as the tar gives
   them: set on the entry itself (never followed, never opened), so that two
   imports of one layer are alike. */
static int set_owner_time_at(struct unpack *u, int dir, const char *base, struct archive_entry *ae, const char *path,
                             struct nook_err *e)
{
        struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { archive_entry_mtime(ae), archive_entry_mtime_nsec(ae) } };
        int r = set_owner(u, dir, base, ae, -1, path, e);

        if (r == 0 && utimensat(dir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                r = nook_errf(e, errno, "layer %s: cannot set the time of '%s': %m", u->name, path);
        return r;
}

/* The entry itself, base in the directory fd dir, by its type. */
static int make_entry(struct unpack *u, int dir, const char *base, struct archive_entry *ae, const char *path,
                      bool replaced, struct nook_err *e)
{
        switch (archive_entry_filetype(ae)) {
        case AE_IFREG:
                return make_file(u, dir, base, ae, path, e);
        case AE_IFDIR:
                return make_dir(u, dir, base, ae, path, replaced, e);
        case AE_IFLNK:
                if (symlinkat(archive_entry_symlink(ae), dir, base) < 0)
                        return nook_errf(e, errno, "layer %s: cannot create symlink '%s': %m", u->name, path);
                return set_owner_time_at(u, dir, base, ae, path, e);
        case AE_IFIFO:
                if (mknodat(dir, base, S_IFIFO | (archive_entry_perm(ae) & 07777), 0) < 0)
                        return nook_errf(e, errno, "layer %s: cannot create fifo '%s': %m", u->name, path);
                return set_owner_time_at(u, dir, base, ae, path, e);
        case AE_IFCHR:
        case AE_IFBLK:
                /* device nodes are never created: a sandbox gets its own /dev */
                return 0;
        default:
                return nook_errf(e, EPERM, "layer %s: entry '%s' has an unknown type", u->name, path);
        }
}

static int extract_one(struct unpack *u, struct archive_entry *ae, struct nook_err *e)
{
        char path[4096];
        const char *base;
        int r = clean_path(u, archive_entry_pathname(ae), path, sizeof(path), e);

        if (r < 0)
                return r;
        if (!*path) {
                /* "." itself: it may only ever be a directory */
                if (archive_entry_filetype(ae) != AE_IFDIR && !archive_entry_hardlink(ae))
                        return nook_errf(e, EPERM, "layer %s: entry '.' would turn the root into another type", u->name);
                return 0;
        }
        r = remember(u, path, e);
        if (r < 0)
                return r;
        const char *slash = strrchr(path, '/');
        bool is_whiteout = strncmp(slash ? slash + 1 : path, ".wh.", 4) == 0;
        _cleanup_close_ int dir = open_parent(u, path, &base, e);
        if (dir < 0) {
                /* under a path this layer made a file: nothing below to hide */
                if (is_whiteout && e->code == ENOTDIR)
                        return 0;
                return dir;
        }
        if (is_whiteout)
                return whiteout(u, dir, base, path, e);
        /* an entry where this layer put a whiteout: the entry replaces the
           lower one; a directory that does so must not show the lower's
           content, so it becomes opaque */
        bool replaced = drop_own_whiteout(dir, base);
        if (archive_entry_hardlink(ae))
                return hardlink(u, dir, base, ae, path, e);
        return make_entry(u, dir, base, ae, path, replaced, e);
}

static int finish_dir(struct unpack *u, const struct dirmeta *d, struct nook_err *e)
{
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, d->mtime };
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, u->root, d->path, &how, sizeof(how));

        if (fd < 0)
                return nook_errf(e, errno, "layer %s: directory '%s': %m", u->name, d->path);
        if (!d->implicit && fchmod(fd, d->mode) < 0)
                return nook_errf(e, errno, "layer %s: chmod '%s': %m", u->name, d->path);
        if (futimens(fd, ts) < 0)
                return nook_errf(e, errno, "layer %s: cannot set the time of '%s': %m", u->name, d->path);
        return 0;
}

/* Directory modes and times last, once nothing more is written: the
   parents the tar left out first (one may have an entry of its own later
   in the tar, whose time wins), then the entries' own, deepest first (a
   mode without search permission would block what is below). */
static int finish_dirs(struct unpack *u, struct nook_err *e)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < u->n_dirs; i++)
                if (u->dirs[i].implicit)
                        r = finish_dir(u, &u->dirs[i], e);
        for (size_t i = u->n_dirs; r == 0 && i-- > 0;)
                if (!u->dirs[i].implicit)
                        r = finish_dir(u, &u->dirs[i], e);
        return r;
}

static void unpack_free(struct unpack *u)
{
        if (u->tar)
                archive_read_free(u->tar);
        if (u->raw)
                archive_read_free(u->raw);
        digest_free(u->diff);
        for (size_t i = 0; i < u->cap_seen; i++)
                free(u->seen[i]);
        free(u->seen);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        free(u);
}

int layer_unpack(int fd, int rootfd, const char *name, unsigned flags, char diff_id[DIGEST_STR_LEN + 1],
                 struct nook_err *e)
{
        struct unpack *u = calloc(1, sizeof(*u));
        struct archive_entry *ae;
        int r;

        if (!u)
                return nook_errf(e, ENOMEM, "out of memory");
        u->root = rootfd;
        u->name = name;
        u->flags = flags;
        r = open_archives(u, fd, e);
        while (r == 0) {
                int h = archive_read_next_header(u->tar, &ae);
                if (h == ARCHIVE_EOF)
                        break;
                if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
                        r = nook_errf(e, EINVAL, "layer %s is damaged or truncated: %s", name, archive_error_string(u->tar));
                        break;
                }
                r = extract_one(u, ae, e);
        }
        /* the digest covers the whole stream, padding included */
        while (r == 0) {
                la_ssize_t n = archive_read_data(u->raw, u->buf, sizeof(u->buf));
                if (n < 0)
                        r = nook_errf(e, EINVAL, "layer %s is damaged or truncated: %s", name, archive_error_string(u->raw));
                if (n <= 0)
                        break;
                digest_update(u->diff, u->buf, (size_t)n);
        }
        if (r == 0)
                r = finish_dirs(u, e);
        if (r == 0) {
                digest_final(u->diff, diff_id);
                u->diff = NULL;
        }
        unpack_free(u);
        return r;
}
