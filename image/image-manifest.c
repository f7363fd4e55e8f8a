#include "image/image-manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/mount.h"
#include "fs/resolve.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

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
        if (store_blob_rel(digest, buf, size) < 0)
                return nook_errf(e, EINVAL, "'%s' is not a sha256 digest", digest ? digest : "(none)");
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
        memcpy(digest_out, digest, DIGEST_STR_LEN + 1);   /* valid: blob_rel said so */
        return m;
}

/* --- the record --------------------------------------------------------- */

struct layer_ref {
        char digest[DIGEST_STR_LEN + 1];        /* the blob */
        char diff_id[DIGEST_STR_LEN + 1];       /* its uncompressed tar; "" until known */
};

json_t *image_record_make(const char *name, enum image_format fmt, const char *manifest, const char *config_digest,
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


/* Room for the n layers a manifest lists (listed: it has a list at all),
   once they are checked against the config's diff_ids, and their number
   against overlayfs's limit: checked before any layer is read (an image
   that has more is more likely made to hurt than to run). NULL with e
   filled when they do not pass. */
static struct layer_ref *new_layers(const char *what, bool listed, size_t n, json_t *ids, struct nook_err *e)
{
        if (!listed || !json_is_array(ids) || json_array_size(ids) != n) {
                nook_errf(e, EINVAL, "the %s lists %zu layers but its config %zu diff_ids", what, n, json_array_size(ids));
                return NULL;
        }
        if (n > OVERLAY_MAX_LAYERS) {
                nook_errf(e, E2BIG, "the image has %zu layers; nook takes at most %d, overlayfs's limit (squash it into fewer layers)",
                          n, OVERLAY_MAX_LAYERS);
                return NULL;
        }
        struct layer_ref *l = calloc(n ? n : 1, sizeof(*l));
        if (!l)
                nook_errf(e, ENOMEM, "out of memory");
        return l;
}

int manifest_from_oci_layout(struct store *s, int layout, const char *fallback_name, json_t **rec_out, char **name_out,
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
        _cleanup_free_ struct layer_ref *layers = new_layers("image manifest", json_is_array(ls), n, ids, e);
        if (!layers)
                return -e->code;
        for (size_t i = 0; i < n; i++) {
                const char *d = json_string_value(json_object_get(json_array_get(ls, i), "digest"));
                const char *id = json_string_value(json_array_get(ids, i));
                if (!digest_valid(d) || !digest_valid(id))
                        return nook_errf(e, EINVAL, "layer %zu of the image has no valid digest", i + 1);
                int r = copy_blob(s, layout, d, desc_size(json_array_get(ls, i)), e);
                if (r < 0)
                        return r;
                /* both valid, so of exactly this length */
                memcpy(layers[i].digest, d, sizeof(layers[i].digest));
                memcpy(layers[i].diff_id, id, sizeof(layers[i].diff_id));
        }
        /* a ref.name is a tag ("latest") or a full name ("alpine:3.19") */
        char name[256];
        bool full = ref && strchr(ref, ':');
        if ((full ? STR_FMT(name, "%s", ref) : STR_FMT(name, "%s%s%s", fallback_name, ref ? ":" : "", ref ? ref : "")) < 0)
                return nook_errf(e, ENAMETOOLONG, "the image's name '%.60s...' is too long (give one with --name)",
                                 full ? ref : fallback_name);
        *name_out = strdup(name);
        *rec_out = image_record_make(name, FMT_OCI_LAYOUT, manifest_digest, cdigest, config, layers, n);
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

int manifest_from_docker_dir(struct store *s, int dir, const char *fallback_name, json_t **rec_out, char **name_out,
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
        _cleanup_free_ struct layer_ref *layers = new_layers("docker manifest", true, n, ids, e);
        if (!layers)
                return -e->code;
        for (size_t i = 0; i < n; i++) {
                const char *path = json_string_value(json_array_get(ls, i));
                const char *id = json_string_value(json_array_get(ids, i));
                if (!path || !digest_valid(id))
                        return nook_errf(e, EINVAL, "layer %zu of the docker archive is not described", i + 1);
                r = put_file(s, dir, path, layers[i].digest, e);
                if (r < 0)
                        return r;
                /* docker save layers are plain tars: the blob is the diff */
                memcpy(layers[i].diff_id, id, sizeof(layers[i].diff_id));      /* valid: of this length */
        }
        const char *tag = json_string_value(json_array_get(json_object_get(m, "RepoTags"), 0));
        *name_out = strdup(tag ? tag : fallback_name);
        *rec_out = image_record_make(*name_out ? *name_out : "", FMT_DOCKER_ARCHIVE, NULL, cdigest, config, layers, n);
        return *name_out && *rec_out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}

/* The config of an image that brings none: a shell, and Debian's PATH. */
json_t *image_config_made_up(void)
{
        return json_pack("{s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[]}}", "architecture",
#if defined(__aarch64__)
                         "arm64",
#else
                         "amd64",
#endif
                         "os", "linux", "config", "Cmd", "/bin/sh", "Env",
                         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "rootfs", "type", "layers", "diff_ids");
}

/* A rootfs tarball is one layer; its config is made up: a shell. */
int manifest_from_rootfs_tar(struct store *s, int fd, enum image_format fmt, const char *name, json_t **rec_out,
                              char **name_out, struct nook_err *e)
{
        struct layer_ref layer = { 0 };
        int r = store_put_blob(s, fd, NULL, layer.digest, NULL, e);

        if (r < 0)
                return r;
        _cleanup_json_ json_t *config = image_config_made_up();
        *name_out = strdup(name);
        *rec_out = image_record_make(name, fmt, NULL, layer.digest, config, &layer, 1);
        return *name_out && *rec_out ? 0 : nook_errf(e, ENOMEM, "out of memory");
}
