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

#include "image/layer-unpack.h"
#include "fs/mount.h"
#include "fs/resolve.h"
#include "lib/cleanup.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

const char *image_format_name(enum image_format f)
{
        switch (f) {
        case FMT_OCI_LAYOUT: return "OCI layout";
        case FMT_OCI_ARCHIVE: return "OCI archive";
        case FMT_DOCKER_ARCHIVE: return "docker archive";
        case FMT_ROOTFS_TAR: return "rootfs tarball";
        case FMT_ROOTFS_DIR: return "rootfs directory";
        default: return "unknown";
        }
}

#define _cleanup_json_ _cleanup_(json_decrefp)

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
                if ((size_t)snprintf(p, sizeof(p), "%s/oci-layout", path) >= sizeof(p)) {
                        nook_errf(e, ENAMETOOLONG, "cannot import %.100s...: the path is too long", path);
                        return FMT_UNKNOWN;
                }
                return access(p, F_OK) == 0 ? FMT_OCI_LAYOUT : FMT_ROOTFS_DIR;
        }
        if (!S_ISREG(st.st_mode)) {
                nook_errf(e, EINVAL, "cannot import %s: not a file or a directory", path);
                return FMT_UNKNOWN;
        }
        return detect_archive(path, e);
}

/* --- reading JSON from a layout, inside its root ------------------------ */

static json_t *load_json_at(int dirfd, const char *rel, const char *what, struct nook_err *e)
{
        int fd = resolve_open_regular(dirfd, rel);
        json_error_t je;

        if (fd == -EFTYPE_NOT_REGULAR) {
                nook_errf(e, EINVAL, "cannot read %s (%s): not a regular file", what, rel);
                return NULL;
        }
        if (fd < 0) {
                nook_errf(e, -fd, "cannot read %s (%s): %m", what, rel);
                return NULL;
        }
        json_t *j = json_loadfd(fd, 0, &je);
        close(fd);
        if (!j)
                nook_errf(e, EINVAL, "%s (%s) is not valid JSON: %s at line %d", what, rel, je.text, je.line);
        return j;
}

static int blob_rel(const char *digest, char *buf, size_t size, struct nook_err *e)
{
        if (!digest_valid(digest))
                return nook_errf(e, EINVAL, "'%s' is not a sha256 digest", digest ? digest : "(none)");
        snprintf(buf, size, "blobs/sha256/%s", digest_hex(digest));
        return 0;
}

/* The size a descriptor gives its blob; -1 when it gives none. */
static int64_t desc_size(json_t *desc)
{
        json_t *v = json_object_get(desc, "size");
        return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
}

/* Copies one blob of a layout into the store, checking its digest; one the
   store has already is taken only when it has the descriptor's size. */
static int copy_blob(struct store *s, int layout, const char *digest, int64_t size, struct nook_err *e)
{
        char rel[128], got[DIGEST_STR_LEN + 1];
        int r = blob_rel(digest, rel, sizeof(rel), e);

        if (r < 0)
                return r;
        if (store_has_blob(s, digest, size))
                return 0;
        _cleanup_close_ int fd = resolve_open_regular(layout, rel);
        if (fd == -EFTYPE_NOT_REGULAR)
                return nook_errf(e, EINVAL, "blob %s of the image is not a regular file", digest);
        if (fd < 0)
                return nook_errf(e, -fd, "blob %s is missing from the image: %m", digest);
        return store_put_blob(s, fd, digest, got, NULL, e);
}

static bool platform_matches(json_t *desc)
{
        json_t *p = json_object_get(desc, "platform");
        const char *os = json_string_value(json_object_get(p, "os"));
        const char *arch = json_string_value(json_object_get(p, "architecture"));
#if defined(__x86_64__)
        const char *want = "amd64";
#elif defined(__aarch64__)
        const char *want = "arm64";
#else
        const char *want = "";
#endif
        return !p || ((!os || strcmp(os, "linux") == 0) && (!arch || strcmp(arch, want) == 0));
}

/* The image manifest for this machine, following nested indexes. */
static json_t *pick_manifest(struct store *s, int layout, json_t *index, int depth, char *digest_out,
                             const char **ref_name, struct nook_err *e)
{
        json_t *ms = json_object_get(index, "manifests"), *d;
        size_t i;

        if (depth > 4 || !json_is_array(ms) || json_array_size(ms) == 0) {
                nook_errf(e, EINVAL, "the image index lists no manifests");
                return NULL;
        }
        json_t *chosen = NULL;
        json_array_foreach(ms, i, d) {
                if (platform_matches(d)) {
                        chosen = d;
                        break;
                }
        }
        if (!chosen) {
                nook_errf(e, ENOENT, "the image has no manifest for linux on this architecture");
                return NULL;
        }
        const char *digest = json_string_value(json_object_get(chosen, "digest"));
        const char *mt = json_string_value(json_object_get(chosen, "mediaType"));
        const char *name = json_string_value(json_object_get(json_object_get(chosen, "annotations"),
                                                              "org.opencontainers.image.ref.name"));
        if (name && !*ref_name)
                *ref_name = name;
        char rel[128];
        if (blob_rel(digest, rel, sizeof(rel), e) < 0 || copy_blob(s, layout, digest, desc_size(chosen), e) < 0)
                return NULL;
        json_t *m = load_json_at(layout, rel, "the image manifest", e);
        if (!m)
                return NULL;
        if ((mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) ||
            json_object_get(m, "manifests")) {
                json_t *inner = pick_manifest(s, layout, m, depth + 1, digest_out, ref_name, e);
                json_decref(m);
                return inner;
        }
        snprintf(digest_out, DIGEST_STR_LEN + 1, "%s", digest);
        return m;
}

/* --- the record --------------------------------------------------------- */

struct layer_ref {
        char digest[DIGEST_STR_LEN + 1];        /* the blob */
        char diff_id[DIGEST_STR_LEN + 1];       /* its uncompressed tar; "" until known */
};

static json_t *make_record(const char *name, enum image_format fmt, const char *manifest, const char *config_digest,
                           json_t *config, const struct layer_ref *layers, size_t n)
{
        json_t *rec = json_object(), *ls = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(ls, json_pack("{s:s,s:s}", "digest", layers[i].digest, "diff_id", layers[i].diff_id));
        json_object_set_new(rec, "name", json_string(name));
        json_object_set_new(rec, "format", json_string(image_format_name(fmt)));
        if (manifest && *manifest)
                json_object_set_new(rec, "manifest_digest", json_string(manifest));
        json_object_set_new(rec, "config_digest", json_string(config_digest));
        json_object_set(rec, "config", config);
        json_object_set_new(rec, "layers", ls);
        json_object_set_new(rec, "imported", json_integer((json_int_t)time(NULL)));
        return rec;
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
                snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest_valid(digest) ? digest_hex(digest) : "x");
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
                snprintf(diff_id, DIGEST_STR_LEN + 1, "%s", expected);
                return 0;
        }
        _cleanup_close_ int blob = store_open_blob(s, digest, e);
        if (blob < 0)
                return blob;
        r = store_mkdtemp(s, "layer-", tmp, sizeof(tmp), e);
        if (r < 0)
                return r;
        struct unpack_job job = { s, blob, tmp, digest, o->map->range ? 0 : LAYER_SQUASH_IDS };
        char out[USERNS_OUT_MAX] = "";
        r = userns_run(o->map, unpack_in_ns, &job, out, e);
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
                store_layer_rel(diff_id, final, sizeof(final));
                if (store_has_layer(s, diff_id)) {
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

/* --- each format -------------------------------------------------------- */

/* Checked before any layer is read: overlayfs stacks no more (and an image
   that has more is more likely made to hurt than to run). */
static int too_many_layers(size_t n, struct nook_err *e)
{
        return nook_errf(e, E2BIG, "the image has %zu layers; nook takes at most %d, overlayfs's limit (squash it into fewer layers)",
                         n, OVERLAY_MAX_LAYERS);
}

static int from_oci_layout(struct store *s, int layout, const char *fallback_name, json_t **rec_out, char **name_out,
                           struct nook_err *e)
{
        _cleanup_json_ json_t *index = load_json_at(layout, "index.json", "the OCI index", e);
        char manifest_digest[DIGEST_STR_LEN + 1] = "";
        const char *ref = NULL;

        if (!index)
                return -EINVAL;
        _cleanup_json_ json_t *m = pick_manifest(s, layout, index, 0, manifest_digest, &ref, e);
        if (!m)
                return -EINVAL;
        const char *cdigest = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
        char rel[128];
        if (blob_rel(cdigest, rel, sizeof(rel), e) < 0 ||
            copy_blob(s, layout, cdigest, desc_size(json_object_get(m, "config")), e) < 0)
                return -EINVAL;
        _cleanup_json_ json_t *config = load_json_at(layout, rel, "the image config", e);
        if (!config)
                return -EINVAL;
        json_t *ls = json_object_get(m, "layers"), *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
        size_t n = json_array_size(ls);
        if (!json_is_array(ls) || !json_is_array(ids) || json_array_size(ids) != n)
                return nook_errf(e, EINVAL, "the image manifest lists %zu layers but its config %zu diff_ids", n,
                                 json_array_size(ids));
        if (n > OVERLAY_MAX_LAYERS)
                return too_many_layers(n, e);
        _cleanup_free_ struct layer_ref *layers = calloc(n ? n : 1, sizeof(*layers));
        if (!layers)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *d = json_string_value(json_object_get(json_array_get(ls, i), "digest"));
                const char *id = json_string_value(json_array_get(ids, i));
                if (!digest_valid(d) || !digest_valid(id))
                        return nook_errf(e, EINVAL, "layer %zu of the image has no valid digest", i + 1);
                int r = copy_blob(s, layout, d, desc_size(json_array_get(ls, i)), e);
                if (r < 0)
                        return r;
                snprintf(layers[i].digest, sizeof(layers[i].digest), "%s", d);
                snprintf(layers[i].diff_id, sizeof(layers[i].diff_id), "%s", id);
        }
        /* a ref.name is a tag ("latest") or a full name ("alpine:3.19") */
        char name[256];
        int len;
        if (ref && strchr(ref, ':'))
                len = snprintf(name, sizeof(name), "%s", ref);
        else
                len = snprintf(name, sizeof(name), "%s%s%s", fallback_name, ref ? ":" : "", ref ? ref : "");
        if (len < 0 || (size_t)len >= sizeof(name))
                return nook_errf(e, ENAMETOOLONG, "the image's name '%.60s...' is too long (give one with --name)", name);
        *name_out = strdup(name);
        *rec_out = make_record(name, FMT_OCI_LAYOUT, manifest_digest, cdigest, config, layers, n);
        return *name_out && *rec_out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* Stores a file of an unpacked archive as a blob; its digest goes to out. */
static int put_file(struct store *s, int dir, const char *rel, char *out, struct nook_err *e)
{
        _cleanup_close_ int fd = resolve_open_regular(dir, rel);

        if (fd == -EFTYPE_NOT_REGULAR)
                return nook_errf(e, EINVAL, "%s in the archive is not a regular file", rel);
        if (fd < 0)
                return nook_errf(e, -fd, "the archive lacks %s: %m", rel);
        return store_put_blob(s, fd, NULL, out, NULL, e);
}

static int from_docker_dir(struct store *s, int dir, const char *fallback_name, json_t **rec_out, char **name_out,
                           struct nook_err *e)
{
        _cleanup_json_ json_t *manifest = load_json_at(dir, "manifest.json", "the docker manifest", e);
        char cdigest[DIGEST_STR_LEN + 1];

        if (!manifest)
                return -EINVAL;
        json_t *m = json_array_get(manifest, 0);
        const char *cfg = json_string_value(json_object_get(m, "Config"));
        json_t *ls = json_object_get(m, "Layers");
        if (!cfg || !json_is_array(ls))
                return nook_errf(e, EINVAL, "the docker manifest has no Config or Layers");
        int r = put_file(s, dir, cfg, cdigest, e);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *config = load_json_at(dir, cfg, "the image config", e);
        if (!config)
                return -EINVAL;
        json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
        size_t n = json_array_size(ls);
        if (!json_is_array(ids) || json_array_size(ids) != n)
                return nook_errf(e, EINVAL, "the docker manifest lists %zu layers but its config %zu diff_ids", n,
                                 json_array_size(ids));
        if (n > OVERLAY_MAX_LAYERS)
                return too_many_layers(n, e);
        _cleanup_free_ struct layer_ref *layers = calloc(n ? n : 1, sizeof(*layers));
        if (!layers)
                return nook_errf(e, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *path = json_string_value(json_array_get(ls, i));
                const char *id = json_string_value(json_array_get(ids, i));
                if (!path || !digest_valid(id))
                        return nook_errf(e, EINVAL, "layer %zu of the docker archive is not described", i + 1);
                r = put_file(s, dir, path, layers[i].digest, e);
                if (r < 0)
                        return r;
                /* docker save layers are plain tars: the blob is the diff */
                snprintf(layers[i].diff_id, sizeof(layers[i].diff_id), "%s", id);
        }
        const char *tag = json_string_value(json_array_get(json_object_get(m, "RepoTags"), 0));
        *name_out = strdup(tag ? tag : fallback_name);
        *rec_out = make_record(*name_out ? *name_out : "", FMT_DOCKER_ARCHIVE, NULL, cdigest, config, layers, n);
        return *name_out && *rec_out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* A rootfs tarball is one layer; its config is made up: a shell. */
static int from_rootfs_tar(struct store *s, int fd, enum image_format fmt, const char *name, json_t **rec_out,
                           char **name_out, struct nook_err *e)
{
        struct layer_ref layer = { 0 };
        int r = store_put_blob(s, fd, NULL, layer.digest, NULL, e);

        if (r < 0)
                return r;
        _cleanup_json_ json_t *config = json_pack("{s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[]}}", "architecture",
#if defined(__aarch64__)
                                                  "arm64",
#else
                                                  "amd64",
#endif
                                                  "os", "linux", "config", "Cmd", "/bin/sh", "Env",
                                                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                                  "rootfs", "type", "layers", "diff_ids");
        *name_out = strdup(name);
        *rec_out = make_record(name, fmt, NULL, layer.digest, config, &layer, 1);
        return *name_out && *rec_out ? 0 : nook_errf(e, ENOMEM, "out of memory");
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
        snprintf(buf, sizeof(buf), "%s", b && b[1] ? b + 1 : path);
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
                return from_oci_layout(s, dir, fallback, rec, name, e);
        }
        case FMT_OCI_ARCHIVE:
        case FMT_DOCKER_ARCHIVE: {
                r = extract_archive(s, path, tmp, sizeof(tmp), e);
                if (r == 0) {
                        _cleanup_close_ int dir = openat(s->dfd, tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        r = fmt == FMT_OCI_ARCHIVE ? from_oci_layout(s, dir, fallback, rec, name, e)
                                                   : from_docker_dir(s, dir, fallback, rec, name, e);
                }
                if (tmp[0])
                        store_remove_tree(s, tmp);
                return r;
        }
        case FMT_ROOTFS_TAR: {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return nook_errf(e, errno, "cannot open %s: %m", path);
                return from_rootfs_tar(s, fd, fmt, fallback, rec, name, e);
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
                        r = from_rootfs_tar(s, fd, fmt, fallback, rec, name, e);
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
                snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
                if (!json_object_get(set, digest))
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
                if (!digest || !digest_valid(digest) || !diff_id || !store_has_layer(s, diff_id))
                        continue;
                snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest_hex(digest));
                unlinkat(s->dfd, rel, 0);
        }
}

/* Replaces every occurrence of from in e's message by to. */
static void rename_in_message(struct nook_err *e, const char *from, const char *to)
{
        char out[sizeof(e->msg)];
        size_t o = 0, n = strlen(from);

        for (const char *p = e->msg; *p && o + 1 < sizeof(out);) {
                if (strncmp(p, from, n) == 0) {
                        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", to);
                        p += n;
                } else {
                        out[o++] = *p++;
                }
        }
        out[o < sizeof(out) ? o : sizeof(out) - 1] = '\0';
        memcpy(e->msg, out, sizeof(out));
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
                snprintf(rel, sizeof(rel), "tmp/%s", de->d_name);
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
