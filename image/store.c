#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/store-fs.h"
#include "lib/fileutil.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

/* An image record holds a config (4 MiB at most) and a squashfs image's
   /etc/passwd and /etc/group (1 MiB each, escaped in JSON): a file larger
   than this is not one. */
#define RECORD_MAX (16u << 20)

static const char *const store_dirs[] = { "blobs", "blobs/sha256", "layers", "images", "tmp", "containers" };

char *store_default_root(void)
{
        const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        char *out = NULL;

        if (xdg && xdg[0] == '/')
                return asprintf(&out, "%s/nook", xdg) < 0 ? NULL : out;
        if (home && home[0] == '/')
                return asprintf(&out, "%s/.local/share/nook", home) < 0 ? NULL : out;
        return NULL;
}

int store_open(struct store *s, const char *root, struct nook_err *e)
{
        int r;

        memset(s, 0, sizeof(*s));
        s->dfd = -1;
        s->root = root ? strdup(root) : store_default_root();
        if (!s->root)
                return nook_errf(e, ENOENT, "cannot find the image store: set XDG_DATA_HOME or HOME, or use --store DIR");
        r = mkdir_p(s->root, 0700);
        if (r < 0)
                return nook_errf(e, -r, "cannot create the image store %s: %m", s->root);
        s->dfd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s->dfd < 0)
                return nook_errf(e, errno, "cannot open the image store %s: %m", s->root);
        for (size_t i = 0; i < ARRAY_SIZE(store_dirs); i++)
                if (mkdirat(s->dfd, store_dirs[i], 0700) < 0 && errno != EEXIST)
                        return nook_errf(e, errno, "cannot create %s/%s: %m", s->root, store_dirs[i]);
        return 0;
}

void store_close(struct store *s)
{
        if (s->dfd >= 0)
                close(s->dfd);
        free(s->root);
        memset(s, 0, sizeof(*s));
        s->dfd = -1;
}

int store_lock(const struct store *s, bool exclusive, struct nook_err *e)
{
        int fd = openat(s->dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return nook_errf(e, errno, "cannot open the store lock %s/lock: %m", s->root);
        while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
                if (errno == EINTR)
                        continue;
                int err = errno;
                close(fd);
                nook_errf(e, err, "cannot lock the image store %s: %m", s->root);
                return store_fs_lock_unsupported(err) ? store_fs_blame(s, e, "flock(2) does not work") : -err;
        }
        return fd;
}

bool store_has_blob(const struct store *s, const char *digest, int64_t size)
{
        char rel[128];
        struct stat st;

        if (store_blob_rel(digest, rel, sizeof(rel)) < 0)
                return false;
        /* a blob cut short (a full disk, a crash of the file system, a
           hand) is not the blob: its size is checked against the
           descriptor's, its content by `nook image verify` */
        return fstatat(s->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               (size < 0 || st.st_size == size);
}

int store_open_blob(const struct store *s, const char *digest, struct nook_err *e)
{
        char rel[128];

        if (store_blob_rel(digest, rel, sizeof(rel)) < 0)
                return nook_errf(e, EINVAL, "'%s' is not a sha256 digest", digest);
        /* O_NONBLOCK: a FIFO planted in a shared store is not waited on */
        int fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0)
                return nook_errf(e, errno, "blob %s is missing from the store: %m (import the image again)", digest);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return nook_errf(e, EINVAL, "blob %s of the store %s is not a regular file", digest, s->root);
        }
        return fd;
}

int store_blob_rel(const char *digest, char *buf, size_t size)
{
        if (!digest_valid(digest))
                return -EINVAL;
        return str_fmt(buf, size, "blobs/sha256/%s", digest_hex(digest));
}

int store_layer_rel(const char *diff_id, char *buf, size_t size)
{
        return str_fmt(buf, size, "layers/%s", digest_hex(diff_id));
}

bool store_has_layer(const struct store *s, const char *diff_id)
{
        char rel[128];
        struct stat st;

        if (!digest_valid(diff_id) || store_layer_rel(diff_id, rel, sizeof(rel)) < 0)
                return false;
        return fstatat(s->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* "tmp/<prefix>" and six random letters: what mkstemp(3) makes, relative
   to the store's fd, so that no path of the store's length is ever built. */
static int tmp_name(const char *prefix, char *buf, size_t size)
{
        static const char az[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        unsigned char rnd[6];

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                return -EIO;
        return str_fmt(buf, size, "tmp/%s%c%c%c%c%c%c", prefix, az[rnd[0] % 62], az[rnd[1] % 62], az[rnd[2] % 62],
                       az[rnd[3] % 62], az[rnd[4] % 62], az[rnd[5] % 62]);
}

int store_mkdtemp(const struct store *s, const char *prefix, char *buf, size_t size, struct nook_err *e)
{
        for (int tries = 0; tries < 100; tries++) {
                int r = tmp_name(prefix, buf, size);
                if (r < 0)
                        return nook_errf(e, -r, "cannot create a temporary directory in %s/tmp: %s", s->root, strerror(-r));
                if (mkdirat(s->dfd, buf, 0700) == 0)
                        return 0;
                if (errno != EEXIST)
                        return nook_errf(e, errno, "cannot create a temporary directory in %s/tmp: %m", s->root);
        }
        return nook_errf(e, EEXIST, "cannot create a temporary directory in %s/tmp: every name is taken", s->root);
}

int store_mkstemp(const struct store *s, const char *prefix, char *buf, size_t size, struct nook_err *e)
{
        for (int tries = 0; tries < 100; tries++) {
                int r = tmp_name(prefix, buf, size);
                if (r < 0)
                        return nook_errf(e, -r, "cannot create a temporary file in %s/tmp: %s", s->root, strerror(-r));
                int fd = openat(s->dfd, buf, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                /* what a shared store holds is read by every user: not
                   left to the publisher's umask */
                if (fd >= 0 && s->shared && fchmod(fd, 0644) < 0) {
                        int err = errno;
                        close(fd);
                        unlinkat(s->dfd, buf, 0);
                        return nook_errf(e, err, "cannot create a temporary file in %s/tmp: %m", s->root);
                }
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return nook_errf(e, errno, "cannot create a temporary file in %s/tmp: %m", s->root);
        }
        return nook_errf(e, EEXIST, "cannot create a temporary file in %s/tmp: every name is taken", s->root);
}

/* Opens the directory name in dfd for reading, made writable first (a layer
   may hold read-only directories); never follows a symlink. */
static int open_dir_writable(int dfd, const char *name)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
                fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        fchmod(fd, 0700);
        return fd;
}

/* Removes the entries of the directory fd that are not directories; sets
   *sub to the name of a subdirectory left (malloc'd), or NULL when none. */
static int remove_files(int fd, char **sub)
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        DIR *dp = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        struct dirent *de;
        int r = 0;

        *sub = NULL;
        if (!dp) {
                r = -errno;
                if (dup_fd >= 0)
                        close(dup_fd);
                return r;
        }
        rewinddir(dp);
        while (r == 0 && !*sub && (de = readdir(dp))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
                        continue;
                if (errno != EISDIR && errno != EPERM)
                        r = -errno;
                else if (!(*sub = strdup(de->d_name)))
                        r = -ENOMEM;
        }
        closedir(dp);
        return r;
}

struct level { char *name; dev_t dev; ino_t ino; };

/* Removes the tree at name in dfd without recursion and with three fds at
   most, however deep it is (a layer or a sandbox can make 2000 levels, and
   one fd a level ran out at 1024): down into the first subdirectory left,
   back up through ".." once a directory is empty, checking by device and
   inode that ".." is the directory we came from, so that a tree moved
   meanwhile is never followed elsewhere. */
int store_remove_at(int dfd, const char *name)
{
        struct level *path = NULL;
        size_t depth = 0, cap = 0;
        int r = 0, cur;

        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return -errno;
        cur = open_dir_writable(dfd, name);
        if (cur < 0)
                return cur;
        for (;;) {
                char *sub = NULL;
                r = remove_files(cur, &sub);
                if (r < 0)
                        break;
                if (sub) {
                        struct stat st;
                        if (depth == cap) {
                                size_t ncap = cap ? cap * 2 : 64;
                                struct level *v = reallocarray(path, ncap, sizeof(*v));
                                if (!v) {
                                        free(sub);
                                        r = -ENOMEM;
                                        break;
                                }
                                path = v;
                                cap = ncap;
                        }
                        int down = fstat(cur, &st) < 0 ? -errno : open_dir_writable(cur, sub);
                        if (down < 0) {
                                free(sub);
                                r = down;
                                break;
                        }
                        path[depth++] = (struct level){ sub, st.st_dev, st.st_ino };
                        close(cur);
                        cur = down;
                        continue;
                }
                if (depth == 0)
                        break;
                /* empty: up, then remove it by name */
                struct level *l = &path[depth - 1];
                struct stat st;
                int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (up < 0 || fstat(up, &st) < 0 || st.st_dev != l->dev || st.st_ino != l->ino) {
                        r = up < 0 ? -errno : -ESTALE;
                        if (up >= 0)
                                close(up);
                        break;
                }
                close(cur);
                cur = up;
                if (unlinkat(cur, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = -errno;
                        break;
                }
                free(l->name);
                depth--;
        }
        close(cur);
        for (size_t i = 0; i < depth; i++)
                free(path[i].name);
        free(path);
        if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

int store_remove_tree(const struct store *s, const char *rel)
{
        return store_remove_at(s->dfd, rel);
}

int store_normalize_name(const char *in, char *out, size_t size, struct nook_err *e)
{
        size_t n = strlen(in);

        if (n == 0 || n > 200 || strspn(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@") != n ||
            in[0] == '.' || in[0] == '/' || strstr(in, "..") || strstr(in, "//"))
                return nook_errf(e, EINVAL, "'%s' is not a valid image name (letters, digits, '._-/:@', no '..')", in);
        const char *slash = strrchr(in, '/');
        bool tagged = strchr(slash ? slash : in, ':') != NULL || strchr(in, '@') != NULL;
        if (str_fmt(out, size, "%s%s", in, tagged ? "" : ":latest") < 0)
                return nook_errf(e, ENAMETOOLONG, "image name '%s' is too long", in);
        return 0;
}

int store_record_rel(const char *name, char *buf, size_t size)
{
        static const char head[] = "images/", tail[] = ".json";
        size_t o = strlen(head);

        if (size < sizeof(head) + sizeof(tail))
                return -ENAMETOOLONG;
        memcpy(buf, head, o);
        for (const char *p = name; *p; p++) {
                const char *piece = *p == '/' ? "%2F" : NULL;
                size_t n = piece ? 3 : 1;
                if (o + n + sizeof(tail) > size) {
                        buf[0] = '\0';
                        return -ENAMETOOLONG;
                }
                memcpy(buf + o, piece ? piece : p, n);
                o += n;
        }
        memcpy(buf + o, tail, sizeof(tail));
        return 0;
}

/* The record's file of image name, in buf (rel[512] at every caller). */
static int record_file(const char *name, char *buf, size_t size, struct nook_err *e)
{
        if (store_record_rel(name, buf, size) < 0)
                return nook_errf(e, ENAMETOOLONG, "image name '%.100s' is too long", name);
        return 0;
}

int store_image_save(const struct store *s, const char *name, json_t *record, struct nook_err *e)
{
        char rel[512], tmp[64];

        int r = record_file(name, rel, sizeof(rel), e);
        if (r < 0)
                return r;
        int fd = store_mkstemp(s, "record-", tmp, sizeof(tmp), e);
        if (fd < 0)
                return fd;
        r = json_dumpfd(record, fd, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (r == 0 && (fchmod(fd, s->shared ? 0644 : 0600) < 0 || fsync(fd) < 0))
                r = -1;
        close(fd);
        if (r < 0 || renameat(s->dfd, tmp, s->dfd, rel) < 0) {
                int err = errno ? errno : EIO;
                unlinkat(s->dfd, tmp, 0);
                return nook_errf(e, err, "cannot write the image record of %s: %m", name);
        }
        return 0;
}

int store_image_load(const struct store *s, const char *name, json_t **record, struct nook_err *e)
{
        char rel[512];
        json_error_t je;

        int r = record_file(name, rel, sizeof(rel), e);
        if (r < 0)
                return r;
        /* O_NONBLOCK and the checks after: a FIFO or a huge file planted
           in a shared store is neither waited on nor read for minutes
           (json_loadfd reads a byte a call) */
        _cleanup_close_ int fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t len = 0;
        if (fd < 0 && errno == ELOOP)
                return nook_errf(e, ELOOP, "the image record of %s is a symbolic link, which nook does not follow (%s/%s)",
                                 name, s->root, rel);
        if (fd < 0)
                return nook_errf(e, errno, "no image named %s in the store (see 'nook image ls')", name);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return nook_errf(e, EINVAL, "the image record of %s is not a regular file (%s/%s)", name, s->root, rel);
        if (st.st_size <= RECORD_MAX && !(text = read_all(fd, RECORD_MAX, &len)))
                return nook_errf(e, ENOMEM, "out of memory");
        if (!text || len > RECORD_MAX)
                return nook_errf(e, EFBIG, "the image record of %s has more than nook reads (%u MiB): %s/%s is no record",
                                 name, RECORD_MAX >> 20, s->root, rel);
        *record = json_loadb(text, len, 0, &je);
        if (!*record)
                return nook_errf(e, EINVAL, "the image record of %s is damaged: %s (run 'nook image rm %s' and import it again)",
                                 name, je.text, name);
        return 0;
}

int store_image_remove(const struct store *s, const char *name, struct nook_err *e)
{
        char rel[512];

        int r = record_file(name, rel, sizeof(rel), e);
        if (r < 0)
                return r;
        if (unlinkat(s->dfd, rel, 0) < 0)
                return nook_errf(e, errno, "cannot remove image %s: %m", name);
        return 0;
}

int store_image_lock(const struct store *s, const char *name, bool exclusive, struct nook_err *e)
{
        char rel[512];

        int r = record_file(name, rel, sizeof(rel), e);
        if (r < 0)
                return r;
        int fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return nook_errf(e, errno, "no image named %s in the store (see 'nook image ls')", name);
        if (flock(fd, (exclusive ? LOCK_EX | LOCK_NB : LOCK_SH)) < 0) {
                int err = errno;
                /* a sandbox's hold only keeps `image rm` away, which takes
                   the store lock first and fails there alike: run without */
                if (!exclusive && store_fs_lock_unsupported(err))
                        return fd;
                close(fd);
                if (err == EWOULDBLOCK)
                        return nook_errf(e, EBUSY, "image %s is in use by a running sandbox (stop it first)", name);
                return nook_errf(e, err, "cannot lock image %s: %m", name);
        }
        return fd;
}

int store_image_each(const struct store *s, int (*fn)(const char *name, json_t *rec, void *arg), void *arg)
{
        int fd = openat(s->dfd, "images", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        int r = 0;

        if (!dp) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        while (r == 0 && (de = readdir(dp))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                char name[512];
                size_t o = 0;
                for (size_t i = 0; i + 5 < n && o + 1 < sizeof(name); i++) {
                        if (strncmp(de->d_name + i, "%2F", 3) == 0) {
                                name[o++] = '/';
                                i += 2;
                        } else {
                                name[o++] = de->d_name[i];
                        }
                }
                name[o] = '\0';
                char norm[512];
                struct nook_err e = { 0 };
                /* a file of a shared store whose name is no image's (one
                   with control characters for a terminal) is not listed */
                if (store_normalize_name(name, norm, sizeof(norm), &e) < 0 || strcmp(norm, name) != 0)
                        continue;
                json_t *rec = NULL;
                if (store_image_load(s, name, &rec, &e) == 0) {
                        r = fn(name, rec, arg);
                        json_decref(rec);
                }
        }
        closedir(dp);
        return r;
}
