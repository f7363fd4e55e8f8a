#include "image/store-publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image-export.h"
#include "image/image-manifest.h"
#include "image/squashfs-import.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

static const char *const shared_dirs[] = { "blobs", "blobs/sha256", "images", "tmp" };

/* A directory nook needs in dir that is there but is no directory (a link
   that whoever else writes in dir put there: nook never writes through
   one) is said; 0 when it is a directory or is not there. */
static int check_dir(const struct store *to, const char *sub, struct nook_err *e)
{
        struct stat st;

        if (fstatat(to->dfd, sub, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : nook_errf(e, errno, "cannot publish to %s: %s: %m", to->root, sub);
        if (!S_ISDIR(st.st_mode))
                return nook_errf(e, ENOTDIR, "cannot publish to %s: %s/%s is %s, not a directory (remove it)", to->root,
                                 to->root, sub, S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
        return 0;
}

/* Opens dir as a shared store to publish into: it must exist; the
   directories nook needs in it are made readable by all (0755, whatever
   the umask), those that exist are left as their owner set them. Every
   one is checked before any is made, and again after. */
static int open_target(struct store *to, const char *dir, struct nook_err *e)
{
        int r = 0;

        memset(to, 0, sizeof(*to));
        to->dfd = -1;
        to->shared = true;
        if (!(to->root = strdup(dir)))
                return nook_errf(e, ENOMEM, "out of memory");
        to->dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (to->dfd < 0 && errno == ENOENT)
                return nook_errf(e, ENOENT, "cannot publish to %s: no such directory (create it, with the mode its readers need)", dir);
        if (to->dfd < 0)
                return nook_errf(e, errno, "cannot publish to %s: %m", dir);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(shared_dirs); i++)
                r = check_dir(to, shared_dirs[i], e);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(shared_dirs); i++) {
                if (mkdirat(to->dfd, shared_dirs[i], 0755) == 0) {
                        if (fchmodat(to->dfd, shared_dirs[i], 0755, 0) < 0)
                                return nook_errf(e, errno, "cannot publish to %s: %s: %m", dir, shared_dirs[i]);
                } else if (errno != EEXIST) {
                        return nook_errf(e, errno, "cannot publish to %s: cannot create %s: %m", dir, shared_dirs[i]);
                }
                r = check_dir(to, shared_dirs[i], e);
        }
        return r;
}

static int exists_error(const char *name, const char *dir, const char *rel, struct nook_err *e)
{
        return nook_errf(e, EEXIST, "image %s is already published in %s: publish it under another name (--name), or remove %s/%s first",
                         name, dir, dir, rel);
}

/* The squashfs file to publish, open in *fd: the user's own blob of a
   squashfs image, else the image exported into the directory open at
   work (one of to's tmp/, made by this publish). *path: where its
   FILE.json would be, reached through work's fd, so that whoever else
   writes in tmp/ cannot move the directory and put a link in its place. */
static int squashfs_of(const struct store *own, json_t *rec, const char *name, int work, const struct userns_map *m,
                       const char *compressor, int *fd, char **path, struct nook_err *e)
{
        json_t *sq = json_object_get(rec, "squashfs");

        if (asprintf(path, "/proc/self/fd/%d/image.sqsh", work) < 0)
                return nook_errf(e, ENOMEM, "out of memory");
        if (sq) {
                *fd = store_open_blob(own, json_string_value(json_object_get(sq, "digest")) ?: "", e);
                return *fd < 0 ? *fd : 0;
        }
        int r = image_export(own, name, *path, m, compressor, e);
        if (r < 0)
                return r;
        *fd = open(*path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return *fd < 0 ? nook_errf(e, errno, "cannot read back %s: %m", *path) : 0;
}

/* The record, written whole under tmp/ and linked to its name: never
   over one that is there. */
static int link_record(const struct store *to, const char *name, const char *rel, json_t *rec, struct nook_err *e)
{
        char tmp[64];
        int fd = store_mkstemp(to, "record-", tmp, sizeof(tmp), e);

        if (fd < 0)
                return fd;
        int r = json_dumpfd(rec, fd, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && fsync(fd) == 0 ? 0 : -(errno ? errno : EIO);
        close(fd);
        if (r == 0 && linkat(to->dfd, tmp, to->dfd, rel, 0) < 0)
                r = -errno;
        unlinkat(to->dfd, tmp, 0);
        if (r == -EEXIST)
                return exists_error(name, to->root, rel, e);
        return r < 0 ? nook_errf(e, -r, "cannot write the record of %s in %s: %s", name, to->root, strerror(-r)) : 0;
}

/* 1 when rec is a squashfs image's whose file is the digest arg. */
static int names_blob(const char *name, json_t *rec, void *arg)
{
        const char *digest = json_string_value(json_object_get(json_object_get(rec, "squashfs"), "digest"));

        (void)name;
        return digest && strcmp(digest, arg) == 0;
}

/* Another publisher's record won the name: the squashfs file this one put
   in blobs/ goes, unless a record of the store names it (the winner's,
   the same image giving the same bytes, or another name's that was
   published of it before: renamed over, the file was already theirs). */
static void drop_unlinked_blob(const struct store *to, json_t *mine)
{
        const char *digest = json_string_value(json_object_get(json_object_get(mine, "squashfs"), "digest"));
        char rel[128];

        if (!digest || store_image_each(to, names_blob, (void *)digest) != 0)
                return;
        if (store_blob_rel(digest, rel, sizeof(rel)) == 0)
                unlinkat(to->dfd, rel, 0);
}

int store_publish(const struct store *own, const char *name, const char *as, const char *dir,
                  const struct userns_map *m, const char *compressor, struct nook_err *e)
{
        _cleanup_json_ json_t *rec = NULL, *out = NULL;
        _cleanup_free_ char *path = NULL, *found = NULL;
        struct store to = { .dfd = -1 };
        char rel[512], work[64] = "";
        struct stat st;
        int fd = -1, work_fd = -1;
        int r = store_image_load(own, name, &rec, e);

        if (r == 0)
                r = open_target(&to, dir, e);
        if (r == 0 && store_record_rel(as, rel, sizeof(rel)) < 0)
                r = nook_errf(e, ENAMETOOLONG, "image name '%.100s' is too long", as);
        /* said before the work, most of the time: link_record has the last word */
        if (r == 0 && fstatat(to.dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
                r = exists_error(as, dir, rel, e);
        if (r == 0)
                r = store_mkdtemp(&to, "publish-", work, sizeof(work), e);
        if (r == 0 && (work_fd = openat(to.dfd, work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                r = nook_errf(e, errno, "cannot publish to %s: %s: %m", dir, work);
        if (r == 0)
                r = squashfs_of(own, rec, name, work_fd, m, compressor, &fd, &path, e);
        if (r == 0)
                r = squashfs_import(&to, fd, path, as, &out, &found, e);
        if (r == 0) {
                json_object_set(out, "config", json_object_get(rec, "config"));
                json_object_set_new(out, "name", json_string(as));
                json_object_set_new(out, "format", json_string("squashfs"));
                json_object_set_new(out, "published", json_integer((json_int_t)time(NULL)));
                r = link_record(&to, as, rel, out, e);
                if (r == -EEXIST)
                        drop_unlinked_blob(&to, out);
        }
        if (fd >= 0)
                close(fd);
        if (work_fd >= 0)
                close(work_fd);
        if (work[0])
                store_remove_tree(&to, work);
        store_close(&to);
        return r;
}
