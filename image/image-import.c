#include "image/image-import.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image-manifest.h"
#include "image/layer-unpack.h"
#include "image/squashfs-import.h"
#include "image/squashfs-read.h"
#include "image/store-fs.h"
#include "fs/mount.h"
#include "fs/resolve.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

const char *image_format_name(enum image_format f)
{
        switch (f) {
        case FMT_OCI_LAYOUT: return "OCI layout";
        case FMT_OCI_ARCHIVE: return "OCI archive";
        case FMT_DOCKER_ARCHIVE: return "docker archive";
        case FMT_ROOTFS_TAR: return "rootfs tarball";
        case FMT_ROOTFS_DIR: return "rootfs directory";
        case FMT_SQUASHFS: return "squashfs";
        default: return "unknown";
        }
}

/* --- telling formats apart ---------------------------------------------- */

static enum image_format detect_archive(const char *path, struct nook_err *e)
{
        struct archive *a = archive_read_new();
        struct archive_entry *ae;
        bool oci = false, docker = false;
        int entries = 0, r;

        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                nook_errf(e, EINVAL, "%s is neither an image nor a tar archive: %s", path, archive_error_string(a));
                archive_read_free(a);
                return FMT_UNKNOWN;
        }
        while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                const char *p = archive_entry_pathname(ae);
                if (strncmp(p, "./", 2) == 0)
                        p += 2;
                oci |= strcmp(p, "oci-layout") == 0;
                docker |= strcmp(p, "manifest.json") == 0;
                entries++;
        }
        if (r != ARCHIVE_EOF) {
                nook_errf(e, EINVAL, "%s is damaged or not a tar archive: %s", path, archive_error_string(a));
                archive_read_free(a);
                return FMT_UNKNOWN;
        }
        archive_read_free(a);
        if (entries == 0) {
                nook_errf(e, EINVAL, "%s is an empty archive", path);
                return FMT_UNKNOWN;
        }
        return oci ? FMT_OCI_ARCHIVE : docker ? FMT_DOCKER_ARCHIVE : FMT_ROOTFS_TAR;
}

static enum image_format detect(const char *path, struct nook_err *e)
{
        struct stat st;
        char p[4096];

        if (stat(path, &st) < 0) {
                nook_errf(e, errno, "cannot import %s: %m", path);
                return FMT_UNKNOWN;
        }
        if (S_ISDIR(st.st_mode)) {
                if (STR_FMT(p, "%s/oci-layout", path) < 0) {
                        nook_errf(e, ENAMETOOLONG, "cannot import %.100s...: the path is too long", path);
                        return FMT_UNKNOWN;
                }
                return access(p, F_OK) == 0 ? FMT_OCI_LAYOUT : FMT_ROOTFS_DIR;
        }
        if (!S_ISREG(st.st_mode)) {
                nook_errf(e, EINVAL, "cannot import %s: not a file or a directory", path);
                return FMT_UNKNOWN;
        }
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0 && sqsh_magic(fd))
                return FMT_SQUASHFS;
        return detect_archive(path, e);
}

/* --- unpacking, in a user namespace with the sandbox's ids --------------- */

struct unpack_job {
        struct store *s;
        int blob;
        const char *tmp;        /* relative to the store */
        const char *name;
        unsigned flags;
};

static int unpack_in_ns(void *arg, char *out, struct nook_err *e)
{
        struct unpack_job *j = arg;
        _cleanup_close_ int dir = openat(j->s->dfd, j->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (dir < 0)
                return nook_errf(e, errno, "cannot open %s: %m", j->tmp);
        return layer_unpack(j->blob, dir, j->name, j->flags, out, e);
}

static int remove_in_ns(void *arg, char *out, struct nook_err *e)
{
        struct unpack_job *j = arg;
        (void)out;
        int r = store_remove_tree(j->s, j->tmp);
        if (r < 0)
                return nook_errf(e, -r, "cannot remove %s/%s: %m", j->s->root, j->tmp);
        return 0;
}

/* "unpacking layer 2 of 5 (3.1 MiB)" on a terminal, rewritten in place;
   i == 0 ends it */
static void progress(const struct import_opts *o, size_t i, size_t n, const struct store *s, const char *digest)
{
        if (!o->progress)
                return;
        if (i == 0) {
                fputc('\n', stderr);
        } else {
                char rel[128];
                struct stat st = { 0 };
                if (store_blob_rel(digest, rel, sizeof(rel)) == 0)
                        fstatat(s->dfd, rel, &st, 0);
                fprintf(stderr, "\rnook: unpacking layer %zu of %zu (%.1f MiB)   ", i, n, (double)st.st_size / (1 << 20));
        }
        fflush(stderr);
}

/* Unpacks the blob `digest` as a layer; fills diff_id and checks it against
   `expected` when one is known. */
static int unpack_layer(struct store *s, const char *digest, const char *expected, char *diff_id,
                        const struct import_opts *o, struct nook_err *e)
{
        char tmp[256];
        int r;

        if (expected && *expected && store_has_layer(s, expected)) {
                memcpy(diff_id, expected, DIGEST_STR_LEN + 1);     /* a valid one: store_has_layer */
                return 0;
        }
        _cleanup_close_ int blob = store_open_blob(s, digest, e);
        if (blob < 0)
                return blob;
        r = store_mkdtemp(s, "layer-", tmp, sizeof(tmp), e);
        if (r < 0)
                return r;
        struct store_fs fs;
        store_fs_get(s, &fs);
        struct unpack_job job = { s, blob, tmp, digest,
                                  (o->map->range ? 0 : LAYER_SQUASH_IDS) | (fs.xattr ? 0 : LAYER_OPAQUE_FILE) };
        char out[USERNS_OUT_MAX] = "";
        r = userns_run(o->map, unpack_in_ns, &job, out, e);
        /* a server or a FUSE daemon that runs as the user refuses chown(2)
           to any id but the user's own */
        if (r == -EPERM && o->map->range && store_fs_remote(&fs) && strstr(e->msg, "cannot set the owner"))
                r = nook_errf(e, EPERM, "layer %s: its files cannot be given to your subordinate ids on %s, the file system of the image store %s (import with --map single, or put the store on a local disk with [Store] Path= in nook.conf, or --store DIR)",
                              digest, fs.type, s->root);
        if (r == 0) {
                if (!digest_valid(out))
                        r = nook_errf(e, EIO, "layer %s: the unpacking helper gave no digest", digest);
                else
                        memcpy(diff_id, out, DIGEST_STR_LEN + 1);
                if (r == 0 && expected && *expected && strcmp(expected, diff_id) != 0)
                        r = nook_errf(e, EBADMSG, "layer %s: its content digest is %s, but the image config says %s (the image is corrupt)",
                                      digest, diff_id, expected);
        }
        char final[128];
        if (r == 0) {
                if (store_layer_rel(diff_id, final, sizeof(final)) < 0) {
                        r = nook_errf(e, ENAMETOOLONG, "cannot store layer %s: %m", diff_id);
                } else if (store_has_layer(s, diff_id)) {
                        /* the same content came with another blob: keep one */
                } else if (renameat(s->dfd, tmp, s->dfd, final) < 0) {
                        r = nook_errf(e, errno, "cannot store layer %s: %m", diff_id);
                } else {
                        return 0;
                }
        }
        struct nook_err ignored = { 0 };
        userns_run(o->map, remove_in_ns, &job, NULL, &ignored);
        return r;
}

int image_unpack_layers(struct store *s, json_t *rec, const struct import_opts *o, struct nook_err *e)
{
        json_t *ls = json_object_get(rec, "layers"), *l;
        size_t i, n = json_array_size(ls);

        json_array_foreach(ls, i, l) {
                const char *digest = json_string_value(json_object_get(l, "digest"));
                const char *expected = json_string_value(json_object_get(l, "diff_id"));
                char diff_id[DIGEST_STR_LEN + 1];
                progress(o, i + 1, n, s, digest);
                int r = unpack_layer(s, digest, expected, diff_id, o, e);
                if (r < 0) {
                        progress(o, 0, 0, s, NULL);
                        return r;
                }
                json_object_set_new(l, "diff_id", json_string(diff_id));
        }
        progress(o, 0, 0, s, NULL);
        /* the config names the layers by diff_id: keep them in step */
        json_t *cfg = json_object_get(rec, "config");
        json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
        if (json_is_array(ids) && json_array_size(ids) == 0)
                json_array_foreach(ls, i, l)
                        json_array_append(ids, json_object_get(l, "diff_id"));
        return 0;
}

/* A rootfs directory becomes a tarball first; the user's own files are
   root's inside, as they would be in the sandbox. */
static int pack_dir(const char *path, int outfd, struct nook_err *e)
{
        struct archive *disk = archive_read_disk_new();
        struct archive *w = archive_write_new();
        struct archive_entry *ae;
        int r = 0;

        archive_write_set_format_pax_restricted(w);
        archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        archive_read_disk_set_symlink_physical(disk);
        if (archive_write_open_fd(w, outfd) != ARCHIVE_OK || archive_read_disk_open(disk, path) != ARCHIVE_OK) {
                r = nook_errf(e, EIO, "cannot read %s: %s", path, archive_error_string(disk));
                goto out;
        }
        size_t plen = strlen(path);
        for (;;) {
                ae = archive_entry_new();
                int h = archive_read_next_header2(disk, ae);
                if (h == ARCHIVE_EOF) {
                        archive_entry_free(ae);
                        break;
                }
                if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
                        r = nook_errf(e, EIO, "cannot read %s: %s", path, archive_error_string(disk));
                        archive_entry_free(ae);
                        break;
                }
                archive_read_disk_descend(disk);
                const char *full = archive_entry_sourcepath(ae);
                const char *rel = strlen(full) > plen ? full + plen + (full[plen] == '/') : ".";
                archive_entry_copy_pathname(ae, *rel ? rel : ".");
                if (archive_entry_uid(ae) == getuid())
                        archive_entry_set_uid(ae, 0);
                if (archive_entry_gid(ae) == getgid())
                        archive_entry_set_gid(ae, 0);
                if (archive_write_header(w, ae) != ARCHIVE_OK) {
                        r = nook_errf(e, EIO, "cannot pack %s: %s", full, archive_error_string(w));
                        archive_entry_free(ae);
                        break;
                }
                if (archive_entry_filetype(ae) == AE_IFREG && archive_entry_size(ae) > 0) {
                        int in = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                        char buf[65536];
                        ssize_t n;
                        while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
                                archive_write_data(w, buf, (size_t)n);
                        if (in >= 0)
                                close(in);
                }
                archive_entry_free(ae);
        }
out:
        archive_read_close(disk);
        archive_read_free(disk);
        archive_write_close(w);
        archive_write_free(w);
        return r;
}

static char *base_name(const char *path)
{
        char buf[256];
        const char *b = strrchr(path, '/');
        const char *src = b && b[1] ? b + 1 : path;
        /* a name, cut: one this long is refused as an image name anyway */
        size_t len = strnlen(src, sizeof(buf) - 1);
        memcpy(buf, src, len);
        buf[len] = '\0';
        /* "alpine.tar.gz" → "alpine" */
        char *dot = strchr(buf, '.');
        if (dot && dot != buf)
                *dot = '\0';
        for (char *p = buf; *p; p++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", *p))
                        *p = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : '-';
        return strdup(buf[0] ? buf : "image");
}

/* Extracts an archive (OCI or docker) to a temporary directory: a plain
   extraction with the layer rules, since archives are input like layers. */
static int extract_archive(struct store *s, const char *path, char *tmp, size_t size, struct nook_err *e)
{
        char diff[DIGEST_STR_LEN + 1];
        int r = store_mkdtemp(s, "import-", tmp, size, e);

        if (r < 0)
                return r;
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int dir = openat(s->dfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (in < 0 || dir < 0)
                return nook_errf(e, errno, "cannot read %s: %m", path);
        return layer_unpack(in, dir, path, LAYER_SQUASH_IDS, diff, e);
}

static int import_by_format(struct store *s, const char *path, enum image_format fmt, const char *fallback,
                            json_t **rec, char **name, struct nook_err *e)
{
        char tmp[256] = "";
        int r;

        switch (fmt) {
        case FMT_OCI_LAYOUT: {
                _cleanup_close_ int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dir < 0)
                        return nook_errf(e, errno, "cannot open %s: %m", path);
                return manifest_from_oci_layout(s, dir, fallback, rec, name, e);
        }
        case FMT_OCI_ARCHIVE:
        case FMT_DOCKER_ARCHIVE: {
                r = extract_archive(s, path, tmp, sizeof(tmp), e);
                if (r == 0) {
                        _cleanup_close_ int dir = openat(s->dfd, tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        r = fmt == FMT_OCI_ARCHIVE ? manifest_from_oci_layout(s, dir, fallback, rec, name, e)
                                                   : manifest_from_docker_dir(s, dir, fallback, rec, name, e);
                }
                if (tmp[0])
                        store_remove_tree(s, tmp);
                return r;
        }
        case FMT_ROOTFS_TAR: {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return nook_errf(e, errno, "cannot open %s: %m", path);
                return manifest_from_rootfs_tar(s, fd, fmt, fallback, rec, name, e);
        }
        case FMT_SQUASHFS: {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return nook_errf(e, errno, "cannot open %s: %m", path);
                return squashfs_import(s, fd, path, fallback, rec, name, e);
        }
        case FMT_ROOTFS_DIR: {
                char tarpath[64];
                _cleanup_close_ int fd = store_mkstemp(s, "rootfs-", tarpath, sizeof(tarpath), e);
                if (fd < 0)
                        return fd;
                unlinkat(s->dfd, tarpath, 0);
                r = pack_dir(path, fd, e);
                if (r == 0 && lseek(fd, 0, SEEK_SET) < 0)
                        r = nook_errf(e, errno, "cannot read back the packed rootfs: %m");
                if (r == 0)
                        r = manifest_from_rootfs_tar(s, fd, fmt, fallback, rec, name, e);
                return r;
        }
        default:
                return nook_errf(e, EINVAL, "cannot tell what %s is", path);
        }
}

/* Standard input is kept in the store's tmp while it is imported; rel is
   its name there, *path the name the format readers open. */
static int spool_stdin(struct store *s, char *rel, size_t size, char **path, struct nook_err *e)
{
        _cleanup_close_ int fd = store_mkstemp(s, "stdin-", rel, size, e);
        char buf[65536];
        ssize_t n;

        if (fd < 0) {
                rel[0] = '\0';
                return fd;
        }
        if (asprintf(path, "%s/%s", s->root, rel) < 0) {
                *path = NULL;
                unlinkat(s->dfd, rel, 0);
                return nook_errf(e, ENOMEM, "out of memory");
        }
        while ((n = read(0, buf, sizeof(buf))) > 0)
                if (write(fd, buf, (size_t)n) != n)
                        return nook_errf(e, errno, "cannot spool standard input: %m");
        if (n < 0)
                return nook_errf(e, errno, "cannot read standard input: %m");
        return 0;
}

static int collect_digests(const char *name, json_t *rec, void *arg)
{
        json_t *set = arg, *l;
        size_t i;
        const char *keys[] = { "config_digest", "manifest_digest" };

        (void)name;
        json_array_foreach(json_object_get(rec, "layers"), i, l)
                if (json_is_string(json_object_get(l, "digest")))
                        json_object_set(set, json_string_value(json_object_get(l, "digest")), json_true());
        for (size_t k = 0; k < 2; k++)
                if (json_is_string(json_object_get(rec, keys[k])))
                        json_object_set(set, json_string_value(json_object_get(rec, keys[k])), json_true());
        return 0;
}

/* Removes the blobs no image record names (with the store lock held). */
static void drop_unreferenced_blobs(struct store *s)
{
        json_t *set = json_object();
        int fd = openat(s->dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        store_image_each(s, collect_digests, set);
        while (dp && (de = readdir(dp))) {
                char digest[300];
                if (de->d_name[0] == '.')
                        continue;
                if (STR_FMT(digest, "sha256:%s", de->d_name) == 0 && !json_object_get(set, digest))
                        unlinkat(dirfd(dp), de->d_name, 0);
        }
        if (dp)
                closedir(dp);
        else if (fd >= 0)
                close(fd);
        json_decref(set);
}

/* Once an image's layers are unpacked and its record saved, their blobs
   (compressed or plain tars, as big as the layers themselves) serve no
   one: nook runs the unpacked layers, and an import that needs a blob again
   brings it again. Manifests and configs stay. */
static void drop_layer_blobs(struct store *s, json_t *rec)
{
        json_t *l;
        size_t i;

        json_array_foreach(json_object_get(rec, "layers"), i, l) {
                const char *digest = json_string_value(json_object_get(l, "digest"));
                const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
                char rel[128];
                if (!digest || !diff_id || !store_has_layer(s, diff_id) || store_blob_rel(digest, rel, sizeof(rel)) < 0)
                        continue;
                unlinkat(s->dfd, rel, 0);
        }
}

/* Replaces every occurrence of from in e's message by to. */
static void rename_in_message(struct nook_err *e, const char *from, const char *to)
{
        _cleanup_(buf_free) struct buf out = { 0 };
        size_t n = strlen(from);
        int r = 0;

        for (const char *p = e->msg; *p && r == 0;) {
                if (n && strncmp(p, from, n) == 0) {
                        r = buf_appendf(&out, "%s", to);
                        p += n;
                } else {
                        r = buf_appendf(&out, "%c", *p++);
                }
        }
        if (r < 0)
                return;         /* the message as it was */
        /* a message, not a path: cut where e's room ends */
        size_t len = strnlen(buf_str(&out), sizeof(e->msg) - 1);
        memcpy(e->msg, buf_str(&out), len);
        e->msg[len] = '\0';
}

int image_import(struct store *s, const char *path, const struct import_opts *o, char **out_name, struct nook_err *e)
{
        char spool[64] = "", name[512];
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *found = NULL, *fallback = NULL, *spool_path = NULL;
        int lock = o->locked ? -1 : store_lock(s, true, e);
        int r;

        if (!o->locked) {
                if (lock < 0)
                        return lock;
                image_clean_tmp(s, o->map);
        }
        /* the first import says what the store's file system lacks, once */
        struct store_fs fs;
        store_fs_get(s, &fs);
        if (strcmp(path, "-") == 0) {
                r = spool_stdin(s, spool, sizeof(spool), &spool_path, e);
                if (r < 0)
                        goto out;
                path = spool_path;
        }
        enum image_format fmt = detect(path, e);
        if (fmt == FMT_UNKNOWN) {
                r = -EINVAL;
                goto out;
        }
        fallback = base_name(spool[0] ? "stdin" : path);
        r = import_by_format(s, path, fmt, fallback, &rec, &found, e);
        if (r == 0)
                r = store_normalize_name(o->name ? o->name : found, name, sizeof(name), e);
        if (r == 0) {
                json_object_set_new(rec, "name", json_string(name));
                json_object_set_new(rec, "format", json_string(image_format_name(fmt)));
                r = image_unpack_layers(s, rec, o, e);
        }
        if (r == 0)
                r = store_image_save(s, name, rec, e);
        if (r == 0)
                drop_layer_blobs(s, rec);
        if (r == 0) {
                *out_name = strdup(name);
                if (!*out_name)
                        r = nook_errf(e, ENOMEM, "out of memory");
        }
out:
        if (r < 0) {
                /* a refused import keeps no blob of its own; layers it did
                   unpack stay, shared by digest, for the next try */
                drop_unreferenced_blobs(s);
                /* the spool is a name the user never gave */
                if (spool_path)
                        rename_in_message(e, spool_path, "standard input");
        }
        if (spool[0])
                unlinkat(s->dfd, spool, 0);
        if (lock >= 0)
                close(lock);
        return r;
}

static int clean_one(void *arg, char *out, struct nook_err *e)
{
        struct store *s = arg;
        (void)out;
        (void)e;
        int dir = openat(s->dfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dp = dir >= 0 ? fdopendir(dir) : NULL;
        struct dirent *de;
        char rel[512];

        while (dp && (de = readdir(dp))) {
                if (de->d_name[0] == '.')
                        continue;
                if (STR_FMT(rel, "tmp/%s", de->d_name) == 0)
                        store_remove_tree(s, rel);
        }
        if (dp)
                closedir(dp);
        else if (dir >= 0)
                close(dir);
        return 0;
}

void image_clean_tmp(struct store *s, const struct userns_map *m)
{
        struct nook_err ignored = { 0 };
        /* a half layer belongs to the mapped ids: remove it as them */
        userns_run(m, clean_one, s, NULL, &ignored);
}
